/**
 * X.509 certificate revocation lists (RFC 5280 §5). Kafka has no CRL support, so the gateway applies a partner
 * CA's CRL to the signing and encryption certificates it pins (src/envelope/revocation.ts).
 *
 * node-forge has no CRL API: its `asn1` module reads and writes the DER, the TBSCertList is laid out here, and
 * every signature is made and checked by Node's crypto (OpenSSL), as everywhere else in the gateway. The core is
 * pure (bytes and a clock in, a verified list or a GatewayError out); `readCrlFile` is the file edge.
 *
 * Scope: complete CRLs of one CA. A delta CRL, an indirect CRL or any other critical extension we do not know is
 * refused, as RFC 5280 §5.2 requires, rather than half understood.
 */
import { type KeyObject, X509Certificate, createPrivateKey, sign, verify } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import forge from 'node-forge'
import { GatewayError, isErrnoException } from '../errors.ts'

const { asn1 } = forge
type Asn1 = forge.asn1.Asn1

export const crlPemLabel = 'X509 CRL'

const oids = {
  crlNumber: '2.5.29.20',
  deltaCrlIndicator: '2.5.29.27',
  authorityKeyIdentifier: '2.5.29.35',
  reasonCode: '2.5.29.21',
  invalidityDate: '2.5.29.24'
} as const

/** Signature algorithms a CRL may use: digest for crypto.verify (null for Ed25519) and the key type it needs. */
const signatureAlgorithms: Record<string, { name: string; digest: string | null; key: string }> = {
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', digest: 'sha256', key: 'rsa' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', digest: 'sha384', key: 'rsa' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', digest: 'sha512', key: 'rsa' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', digest: 'sha256', key: 'ec' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', digest: 'sha384', key: 'ec' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', digest: 'sha512', key: 'ec' },
  '1.3.101.112': { name: 'Ed25519', digest: null, key: 'ed25519' }
}

const shortNames: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU'
}

/** A CRL as read, before its signature, issuer and dates are checked. */
export interface ParsedCrl {
  version: number
  signatureAlgorithmOid: string
  /** The issuer Name, re-encoded DER (binary string), to compare with a CA's subject. */
  issuerDer: string
  issuer: string
  thisUpdate: Date
  nextUpdate: Date | undefined
  crlNumber: bigint | undefined
  /** Normalised serial (see normaliseSerial) → revocation date. */
  revoked: ReadonlyMap<string, Date>
  /** The exact TBSCertList bytes that were signed. */
  tbsDer: Buffer
  signature: Buffer
}

/** A CRL whose signature, issuer and currency have been checked against a CA certificate. */
export interface VerifiedCrl extends ParsedCrl {
  nextUpdate: Date
  /** SHA-256 fingerprint of the CA certificate that signed it: only that CA's certificates are judged by it. */
  caFingerprint256: string
}

function crlInvalid(where: string, reason: string, cause?: unknown): GatewayError {
  return new GatewayError('ACMGW_CRL_INVALID', `${where}: ${reason}`, { path: where, cause })
}

/** Hex, lower case, without leading zeros: `X509Certificate.serialNumber` and DER INTEGERs compare equal. */
export function normaliseSerial(hex: string): string {
  const trimmed = hex.toLowerCase().replace(/^0+/, '')
  return trimmed === '' ? '0' : trimmed
}

/** Tag and length of the DER element at `offset`: enough to cut out the signed TBSCertList bytes exactly. */
function derSpan(der: Buffer, offset: number): { header: number; length: number } {
  const first = der[offset + 1]
  if (first === undefined) throw new Error('truncated DER')
  if (first < 0x80) return { header: 2, length: first }
  const count = first & 0x7f
  if (count === 0 || count > 4 || offset + 2 + count > der.length) throw new Error('unsupported DER length')
  let length = 0
  for (let i = 0; i < count; i++) length = length * 256 + (der[offset + 2 + i] ?? 0)
  return { header: 2 + count, length }
}

/** Strict DER, with BIT STRING contents left as bytes (forge would otherwise try to parse a signature as ASN.1). */
function parseDer(der: Buffer): Asn1 {
  const fromDer = asn1.fromDer as unknown as (bytes: string, options: object) => Asn1
  return fromDer(der.toString('binary'), { strict: true, parseAllBytes: true, decodeBitStrings: false })
}

