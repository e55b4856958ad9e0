import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  evaluateLink,
  formatLinks,
  type LagOptions,
  type LinkLag,
  type LinkSample,
  type LinkStatus,
  linksFromTopics,
  type PartitionOffsets,
  partitionsNeedingTimestamps,
  readingPosition
} from '../../src/ops/lag.ts'
import { appendPoint, type LagPoint } from '../../src/ops/monitor.ts'

const options: LagOptions = { thresholdMs: 60_000, stalledIntervals: 3 }
const t0 = Date.parse('2026-11-25T10:00:00Z')

function part(over: Partial<PartitionOffsets> = {}): PartitionOffsets {
  return {
    topic: 'acm.a.b.groups',
    partition: 0,
    committed: '10',
    low: '0',
    high: '10',
    headTimestamp: null,
    ...over
  }
}

function sample(at: number, partitions: PartitionOffsets[], members = 1): LinkSample {
  return { partner: 'a', self: 'b', group: 'acmgw.b', at, members, partitions }
}

/** Evaluates a sequence of samples like the monitor does and returns the last evaluation. */
function run(samples: LinkSample[]): LinkLag {
  let last: LinkLag | undefined
  for (const s of samples) last = evaluateLink(s, last, options)
  assert.ok(last)
  return last
}

describe('reading position', () => {
  const cases: [string, Pick<PartitionOffsets, 'committed' | 'low' | 'high'>, bigint][] = [
    ['the committed offset', { committed: '5', low: '0', high: '9' }, 5n],
    [
      'the log start when nothing was committed (the group reads from the beginning)',
      { committed: null, low: '3', high: '9' },
      3n
    ],
    ['the log start when retention deleted past the commit', { committed: '2', low: '4', high: '9' }, 4n],
    ['the end when the commit is beyond it (never negative lag)', { committed: '12', low: '0', high: '9' }, 9n],
    [
      'offsets beyond 2^53 exactly',
      { committed: '9007199254740993', low: '0', high: '9007199254740999' },
      9007199254740993n
    ]
  ]
  for (const [name, p, expected] of cases) test(name, () => assert.equal(readingPosition(p), expected))
})

