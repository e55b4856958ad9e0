/**
 * The file side of the PKI: where each certificate and key lives in a PKI folder, and the commands that
 * read and write them. Keys are written with mode 0600 and never printed.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
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
  gatewaySigningKey: (systemId: string) => `gateway.${systemId}.sign.key`
} as const

export const defaultValidity = { caDays: 3650, leafDays: 825 } as const

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