function children(node: Asn1 | undefined, what: string): Asn1[] {
  if (node === undefined || !Array.isArray(node.value)) throw new Error(`${what} is not a constructed element`)
  return node.value
}

/** A context-specific tag [n]; forge types the tag number as a universal Type, hence the number comparison. */
function isTagged(node: Asn1 | undefined, n: number): node is Asn1 {
  return node !== undefined && node.tagClass === asn1.Class.CONTEXT_SPECIFIC && (node.type as number) === n
}

function isUniversal(node: Asn1 | undefined, type: forge.asn1.Type): node is Asn1 {
  return node !== undefined && node.tagClass === asn1.Class.UNIVERSAL && node.type === type
}

function bytesOf(node: Asn1, what: string): string {
  if (typeof node.value !== 'string') throw new Error(`${what} is not a primitive element`)
  return node.value
}

function readOid(node: Asn1 | undefined, what: string): string {
  if (!isUniversal(node, asn1.Type.OID)) throw new Error(`${what} is not an OBJECT IDENTIFIER`)
  return asn1.derToOid(bytesOf(node, what))
}

function readTime(node: Asn1 | undefined, what: string): Date {
  let date: Date | undefined
  if (isUniversal(node, asn1.Type.UTCTIME)) date = asn1.utcTimeToDate(bytesOf(node, what))
  else if (isUniversal(node, asn1.Type.GENERALIZEDTIME)) date = asn1.generalizedTimeToDate(bytesOf(node, what))
  if (date === undefined || Number.isNaN(date.getTime())) throw new Error(`${what} is not a UTCTime or GeneralizedTime`)
  return date
}

function isTime(node: Asn1 | undefined): boolean {
  return isUniversal(node, asn1.Type.UTCTIME) || isUniversal(node, asn1.Type.GENERALIZEDTIME)
}

function readIntegerHex(node: Asn1 | undefined, what: string): string {
  if (!isUniversal(node, asn1.Type.INTEGER)) throw new Error(`${what} is not an INTEGER`)
  const bytes = bytesOf(node, what)
  if (bytes.length === 0) throw new Error(`${what} is an empty INTEGER`)
  return Buffer.from(bytes, 'binary').toString('hex')
}

function readAlgorithm(node: Asn1 | undefined, what: string): string {
  const [oid, parameters, ...rest] = children(node, what)
  if (rest.length > 0) throw new Error(`${what} has extra fields`)
  const algorithm = readOid(oid, `${what}.algorithm`)
  // RSA algorithms carry NULL parameters; ECDSA and Ed25519 none. Anything else is not ours to interpret.
  if (parameters !== undefined && !isUniversal(parameters, asn1.Type.NULL)) {
    throw new Error(`${what} has parameters this gateway does not support`)
  }
  return algorithm
}

function describeName(name: Asn1, what: string): string {
  return children(name, what)
    .flatMap((rdn) => children(rdn, `${what} RDN`))
    .map((attribute) => {
      const [type, value] = children(attribute, `${what} attribute`)
      const oid = readOid(type, `${what} attribute type`)
      const text = value !== undefined && typeof value.value === 'string' ? value.value : '?'
      return `${shortNames[oid] ?? oid}=${text}`
    })
    .join(', ')
}

interface Extension {
  oid: string
  critical: boolean
  value: string
}

function readExtensions(node: Asn1 | undefined, what: string): Extension[] {
  return children(node, what).map((extension, i) => {
    const fields = children(extension, `${what}[${i}]`)
    const oid = readOid(fields[0], `${what}[${i}].extnID`)
    let critical = false
    let valueNode = fields[1]
    if (isUniversal(valueNode, asn1.Type.BOOLEAN)) {
      critical = bytesOf(valueNode, `${what}[${i}].critical`) !== '\u0000'
      valueNode = fields[2]
    }
    if (!isUniversal(valueNode, asn1.Type.OCTETSTRING))
      throw new Error(`${what}[${i}].extnValue is not an OCTET STRING`)
    return { oid, critical, value: bytesOf(valueNode, `${what}[${i}].extnValue`) }
  })
}

function refuseUnknownCritical(extensions: Extension[], known: readonly string[], what: string): void {
  for (const e of extensions) {
    if (e.oid === oids.deltaCrlIndicator) throw new Error(`${what}: delta CRLs are not supported`)
    if (e.critical && !known.includes(e.oid)) throw new Error(`${what}: unknown critical extension ${e.oid}`)
  }
}

