import assert from 'node:assert/strict'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { stringify } from 'yaml'
import { renderConfigReference } from '../../src/config/docs.ts'
import { loadConfig, validateConfig } from '../../src/config/load.ts'
import { parseDuration } from '../../src/config/schema.ts'
import { GatewayError } from '../../src/errors.ts'

const minimal = {
  system: { id: 'nl-police' },
  kafka: { brokers: ['localhost:19092'], tls: { ca: 'pki/ca.crt', cert: 'pki/gw.crt', key: 'pki/gw.key' } },
  signing: { key: 'pki/sign.key', certificate: 'pki/sign.crt' },
  partners: [{ id: 'be-police', signingCertificates: ['pki/be.sign.crt'], encryptionCertificate: 'pki/be.crt' }],
  agreements: [{ id: 'nl-be', partner: 'be-police', services: ['MCPTT'], categories: ['status', 'migration'] }]
}

describe('gateway configuration', () => {
  test('a minimal file gets the documented defaults and absolute paths', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acmgw-config-'))
    const file = join(dir, 'gateway.yaml')
    await writeFile(file, stringify(minimal))
    const config = await loadConfig(file)
    assert.equal(config.codec.mode, 'embedded')
    assert.equal(config.policy.default, 'pending')
    assert.equal(config.agreements[0]?.status, 'ACTIVE')
    assert.deepEqual(config.http, { host: '127.0.0.1', port: 8080, tokenFile: undefined })
    assert.equal(config.kafka.tls.ca, join(dir, 'pki/ca.crt'))
    assert.equal(config.partners[0]?.signingCertificates[0], join(dir, 'pki/be.sign.crt'))
    assert.deepEqual(config.adapter, { type: 'directory', path: join(dir, 'directory') })
    assert.equal(config.audit.file, join(dir, 'gateway.audit.jsonl'))
    assert.equal(config.kafka.sessionTimeout, '30s')
    assert.ok(Object.isFrozen(config))
  })

  test('every problem is listed with its path, and nothing starts', () => {
    const broken = {
      ...minimal,
      system: { id: 'NL Police' },
      kafka: { ...minimal.kafka, brokers: ['no-port'], extra: true },
      agreements: [
        { id: 'nl-be', partner: 'fr-police', services: ['MCPTT'], categories: ['status', 'gossip'] },
        { id: 'nl-be', partner: 'be-police', services: [], categories: ['users'] }
      ],
      policy: { pendingTtl: 'a while' },
      adapter: { type: 'carrier-pigeon' }
    }
    assert.throws(
      () => validateConfig(broken, 'gateway.yaml'),
      (error: unknown) => {
        assert.ok(GatewayError.is(error))
        assert.equal(error.code, 'ACMGW_CONFIG_INVALID')
        const paths = (error.details.problems as { path: string }[]).map((p) => p.path)
        for (const expected of [
          'system.id',
          'kafka.brokers[0]',
          'kafka',
          'agreements[0].categories[1]',
          'agreements[1].services',
          'policy.pendingTtl',
          'adapter.type'
        ]) {
          assert.ok(paths.includes(expected), `missing ${expected} in ${paths.join(', ')}`)
        }
        assert.match(error.message, /^gateway\.yaml is not a valid gateway configuration:\n {2}system\.id: must match/)
        assert.match(error.message, /kafka: unknown key\(s\): extra/)
        return true
      }
    )
  })

  test('cross-field rules: unknown partner, duplicate agreement id, self as partner', () => {
    const config = {
      ...minimal,
      partners: [...minimal.partners, { ...minimal.partners[0], id: 'nl-police' }],
      agreements: [
        { id: 'a', partner: 'fr-police', services: ['MCPTT'], categories: ['status'] },
        { id: 'a', partner: 'be-police', services: ['MCPTT'], categories: ['status'] }
      ]
    }
    assert.throws(
      () => validateConfig(config, 'g.yaml'),
      (error: unknown) =>
        GatewayError.is(error) &&
        /partners\[1\]\.id: a system cannot be its own partner/.test(error.message) &&
        /agreements\[0\]\.partner: no partner fr-police in partners/.test(error.message) &&
        /agreements\[1\]\.id: agreement a is listed twice/.test(error.message)
    )
  })

  test('a YAML syntax error and a missing file name the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'acmgw-config-'))
    const file = join(dir, 'bad.yaml')
    await writeFile(file, 'system:\n  id: [unclosed\n')
    await assert.rejects(
      loadConfig(file),
      (e: unknown) =>
        GatewayError.is(e) && e.code === 'ACMGW_CONFIG_INVALID' && e.message.startsWith(`${file} is not valid YAML`)
    )
    await assert.rejects(
      loadConfig(join(dir, 'none.yaml')),
      (e: unknown) => GatewayError.is(e) && e.code === 'ACMGW_FILE_UNREADABLE'
    )
  })

  test('kafka.sessionTimeout stays within what the broker accepts', () => {
    const withTimeout = (sessionTimeout: string) => ({ ...minimal, kafka: { ...minimal.kafka, sessionTimeout } })
    assert.equal(validateConfig(withTimeout('10s'), 'gateway.yaml').kafka.sessionTimeout, '10s')
    for (const [value, message] of [
      ['5s', /kafka\.sessionTimeout: must be between 6s .* and 5m/],
      ['10m', /kafka\.sessionTimeout: must be between 6s .* and 5m/],
      ['soon', /kafka\.sessionTimeout: must be a duration/]
    ] as const) {
      assert.throws(() => validateConfig(withTimeout(value), 'gateway.yaml'), message)
    }
  })

  test('durations', () => {
    assert.equal(parseDuration('500ms'), 500)
    assert.equal(parseDuration('24h'), 86_400_000)
    assert.equal(parseDuration('7d'), 604_800_000)
    assert.equal(parseDuration('1.5h'), undefined)
    assert.equal(parseDuration('h'), undefined)
  })

  test('docs/configuration.md is the current rendering of the schema', async () => {
    const committed = await readFile(new URL('../../docs/configuration.md', import.meta.url), 'utf8')
    assert.equal(committed, renderConfigReference(), 'stale: run `npm run docs:config`')
  })
})
