import { access } from 'node:fs/promises'

/** Whether a path exists (and is reachable with the process's permissions). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
