import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import forge from 'node-forge'
import { GatewayError } from '../../src/errors.ts'
import {
  type ParsedCrl,
  createCrl,
  normaliseSerial,
  parseCrl,
  readCrlFile,
  revocationOf,
  verifyCrl
} from '../../src/pki/crl.ts'
import { createCertificateAuthority, issueLeafCertificate } from '../../src/pki/certificates.ts'
import { issueSigningCertificate } from '../../src/pki/signing-certificate.ts'

const openssl = '/usr/bin/openssl'
const now = new Date()
const day = 86_400_000
const ca = createCertificateAuthority('acm crl test CA', 30)
const otherCa = createCertificateAuthority('some other CA', 30)
// Same name, different key: only the signature tells them apart.
const impostorCa = createCertificateAuthority('acm crl test CA', 30)
const revokedCert = issueSigningCertificate(ca, { systemId: 'alpha', validDays: 10 })
const keptCert = issueSigningCertificate(ca, { systemId: 'alpha', validDays: 10 })
const revokedSerial = new X509Certificate(revokedCert.certificatePem).serialNumber

function crlOf(
  authority = ca,
  options: { thisUpdate?: Date; nextUpdate?: Date; entries?: { serialNumber: string; revokedAt: Date }[] } = {}
): string {
  return createCrl(
    authority,
    options.entries ?? [{ serialNumber: revokedSerial, revokedAt: new Date(now.getTime() - day) }],
    {
      crlNumber: 7n,
      thisUpdate: options.thisUpdate ?? new Date(now.getTime() - 60_000),
      nextUpdate: options.nextUpdate ?? new Date(now.getTime() + 7 * day)
    }
  )
}

function derOf(pem: string): Buffer {
  return Buffer.from(forge.pem.decode(pem)[0]?.body ?? '', 'binary')
}

function refused(code: string, pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(GatewayError.is(error), `expected a GatewayError, got ${String(error)}`)
    assert.equal(error.code, code)
    assert.match(error.message, pattern)
    return true
  }
}

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'acmgw-crl-'))
}

describe('CRL parse and verify', () => {
  test('a CRL made by createCrl parses (PEM and DER) and verifies against its CA', () => {
    const pem = crlOf()
    for (const input of [pem, Buffer.from(pem), derOf(pem)]) {
      const crl = verifyCrl(parseCrl(input, 'crl.pem'), [ca.certificatePem], now, 'crl.pem')
      assert.equal(crl.version, 2)
      assert.equal(crl.issuer, 'CN=acm crl test CA')
      assert.equal(crl.crlNumber, 7n)
      assert.equal(crl.revoked.size, 1)
      assert.equal(crl.caFingerprint256, new X509Certificate(ca.certificatePem).fingerprint256)
    }
  })

  test('serial matching: the revoked certificate is on the list, another of the same CA is not', () => {
    const crl = verifyCrl(parseCrl(crlOf(), 'crl.pem'), [ca.certificatePem], now, 'crl.pem')
    assert.ok(revocationOf(crl, new X509Certificate(revokedCert.certificatePem)) instanceof Date)
    assert.equal(revocationOf(crl, new X509Certificate(keptCert.certificatePem)), undefined)
    assert.equal(normaliseSerial('00A1b2'), 'a1b2')
    assert.equal(normaliseSerial('000'), '0')
  })

  test('serials with a leading 1 bit and with leading zero bytes survive the DER INTEGER round trip', () => {
    const entries = ['80', 'ff01', '00ff', '7f', '1'].map((serialNumber) => ({ serialNumber, revokedAt: now }))
    const crl = parseCrl(crlOf(ca, { entries }), 'crl.pem')
    assert.deepEqual([...crl.revoked.keys()], ['80', 'ff01', 'ff', '7f', '1'])
  })

  test('an empty CRL (nothing revoked yet) verifies', () => {
    const crl = verifyCrl(parseCrl(crlOf(ca, { entries: [] }), 'crl.pem'), [ca.certificatePem], now, 'crl.pem')
    assert.equal(crl.revoked.size, 0)
  })

  const tampered = (): Buffer => {
    const der = derOf(crlOf())
    const serialAt = der.indexOf(Buffer.from(revokedSerial, 'hex'))
    assert.ok(serialAt > 0)
    der[serialAt] = (der[serialAt] ?? 0) ^ 0x01
    return der
  }
  const cases: [string, () => ParsedCrl | Buffer | string, string[], Date, RegExp][] = [
    ['stale: nextUpdate has passed', () => crlOf(), [ca.certificatePem], new Date(now.getTime() + 8 * day), /stale/],
    [
      'not yet valid: thisUpdate in the future',
      () => crlOf(ca, { thisUpdate: new Date(now.getTime() + day) }),
      [ca.certificatePem],
      now,
      /thisUpdate .* in the future/
    ],
    ['wrong issuer: another CA', () => crlOf(otherCa), [ca.certificatePem], now, /issuer CN=some other CA is not/],
    ['same issuer name, another key', () => crlOf(impostorCa), [ca.certificatePem], now, /signature does not verify/],
    ['tampered: one bit of a revoked serial flipped', tampered, [ca.certificatePem], now, /signature does not verify/],
    ['garbage', () => Buffer.from('not a crl at all'), [ca.certificatePem], now, /not a DER or PEM X.509 CRL/],
    [
      'a certificate instead of a CRL',
      () => ca.certificatePem,
      [ca.certificatePem],
      now,
      /exactly one "BEGIN X509 CRL" block, found 0/
    ],
    ['truncated', () => derOf(crlOf()).subarray(0, 100), [ca.certificatePem], now, /not a DER or PEM X.509 CRL/]
  ]
  for (const [name, make, cas, at, pattern] of cases) {
    test(`refused with ACMGW_CRL_INVALID naming the file: ${name}`, () => {
      assert.throws(
        () => {
          const input = make()
          verifyCrl(parseCrl(input as Buffer | string, '/etc/acmgw/partner.crl'), cas, at, '/etc/acmgw/partner.crl')
        },
        refused('ACMGW_CRL_INVALID', /^\/etc\/acmgw\/partner\.crl: /)
      )
      assert.throws(
        () => {
          verifyCrl(parseCrl(make() as Buffer | string, 'f'), cas, at, 'f')
        },
        refused('ACMGW_CRL_INVALID', pattern)
      )
    })
  }

  test('the file edge: PEM or DER from disk, and an unreadable file named', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'crl.der'), derOf(crlOf()))
    const { data, mtimeMs } = await readCrlFile(join(dir, 'crl.der'))
    assert.ok(mtimeMs > 0)
    assert.equal(verifyCrl(parseCrl(data, 'crl.der'), [ca.certificatePem], now, 'crl.der').revoked.size, 1)
    await assert.rejects(readCrlFile(join(dir, 'missing.pem')), refused('ACMGW_FILE_UNREADABLE', /missing\.pem/))
  })
})