describe('one sample', () => {
  const cases: {
    name: string
    sample: LinkSample
    status: LinkStatus
    lagMessages: number
    lagSeconds: number | null
    reason: RegExp
  }[] = [
    {
      name: 'caught up: OK, 0 s',
      sample: sample(t0, [part()]),
      status: 'OK',
      lagMessages: 0,
      lagSeconds: 0,
      reason: /caught up/
    },
    {
      name: 'lag younger than the threshold: OK, age from the first unconsumed record',
      sample: sample(t0, [part({ committed: '8', headTimestamp: t0 - 5_000 })]),
      status: 'OK',
      lagMessages: 2,
      lagSeconds: 5,
      reason: /2 behind, 5\.0 s old/
    },
    {
      name: 'lag older than the threshold: LAGGING',
      sample: sample(t0, [part({ committed: '8', headTimestamp: t0 - 90_000 })]),
      status: 'LAGGING',
      lagMessages: 2,
      lagSeconds: 90,
      reason: /90 s old \(threshold 60 s\)/
    },
    {
      name: 'exactly at the threshold is not LAGGING',
      sample: sample(t0, [part({ committed: '8', headTimestamp: t0 - 60_000 })]),
      status: 'OK',
      lagMessages: 2,
      lagSeconds: 60,
      reason: /behind/
    },
    {
      name: 'no group member: STOPPED, even without lag',
      sample: sample(t0, [part()], 0),
      status: 'STOPPED',
      lagMessages: 0,
      lagSeconds: 0,
      reason: /no member in group acmgw\.b$/
    },
    {
      name: 'no group member with lag: STOPPED wins over LAGGING and says what waits',
      sample: sample(t0, [part({ committed: '1', headTimestamp: t0 - 600_000 })], 0),
      status: 'STOPPED',
      lagMessages: 9,
      lagSeconds: 600,
      reason: /9 waiting/
    },
    {
      name: 'lag whose timestamp is unknown: OK with the age unknown (never LAGGING on a guess)',
      sample: sample(t0, [part({ committed: '8' })]),
      status: 'OK',
      lagMessages: 2,
      lagSeconds: null,
      reason: /age not known/
    },
    {
      name: 'a clock ahead of ours (partner skew) gives 0 s, not a negative age',
      sample: sample(t0, [part({ committed: '8', headTimestamp: t0 + 3_000 })]),
      status: 'OK',
      lagMessages: 2,
      lagSeconds: 0,
      reason: /behind/
    },
    {
      name: 'several partitions: messages add up, seconds are the oldest',
      sample: sample(t0, [
        part({ committed: '8', headTimestamp: t0 - 5_000 }),
        part({ partition: 1, committed: '0', high: '3', headTimestamp: t0 - 70_000 }),
        part({ topic: 'acm.a.b.status', partition: 0 })
      ]),
      status: 'LAGGING',
      lagMessages: 5,
      lagSeconds: 70,
      reason: /70 s old/
    },
    {
      name: 'never committed, records written: lag counts from the log start',
      sample: sample(t0, [part({ committed: null, low: '0', high: '4', headTimestamp: t0 - 1_000 })]),
      status: 'OK',
      lagMessages: 4,
      lagSeconds: 1,
      reason: /4 behind/
    },
    {
      name: 'a link with no partitions is OK with nothing behind',
      sample: sample(t0, []),
      status: 'OK',
      lagMessages: 0,
      lagSeconds: 0,
      reason: /caught up/
    }
  ]
  for (const c of cases) {
    test(c.name, () => {
      const got = evaluateLink(c.sample, undefined, options)
      assert.equal(got.status, c.status)
      assert.equal(got.lagMessages, c.lagMessages)
      assert.equal(got.lagSeconds, c.lagSeconds)
      assert.match(got.reason, c.reason)
    })
  }
})

describe('over intervals (STALLED)', () => {
  const step = 15_000
  const at = (i: number) => t0 + i * step
  const cases: { name: string; samples: LinkSample[]; status: LinkStatus; unmoved: number }[] = [
    {
      name: 'lag present and the position unmoved for 3 intervals: STALLED',
      samples: [0, 1, 2, 3].map((i) => sample(at(i), [part({ committed: '8', headTimestamp: at(0) })])),
      status: 'STALLED',
      unmoved: 3
    },
    {
      name: 'unmoved for 2 intervals only: not yet',
      samples: [0, 1, 2].map((i) => sample(at(i), [part({ committed: '8', headTimestamp: at(0) })])),
      status: 'OK',
      unmoved: 2
    },
    {
      name: 'the position moves each interval while new records keep the lag up: never STALLED',
      samples: [0, 1, 2, 3, 4].map((i) =>
        sample(at(i), [part({ committed: String(8 + i), high: String(10 + i), headTimestamp: at(i) - 1_000 })])
      ),
      status: 'OK',
      unmoved: 0
    },
    {
      name: 'caught up and idle for many intervals: OK (no lag, nothing to move)',
      samples: [0, 1, 2, 3, 4].map((i) => sample(at(i), [part()])),
      status: 'OK',
      unmoved: 0
    },
    {
      name: 'lag that appears in the last interval does not count as unmoved yet',
      samples: [
        sample(at(0), [part()]),
        sample(at(1), [part()]),
        sample(at(2), [part({ high: '11', headTimestamp: at(2) })])
      ],
      status: 'OK',
      unmoved: 0
    },
    {
      name: 'progress resets the count: stuck twice, moved, stuck twice again',
      samples: [
        sample(at(0), [part({ committed: '5', headTimestamp: at(0) })]),
        sample(at(1), [part({ committed: '5', headTimestamp: at(0) })]),
        sample(at(2), [part({ committed: '5', headTimestamp: at(0) })]),
        sample(at(3), [part({ committed: '6', headTimestamp: at(0) })]),
        sample(at(4), [part({ committed: '6', headTimestamp: at(0) })]),
        sample(at(5), [part({ committed: '6', headTimestamp: at(0) })])
      ],
      status: 'LAGGING',
      unmoved: 2
    },
    {
      name: 'STOPPED wins over STALLED once the members are gone',
      samples: [0, 1, 2, 3].map((i) =>
        sample(at(i), [part({ committed: '8', headTimestamp: at(0) })], i === 3 ? 0 : 1)
      ),
      status: 'STOPPED',
      unmoved: 3
    },
    {
      name: 'back to OK when the reader catches up after a stall',
      samples: [
        ...[0, 1, 2, 3].map((i) => sample(at(i), [part({ committed: '8', headTimestamp: at(0) })])),
        sample(at(4), [part({ committed: '10' })])
      ],
      status: 'OK',
      unmoved: 0
    }
  ]
  for (const c of cases) {
    test(c.name, () => {
      const got = run(c.samples)
      assert.equal(got.status, c.status)
      assert.equal(got.partitions[0]?.unmovedIntervals, c.unmoved)
    })
  }

  test('the STALLED reason names the partition, the intervals and the lag', () => {
    const got = run([0, 1, 2, 3].map((i) => sample(at(i), [part({ committed: '8', headTimestamp: at(0) })])))
    assert.equal(got.reason, 'acm.a.b.groups/0 has not moved for 3 intervals with 2 behind')
  })
})

