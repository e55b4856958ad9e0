/**
 * ACL changes as audit entries: one per binding `acmgw topics apply` removed or added, in the order it applies
 * them (revocations first). `partner` is the system whose gateway the binding names, when it names one.
 */
import type { AclBinding } from '../kafka/admin.ts'
import { type AuditRecord, automatic } from './chain.ts'
import { openAuditFile } from './file.ts'

const gatewayPrincipal = /^User:acmgw\.([a-z][a-z0-9-]{1,31})$/

function aclRecord(action: 'add' | 'remove', acl: AclBinding): AuditRecord {
  return {
    type: 'acl-change',
    partner: gatewayPrincipal.exec(acl.principal)?.[1] ?? null,
    kind: null,
    messageId: null,
    outcome: 'APPLIED',
    // The command runs with the cluster admin identity; no person is known to it.
    decidedBy: automatic,
    acl: {
      action,
      resourceType: acl.resourceType,
      resourceName: acl.resourceName,
      patternType: acl.patternType,
      principal: acl.principal,
      host: acl.host,
      operation: acl.operation,
      permission: acl.permission
    }
  }
}

/** Only the binding's own fields: a plan's ACLs carry more (role, reason) that the audit does not keep. */
export function aclAuditRecords(plan: {
  aclsToRemove: readonly AclBinding[]
  aclsToAdd: readonly AclBinding[]
}): AuditRecord[] {
  return [...plan.aclsToRemove.map((a) => aclRecord('remove', a)), ...plan.aclsToAdd.map((a) => aclRecord('add', a))]
}

export interface AclAudit {
  /** Appends one entry per ACL change of the applied plan, synced; returns how many. */
  record(plan: { aclsToRemove: readonly AclBinding[]; aclsToAdd: readonly AclBinding[] }): Promise<number>
  close(): Promise<void>
}

/**
 * Opens (and verifies) the log before anything is applied, so that a log that cannot be continued stops the
 * command before the cluster changes rather than after.
 */
export async function openAclAudit(file: string): Promise<AclAudit> {
  const log = await openAuditFile(file)
  return {
    async record(plan) {
      const records = aclAuditRecords(plan)
      for (const record of records) log.append(record)
      await log.flush()
      return records.length
    },
    close: () => log.close()
  }
}
