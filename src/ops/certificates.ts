/**
 * The certificates a gateway depends on and how long each stays valid: its own TLS and signing certificates,
 * the CA, and every partner's pinned certificates. Read once at start (a new certificate needs a restart);
 * the days left are computed whenever asked, for /metrics and /readyz.
 */
import { X509Certificate } from 'node:crypto'
import type { GatewayConfig } from '../config/schema.ts'
import { readTextFile } from '../pki/store.ts'

export interface CertificateValidity {
  /** Which certificate: tls, signing, encryption, ca, partner-signing, partner-signing-2, partner-encryption, partner-ca. */
  certificate: string
  /** The system it belongs to (this one or a partner). */
  system: string
  subject: string
  notBefore: number
  notAfter: number
}

const dayMs = 86_400_000

export function parseValidity(pem: string, certificate: string, system: string): CertificateValidity {
  const x509 = new X509Certificate(pem)
  return {
    certificate,
    system,
    subject: x509.subject.replaceAll('\n', ', '),
    notBefore: Date.parse(x509.validFrom),
    notAfter: Date.parse(x509.validTo)
  }
}

export function daysLeft(c: Pick<CertificateValidity, 'notAfter'>, now: number): number {
  return (c.notAfter - now) / dayMs
}

/** Ready only while every certificate is within its validity; the detail names the ones that are not. */
export function certificateCheck(list: readonly CertificateValidity[], now: number): { ok: boolean; detail: string } {
  const bad = list.flatMap((c) => {
    if (now > c.notAfter) return [`${c.system} ${c.certificate} expired ${new Date(c.notAfter).toISOString()}`]
    if (now < c.notBefore)
      return [`${c.system} ${c.certificate} not valid before ${new Date(c.notBefore).toISOString()}`]
    return []
  })
  if (bad.length > 0) return { ok: false, detail: bad.join('; ') }
  if (list.length === 0) return { ok: true, detail: 'no certificates' }
  const soonest = list.reduce((a, b) => (b.notAfter < a.notAfter ? b : a))
  return {
    ok: true,
    detail: `${list.length} valid; next to expire: ${soonest.system} ${soonest.certificate} in ${Math.floor(daysLeft(soonest, now))} days`
  }
}

/** Reads every certificate the configuration names. */
export async function loadCertificateValidity(config: GatewayConfig): Promise<CertificateValidity[]> {
  const self = config.system.id
  const read = async (file: string, certificate: string, system: string) =>
    parseValidity(await readTextFile(file, `${certificate} certificate`), certificate, system)
  const list = [
    await read(config.kafka.tls.cert, 'tls', self),
    await read(config.signing.certificate, 'signing', self),
    await read(config.kafka.tls.ca, 'ca', self)
  ]
  if (config.encryption !== undefined) list.push(await read(config.encryption.certificate, 'encryption', self))
  for (const p of config.partners) {
    for (const [i, file] of p.signingCertificates.entries()) {
      list.push(await read(file, i === 0 ? 'partner-signing' : `partner-signing-${i + 1}`, p.id))
    }
    list.push(await read(p.encryptionCertificate, 'partner-encryption', p.id))
    if (p.ca !== undefined) list.push(await read(p.ca, 'partner-ca', p.id))
  }
  return list
}
