/**
 * Security suite, transport: certificates the broker must refuse, and a subject crafted to smuggle another
 * system's CN, which the principal mapping turns into a principal no ACL names. Prints case → outcome.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, describe, test } from 'node:test'
import kafkajs from 'kafkajs'
import forge from 'node-forge'
import { gatewayPrincipal } from '../../src/identity/names.ts'
import { classifyKafkaError } from '../../src/kafka/client.ts'
import {
  type CertificateAuthority,
  createCertificateAuthority,
  generateRsaKeyPair,
  issueLeafCertificate
} from '../../src/pki/certificates.ts'
import { pkiLayout } from '../../src/pki/store.ts'
import { connectedAdmin, testStack, uniqueName } from '../helpers/stack.ts'

const { Kafka, logLevel, AclResourceTypes, AclOperationTypes, AclPermissionTypes, ResourcePatternTypes } = kafkajs
const rows: [string, string, string][] = []

after(() => {
  const width = Math.max(...rows.map((r) => r[0].length))
  console.log(
    `\nsecurity suite — certificates (${rows.length} cases)\n${rows.map(([c, e, o]) => `  ${c.padEnd(width)}  expected: ${e.padEnd(28)} outcome: ${o}`).join('\n')}`
  )
})

async function stackCa(): Promise<CertificateAuthority> {
  const info = await testStack()
  return {
    certificatePem: await readFile(info.pki.caFile, 'utf8'),
    privateKeyPem: await readFile(`${info.pki.dir}/${pkiLayout.caKey}`, 'utf8')
  }
}

/** A client certificate from our CA with an arbitrary subject, as a careless or hostile issuer might make. */
function craftedSubject(
  ca: CertificateAuthority,
  subject: forge.pki.CertificateField[]
): { cert: string; key: string } {
  const keys = generateRsaKeyPair()
  const cert = forge.pki.createCertificate()
  cert.publicKey = forge.pki.publicKeyFromPem(keys.publicKeyPem)
  cert.serialNumber = '01' + forge.util.bytesToHex(forge.random.getBytesSync(8))
  cert.validity.notBefore = new Date(Date.now() - 60_000)
  cert.validity.notAfter = new Date(Date.now() + 86_400_000)
  cert.setSubject(subject)
  cert.setIssuer(forge.pki.certificateFromPem(ca.certificatePem).subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', clientAuth: true }
  ])
  cert.sign(forge.pki.privateKeyFromPem(ca.privateKeyPem), forge.md.sha256.create())
  return { cert: forge.pki.certificateToPem(cert), key: keys.privateKeyPem }
}

async function attempt(identity: { cert: string; key: string }, topic: string): Promise<string> {
  const info = await testStack()
  const kafka = new Kafka({
    clientId: 'security-suite',
    brokers: info.bootstrapServers,
    ssl: { ca: [await readFile(info.pki.caFile)], cert: identity.cert, key: identity.key },
    retry: { retries: 0 },
    connectionTimeout: 3_000,
    logLevel: logLevel.NOTHING
  })
  const producer = kafka.producer()
  try {
    await producer.connect()
    await producer.send({ topic, messages: [{ value: 'x' }] })
    return 'ALLOWED'
  } catch (error) {
    const classified = classifyKafkaError(error, 'produce')
    return classified.code === 'ACMGW_KAFKA_NOT_AUTHORIZED' ? String(classified.details.kafkaError) : classified.code
  } finally {
    await producer.disconnect().catch(() => undefined)
  }
}

describe('certificates at the broker', () => {
  test('expired, not yet valid, foreign-CA and self-signed certificates cannot connect', async () => {
    const ca = await stackCa()
    const topic = uniqueName('security-cert')
    const day = 86_400_000
    const refusedAtTls = ['ACMGW_KAFKA_TLS_FAILED', 'ACMGW_KAFKA_UNREACHABLE']
    const cases: [string, { cert: string; key: string }][] = [
      [
        'expired client certificate',
        asIdentity(
          issueLeafCertificate(ca, {
            commonName: 'acmgw.alpha',
            role: 'client',
            validDays: 1,
            now: new Date(Date.now() - 10 * day)
          })
        )
      ],
      [
        'not yet valid client certificate',
        asIdentity(
          issueLeafCertificate(ca, {
            commonName: 'acmgw.alpha',
            role: 'client',
            validDays: 30,
            now: new Date(Date.now() + 10 * day)
          })
        )
      ],
      [
        'certificate from an unknown CA',
        asIdentity(
          issueLeafCertificate(createCertificateAuthority('unknown CA', 10), {
            commonName: 'acmgw.alpha',
            role: 'client',
            validDays: 10
          })
        )
      ],
      [
        'self-signed certificate',
        (() => {
          const self = createCertificateAuthority('acmgw.alpha', 10)
          return { cert: self.certificatePem, key: self.privateKeyPem }
        })()
      ]
    ]
    for (const [name, identity] of cases) {
      const outcome = await attempt(identity, topic)
      rows.push([name, 'refused at TLS', outcome])
      assert.ok(refusedAtTls.includes(outcome), `${name}: ${outcome}`)
    }
  })

  test('a CN smuggled into another subject field maps to a principal no ACL names', async (t) => {
    const ca = await stackCa()
    const admin = await connectedAdmin(t)
    const topic = uniqueName('security-smuggle')
    await admin.createTopics({ topics: [{ topic }], waitForLeaders: true })
    await admin.createAcls({
      acl: [
        {
          resourceType: AclResourceTypes.TOPIC,
          resourceName: topic,
          resourcePatternType: ResourcePatternTypes.LITERAL,
          principal: gatewayPrincipal('alpha'),
          host: '*',
          operation: AclOperationTypes.WRITE,
          permissionType: AclPermissionTypes.ALLOW
        }
      ]
    })
    const info = await testStack()
    const legitimate = {
      cert: await readFile(info.pki.gateways.alpha!.certFile, 'utf8'),
      key: await readFile(info.pki.gateways.alpha!.keyFile, 'utf8')
    }
    const deadline = Date.now() + 15_000
    let allowed = await attempt(legitimate, topic)
    while (allowed !== 'ALLOWED' && Date.now() < deadline) allowed = await attempt(legitimate, topic)
    rows.push(['CN=acmgw.alpha from our CA (control)', 'allowed', allowed])
    assert.equal(allowed, 'ALLOWED')
    const cases: [string, forge.pki.CertificateField[]][] = [
      [
        'CN plus another attribute',
        [
          { name: 'commonName', value: 'acmgw.alpha' },
          { name: 'organizationName', value: 'Evil' }
        ]
      ],
      [
        'CN hidden in O',
        [
          { name: 'organizationName', value: 'CN=acmgw.alpha' },
          { name: 'commonName', value: 'outsider' }
        ]
      ],
      [
        'two CNs',
        [
          { name: 'commonName', value: 'outsider' },
          { name: 'commonName', value: 'acmgw.alpha' }
        ]
      ]
    ]
    for (const [name, subject] of cases) {
      const outcome = await attempt(craftedSubject(ca, subject), topic)
      rows.push([name, 'TOPIC_AUTHORIZATION_FAILED', outcome])
      assert.equal(outcome, 'TOPIC_AUTHORIZATION_FAILED', name)
    }
  })
})

function asIdentity(issued: { certificatePem: string; privateKeyPem: string }): { cert: string; key: string } {
  return { cert: issued.certificatePem, key: issued.privateKeyPem }
}
