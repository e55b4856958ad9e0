/**
 * The local development stack's settings, rendered as text: the KRaft broker's server.properties, its log4j2
 * configuration and the JVM command lines. Pure functions, so that the local JVM mode and the container mode
 * run the very same broker configuration.
 */
import { randomBytes } from 'node:crypto'
import { adminCommonName, brokerCommonName } from '../identity/names.ts'

export interface StackPorts {
  broker: number
  controller: number
  registry: number
  /** Apicurio's health and metrics interface (Quarkus management). */
  registryManagement: number
}

export const defaultPorts: StackPorts = { broker: 19092, controller: 19093, registry: 18081, registryManagement: 18082 }

export const kafkaRuntime = { version: '4.1.1', minJava: 17 } as const

export interface RegistryRuntime {
  version: string
  minJava: number
  /** The Quarkus runner, relative to the unpacked `-all.tar.gz`. */
  runJar: string
}

/**
 * Apicurio Registry distributions in order of preference. 3.3 is compiled for Java 21; where only Java 17
 * exists (Debian 12's default), 2.6 serves the same Confluent-compatible API (`/apis/ccompat/v7`).
 */
export const registryRuntimes: readonly RegistryRuntime[] = [
  { version: '3.3.3', minJava: 21, runJar: 'quarkus-run.jar' },
  { version: '2.6.13.Final', minJava: 17, runJar: 'apicurio-registry-app-2.6.13.Final-runner.jar' }
]

export interface BrokerFiles {
  /** PKCS#8 key followed by the certificate, for `ssl.keystore.type=PEM`. */
  keystore: string
  truststore: string
  dataDir: string
}

export interface BrokerSettings {
  host: string
  listenHost: string
  ports: Pick<StackPorts, 'broker' | 'controller'>
  files: BrokerFiles
  nodeId?: number
  /** Where the controller listener binds; localhost for local JVMs, 0.0.0.0 when peers are other containers. */
  controllerListenHost?: string
  /**
   * Benchmarks only (TLS vs plaintext): an extra PLAINTEXT listener on 127.0.0.1 at this port. Off by default;
   * it has no client certificate, so every client on it is User:ANONYMOUS and only ACLs naming that may pass.
   */
  plaintextPort?: number
}

/**
 * Only a subject that is exactly one CN of plain characters maps to that CN; anything else (a CN hidden in
 * another attribute, two CNs, escaped characters) falls to DEFAULT, i.e. the whole DN, a principal that no ACL
 * names. See reference/reliability-security.md §3.3.
 */
export const principalMappingRules = 'RULE:^CN=([A-Za-z0-9._-]+)$/$1/,DEFAULT'

export const superUsers = [`User:${brokerCommonName}`, `User:${adminCommonName}`] as const

