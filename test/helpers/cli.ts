import { runCli } from '../../src/cli/program.ts'

export interface CliRun {
  code: number
  out: string
  err: string
}

/** Runs `acmgw …` in-process with captured output, as src/cli/main.ts would from a shell. */
export async function acmgw(
  args: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {}
): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const code = await runCli(args, {
    env: options.env ?? { ...process.env },
    cwd: options.cwd ?? process.cwd(),
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    untilShutdown: () => new Promise<string>(() => undefined)
  })
  return { code, out: out.join('\n'), err: err.join('\n') }
}
