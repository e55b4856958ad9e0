import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { liveLinks, parseInterconnection } from '../../src/topics/interconnection.ts'
import { abcWorld } from './fixtures.ts'

const valid = `systems:
  - id: alpha
  - id: bravo
    name: Bravo fire
  - id: charlie
agreements:
  - id: ab
    systems: [alpha, bravo]
    status: ACTIVE
    categories: [status, users]
`

function refused(text: string): GatewayError {
  try {
    parseInterconnection(text, 'links.yaml')
  } catch (error) {
    assert.ok(GatewayError.is(error), String(error))
    assert.equal(error.code, 'ACMGW_AGREEMENTS_FILE_INVALID')
    assert.equal(error.path, 'links.yaml')
    return error
  }
  assert.fail('accepted')
}

describe('the interconnection file', () => {
  test('a valid file parses; agreements default to none', () => {
    const parsed = parseInterconnection(valid, 'links.yaml')
    assert.deepEqual(
      parsed.systems.map((s) => s.id),
      ['alpha', 'bravo', 'charlie']
    )
    assert.equal(parsed.agreements[0]?.id, 'ab')
    assert.deepEqual(parseInterconnection('systems: [{ id: alpha }]', 'x.yaml').agreements, [])
  })

  const cases: { name: string; text: string; message: RegExp }[] = [
    { name: 'not YAML', text: 'systems: [', message: /^links\.yaml: line 1, column \d+: / },
    { name: 'an empty file', text: '', message: /^links\.yaml: \(top level\): Invalid input: expected object/ },
    {
      name: 'a bad system id',
      text: valid.replace('id: charlie', 'id: Charlie'),
      message: /^links\.yaml: systems\[2\]\.id: must match/
    },
    {
      name: 'a system listed twice',
      text: valid.replace('id: charlie', 'id: alpha'),
      message: /systems\[2\]\.id: alpha is listed twice/
    },
    {
      name: 'an agreement with an unknown system',
      text: valid.replace('[alpha, bravo]', '[alpha, delta]'),
      message: /agreements\[0\]\.systems\[1\]: no system delta in systems/
    },
    {
      name: 'an agreement of a system with itself',
      text: valid.replace('[alpha, bravo]', '[alpha, alpha]'),
      message: /agreements\[0\]\.systems: a system cannot agree with itself/
    },
    {
      name: 'three systems in one agreement',
      text: valid.replace('[alpha, bravo]', '[alpha, bravo, charlie]'),
      message: /agreements\[0\]\.systems: Too big: expected array to have exactly 2 items/
    },
    {
      name: 'an unknown status',
      text: valid.replace('status: ACTIVE', 'status: ON_HOLD'),
      message:
        /agreements\[0\]\.status: Invalid option: expected one of "PROPOSED"\|"ACTIVE"\|"SUSPENDED"\|"TERMINATED"/
    },
    {
      name: 'an unknown category',
      text: valid.replace('[status, users]', '[status, weather]'),
      message: /agreements\[0\]\.categories\[1\]: Invalid option/
    },
    {
      name: 'a category listed twice',
      text: valid.replace('[status, users]', '[users, users]'),
      message: /agreements\[0\]\.categories: lists a category twice/
    },
    {
      name: 'no category',
      text: valid.replace('[status, users]', '[]'),
      message: /agreements\[0\]\.categories: Too small/
    },
    {
      name: 'an unknown field',
      text: valid.replace('    status: ACTIVE', '    status: ACTIVE\n    scope: all'),
      message: /agreements\[0\]: unknown key\(s\): scope/
    },
    {
      name: 'two live agreements for one pair',
      text: `${valid}  - id: ba\n    systems: [bravo, alpha]\n    status: PROPOSED\n    categories: [groups]\n`,
      message: /agreements\[1\]\.status: alpha and bravo already have agreement ab that is not TERMINATED/
    },
    {
      name: 'an agreement id used twice',
      text: `${valid}  - id: ab\n    systems: [alpha, charlie]\n    status: ACTIVE\n    categories: [groups]\n`,
      message: /agreements\[1\]\.id: agreement ab is listed twice/
    }
  ]
  for (const c of cases) {
    test(`${c.name} is refused with the file and field path`, () => {
      assert.match(refused(c.text).message, c.message)
    })
  }

  test('a terminated agreement may sit beside the live one that followed it', () => {
    const text = `${valid}  - id: ab-old\n    systems: [bravo, alpha]\n    status: TERMINATED\n    categories: [security]\n`
    const links = liveLinks(parseInterconnection(text, 'links.yaml'))
    assert.deepEqual(
      links.map((l) => l.agreementId),
      ['ab']
    )
  })

  test('live links carry status and responses whatever the agreement lists; TERMINATED is not live', () => {
    const table = [
      { status: 'PROPOSED', live: true },
      { status: 'ACTIVE', live: true },
      { status: 'SUSPENDED', live: true },
      { status: 'TERMINATED', live: false }
    ] as const
    for (const row of table) {
      const links = liveLinks(abcWorld({ ac: { status: row.status, categories: ['groups'] } }))
      const ac = links.find((l) => l.agreementId === 'ac')
      assert.equal(ac !== undefined, row.live, row.status)
      if (ac !== undefined) assert.deepEqual(ac.categories, ['status', 'responses', 'groups'], row.status)
    }
  })
})
