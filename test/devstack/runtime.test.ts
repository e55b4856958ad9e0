import assert from 'node:assert/strict'
import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { GatewayError } from '../../src/errors.ts'
import { defaultCacheDir, findJava, probeJava } from '../../src/devstack/runtime.ts'

/** A fake JDK whose `java -version` prints what a real one of that major version prints. */
async function fakeJdk(root: string, name: string, version: string): Promise<string> {
  const bin = join(root, name, 'bin')
  await mkdir(bin, { recursive: true })
  const java = join(bin, 'java')
  await writeFile(java, `#!/bin/sh\necho 'openjdk version "${version}" 2026-01-01' >&2\n`)
  await chmod(java, 0o755)
  return join(root, name)
}

describe('findJava', () => {
  test('prefers ACMGW_JAVA_HOME, then JAVA_HOME, when new enough', async () => {
    const root = await mkdtemp(join(tmpdir(), 'acmgw-jvm-'))
    const j17 = await fakeJdk(root, 'jdk-17', '17.0.9')
    const j21 = await fakeJdk(root, 'jdk-21', '21.0.2')
    assert.equal((await findJava(17, { JAVA_HOME: j17 }, root)).command, join(j17, 'bin', 'java'))
    assert.equal((await findJava(17, { ACMGW_JAVA_HOME: j21, JAVA_HOME: j17 }, root)).command, join(j21, 'bin', 'java'))
  })

  test('falls back to the newest JDK under the JVM folder that is new enough', async () => {
    const root = await mkdtemp(join(tmpdir(), 'acmgw-jvm-'))
    const j17 = await fakeJdk(root, 'jdk-17', '17.0.9')
    await fakeJdk(root, 'jdk-21', '21.0.2')
    await fakeJdk(root, 'jdk-25', '25.0.3')
    const found = await findJava(21, { JAVA_HOME: j17, PATH: '' }, root)
    assert.equal(found.major, 25)
  })

  test('names what it found when nothing is new enough', async () => {
    const root = await mkdtemp(join(tmpdir(), 'acmgw-jvm-'))
    await fakeJdk(root, 'jdk-11', '11.0.20')
    await assert.rejects(
      findJava(99, {}, root),
      (error: unknown) =>
        GatewayError.is(error) &&
        error.code === 'ACMGW_JAVA_MISSING' &&
        /Java 99 or newer is needed; found: .*jdk-11.*\(11\)/.test(error.message)
    )
  })

  test('reads old-style 1.8 version strings as 8', async () => {
    const root = await mkdtemp(join(tmpdir(), 'acmgw-jvm-'))
    const j8 = await fakeJdk(root, 'jdk-8', '1.8.0_392')
    assert.equal((await probeJava(join(j8, 'bin', 'java')))?.major, 8)
  })
})

test('the runtime cache defaults to ~/.cache/acmgw and follows ACMGW_CACHE_DIR and XDG_CACHE_HOME', () => {
  assert.equal(defaultCacheDir({ ACMGW_CACHE_DIR: '/c' }), '/c')
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x' }), '/x/acmgw')
  assert.match(defaultCacheDir({}), /\/\.cache\/acmgw$/)
})
