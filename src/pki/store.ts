/**
 * The file side of the PKI: where each certificate and key lives in a PKI folder, and the commands that
 * read and write them. Keys are written with mode 0600 and never printed.
 */
import { X509Certificate, randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { GatewayError, isErrnoException } from '../errors.ts'
import type { TlsFiles } from '../kafka/client.ts'
import { adminCommonName, assertSystemId, brokerCommonName, gatewayCommonName } from '../identity/names.ts'
import {
  type CertificateAuthority,
  type CertificateSummary,
  createCertificateAuthority,
  createCertificateSigningRequest,
  describeCertificate,
  issueLeafCertificate,
  parseCertificateSigningRequest,
  signCertificateSigningRequest
} from './certificates.ts'
import { createCrl, normaliseSerial } from './crl.ts'
import { issueSigningCertificate } from './signing-certificate.ts'
import { pathExists } from '../files.ts'

export const pkiLayout = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  brokerCert: 'broker.crt',
  brokerKey: 'broker.key',
  /** Key and certificate in one file: the broker's `ssl.keystore.type=PEM` keystore. */
  brokerKeystore: 'broker.pem',
  adminCert: 'admin.crt',
  adminKey: 'admin.key',
  gatewayCert: (systemId: string) => `gateway.${systemId}.crt`,
  gatewayKey: (systemId: string) => `gateway.${systemId}.key`,
  /** The gateway's Ed25519 message-signing certificate and key (src/pki/signing-certificate.ts). */
  gatewaySigningCert: (systemId: string) => `gateway.${systemId}.sign.crt`,
  gatewaySigningKey: (systemId: string) => `gateway.${systemId}.sign.key`,
  /** The CA's certificate revocation list, rewritten by `acmgw pki revoke` and `acmgw pki crl`. */
  crl: 'crl.pem',
  /** The CA's record of what it revoked and the last CRL number: the source `crl.pem` is made from. */
  revocations: 'revoked.json'
} as const

export const defaultValidity = { caDays: 3650, leafDays: 825, crlDays: 30 } as const

export function gatewayTlsFiles(dir: string, systemId: string): TlsFiles {
  return {
    caFile: resolve(dir, pkiLayout.caCert),
    certFile: resolve(dir, pkiLayout.gatewayCert(systemId)),
    keyFile: resolve(dir, pkiLayout.gatewayKey(systemId))
  }
}

export function adminTlsFiles(dir: string): TlsFiles {
  return {
    caFile: resolve(dir, pkiLayout.caCert),
    certFile: resolve(dir, pkiLayout.adminCert),
    keyFile: resolve(dir, pkiLayout.adminKey)
  }
}

