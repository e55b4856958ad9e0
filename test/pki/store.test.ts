import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import forge from 'node-forge'
import { GatewayError } from '../../src/errors.ts'
import {
  createGatewayCsr,
  initPki,
  issueGateway,
  pkiLayout,
  showCertificate,
  signGatewayCsr
} from '../../src/pki/store.ts'
import { parseCrl, verifyCrl } from '../../src/pki/crl.ts'
import { spawnSync } from 'node:child_process'
import { acmgw } from '../helpers/cli.ts'

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'acmgw-pki-'))
}

function assertGatewayError(code: string, pattern?: RegExp) {
  return (error: unknown) => {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`)
    assert.equal(error.code, code)
    if (pattern !== undefined) assert.match(error.message, pattern)
    return true
  }
}

describe('pki init', () => {
  test('writes a CA, broker, admin and one gateway identity per system, keys PKCS#8 with mode 0600', async () => {
    const dir = await tempDir()
    const written = await initPki({ dir, systems: ['nl-police', 'be-police'] })
    // 7 shared files + per system: TLS certificate and key, signing certificate and key
    assert.equal(written.length, 15)
    const ca = new X509Certificate(await readFile(join(dir, pkiLayout.caCert)))
    assert.equal(ca.ca, true)
    for (const [name, cn] of [
      [pkiLayout.brokerCert, 'broker'],
      [pkiLayout.adminCert, 'admin'],
      [pkiLayout.gatewayCert('nl-police'), 'acmgw.nl-police'],
      [pkiLayout.gatewayCert('be-police'), 'acmgw.be-police']
    ] as const) {
      const cert = new X509Certificate(await readFile(join(dir, name)))
      assert.equal(cert.subject, `CN=${cn}`)
      assert.equal(cert.verify(ca.publicKey), true, `${name} is signed by the CA`)
      assert.equal(cert.checkIssued(ca), true)
    }
    const broker = new X509Certificate(await readFile(join(dir, pkiLayout.brokerCert)))
    assert.equal(broker.checkHost('localhost'), 'localhost')
    assert.equal(broker.checkIP('127.0.0.1'), '127.0.0.1')
    for (const key of [
      pkiLayout.caKey,
      pkiLayout.brokerKey,
      pkiLayout.brokerKeystore,
      pkiLayout.adminKey,
      pkiLayout.gatewayKey('nl-police'),
      pkiLayout.gatewaySigningKey('nl-police')
    ]) {
      const path = join(dir, key)
      assert.equal((await stat(path)).mode & 0o777, 0o600, `${key} mode`)
      assert.match(await readFile(path, 'utf8'), /^-----BEGIN PRIVATE KEY-----/, `${key} is PKCS#8`)
    }
    const keystore = await readFile(join(dir, pkiLayout.brokerKeystore), 'utf8')
    assert.match(keystore, /BEGIN PRIVATE KEY[\s\S]+BEGIN CERTIFICATE/, 'broker keystore holds key then certificate')
  })

  test('refuses to overwrite without --force and writes nothing then', async () => {
    const dir = await tempDir()
    await initPki({ dir, systems: ['nl-police'] })
    const before = await readFile(join(dir, pkiLayout.caCert), 'utf8')
    await assert.rejects(
      initPki({ dir, systems: ['nl-police'] }),
      assertGatewayError('ACMGW_FILE_EXISTS', /ca\.crt exists; pass --force/)
    )
    assert.equal(await readFile(join(dir, pkiLayout.caCert), 'utf8'), before)
    await initPki({ dir, systems: ['nl-police'], force: true })
    assert.notEqual(await readFile(join(dir, pkiLayout.caCert), 'utf8'), before)
  })

  test('an invalid system id is refused with its name and position', async () => {
    const dir = await tempDir()
    await assert.rejects(
      initPki({ dir, systems: ['nl-police', 'NL_Police'] }),
      assertGatewayError('ACMGW_SYSTEM_ID_INVALID', /--systems\[1\] "NL_Police" is not valid/)
    )
  })
})

describe('pki issue', () => {
  test('adds one gateway identity signed by the existing CA', async () => {
    const dir = await tempDir()
    await initPki({ dir, systems: [] })
    await issueGateway({ dir, systemId: 'de-fire' })
    const ca = new X509Certificate(await readFile(join(dir, pkiLayout.caCert)))
    const cert = new X509Certificate(await readFile(join(dir, pkiLayout.gatewayCert('de-fire'))))
    assert.equal(cert.subject, 'CN=acmgw.de-fire')
    assert.equal(cert.verify(ca.publicKey), true)
    const signing = new X509Certificate(await readFile(join(dir, pkiLayout.gatewaySigningCert('de-fire'))))
    assert.equal(signing.subject, 'CN=acmgw.de-fire.sign')
    assert.equal(signing.publicKey.asymmetricKeyType, 'ed25519')
    assert.equal(signing.verify(ca.publicKey), true)
    assert.equal((await stat(join(dir, pkiLayout.gatewaySigningKey('de-fire')))).mode & 0o777, 0o600)
  })

  test('names the unreadable CA file', async () => {
    const dir = await tempDir()
    await assert.rejects(
      issueGateway({ dir, systemId: 'de-fire' }),
      assertGatewayError(
        'ACMGW_FILE_UNREADABLE',
        new RegExp(`cannot read CA certificate ${join(dir, 'ca.crt')} \\(ENOENT\\)`)
      )
    )
  })
})

