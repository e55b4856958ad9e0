import assert from 'node:assert/strict'
import { test } from 'node:test'
import { openStage } from '../../src/gateway/stage.ts'
import { emptyState } from '../../src/gateway/state.ts'

test('one write per key is published, afterwards actions run only after the publish', async () => {
  const state = emptyState()
  const stage = openStage(state)
  const order: string[] = []
  stage.put('version', 'alpha/e1', 1)
  stage.put('version', 'alpha/e1', 2)
  stage.put('sent', 'e2', 5)
  stage.afterwards(() => void order.push('after'))
  assert.equal(state.versions.get('alpha/e1'), 2, 'memory sees the change at once')
  await stage.commit((batch) => {
    order.push('publish')
    assert.deepEqual(
      batch.state.map((w) => [w.key, w.value]),
      [
        ['version/alpha/e1', 2],
        ['sent/e2', 5]
      ]
    )
    return Promise.resolve()
  })
  assert.deepEqual(order, ['publish', 'after'])
})

test('a failed publish restores what the stage changed, but not what another action wrote since', async () => {
  const state = emptyState()
  state.versions.set('alpha/kept', 1)
  state.versions.set('alpha/deleted', 3)
  const stage = openStage(state)
  let ran = false
  stage.put('version', 'alpha/kept', 2)
  stage.put('version', 'alpha/new', 1)
  stage.put('version', 'alpha/deleted', undefined)
  stage.put('sent', 'e1', 9)
  stage.afterwards(() => void (ran = true))
  state.sentVersions.set('e1', 10) // a concurrent local action, durable on its own
  await assert.rejects(
    stage.commit(() => Promise.reject(new Error('broker down'))),
    /broker down/
  )
  assert.equal(state.versions.get('alpha/kept'), 1)
  assert.equal(state.versions.has('alpha/new'), false)
  assert.equal(state.versions.get('alpha/deleted'), 3)
  assert.equal(state.sentVersions.get('e1'), 10)
  assert.equal(ran, false)
})