export async function readTextFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (cause) {
    const reason = isErrnoException(cause) ? cause.code : 'unreadable'
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read ${what} ${path} (${reason})`, { cause, path })
  }
}

interface PlannedFile {
  path: string
  content: string
  secret: boolean
}

/** Writes all files or none: every target is checked before the first byte is written. */
export async function writeFilesAtomically(files: PlannedFile[], force: boolean): Promise<string[]> {
  if (!force) {
    for (const file of files) {
      if (await pathExists(file.path)) {
        throw new GatewayError('ACMGW_FILE_EXISTS', `${file.path} exists; pass --force to overwrite it`, {
          path: file.path
        })
      }
    }
  }
  for (const file of files) {
    try {
      await writeFile(file.path, file.content, { mode: file.secret ? 0o600 : 0o644 })
      // An existing file keeps its old mode on overwrite; a key must end up 0600 regardless.
      if (file.secret) await chmod(file.path, 0o600)
    } catch (cause) {
      throw new GatewayError('ACMGW_FILE_UNWRITABLE', `cannot write ${file.path}`, { cause, path: file.path })
    }
  }
  return files.map((f) => f.path)
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 })
  } catch (cause) {
    throw new GatewayError('ACMGW_FILE_UNWRITABLE', `cannot create folder ${dir}`, { cause, path: dir })
  }
}

export async function loadCertificateAuthority(dir: string): Promise<CertificateAuthority> {
  return {
    certificatePem: await readTextFile(join(dir, pkiLayout.caCert), 'CA certificate'),
    privateKeyPem: await readTextFile(join(dir, pkiLayout.caKey), 'CA key')
  }
}

function gatewayFiles(dir: string, ca: CertificateAuthority, systemId: string, validDays: number): PlannedFile[] {
  const issued = issueLeafCertificate(ca, { commonName: gatewayCommonName(systemId), role: 'client', validDays })
  const signing = issueSigningCertificate(ca, { systemId, validDays })
  return [
    { path: join(dir, pkiLayout.gatewayCert(systemId)), content: issued.certificatePem, secret: false },
    { path: join(dir, pkiLayout.gatewayKey(systemId)), content: issued.privateKeyPem, secret: true },
    { path: join(dir, pkiLayout.gatewaySigningCert(systemId)), content: signing.certificatePem, secret: false },
    { path: join(dir, pkiLayout.gatewaySigningKey(systemId)), content: signing.privateKeyPem, secret: true }
  ]
}

const hostNamePattern = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/

function assertHostName(value: string, where: string): string {
  if (!hostNamePattern.test(value)) {
    throw new GatewayError('ACMGW_PKI_INVALID', `${where} ${JSON.stringify(value)} is not a DNS host name`, {
      path: where
    })
  }
  return value
}

export interface PkiInitOptions {
  dir: string
  systems: readonly string[]
  force?: boolean
  caName?: string
  validity?: { caDays: number; leafDays: number }
  /** Extra DNS names of the brokers (e.g. kafka-1,kafka-2,kafka-3 in docker-compose); localhost is always there. */
  brokerHosts?: readonly string[]
}

/** `acmgw pki init`: a development CA, the broker and admin identities and one gateway identity (TLS and signing) per system. */
export async function initPki(options: PkiInitOptions): Promise<string[]> {
  const systems = options.systems.map((s, i) => assertSystemId(s, `--systems[${i}]`))
  const { caDays, leafDays } = options.validity ?? defaultValidity
  const ca = createCertificateAuthority(options.caName ?? 'acmgw development CA', caDays)
  const broker = issueLeafCertificate(ca, {
    commonName: brokerCommonName,
    role: 'server-and-client',
    dnsNames: ['localhost', ...(options.brokerHosts ?? []).map((h, i) => assertHostName(h, `--broker-hosts[${i}]`))],
    ipAddresses: ['127.0.0.1'],
    validDays: leafDays
  })
  const admin = issueLeafCertificate(ca, { commonName: adminCommonName, role: 'client', validDays: leafDays })
  const dir = options.dir
  const files: PlannedFile[] = [
    { path: join(dir, pkiLayout.caCert), content: ca.certificatePem, secret: false },
    { path: join(dir, pkiLayout.caKey), content: ca.privateKeyPem, secret: true },
    { path: join(dir, pkiLayout.brokerCert), content: broker.certificatePem, secret: false },
    { path: join(dir, pkiLayout.brokerKey), content: broker.privateKeyPem, secret: true },
    { path: join(dir, pkiLayout.brokerKeystore), content: broker.privateKeyPem + broker.certificatePem, secret: true },
    { path: join(dir, pkiLayout.adminCert), content: admin.certificatePem, secret: false },
    { path: join(dir, pkiLayout.adminKey), content: admin.privateKeyPem, secret: true },
    ...systems.flatMap((id) => gatewayFiles(dir, ca, id, leafDays))
  ]
  await ensureDir(dir)
  return writeFilesAtomically(files, options.force ?? false)
}

/** `acmgw pki issue`: one more gateway identity (TLS and signing certificates) signed by the folder's CA. */
export async function issueGateway(options: {
  dir: string
  systemId: string
  force?: boolean
  validDays?: number
}): Promise<string[]> {
  const systemId = assertSystemId(options.systemId, '--system')
  const ca = await loadCertificateAuthority(options.dir)
  return writeFilesAtomically(
    gatewayFiles(options.dir, ca, systemId, options.validDays ?? defaultValidity.leafDays),
    options.force ?? false
  )
}

/** `acmgw pki csr`: this system's key and CSR, for a partner's or a federation CA. */
export async function createGatewayCsr(options: {
  systemId: string
  keyOut: string
  csrOut: string
  force?: boolean
}): Promise<string[]> {
  const request = createCertificateSigningRequest(gatewayCommonName(assertSystemId(options.systemId, '--system')))
  return writeFilesAtomically(
    [
      { path: options.keyOut, content: request.privateKeyPem, secret: true },
      { path: options.csrOut, content: request.csrPem, secret: false }
    ],
    options.force ?? false
  )
}

/**
 * `acmgw pki sign-csr`: signs a partner gateway's CSR. Only a subject of exactly `CN=acmgw.<systemId>` is
 * accepted (and, when given, only for the expected system), so a CSR cannot smuggle another principal.
 */
export async function signGatewayCsr(options: {
  dir: string
  csrFile: string
  out: string
  expectSystemId?: string
  force?: boolean
  validDays?: number
}): Promise<{ written: string[]; systemId: string }> {
  const csrPem = await readTextFile(options.csrFile, 'CSR')
  const csr = parseCertificateSigningRequest(csrPem, options.csrFile)
  if (csr.subjectAttributes.length !== 1) {
    throw new GatewayError(
      'ACMGW_PKI_INVALID',
      `${options.csrFile}: the subject must be exactly CN=acmgw.<systemId>, found ${csr.subjectAttributes.map((a) => `${a.shortName}=${a.value}`).join(', ')}`,
      { path: options.csrFile }
    )
  }
  const match = /^acmgw\.(.*)$/.exec(csr.commonName)
  if (match?.[1] === undefined) {
    throw new GatewayError(
      'ACMGW_PKI_INVALID',
      `${options.csrFile}: the CN must be acmgw.<systemId>, found ${JSON.stringify(csr.commonName)}`,
      { path: options.csrFile }
    )
  }
  const systemId = assertSystemId(match[1], `CN of ${options.csrFile}`)
  if (options.expectSystemId !== undefined && options.expectSystemId !== systemId) {
    throw new GatewayError(
      'ACMGW_PKI_INVALID',
      `${options.csrFile} asks for system ${systemId}, but --system ${options.expectSystemId} was given`,
      { path: options.csrFile }
    )
  }
  const ca = await loadCertificateAuthority(options.dir)
  const certificatePem = signCertificateSigningRequest(ca, csr, options.validDays ?? defaultValidity.leafDays)
  const written = await writeFilesAtomically(
    [{ path: options.out, content: certificatePem, secret: false }],
    options.force ?? false
  )
  return { written, systemId }
}

export async function showCertificate(file: string): Promise<CertificateSummary> {
  return describeCertificate(await readTextFile(file, 'certificate'), file)
}

interface RevocationRecord {
  /** The number of the last CRL written (decimal; RFC 5280 CRL numbers only grow). */
  crlNumber: string
  revoked: { serialNumber: string; revokedAt: string; subject: string }[]
}

async function readRevocations(dir: string): Promise<RevocationRecord> {
  const path = join(dir, pkiLayout.revocations)
  if (!(await pathExists(path))) return { crlNumber: '0', revoked: [] }
  const text = await readTextFile(path, 'revocation record')
  try {
    const record = JSON.parse(text) as RevocationRecord
    BigInt(record.crlNumber)
    if (!Array.isArray(record.revoked)) throw new Error('no revoked list')
    return record
  } catch (cause) {
    throw new GatewayError('ACMGW_PKI_INVALID', `${path} is not a revocation record`, { cause, path })
  }
}

/** Write then rename, so that a gateway re-reading the CRL never sees half a file. */
async function replaceFile(path: string, content: string): Promise<void> {
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temporary, content, { mode: 0o644 })
    await rename(temporary, path)
  } catch (cause) {
    throw new GatewayError('ACMGW_FILE_UNWRITABLE', `cannot write ${path}`, { cause, path })
  }
}

async function issueCrl(
  dir: string,
  ca: CertificateAuthority,
  record: RevocationRecord,
  days: number,
  now: Date
): Promise<string[]> {
  const crlNumber = BigInt(record.crlNumber) + 1n
  const pem = createCrl(
    ca,
    record.revoked.map((r) => ({ serialNumber: r.serialNumber, revokedAt: new Date(r.revokedAt) })),
    {
      crlNumber,
      // Backdated like certificates (validity()): a partner whose clock is a little behind still accepts it.
      thisUpdate: new Date(now.getTime() - 5 * 60_000),
      nextUpdate: new Date(now.getTime() + days * 86_400_000)
    }
  )
  const recordPath = join(dir, pkiLayout.revocations)
  const crlPath = join(dir, pkiLayout.crl)
  await replaceFile(recordPath, `${JSON.stringify({ ...record, crlNumber: crlNumber.toString() }, null, 2)}\n`)
  await replaceFile(crlPath, pem)
  return [recordPath, crlPath]
}

export interface RevokedCertificate {
  file: string
  serialNumber: string
  subject: string
  /** It was on the list before this call. */
  already: boolean
}

/**
 * `acmgw pki revoke`: records each certificate (which must be issued by the folder's CA) as revoked and rewrites
 * the CA-signed `crl.pem`, valid for `crlDays`.
 */
export async function revokeCertificates(options: {
  dir: string
  certFiles: readonly string[]
  crlDays?: number
  now?: Date
}): Promise<{ written: string[]; revoked: RevokedCertificate[] }> {
  const now = options.now ?? new Date()
  const ca = await loadCertificateAuthority(options.dir)
  const caCert = new X509Certificate(ca.certificatePem)
  const record = await readRevocations(options.dir)
  const revoked: RevokedCertificate[] = []
  for (const file of options.certFiles) {
    let cert: X509Certificate
    try {
      cert = new X509Certificate(await readTextFile(file, 'certificate'))
    } catch (cause) {
      if (GatewayError.is(cause)) throw cause
      throw new GatewayError('ACMGW_PKI_INVALID', `${file} is not a PEM certificate`, { cause, path: file })
    }
    if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) {
      throw new GatewayError(
        'ACMGW_PKI_INVALID',
        `${file} (${cert.subject}) is not issued by the CA in ${options.dir}`,
        {
          path: file
        }
      )
    }
    const serialNumber = normaliseSerial(cert.serialNumber)
    const already = record.revoked.some((r) => r.serialNumber === serialNumber)
    if (!already) record.revoked.push({ serialNumber, revokedAt: now.toISOString(), subject: cert.subject })
    revoked.push({ file, serialNumber, subject: cert.subject, already })
  }
  const written = await issueCrl(options.dir, ca, record, options.crlDays ?? defaultValidity.crlDays, now)
  return { written, revoked }
}

/** `acmgw pki crl`: (re)writes `crl.pem` with the recorded revocations, e.g. before the current one goes stale. */
export async function writeCrl(options: { dir: string; crlDays?: number; now?: Date }): Promise<string[]> {
  const ca = await loadCertificateAuthority(options.dir)
  const record = await readRevocations(options.dir)
  return issueCrl(options.dir, ca, record, options.crlDays ?? defaultValidity.crlDays, options.now ?? new Date())
}