describe('pki csr and sign-csr', () => {
  test("a partner's CSR is signed into a client certificate for that system's gateway", async () => {
    const caDir = await tempDir()
    const partnerDir = await tempDir()
    await initPki({ dir: caDir, systems: [] })
    await createGatewayCsr({
      systemId: 'be-police',
      keyOut: join(partnerDir, 'gw.key'),
      csrOut: join(partnerDir, 'gw.csr')
    })
    assert.equal((await stat(join(partnerDir, 'gw.key'))).mode & 0o777, 0o600)
    const { systemId } = await signGatewayCsr({
      dir: caDir,
      csrFile: join(partnerDir, 'gw.csr'),
      out: join(partnerDir, 'gw.crt'),
      expectSystemId: 'be-police'
    })
    assert.equal(systemId, 'be-police')
    const cert = new X509Certificate(await readFile(join(partnerDir, 'gw.crt')))
    assert.equal(cert.subject, 'CN=acmgw.be-police')
    // The certificate carries the partner's own key: the key file written by `pki csr` matches it.
    assert.equal(
      cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(await readFile(join(partnerDir, 'gw.key')))),
      true
    )
  })

  test('refuses a CSR for another system than expected, one with extra subject fields and one with a broken signature', async () => {
    const caDir = await tempDir()
    await initPki({ dir: caDir, systems: [] })
    const work = await tempDir()
    await createGatewayCsr({ systemId: 'be-police', keyOut: join(work, 'a.key'), csrOut: join(work, 'a.csr') })
    await assert.rejects(
      signGatewayCsr({
        dir: caDir,
        csrFile: join(work, 'a.csr'),
        out: join(work, 'a.crt'),
        expectSystemId: 'nl-police'
      }),
      assertGatewayError('ACMGW_PKI_INVALID', /asks for system be-police, but --system nl-police was given/)
    )

    const makeCsr = (subject: forge.pki.CertificateField[], tamper = false) => {
      const keys = forge.pki.rsa.generateKeyPair({ bits: 1024 })
      const csr = forge.pki.createCertificationRequest()
      csr.publicKey = keys.publicKey
      csr.setSubject(subject)
      csr.sign(keys.privateKey, forge.md.sha256.create())
      if (tamper) {
        csr.setSubject([{ name: 'commonName', value: 'acmgw.evil' }])
        // forge caches the signed request info; drop it so the PEM carries the altered subject
        ;(csr as unknown as { certificationRequestInfo: unknown }).certificationRequestInfo = null
      }
      return forge.pki.certificationRequestToPem(csr)
    }
    await writeFile(
      join(work, 'smuggled.csr'),
      makeCsr([
        { name: 'commonName', value: 'acmgw.be-police' },
        { name: 'organizationName', value: 'CN=acmgw.nl-police' }
      ])
    )
    await assert.rejects(
      signGatewayCsr({ dir: caDir, csrFile: join(work, 'smuggled.csr'), out: join(work, 's.crt') }),
      assertGatewayError('ACMGW_PKI_INVALID', /subject must be exactly CN=acmgw.<systemId>/)
    )
    await writeFile(join(work, 'plain.csr'), makeCsr([{ name: 'commonName', value: 'admin' }]))
    await assert.rejects(
      signGatewayCsr({ dir: caDir, csrFile: join(work, 'plain.csr'), out: join(work, 'p.crt') }),
      assertGatewayError('ACMGW_PKI_INVALID', /the CN must be acmgw.<systemId>, found "admin"/)
    )
    await writeFile(join(work, 'tampered.csr'), makeCsr([{ name: 'commonName', value: 'acmgw.be-police' }], true))
    await assert.rejects(
      signGatewayCsr({ dir: caDir, csrFile: join(work, 'tampered.csr'), out: join(work, 't.crt') }),
      assertGatewayError('ACMGW_PKI_INVALID', /signature does not verify/)
    )
    await writeFile(join(work, 'garbage.csr'), 'not a csr')
    await assert.rejects(
      signGatewayCsr({ dir: caDir, csrFile: join(work, 'garbage.csr'), out: join(work, 'g.crt') }),
      assertGatewayError('ACMGW_PKI_INVALID', /garbage\.csr is not a PEM certificate signing request/)
    )
  })
})

