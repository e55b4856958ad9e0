/**
 * Revocation on top of the pins: each partner may name its CA's CRL (`partners[].crl`). A pinned signing
 * certificate whose serial is on that CA's current CRL is no longer a signer, so every record it signed is
 * refused with ACMGW_SIGNER_REVOKED; a revoked encryption certificate is no longer a recipient.
 *
 * At start every CRL must read, verify and be current, or the start fails naming the file. While running, a
 * lookup compares the files' modification times at most once per `recheckMs` (no timer: nothing to stop, and
 * the check happens when records arrive, which is when it matters) and verifies a changed file in the
 * background. A replacement that does not verify, and a CRL whose nextUpdate passes, make that partner's
 * records fail closed with ACMGW_CRL_INVALID until a current CRL is in place: revocation status that cannot be
 * known is not taken as "not revoked".
 */
import { stat } from 'node:fs/promises'
import { GatewayError, isErrnoException } from '../errors.ts'
import { type VerifiedCrl, normaliseSerial, parseCrl, readCrlFile, verifyCrl } from '../pki/crl.ts'
import type { PinnedKey, RevokedSigner, TrustStore } from './pins.ts'

export interface PartnerCrl {
  systemId: string
  /** The CRL file (PEM or DER); named in every error. */
  path: string
  /** The partner CA certificate(s) the CRL must be issued and signed by. */
  caPems: readonly string[]
}

export interface RevocationOptions {
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number
  /** Least time between two looks at the files' modification times; default 30 s. */
  recheckMs?: number
  readFile?: (path: string) => Promise<{ data: Buffer; mtimeMs: number }>
  modifiedAt?: (path: string) => Promise<number>
}

export interface RevocationTrustStore extends TrustStore {
  /** Looks at every CRL file now and takes in the changed ones; lookups call it by themselves. */
  refresh(): Promise<void>
}

interface CrlState {
  mtimeMs: number
  list?: VerifiedCrl
  failure?: GatewayError
}

async function modifiedAt(path: string): Promise<number> {
  return (await stat(path)).mtimeMs
}

function load(crl: PartnerCrl, file: { data: Buffer; mtimeMs: number }, now: number): CrlState {
  return { mtimeMs: file.mtimeMs, list: verifyCrl(parseCrl(file.data, crl.path), crl.caPems, new Date(now), crl.path) }
}

/** Loads every partner CRL (failing the start on the first unusable one) and applies them to `base`. */
export async function withRevocation(
  base: TrustStore,
  crls: readonly PartnerCrl[],
  options: RevocationOptions = {}
): Promise<RevocationTrustStore> {
  const now = options.now ?? Date.now
  const recheckMs = options.recheckMs ?? 30_000
  const read = options.readFile ?? readCrlFile
  const mtimeOf = options.modifiedAt ?? modifiedAt
  const states = new Map<string, CrlState>()
  for (const crl of crls) states.set(crl.systemId, load(crl, await read(crl.path), now()))
  let lastCheck = now()
  let checking: Promise<void> | undefined

  async function check(crl: PartnerCrl): Promise<void> {
    const previous = states.get(crl.systemId)
    try {
      if ((await mtimeOf(crl.path)) === previous?.mtimeMs) return
      states.set(crl.systemId, load(crl, await read(crl.path), now()))
    } catch (error) {
      const failure = GatewayError.is(error)
        ? error
        : new GatewayError(
            'ACMGW_FILE_UNREADABLE',
            `cannot read CRL ${crl.path} (${isErrnoException(error) ? error.code : 'unreadable'})`,
            { cause: error, path: crl.path }
          )
      // NaN equals no modification time, so the file is read again on the next look.
      states.set(crl.systemId, { mtimeMs: NaN, failure })
    }
  }

  function refresh(): Promise<void> {
    lastCheck = now()
    checking ??= Promise.all(crls.map(check)).then(
      () => {
        checking = undefined
      },
      () => {
        checking = undefined
      }
    )
    return checking
  }

  /** The partner's CRL if it has one; throws when it is not usable now. */
  function current(systemId: string): { crl: VerifiedCrl; path: string } | undefined {
    if (now() - lastCheck >= recheckMs) void refresh()
    const state = states.get(systemId)
    if (state === undefined) return undefined
    const path = crls.find((c) => c.systemId === systemId)?.path ?? systemId
    if (state.failure !== undefined) throw state.failure
    const crl = state.list as VerifiedCrl
    if (now() >= crl.nextUpdate.getTime()) {
      throw new GatewayError(
        'ACMGW_CRL_INVALID',
        `${path}: it is stale: nextUpdate ${crl.nextUpdate.toISOString()} has passed, so records of ${systemId} are refused until a current CRL is in place`,
        { path }
      )
    }
    return { crl, path }
  }

  function revocation(pinned: PinnedKey): RevokedSigner | undefined {
    const found = current(pinned.systemId)
    if (found === undefined || found.crl.caFingerprint256 !== pinned.issuerFingerprint256) return undefined
    const revokedAt = found.crl.revoked.get(normaliseSerial(pinned.serialNumber))
    if (revokedAt === undefined) return undefined
    return {
      systemId: pinned.systemId,
      keyId: pinned.keyId,
      serialNumber: pinned.serialNumber,
      revokedAt,
      crl: found.path
    }
  }

  return {
    partners: base.partners,
    signer(keyId) {
      const pinned = base.signer(keyId)
      return pinned === undefined || revocation(pinned) !== undefined ? undefined : pinned
    },
    revoked(keyId) {
      const pinned = base.signer(keyId)
      return pinned === undefined ? undefined : revocation(pinned)
    },
    recipient(systemId) {
      const pinned = base.recipient(systemId)
      return pinned === undefined || revocation(pinned) !== undefined ? undefined : pinned
    },
    refresh
  }
}
