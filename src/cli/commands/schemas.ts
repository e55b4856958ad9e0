import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { type Command, Option } from 'commander'
import { GatewayError, isErrnoException } from '../../errors.ts'
import { kindsOfRecord, kinds } from '../../codec/catalogue.ts'
import {
  type CompatibilityFinding,
  assertAllCompatible,
  checkAgainstRegistry,
  checkOffline,
  registerAll
} from '../../codec/compatibility.ts'
import { type RegistryConnection, createRegistryClient } from '../../codec/registry-client.ts'
import { subjectOf } from '../../codec/registry.ts'
import {
  loadSchemaSet,
  readSchemaRevision,
  rootsIn,
  schemaHistory,
  shippedSchemaDir
} from '../../codec/schema-files.ts'
import { buildSchemaSet } from '../../codec/schema-set.ts'
import { type CliContext, printJson } from '../context.ts'

interface RegistryFlags {
  registry?: string
  registryUser?: string
  registryCa?: string
  registryCert?: string
  registryKey?: string
}

const passwordVariable = 'ACMGW_REGISTRY_PASSWORD'

function registryOptions(command: Command, required: boolean): Command {
  const url = new Option('--registry <url>', 'Confluent-compatible registry base URL (e.g. …/apis/ccompat/v7)')
  if (required) url.makeOptionMandatory()
  return command
    .addOption(url)
    .option('--registry-user <name>', `basic auth user (password from $${passwordVariable})`)
    .option('--registry-ca <file>', 'CA certificate of an https registry')
    .option('--registry-cert <file>', 'client certificate for an https registry that wants one')
    .option('--registry-key <file>', 'its private key')
}

async function readOptional(ctx: CliContext, file: string | undefined, what: string): Promise<Buffer | undefined> {
  if (file === undefined) return undefined
  const path = resolve(ctx.cwd, file)
  try {
    return await readFile(path)
  } catch (cause) {
    const reason = isErrnoException(cause) ? cause.code : 'unreadable'
    throw new GatewayError('ACMGW_FILE_UNREADABLE', `cannot read ${what} ${path} (${reason})`, { cause, path })
  }
}

async function connection(ctx: CliContext, flags: RegistryFlags & { registry: string }): Promise<RegistryConnection> {
  const password = ctx.env[passwordVariable]
  if (flags.registryUser !== undefined && password === undefined) {
    throw new GatewayError('ACMGW_USAGE', `--registry-user needs the password in $${passwordVariable}`)
  }
  const [ca, cert, key] = await Promise.all([
    readOptional(ctx, flags.registryCa, 'registry CA certificate'),
    readOptional(ctx, flags.registryCert, 'registry client certificate'),
    readOptional(ctx, flags.registryKey, 'registry client key')
  ])
  return {
    url: flags.registry,
    auth: flags.registryUser === undefined ? undefined : { username: flags.registryUser, password: password ?? '' },
    tls: ca === undefined && cert === undefined ? undefined : { ca, cert, key }
  }
}

function printFindings(ctx: CliContext, findings: readonly CompatibilityFinding[]): void {
  for (const f of findings) {
    ctx.out(`${f.ok ? 'ok  ' : 'FAIL'} ${f.record} vs ${f.against.slice(0, 12)}: ${f.detail}`)
  }
}

export function registerSchemasCommands(program: Command, ctx: CliContext): void {
  const schemas = program
    .command('schemas')
    .description('the Avro message schemas: list, FULL_TRANSITIVE compatibility check, registration')
  const dirOf = (dir: string | undefined) => (dir === undefined ? shippedSchemaDir : resolve(ctx.cwd, dir))

  schemas
    .command('list')
    .description('every record the gateway encodes: subject, CRC-64-AVRO fingerprint, kinds and category')
    .option('--dir <dir>', 'schema folder (default: the schemas shipped with the gateway)')
    .option('--json', 'print JSON', false)
    .action(async (o: { dir?: string; json: boolean }) => {
      const set = await loadSchemaSet(dirOf(o.dir))
      const rows = [...set.records.values()].map((r) => ({
        record: r.fullName,
        subject: subjectOf(r.fullName),
        fingerprint: r.fingerprint.toString('hex'),
        kinds: kindsOfRecord(r.fullName),
        category: kindsOfRecord(r.fullName).map((k) => kinds[k].category)[0] ?? '(sealed inside security)'
      }))
      if (o.json) return printJson(ctx, rows)
      for (const r of rows) ctx.out(`${r.fingerprint}  ${r.category.padEnd(10)} ${r.record}  ${r.kinds.join(', ')}`)
    })

  registryOptions(
    schemas
      .command('check')
      .description(
        'check the house rules and FULL_TRANSITIVE compatibility: against the registry with --registry, otherwise offline against earlier git revisions of the schema folder'
      )
      .option('--dir <dir>', 'schema folder (default: the schemas shipped with the gateway)')
      .option('--against <rev...>', 'git revisions to compare with (default: every commit that changed the folder)'),
    false
  )
    .option('--json', 'print JSON', false)
    .action(async (o: RegistryFlags & { dir?: string; against?: string[]; json: boolean }) => {
      const dir = dirOf(o.dir)
      const current = await loadSchemaSet(dir)
      let findings: CompatibilityFinding[]
      if (o.registry !== undefined) {
        const client = createRegistryClient(await connection(ctx, { ...o, registry: o.registry }))
        try {
          findings = await checkAgainstRegistry(current, client)
        } finally {
          client.close()
        }
      } else {
        const revisions = o.against ?? (await schemaHistory(dir))
        const previous = []
        for (const revision of revisions) {
          const files = await readSchemaRevision(dir, revision)
          previous.push({ label: revision, set: buildSchemaSet(files, rootsIn(files)) })
        }
        findings = checkOffline(current, previous)
        if (revisions.length === 0) ctx.out('no earlier revision of the schema folder to compare with')
      }
      if (o.json) printJson(ctx, findings)
      else printFindings(ctx, findings)
      assertAllCompatible(findings)
    })

  registryOptions(
    schemas
      .command('register')
      .description(
        'register every record schema under its subject (the record full name) with FULL_TRANSITIVE compatibility'
      )
      .option('--dir <dir>', 'schema folder (default: the schemas shipped with the gateway)'),
    true
  )
    .option('--json', 'print JSON', false)
    .action(async (o: RegistryFlags & { registry: string; dir?: string; json: boolean }) => {
      const current = await loadSchemaSet(dirOf(o.dir))
      const client = createRegistryClient(await connection(ctx, o))
      try {
        const registered = await registerAll(current, client)
        if (o.json) return printJson(ctx, registered)
        for (const r of registered) ctx.out(`id ${String(r.id).padStart(5)}  ${r.subject}`)
      } finally {
        client.close()
      }
    })
}