describe('pki show', () => {
  test('prints subject, issuer, SHA-256 fingerprint and expiry', async () => {
    const dir = await tempDir()
    await initPki({ dir, systems: ['nl-police'], validity: { caDays: 100, leafDays: 30 } })
    const path = join(dir, pkiLayout.gatewayCert('nl-police'))
    const summary = await showCertificate(path)
    const cert = new X509Certificate(await readFile(path))
    assert.equal(summary.subject, 'CN=acmgw.nl-police')
    assert.equal(summary.issuer, 'CN=acmgw development CA')
    assert.equal(summary.fingerprintSha256, cert.fingerprint256)
    assert.ok(summary.daysRemaining === 29 || summary.daysRemaining === 30, `days remaining ${summary.daysRemaining}`)
  })

  test('names a file that is not a certificate, and one that cannot be read', async () => {
    const dir = await tempDir()
    const bad = join(dir, 'not-a-cert.pem')
    await writeFile(bad, 'hello')
    await assert.rejects(
      showCertificate(bad),
      assertGatewayError('ACMGW_PKI_INVALID', /not-a-cert\.pem is not a PEM or DER X\.509 certificate/)
    )
    await assert.rejects(
      showCertificate(join(dir, 'missing.pem')),
      assertGatewayError('ACMGW_FILE_UNREADABLE', /missing\.pem \(ENOENT\)/)
    )
  })
})

describe('pki init for a multi-broker cluster', () => {
  test('--broker-hosts adds DNS names to the broker certificate; a bad name is refused by position', async () => {
    const dir = await tempDir()
    await initPki({ dir, systems: [], brokerHosts: ['kafka-1', 'kafka-2.acm.example'] })
    const broker = new X509Certificate(await readFile(join(dir, pkiLayout.brokerCert)))
    assert.equal(broker.checkHost('kafka-1'), 'kafka-1')
    assert.equal(broker.checkHost('kafka-2.acm.example'), 'kafka-2.acm.example')
    assert.equal(broker.checkHost('localhost'), 'localhost')
    await assert.rejects(
      initPki({ dir: await tempDir(), systems: [], brokerHosts: ['kafka_1'] }),
      assertGatewayError('ACMGW_PKI_INVALID', /--broker-hosts\[0\] "kafka_1" is not a DNS host name/)
    )
  })
})

describe('pki revoke and pki crl', () => {
  test('acmgw pki crl writes an empty CA-signed CRL; pki revoke adds serials, numbers each CRL, openssl verifies it', async () => {
    const dir = await tempDir()
    await initPki({ dir, systems: ['nl-police', 'be-police'] })
    const first = await acmgw(['pki', 'crl', '--dir', dir, '--days', '3'])
    assert.equal(first.code, 0, first.err)
    assert.match(first.out, /wrote .*crl\.pem/)
    const caPem = await readFile(join(dir, pkiLayout.caCert), 'utf8')
    const read = async () =>
      verifyCrl(parseCrl(await readFile(join(dir, pkiLayout.crl)), 'crl.pem'), [caPem], new Date(), 'crl.pem')
    const empty = await read()
    assert.equal(empty.revoked.size, 0)
    assert.equal(empty.crlNumber, 1n)
    assert.ok(empty.nextUpdate.getTime() - Date.now() > 2.9 * 86_400_000)

    const signing = join(dir, pkiLayout.gatewaySigningCert('nl-police'))
    const tls = join(dir, pkiLayout.gatewayCert('be-police'))
    const revoke = await acmgw(['pki', 'revoke', '--dir', dir, '--cert', signing, tls])
    assert.equal(revoke.code, 0, revoke.err)
    const serial = new X509Certificate(await readFile(signing)).serialNumber
    assert.match(
      revoke.out,
      new RegExp(`^revoked serial 0*${serial.replace(/^0+/, '').toLowerCase()} \\(CN=acmgw\\.nl-police\\.sign\\)`, 'm')
    )
    const listed = await read()
    assert.equal(listed.revoked.size, 2)
    assert.equal(listed.crlNumber, 2n)
    const again = await acmgw(['pki', 'revoke', '--dir', dir, '--cert', signing])
    assert.match(again.out, /^already revoked serial/m)
    assert.equal((await read()).revoked.size, 2)
    assert.equal((await read()).crlNumber, 3n)

    const check = spawnSync('/usr/bin/openssl', ['crl', '-in', pkiLayout.crl, '-CAfile', pkiLayout.caCert, '-noout'], {
      cwd: dir,
      encoding: 'utf8'
    })
    assert.equal(check.status, 0, check.stderr)
    assert.match(check.stderr, /verify OK/)
  })

  test('refuses a certificate the folder CA did not issue, and names it', async () => {
    const dir = await tempDir()
    const other = await tempDir()
    await initPki({ dir, systems: [] })
    await initPki({ dir: other, systems: ['nl-police'] })
    const foreign = join(other, pkiLayout.gatewaySigningCert('nl-police'))
    const run = await acmgw(['pki', 'revoke', '--dir', dir, '--cert', foreign])
    assert.equal(run.code, 65)
    assert.match(
      run.err,
      /ACMGW_PKI_INVALID: .*gateway\.nl-police\.sign\.crt \(CN=acmgw\.nl-police\.sign\) is not issued by the CA/
    )
    assert.equal(await stat(join(dir, pkiLayout.crl)).catch(() => undefined), undefined, 'nothing written')
  })
})