function toDer(data: Buffer | string, where: string): Buffer {
  const text = typeof data === 'string' ? data : data.subarray(0, 64).toString('latin1')
  if (!text.includes('-----BEGIN')) return typeof data === 'string' ? Buffer.from(data, 'binary') : data
  let blocks: forge.pem.ObjectPEM[]
  try {
    blocks = forge.pem.decode(typeof data === 'string' ? data : data.toString('latin1'))
  } catch (cause) {
    throw crlInvalid(where, 'the PEM armour is malformed', cause)
  }
  const crls = blocks.filter((b) => b.type === crlPemLabel)
  if (crls.length !== 1 || crls[0] === undefined) {
    throw crlInvalid(where, `expected exactly one "BEGIN ${crlPemLabel}" block, found ${crls.length}`)
  }
  return Buffer.from(crls[0].body, 'binary')
}

/** Reads a CRL (PEM or DER) into its fields; checks structure only, not the signature or the dates. */
export function parseCrl(data: Buffer | string, where: string): ParsedCrl {
  const der = toDer(data, where)
  try {
    const outer = derSpan(der, 0)
    if (der[0] !== 0x30 || outer.header + outer.length !== der.length) throw new Error('not one DER SEQUENCE')
    const tbsSpan = derSpan(der, outer.header)
    const tbsDer = der.subarray(outer.header, outer.header + tbsSpan.header + tbsSpan.length)
    const root = parseDer(der)
    const [tbs, outerAlgorithm, signatureBits, ...extra] = children(root, 'CertificateList')
    if (extra.length > 0) throw new Error('CertificateList has extra fields')
    const algorithm = readAlgorithm(outerAlgorithm, 'signatureAlgorithm')
    if (!isUniversal(signatureBits, asn1.Type.BITSTRING)) throw new Error('signatureValue is not a BIT STRING')
    const bits = bytesOf(signatureBits, 'signatureValue')
    if (bits.charCodeAt(0) !== 0) throw new Error('signatureValue has unused bits')

    const fields = children(tbs, 'tbsCertList')
    let i = 0
    let version = 1
    if (isUniversal(fields[0], asn1.Type.INTEGER)) {
      version = Number.parseInt(readIntegerHex(fields[0], 'version'), 16) + 1
      if (version !== 2) throw new Error(`version is v${version}, expected v2`)
      i++
    }
    const innerAlgorithm = readAlgorithm(fields[i++], 'tbsCertList.signature')
    if (innerAlgorithm !== algorithm) throw new Error('tbsCertList.signature differs from signatureAlgorithm')
    const issuerNode = fields[i++]
    if (!isUniversal(issuerNode, asn1.Type.SEQUENCE)) throw new Error('issuer is not a Name')
    const issuer = describeName(issuerNode, 'issuer')
    const thisUpdate = readTime(fields[i++], 'thisUpdate')
    const nextUpdate = isTime(fields[i]) ? readTime(fields[i++], 'nextUpdate') : undefined

    const revoked = new Map<string, Date>()
    if (isUniversal(fields[i], asn1.Type.SEQUENCE)) {
      children(fields[i++], 'revokedCertificates').forEach((entry, n) => {
        const what = `revokedCertificates[${n}]`
        const [serial, date, entryExtensions, ...more] = children(entry, what)
        if (more.length > 0) throw new Error(`${what} has extra fields`)
        if (entryExtensions !== undefined) {
          refuseUnknownCritical(readExtensions(entryExtensions, `${what}.crlEntryExtensions`), [], what)
        }
        revoked.set(
          normaliseSerial(readIntegerHex(serial, `${what}.userCertificate`)),
          readTime(date, `${what}.revocationDate`)
        )
      })
    }
    let crlNumber: bigint | undefined
    const tagged = fields[i]
    if (isTagged(tagged, 0)) {
      if (version !== 2) throw new Error('crlExtensions need version v2')
      const extensions = readExtensions(children(tagged, 'crlExtensions')[0], 'crlExtensions')
      refuseUnknownCritical(extensions, [oids.crlNumber, oids.authorityKeyIdentifier], 'crlExtensions')
      const number = extensions.find((e) => e.oid === oids.crlNumber)
      if (number !== undefined) {
        crlNumber = BigInt(`0x${readIntegerHex(asn1.fromDer(number.value), 'cRLNumber')}`)
      }
      i++
    }
    if (i !== fields.length) throw new Error('tbsCertList has fields after crlExtensions')
    return {
      version,
      signatureAlgorithmOid: algorithm,
      issuerDer: asn1.toDer(issuerNode).getBytes(),
      issuer,
      thisUpdate,
      nextUpdate,
      crlNumber,
      revoked,
      tbsDer: Buffer.from(tbsDer),
      signature: Buffer.from(bits.slice(1), 'binary')
    }
  } catch (cause) {
    if (GatewayError.is(cause)) throw cause
    throw crlInvalid(
      where,
      `not a DER or PEM X.509 CRL (${cause instanceof Error ? cause.message : String(cause)})`,
      cause
    )
  }
}

