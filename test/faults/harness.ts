/**
 * Helpers of the fault suite that the single-node tests do not need: metadata reaches the three nodes a moment
 * apart, so a fresh topic is waited for until every partition has a leader as seen by the admin client.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Admin } from 'kafkajs'
import { readClusterInfo, type ClusterInfo } from '../../src/devstack/cluster.ts'

export async function faultCluster(): Promise<ClusterInfo> {
  const info = await readClusterInfo(process.env.ACMGW_TEST_STACK ?? '')
  if (info === undefined) throw new Error('run with test/faults/global-setup.ts: no cluster in ACMGW_TEST_STACK')
  return info
}

/** Retries `work` while the cluster answers that it does not know a topic yet (metadata still spreading). */
export async function whileMetadataSpreads<T>(work: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await work()
    } catch (error) {
      const type = (error as { type?: string }).type
      const text = String(error)
      const spreading =
        type === 'UNKNOWN_TOPIC_OR_PARTITION' ||
        type === 'LEADER_NOT_AVAILABLE' ||
        /does not host this topic-partition|leader/i.test(text)
      if (!spreading || Date.now() > deadline) throw error
      await sleep(300)
    }
  }
}

export async function createTopicAndWait(admin: Admin, topic: string, numPartitions: number): Promise<void> {
  // kafkajs reads the new topic's metadata right after creating it; a node that has not seen it yet answers
  // UNKNOWN_TOPIC_OR_PARTITION although the topic exists.
  await whileMetadataSpreads(async () => {
    if ((await admin.listTopics()).includes(topic)) return
    await admin.createTopics({ topics: [{ topic, numPartitions }] })
  })
  await whileMetadataSpreads(async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    const partitions = metadata.topics[0]?.partitions ?? []
    if (partitions.length !== numPartitions || partitions.some((p) => p.leader < 0)) {
      throw Object.assign(new Error(`no leader yet for ${topic}`), { type: 'LEADER_NOT_AVAILABLE' })
    }
  })
}

/** The current leader of one partition. */
export async function partitionLeader(admin: Admin, topic: string, partition: number): Promise<number> {
  return whileMetadataSpreads(async () => {
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    const leader = metadata.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader
    if (leader === undefined || leader < 0) {
      throw Object.assign(new Error(`no leader for ${topic}/${partition}`), { type: 'LEADER_NOT_AVAILABLE' })
    }
    return leader
  })
}

/**
 * Retries `work` until it succeeds or `timeoutMs` passes. kafkajs gives up on a dead leader's refused
 * connection before the controller has moved leadership (reliability-security.md §2): a client retries.
 */
export async function untilItSucceeds<T>(
  work: () => Promise<T>,
  timeoutMs: number,
  onError?: (error: unknown) => void
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await work()
    } catch (error) {
      onError?.(error)
      if (Date.now() > deadline) throw error
      await sleep(500)
    }
  }
}