describe('CRL interoperability with OpenSSL', () => {
  test('openssl crl verifies our CRL with the CA certificate and lists the revoked serial', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'ca.crt'), ca.certificatePem)
    await writeFile(join(dir, 'crl.pem'), crlOf())
    const check = spawnSync(openssl, ['crl', '-in', 'crl.pem', '-CAfile', 'ca.crt', '-noout'], {
      cwd: dir,
      encoding: 'utf8'
    })
    assert.equal(check.status, 0, check.stderr)
    assert.match(check.stderr + check.stdout, /verify OK/)
    const text = execFileSync(openssl, ['crl', '-in', 'crl.pem', '-noout', '-text'], { cwd: dir, encoding: 'utf8' })
    assert.match(text, new RegExp(`Serial Number: 0*${normaliseSerial(revokedSerial)}\\n`, 'i'))
    assert.match(text, /X509v3 CRL Number:\s+7/)
    assert.match(text, /X509v3 Authority Key Identifier/)
    // and refuses a tampered one
    const tamperedDer = derOf(crlOf())
    tamperedDer[tamperedDer.length - 10] = (tamperedDer[tamperedDer.length - 10] ?? 0) ^ 0xff
    await writeFile(join(dir, 'bad.der'), tamperedDer)
    const bad = spawnSync(openssl, ['crl', '-in', 'bad.der', '-inform', 'DER', '-CAfile', 'ca.crt', '-noout'], {
      cwd: dir,
      encoding: 'utf8'
    })
    assert.match(bad.stderr + bad.stdout, /verify fail|signature failure/i)
  })

  test('a CRL written by `openssl ca -gencrl` parses and verifies, with its revoked serial', async () => {
    const dir = await tempDir()
    await writeFile(join(dir, 'ca.crt'), ca.certificatePem)
    await writeFile(join(dir, 'ca.key'), ca.privateKeyPem, { mode: 0o600 })
    const cert = new X509Certificate(revokedCert.certificatePem)
    const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'
    await writeFile(
      join(dir, 'index.txt'),
      `R\t${stamp(new Date(cert.validTo))}\t${stamp(new Date(now.getTime() - day))}\t${cert.serialNumber}\tunknown\t/CN=acmgw.alpha.sign\n`
    )
    await writeFile(join(dir, 'crlnumber'), '1000\n')
    await writeFile(
      join(dir, 'ca.cnf'),
      [
        '[ ca ]',
        'default_ca = test_ca',
        '[ test_ca ]',
        `database = ${join(dir, 'index.txt')}`,
        `crlnumber = ${join(dir, 'crlnumber')}`,
        'default_md = sha256',
        'default_crl_days = 7',
        ''
      ].join('\n')
    )
    execFileSync(
      openssl,
      ['ca', '-gencrl', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-out', 'crl.pem'],
      { cwd: dir, stdio: 'pipe' }
    )
    const crl = verifyCrl(
      parseCrl(await readFile(join(dir, 'crl.pem')), 'crl.pem'),
      [ca.certificatePem],
      new Date(),
      'crl.pem'
    )
    assert.equal(crl.crlNumber, 0x1000n)
    assert.ok(revocationOf(crl, cert) instanceof Date)
    assert.equal(revocationOf(crl, new X509Certificate(keptCert.certificatePem)), undefined)
  })

  for (const [name, args, algorithm] of [
    ['a P-256 CA (ecdsa-with-SHA256)', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ecdsa-with-SHA256'],
    ['an Ed25519 CA', ['-newkey', 'ed25519'], 'ED25519']
  ] as const) {
    test(`CRLs of ${name}: made here, checked by OpenSSL, and made by OpenSSL, checked here`, async () => {
      const dir = await tempDir()
      execFileSync(
        openssl,
        [
          'req',
          '-x509',
          ...args,
          '-nodes',
          '-keyout',
          'ca.key',
          '-out',
          'ca.crt',
          '-days',
          '2',
          '-subj',
          '/CN=curve CA',
          '-addext',
          'keyUsage=critical,keyCertSign,cRLSign'
        ],
        { cwd: dir, stdio: 'pipe' }
      )
      const curveCa = {
        certificatePem: await readFile(join(dir, 'ca.crt'), 'utf8'),
        privateKeyPem: await readFile(join(dir, 'ca.key'), 'utf8')
      }
      await writeFile(join(dir, 'ours.pem'), crlOf(curveCa))
      const check = spawnSync(openssl, ['crl', '-in', 'ours.pem', '-CAfile', 'ca.crt', '-noout', '-text'], {
        cwd: dir,
        encoding: 'utf8'
      })
      assert.equal(check.status, 0, check.stderr)
      assert.match(check.stderr, /verify OK/)
      assert.match(check.stdout, new RegExp(`Signature Algorithm: ${algorithm}`, 'i'))
      await writeFile(join(dir, 'index.txt'), '')
      await writeFile(
        join(dir, 'ca.cnf'),
        `[ ca ]\ndefault_ca = c\n[ c ]\ndatabase = ${join(dir, 'index.txt')}\ndefault_md = ${algorithm === 'ED25519' ? 'null' : 'sha256'}\ndefault_crl_days = 1\n`
      )
      execFileSync(
        openssl,
        ['ca', '-gencrl', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-out', 'theirs.pem'],
        {
          cwd: dir,
          stdio: 'pipe'
        }
      )
      const theirs = verifyCrl(
        parseCrl(await readFile(join(dir, 'theirs.pem')), 'theirs.pem'),
        [curveCa.certificatePem],
        new Date(),
        'theirs.pem'
      )
      assert.equal(theirs.revoked.size, 0)
      assert.throws(
        () => verifyCrl(parseCrl(crlOf(curveCa), 'x'), [ca.certificatePem], now, 'x'),
        refused('ACMGW_CRL_INVALID', /issuer CN=curve CA is not the partner CA/)
      )
    })
  }
})

describe('CRL creation', () => {
  test('refuses a CA key that does not belong to the CA certificate', () => {
    assert.throws(
      () =>
        createCrl({ certificatePem: ca.certificatePem, privateKeyPem: otherCa.privateKeyPem }, [], {
          crlNumber: 1n,
          thisUpdate: now,
          nextUpdate: new Date(now.getTime() + day)
        }),
      refused('ACMGW_PKI_INVALID', /does not belong/)
    )
  })

  test('an RSA leaf (TLS) certificate serial is matched the same way', () => {
    const tls = issueLeafCertificate(ca, { commonName: 'acmgw.alpha', role: 'client', validDays: 5 })
    const serialNumber = new X509Certificate(tls.certificatePem).serialNumber
    const crl = verifyCrl(
      parseCrl(crlOf(ca, { entries: [{ serialNumber, revokedAt: now }] }), 'crl.pem'),
      [otherCa.certificatePem, ca.certificatePem],
      now,
      'crl.pem'
    )
    assert.ok(revocationOf(crl, new X509Certificate(tls.certificatePem)))
  })
})