describe('helpers', () => {
  test('links are grouped by the partner that writes into self; other topics are ignored', () => {
    assert.deepEqual(
      linksFromTopics('bb', [
        'acm.cc.bb.status',
        'acm.aa.bb.groups',
        'acm.aa.bb.status',
        'acm.bb.aa.status',
        'acm.bb.state',
        'acm.aa.bb.unknown',
        'x'
      ]),
      [
        { partner: 'aa', topics: ['acm.aa.bb.groups', 'acm.aa.bb.status'] },
        { partner: 'cc', topics: ['acm.cc.bb.status'] }
      ]
    )
  })

  test('timestamps are needed only where there is lag, at the reading position', () => {
    assert.deepEqual(
      partitionsNeedingTimestamps([
        part(),
        part({ partition: 1, committed: '7' }),
        part({ partition: 2, committed: null, low: '2', high: '5' })
      ]),
      [
        { topic: 'acm.a.b.groups', partition: 1, offset: '7' },
        { topic: 'acm.a.b.groups', partition: 2, offset: '2' }
      ]
    )
  })

  test('history keeps the window and the cap, oldest first', () => {
    let h: LagPoint[] = []
    for (let i = 0; i < 10; i++) {
      h = appendPoint(h, { at: i * 1000, status: 'OK', lagMessages: i, lagSeconds: 0 }, 5_000, 3)
    }
    assert.deepEqual(
      h.map((p) => p.lagMessages),
      [7, 8, 9]
    )
    h = appendPoint(h, { at: 20_000, status: 'OK', lagMessages: 20, lagSeconds: 0 }, 5_000, 3)
    assert.deepEqual(
      h.map((p) => p.lagMessages),
      [20]
    )
  })

  test('the text output has a line per link and a row per partition', () => {
    const text = formatLinks([
      evaluateLink(sample(t0, [part({ committed: '8', headTimestamp: t0 - 5_000 })]), undefined, options)
    ])
    assert.match(text, /^a → b {2}OK {2}2 msgs {2}5\.0 s/)
    assert.match(text, /^ {2}acm\.a\.b\.groups +0 +8 +10 +2 +5\.0$/m)
    assert.equal(formatLinks([]), 'no links: no partner topics into this system are visible')
  })
})
