import { resolve } from 'node:path'
import { type Command, InvalidArgumentError } from 'commander'
import {
  createGatewayCsr,
  defaultValidity,
  initPki,
  issueGateway,
  revokeCertificates,
  showCertificate,
  signGatewayCsr,
  writeCrl
} from '../../pki/store.ts'
import { type CliContext, parseList, printJson } from '../context.ts'

function positiveDays(value: string): number {
  const days = Number(value)
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new InvalidArgumentError(`days must be a whole number from 1 to 36500, got ${JSON.stringify(value)}`)
  }
  return days
}

export function registerPkiCommands(program: Command, ctx: CliContext): void {
  const pki = program.command('pki').description('development CA, broker, admin and gateway certificates (node-forge)')
  const written = (files: string[]) => ctx.out(files.map((f) => `wrote ${f}`).join('\n'))

  pki
    .command('init')
    .description(
      'write a development CA, a broker certificate, an admin certificate and, per system, a gateway TLS certificate and an Ed25519 message-signing certificate'
    )
    .requiredOption('--dir <dir>', 'folder for the certificates and keys')
    .option('--systems <ids>', 'comma-separated system ids, e.g. nl-police,be-police', parseList, [])
    .option('--days <n>', 'validity of the leaf certificates in days', positiveDays, defaultValidity.leafDays)
    .option('--ca-days <n>', 'validity of the CA certificate in days', positiveDays, defaultValidity.caDays)
    .option('--ca-name <cn>', 'common name of the CA', 'acmgw development CA')
    .option(
      '--broker-hosts <names>',
      'extra DNS names in the broker certificate (localhost is always in it)',
      parseList,
      []
    )
    .option('--force', 'overwrite existing files', false)
    .action(
      async (o: {
        dir: string
        systems: string[]
        days: number
        caDays: number
        caName: string
        brokerHosts: string[]
        force: boolean
      }) => {
        written(
          await initPki({
            dir: resolve(ctx.cwd, o.dir),
            systems: o.systems,
            force: o.force,
            caName: o.caName,
            brokerHosts: o.brokerHosts,
            validity: { caDays: o.caDays, leafDays: o.days }
          })
        )
      }
    )

  pki
    .command('issue')
    .description("add one system's gateway TLS and signing certificates, signed by the folder's CA")
    .requiredOption('--dir <dir>', 'folder holding ca.crt and ca.key')
    .requiredOption('--system <id>', 'system id')
    .option('--days <n>', 'validity in days', positiveDays, defaultValidity.leafDays)
    .option('--force', 'overwrite existing files', false)
    .action(async (o: { dir: string; system: string; days: number; force: boolean }) => {
      written(
        await issueGateway({ dir: resolve(ctx.cwd, o.dir), systemId: o.system, force: o.force, validDays: o.days })
      )
    })

  pki
    .command('csr')
    .description("make this system's gateway key and a CSR for a partner's or a federation CA to sign")
    .requiredOption('--system <id>', 'this system id')
    .requiredOption('--key-out <file>', 'where to write the private key (mode 0600)')
    .requiredOption('--csr-out <file>', 'where to write the CSR')
    .option('--force', 'overwrite existing files', false)
    .action(async (o: { system: string; keyOut: string; csrOut: string; force: boolean }) => {
      written(
        await createGatewayCsr({
          systemId: o.system,
          keyOut: resolve(ctx.cwd, o.keyOut),
          csrOut: resolve(ctx.cwd, o.csrOut),
          force: o.force
        })
      )
    })

  pki
    .command('sign-csr')
    .description("sign a partner gateway's CSR (subject must be exactly CN=acmgw.<systemId>)")
    .requiredOption('--dir <dir>', 'folder holding ca.crt and ca.key')
    .requiredOption('--csr <file>', 'the CSR to sign')
    .requiredOption('--out <file>', 'where to write the certificate')
    .option('--system <id>', 'refuse the CSR unless it is for this system')
    .option('--days <n>', 'validity in days', positiveDays, defaultValidity.leafDays)
    .option('--force', 'overwrite an existing certificate', false)
    .action(async (o: { dir: string; csr: string; out: string; system?: string; days: number; force: boolean }) => {
      const result = await signGatewayCsr({
        dir: resolve(ctx.cwd, o.dir),
        csrFile: resolve(ctx.cwd, o.csr),
        out: resolve(ctx.cwd, o.out),
        expectSystemId: o.system,
        force: o.force,
        validDays: o.days
      })
      written(result.written)
      ctx.out(`signed the gateway certificate of system ${result.systemId}`)
    })

  pki
    .command('revoke')
    .description(
      "revoke certificates issued by the folder's CA: record their serials in revoked.json and rewrite the CA-signed crl.pem"
    )
    .requiredOption('--dir <dir>', 'folder holding ca.crt and ca.key')
    .requiredOption('--cert <files...>', 'the certificate(s) to revoke, e.g. a retired signing certificate')
    .option('--days <n>', 'days until the CRL is stale (its nextUpdate)', positiveDays, defaultValidity.crlDays)
    .action(async (o: { dir: string; cert: string[]; days: number }) => {
      const result = await revokeCertificates({
        dir: resolve(ctx.cwd, o.dir),
        certFiles: o.cert.map((f) => resolve(ctx.cwd, f)),
        crlDays: o.days
      })
      for (const r of result.revoked) {
        ctx.out(`${r.already ? 'already revoked' : 'revoked'} serial ${r.serialNumber} (${r.subject}) from ${r.file}`)
      }
      written(result.written)
    })

  pki
    .command('crl')
    .description(
      "rewrite the folder CA's crl.pem with the revocations recorded so far (the first one, or before it goes stale)"
    )
    .requiredOption('--dir <dir>', 'folder holding ca.crt and ca.key')
    .option('--days <n>', 'days until the CRL is stale (its nextUpdate)', positiveDays, defaultValidity.crlDays)
    .action(async (o: { dir: string; days: number }) => {
      written(await writeCrl({ dir: resolve(ctx.cwd, o.dir), crlDays: o.days }))
    })

  pki
    .command('show')
    .description('print subject, issuer, SHA-256 fingerprint and validity of a certificate')
    .argument('<file>', 'PEM certificate')
    .option('--json', 'print JSON', false)
    .action(async (file: string, o: { json: boolean }) => {
      const summary = await showCertificate(resolve(ctx.cwd, file))
      if (o.json) return printJson(ctx, summary)
      ctx.out(
        [
          `subject:      ${summary.subject}`,
          `issuer:       ${summary.issuer}`,
          `serial:       ${summary.serialNumber}`,
          `sha256:       ${summary.fingerprintSha256}`,
          `valid from:   ${summary.validFrom}`,
          `valid to:     ${summary.validTo} (${summary.daysRemaining} days left)`,
          `alt names:    ${summary.subjectAltNames ?? '-'}`,
          `CA:           ${summary.isCertificateAuthority ? 'yes' : 'no'}`
        ].join('\n')
      )
    })
}