/** The subject Name of a certificate, re-encoded like `ParsedCrl.issuerDer`. */
function subjectDer(cert: X509Certificate): string {
  const root = parseDer(cert.raw)
  const tbs = children(children(root, 'Certificate')[0], 'tbsCertificate')
  // [0] version is optional; then serial, signature, issuer, validity, subject
  const offset = tbs[0]?.tagClass === asn1.Class.CONTEXT_SPECIFIC ? 1 : 0
  const subject = tbs[offset + 4]
  if (subject === undefined) throw new Error('the certificate has no subject')
  return asn1.toDer(subject).getBytes()
}

function signatureVerifies(crl: ParsedCrl, key: KeyObject): boolean {
  const algorithm = signatureAlgorithms[crl.signatureAlgorithmOid]
  if (algorithm === undefined || key.asymmetricKeyType !== algorithm.key) return false
  try {
    return verify(algorithm.digest, crl.tbsDer, key, crl.signature)
  } catch {
    return false
  }
}

/**
 * Checks a parsed CRL: issued (issuer Name equal to the CA's subject) and signed by one of the CA certificates,
 * and current: thisUpdate ≤ now < nextUpdate. A CRL without nextUpdate is refused: its currency cannot be judged.
 */
export function verifyCrl(crl: ParsedCrl, caPems: readonly string[], now: Date, where: string): VerifiedCrl {
  if (signatureAlgorithms[crl.signatureAlgorithmOid] === undefined) {
    throw crlInvalid(where, `signature algorithm ${crl.signatureAlgorithmOid} is not supported`)
  }
  const cas = caPems.map((pem, i) => {
    try {
      return new X509Certificate(pem)
    } catch (cause) {
      throw crlInvalid(where, `CA certificate ${i} to check it with is not a certificate`, cause)
    }
  })
  const named = cas.filter((ca) => subjectDer(ca) === crl.issuerDer)
  if (named.length === 0) {
    throw crlInvalid(where, `issuer ${crl.issuer} is not the partner CA (${cas.map((c) => c.subject).join('; ')})`)
  }
  const signer = named.find((ca) => signatureVerifies(crl, ca.publicKey))
  if (signer === undefined) {
    throw crlInvalid(where, `the signature does not verify with the key of the CA ${crl.issuer}`)
  }
  if (now < crl.thisUpdate) {
    throw crlInvalid(where, `thisUpdate ${crl.thisUpdate.toISOString()} is in the future`)
  }
  if (crl.nextUpdate === undefined) throw crlInvalid(where, 'it has no nextUpdate, so its currency is unknown')
  if (now >= crl.nextUpdate) {
    throw crlInvalid(where, `it is stale: nextUpdate ${crl.nextUpdate.toISOString()} has passed`)
  }
  return { ...crl, nextUpdate: crl.nextUpdate, caFingerprint256: signer.fingerprint256 }
}

/** The revocation date of a certificate if this CRL revokes it: same issuing CA and serial on the list. */
export function revocationOf(crl: VerifiedCrl, cert: X509Certificate): Date | undefined {
  return crl.revoked.get(normaliseSerial(cert.serialNumber))
}

export interface CrlEntry {
  /** Serial number, hex. */
  serialNumber: string
  revokedAt: Date
}

function time(date: Date): Asn1 {
  // RFC 5280 §5.1.2.4: UTCTime through 2049, GeneralizedTime from 2050.
  return date.getUTCFullYear() < 2050
    ? asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTCTIME, false, asn1.dateToUtcTime(date))
    : asn1.create(asn1.Class.UNIVERSAL, asn1.Type.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(date))
}

