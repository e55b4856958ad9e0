/**
 * Container mode of the local stack, for machines where a Docker engine answers: the official apache/kafka
 * image with the very server.properties the JVM mode uses (only paths differ), and the Apicurio image.
 * Loaded lazily: testcontainers needs Node 22+ and a Docker engine, neither of which the JVM mode needs.
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { GenericContainer, Wait, getContainerRuntimeClient } from 'testcontainers'
import { pkiLayout } from '../pki/store.ts'
import { containerSecretsDir as secrets, containerServerProperties } from './containers-config.ts'
import { kafkaRuntime, registryApiPath, registryRuntimes, type StackPorts } from './settings.ts'

export async function dockerEngineAnswers(): Promise<boolean> {
  try {
    await getContainerRuntimeClient()
    return true
  } catch {
    return false
  }
}

export async function startContainerStack(options: {
  ports: StackPorts
  pkiDir: string
  workDir: string
  clusterId: string
  host: string
}): Promise<{ containerIds: { broker: string; registry: string }; versions: { kafka: string; apicurio: string } }> {
  const propertiesFile = join(options.workDir, 'server.container.properties')
  await writeFile(propertiesFile, containerServerProperties(options.ports, options.host))
  // advertised.listeners must equal what clients dial, so the host port is fixed, not random.
  const broker = await new GenericContainer(`apache/kafka:${kafkaRuntime.version}`)
    .withEnvironment({ CLUSTER_ID: options.clusterId, KAFKA_HEAP_OPTS: '-Xmx512m -Xms128m' })
    .withCopyFilesToContainer([
      { source: propertiesFile, target: '/mnt/shared/config/server.properties', mode: 0o644 },
      {
        source: join(options.pkiDir, pkiLayout.brokerKeystore),
        target: `${secrets}/${pkiLayout.brokerKeystore}`,
        mode: 0o644
      },
      { source: join(options.pkiDir, pkiLayout.caCert), target: `${secrets}/${pkiLayout.caCert}`, mode: 0o644 }
    ])
    .withExposedPorts({ container: options.ports.broker, host: options.ports.broker })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(180_000)
    .start()
  const registryVersion = registryRuntimes[0]?.version ?? '3.3.3'
  const registry = await new GenericContainer(`apicurio/apicurio-registry:${registryVersion}`)
    .withExposedPorts({ container: 8080, host: options.ports.registry })
    .withWaitStrategy(Wait.forHttp(`${registryApiPath}/subjects`, 8080))
    .withStartupTimeout(180_000)
    .start()
  return {
    containerIds: { broker: broker.getId(), registry: registry.getId() },
    versions: { kafka: kafkaRuntime.version, apicurio: registryVersion }
  }
}

export async function stopContainers(ids: { broker: string; registry: string }): Promise<void> {
  const client = await getContainerRuntimeClient()
  for (const id of [ids.registry, ids.broker]) {
    const container = client.container.getById(id)
    await client.container.stop(container, { timeout: 20_000 }).catch(() => undefined)
    await client.container.remove(container, { removeVolumes: true }).catch(() => undefined)
  }
}
