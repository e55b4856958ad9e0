import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  brokerJvmArgs,
  markerProperty,
  newClusterId,
  principalMappingRules,
  registryJvmArgs,
  renderServerProperties
} from '../../src/devstack/settings.ts'

function properties(text: string): Map<string, string> {
  return new Map(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const i = line.indexOf('=')
        return [line.slice(0, i), line.slice(i + 1)] as [string, string]
      })
  )
}

const rendered = properties(
  renderServerProperties({
    host: 'localhost',
    listenHost: 'localhost',
    ports: { broker: 1111, controller: 2222 },
    files: { keystore: '/k/broker.pem', truststore: '/k/ca.crt', dataDir: '/d' }
  })
)

describe('broker server.properties', () => {
  test('every listener is SSL and client certificates are required', () => {
    assert.equal(rendered.get('listeners'), 'SSL://localhost:1111,CONTROLLER://localhost:2222')
    assert.equal(rendered.get('listener.security.protocol.map'), 'SSL:SSL,CONTROLLER:SSL')
    assert.equal(rendered.get('ssl.client.auth'), 'required')
    assert.equal(rendered.get('ssl.keystore.type'), 'PEM')
    assert.equal(rendered.get('ssl.truststore.location'), '/k/ca.crt')
    assert.doesNotMatch([...rendered.values()].join(' '), /PLAINTEXT/)
  })

  test('a plaintext listener exists only when a benchmark asks for one, on the loopback address', () => {
    const withPlain = properties(
      renderServerProperties({
        host: 'localhost',
        listenHost: 'localhost',
        ports: { broker: 1111, controller: 2222 },
        files: { keystore: '/k/broker.pem', truststore: '/k/ca.crt', dataDir: '/d' },
        plaintextPort: 3333
      })
    )
    assert.equal(
      withPlain.get('listeners'),
      'SSL://localhost:1111,CONTROLLER://localhost:2222,PLAINTEXT://127.0.0.1:3333'
    )
    assert.equal(withPlain.get('advertised.listeners'), 'SSL://localhost:1111,PLAINTEXT://127.0.0.1:3333')
    assert.equal(withPlain.get('listener.security.protocol.map'), 'SSL:SSL,CONTROLLER:SSL,PLAINTEXT:PLAINTEXT')
    assert.equal(withPlain.get('inter.broker.listener.name'), 'SSL')
    assert.equal(withPlain.get('ssl.client.auth'), 'required')
  })

  test('ACLs decide: StandardAuthorizer, no access without an ACL, only broker and admin are super users', () => {
    assert.equal(rendered.get('authorizer.class.name'), 'org.apache.kafka.metadata.authorizer.StandardAuthorizer')
    assert.equal(rendered.get('allow.everyone.if.no.acl.found'), 'false')
    assert.equal(rendered.get('super.users'), 'User:broker;User:admin')
    assert.equal(rendered.get('auto.create.topics.enable'), 'false')
    assert.equal(rendered.get('ssl.principal.mapping.rules'), principalMappingRules)
  })
})

describe('principal mapping rule', () => {
  // Kafka applies the rule's regex to the RFC 2253 subject; Java and JavaScript agree on this simple pattern.
  const rule = /^RULE:(\^.*\$)\/\$1\/,DEFAULT$/.exec(principalMappingRules)
  const pattern = new RegExp(rule?.[1] ?? 'no rule')
  const principal = (dn: string) => pattern.exec(dn)?.[1] ?? dn

  for (const [dn, expected] of [
    ['CN=acmgw.nl-police', 'acmgw.nl-police'],
    ['CN=admin', 'admin'],
    ['O=evil,CN=acmgw.nl-police', 'O=evil,CN=acmgw.nl-police'],
    ['CN=acmgw.nl-police,O=evil', 'CN=acmgw.nl-police,O=evil'],
    ['OU=CN\\=admin,CN=x', 'OU=CN\\=admin,CN=x'],
    ['CN=acmgw.a\\,CN=admin', 'CN=acmgw.a\\,CN=admin']
  ] as const) {
    test(`${dn} maps to principal ${expected}`, () => assert.equal(principal(dn), expected))
  }
})

describe('JVM command lines', () => {
  test('carry the stack marker so that down never signals a recycled pid', () => {
    const marker = markerProperty('/state')
    assert.ok(
      brokerJvmArgs({ marker: '/state', libsDir: '/l', log4j2File: '/f', logsDir: '/o', heapMb: 256 }).includes(marker)
    )
    const registry = registryJvmArgs({
      marker: '/state',
      runJar: '/r.jar',
      port: 1,
      managementPort: 2,
      host: '127.0.0.1',
      heapMb: 256
    })
    assert.ok(registry.includes(marker))
    assert.ok(registry.includes('-Dquarkus.http.host=127.0.0.1'))
    assert.ok(registry.includes('-Dquarkus.management.host=127.0.0.1'))
  })

  test('cluster ids are 22 base64url characters and never start with a dash', () => {
    for (let i = 0; i < 200; i++) assert.match(newClusterId(), /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
  })
})