function integer(hex: string): Asn1 {
  const digits = normaliseSerial(hex)
  let bytes = Buffer.from(digits.length % 2 === 0 ? digits : `0${digits}`, 'hex')
  // DER INTEGERs are two's complement: a leading 1 bit needs a zero byte to stay positive.
  if (((bytes[0] ?? 0) & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, bytes.toString('binary'))
}

function extension(oid: string, value: Asn1): Asn1 {
  return asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, asn1.toDer(value).getBytes())
  ])
}

/** The CA's subject key identifier, for the CRL's authorityKeyIdentifier (how OpenSSL finds the CA). */
function subjectKeyIdentifier(ca: X509Certificate): string | undefined {
  const root = parseDer(ca.raw)
  const tbs = children(children(root, 'Certificate')[0], 'tbsCertificate')
  const tagged = tbs.find((f) => isTagged(f, 3))
  if (tagged === undefined) return undefined
  const ski = readExtensions(children(tagged, 'extensions')[0], 'extensions').find((e) => e.oid === '2.5.29.14')
  return ski === undefined ? undefined : bytesOf(asn1.fromDer(ski.value), 'subjectKeyIdentifier')
}

/**
 * A v2 CRL signed by the CA key: sha256WithRSAEncryption for an RSA CA (ours, src/pki/certificates.ts),
 * ecdsa-with-SHA256 for a P-256 CA, Ed25519 for an Ed25519 CA.
 */
export function createCrl(
  ca: { certificatePem: string; privateKeyPem: string },
  entries: readonly CrlEntry[],
  options: { crlNumber: bigint; thisUpdate: Date; nextUpdate: Date }
): string {
  let caCert: X509Certificate
  let key: KeyObject
  try {
    caCert = new X509Certificate(ca.certificatePem)
    key = createPrivateKey(ca.privateKeyPem)
  } catch (cause) {
    throw new GatewayError('ACMGW_PKI_INVALID', 'the CA certificate or key cannot be read', { cause })
  }
  if (!caCert.checkPrivateKey(key)) {
    throw new GatewayError('ACMGW_PKI_INVALID', 'the CA key does not belong to the CA certificate')
  }
  const [oid, digest] =
    key.asymmetricKeyType === 'rsa'
      ? ['1.2.840.113549.1.1.11', 'sha256']
      : key.asymmetricKeyType === 'ec'
        ? ['1.2.840.10045.4.3.2', 'sha256']
        : key.asymmetricKeyType === 'ed25519'
          ? ['1.3.101.112', null]
          : [undefined, null]
  if (oid === undefined) {
    throw new GatewayError('ACMGW_PKI_INVALID', `a ${key.asymmetricKeyType ?? 'unknown'} CA key cannot sign a CRL here`)
  }
  const algorithm = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(oid).getBytes()),
    ...(key.asymmetricKeyType === 'rsa' ? [asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')] : [])
  ])
  const issuer = asn1.fromDer(subjectDer(caCert))
  const crlExtensions = [extension(oids.crlNumber, integer(options.crlNumber.toString(16)))]
  const ski = subjectKeyIdentifier(caCert)
  if (ski !== undefined) {
    crlExtensions.push(
      extension(
        oids.authorityKeyIdentifier,
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
          asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, false, ski)
        ])
      )
    )
  }
  const tbs = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(1).getBytes()),
    algorithm,
    issuer,
    time(options.thisUpdate),
    time(options.nextUpdate),
    // RFC 5280: an empty list is omitted, not encoded as an empty SEQUENCE.
    ...(entries.length === 0
      ? []
      : [
          asn1.create(
            asn1.Class.UNIVERSAL,
            asn1.Type.SEQUENCE,
            true,
            entries.map((e) =>
              asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [integer(e.serialNumber), time(e.revokedAt)])
            )
          )
        ]),
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, crlExtensions)
    ])
  ])
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary')
  const signature = sign(digest, tbsDer, key)
  const list = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    algorithm,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, `\u0000${signature.toString('binary')}`)
  ])
  return forge.pem.encode({ type: crlPemLabel, body: asn1.toDer(list).getBytes() })
}

/** The file edge: a CRL file's bytes (PEM or DER) and its modification time. */
export async function readCrlFile(path: string): Promise<{ data: Buffer; mtimeMs: number }> {
  try {
    const { mtimeMs } = await stat(path)
    return { data: await readFile(path), mtimeMs }
  } catch (cause) {
    const reason = isErrnoException(cause) ? cause.code : 'unreadable'
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read CRL ${path} (${reason})`, { cause, path })
  }
}