export function renderServerProperties(settings: BrokerSettings): string {
  const nodeId = settings.nodeId ?? 1
  const { host, listenHost, ports, files } = settings
  const plain = settings.plaintextPort
  const entries: [string, string | number | boolean][] = [
    ['process.roles', 'broker,controller'],
    ['node.id', nodeId],
    // Static voters: works for formatting without --standalone and is what the apache/kafka image uses.
    ['controller.quorum.voters', `${nodeId}@localhost:${ports.controller}`],
    [
      'listeners',
      `SSL://${listenHost}:${ports.broker},CONTROLLER://${settings.controllerListenHost ?? 'localhost'}:${ports.controller}` +
        (plain === undefined ? '' : `,PLAINTEXT://127.0.0.1:${plain}`)
    ],
    [
      'advertised.listeners',
      `SSL://${host}:${ports.broker}` + (plain === undefined ? '' : `,PLAINTEXT://127.0.0.1:${plain}`)
    ],
    ['listener.security.protocol.map', 'SSL:SSL,CONTROLLER:SSL' + (plain === undefined ? '' : ',PLAINTEXT:PLAINTEXT')],
    ['controller.listener.names', 'CONTROLLER'],
    ['inter.broker.listener.name', 'SSL'],
    ['log.dirs', files.dataDir],
    ['ssl.keystore.type', 'PEM'],
    ['ssl.keystore.location', files.keystore],
    ['ssl.truststore.type', 'PEM'],
    ['ssl.truststore.location', files.truststore],
    ['ssl.client.auth', 'required'],
    ['ssl.enabled.protocols', 'TLSv1.3,TLSv1.2'],
    ['ssl.endpoint.identification.algorithm', 'https'],
    ['ssl.principal.mapping.rules', principalMappingRules],
    ['authorizer.class.name', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'],
    ['super.users', superUsers.join(';')],
    ['allow.everyone.if.no.acl.found', false],
    ['auto.create.topics.enable', false],
    ['num.partitions', 1],
    ['offsets.topic.replication.factor', 1],
    ['offsets.topic.num.partitions', 3],
    ['transaction.state.log.replication.factor', 1],
    ['transaction.state.log.min.isr', 1],
    ['share.coordinator.state.topic.replication.factor', 1],
    ['share.coordinator.state.topic.min.isr', 1],
    ['group.initial.rebalance.delay.ms', 0],
    ['unclean.leader.election.enable', false],
    // A development broker: keep few threads on small machines.
    ['num.network.threads', 2],
    ['num.io.threads', 4],
    ['log.segment.bytes', 16 * 1024 * 1024]
  ]
  return entries.map(([key, value]) => `${key}=${String(value)}`).join('\n') + '\n'
}

/** A node of a multi-node cluster (the fault suite): each node is broker and controller, the quorum static. */
export interface ClusterSettings {
  /** `host` defaults to localhost (local JVMs); containers name each other (kafka-1, kafka-2, …). */
  voters: readonly { nodeId: number; controllerPort: number; host?: string }[]
  /** Default 3 (at most the node count): topics, offsets and transaction state alike. */
  replicationFactor?: number
  /** Default 2 (at most the replication factor): with acks=all a write needs this many in-sync replicas. */
  minInsyncReplicas?: number
}

/** What a cluster node changes in, or adds to, the single node's properties. */
export function clusterOverrides(cluster: ClusterSettings): [string, string | number][] {
  const replication = Math.min(cluster.replicationFactor ?? 3, cluster.voters.length)
  const minIsr = Math.min(cluster.minInsyncReplicas ?? 2, replication)
  return [
    [
      'controller.quorum.voters',
      cluster.voters.map((v) => `${v.nodeId}@${v.host ?? 'localhost'}:${v.controllerPort}`).join(',')
    ],
    ['default.replication.factor', replication],
    ['min.insync.replicas', minIsr],
    ['offsets.topic.replication.factor', replication],
    ['transaction.state.log.replication.factor', replication],
    ['transaction.state.log.min.isr', minIsr],
    ['share.coordinator.state.topic.replication.factor', replication],
    ['share.coordinator.state.topic.min.isr', minIsr],
    // A frozen follower leaves the ISR after 10 s instead of 30 s, so acks=all writes stall less long.
    ['replica.lag.time.max.ms', 10_000]
  ]
}

/** The single node's properties with the cluster's quorum and replication settings in place. */
export function renderClusterNodeProperties(settings: BrokerSettings, cluster: ClusterSettings): string {
  const overrides = new Map(clusterOverrides(cluster))
  const lines = renderServerProperties(settings)
    .trimEnd()
    .split('\n')
    .map((line) => {
      const key = line.slice(0, line.indexOf('='))
      const value = overrides.get(key)
      if (value === undefined) return line
      overrides.delete(key)
      return `${key}=${String(value)}`
    })
  return [...lines, ...[...overrides].map(([key, value]) => `${key}=${String(value)}`)].join('\n') + '\n'
}

export function renderLog4j2Properties(): string {
  return [
    'status = warn',
    'appender.console.type = Console',
    'appender.console.name = STDOUT',
    'appender.console.layout.type = PatternLayout',
    'appender.console.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.stdout.ref = STDOUT',
    // The authorizer logs each denial at INFO; keep it, operators and the deny-matrix test read it.
    'logger.authorizer.name = kafka.authorizer.logger',
    'logger.authorizer.level = INFO',
    'logger.state.name = state.change.logger',
    'logger.state.level = WARN',
    ''
  ].join('\n')
}

/** A KRaft cluster id: 16 random bytes, base64url, never starting with '-' (Kafka's Uuid rule). */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

/** `-Dacmgw.stack=<dir>` marks our JVMs, so that `down` never signals a recycled pid. */
export function markerProperty(dir: string): string {
  return `-Dacmgw.stack=${dir}`
}

export function brokerJvmArgs(options: {
  marker: string
  libsDir: string
  log4j2File: string
  logsDir: string
  heapMb: number
}): string[] {
  return [
    `-Xms${Math.min(128, options.heapMb)}m`,
    `-Xmx${options.heapMb}m`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    markerProperty(options.marker),
    `-Dkafka.logs.dir=${options.logsDir}`,
    `-Dlog4j2.configurationFile=${options.log4j2File}`,
    '-cp',
    `${options.libsDir}/*`
  ]
}

export function formatStorageArgs(jvm: string[], clusterId: string, propertiesFile: string): string[] {
  return [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile, '--ignore-formatted']
}

export function startBrokerArgs(jvm: string[], propertiesFile: string): string[] {
  return [...jvm, 'kafka.Kafka', propertiesFile]
}

export function registryJvmArgs(options: {
  marker: string
  runJar: string
  port: number
  managementPort: number
  host: string
  heapMb: number
}): string[] {
  return [
    `-Xmx${options.heapMb}m`,
    markerProperty(options.marker),
    '-XX:+UseSerialGC',
    `-Dquarkus.http.port=${options.port}`,
    `-Dquarkus.http.host=${options.host}`,
    `-Dquarkus.management.port=${options.managementPort}`,
    `-Dquarkus.management.host=${options.host}`,
    '-Dquarkus.log.level=INFO',
    // Tests delete subjects they made; Apicurio refuses deletes unless told otherwise.
    '-Dapicurio.rest.deletion.artifact.enabled=true',
    '-Dapicurio.rest.deletion.artifact-version.enabled=true',
    '-jar',
    options.runJar
  ]
}

export const registryApiPath = '/apis/ccompat/v7'
