import assert from 'node:assert/strict'
import { test } from 'node:test'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { testStack, uniqueName } from '../helpers/stack.ts'

test('the registry answers the Confluent API through @kafkajs/confluent-schema-registry', async () => {
  const info = await testStack()
  const registry = new SchemaRegistry({ host: info.registryUrl })
  const name = uniqueName('Probe').replaceAll('-', '_')
  const schema = {
    type: 'record',
    name,
    namespace: 'test.acmgw',
    fields: [{ name: 'id', type: 'string', doc: 'an id' }]
  }
  const subject = `test.acmgw.${name}`
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject })
  assert.equal(await registry.getLatestSchemaId(subject), id)
  const readBack = (await registry.getSchema(id)) as unknown as { name: string }
  assert.equal(readBack.name, `test.acmgw.${name}`)
  const encoded = await registry.encode(id, { id: 'x-1' })
  assert.equal(encoded[0], 0, 'Confluent wire format starts with magic byte 0')
  assert.equal(encoded.readInt32BE(1), id)
  assert.deepEqual({ ...(await registry.decode(encoded)) }, { id: 'x-1' })
})
