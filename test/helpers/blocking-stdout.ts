/**
 * Preloaded into every test file's process (`--import` in the npm test scripts). `--test-force-exit` ends a
 * file's process with `process.exit()` as soon as its known tests are done, and report frames still queued on
 * the stdout pipe to the runner are dropped: whole tests vanished from the summary without a failure (61 tests of
 * test/codec/codec.test.ts reported as 25, 28 or 40; nodejs/node#64833). Blocking writes leave nothing queued.
 */
const stdout = process.stdout as unknown as { _handle?: { setBlocking?: (blocking: boolean) => void } }
stdout._handle?.setBlocking?.(true)
