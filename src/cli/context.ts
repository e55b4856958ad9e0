/**
 * What a command may use of the outside world. Only src/cli/main.ts builds it from `process`; tests build
 * their own, so every command runs in-process with captured output.
 */
export interface CliContext {
  env: Record<string, string | undefined>
  cwd: string
  out: (text: string) => void
  err: (text: string) => void
  /**
   * Resolves on SIGINT / SIGTERM. A command that calls it takes over shutdown (and must finish promptly);
   * for the others a signal ends the process at once.
   */
  untilShutdown: () => Promise<string>
}

export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
}

export function printJson(ctx: CliContext, value: unknown): void {
  ctx.out(JSON.stringify(value, null, 2))
}
