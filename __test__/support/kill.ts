/** Killing a CLI run at a chosen point: after k files are in place at a destination. */
import { spawn } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { cliArgv } from './fixtures'

/** Final-named files under `root` (temporaries, `.shutterproof/` and `ascmhl/` left out). */
export function filesInPlace(root: string): string[] {
  const out: string[] = []
  const walk = (dir: string, rel: string) => {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      return
    }
    for (const name of names) {
      if (rel === '' && (name === '.shutterproof' || name === 'ascmhl')) continue
      if (name.startsWith('.') && name.endsWith('.sp-partial')) continue
      const abs = join(dir, name)
      let st
      try {
        st = statSync(abs)
      } catch {
        continue
      }
      if (st.isDirectory()) walk(abs, rel ? `${rel}/${name}` : name)
      else out.push(rel ? `${rel}/${name}` : name)
    }
  }
  walk(root, '')
  return out.sort()
}

/** What {@link runCliUntil} saw. */
export interface KilledRun {
  /** True when the child was killed by the signal (false: it finished first). */
  killed: boolean
  /** Exit code when it finished by itself. */
  status: number | null
  stderr: string
}

/**
 * Runs the CLI with `args` and sends `signal` as soon as `until()` is true (polled every
 * few milliseconds), or lets it finish.
 */
export function runCliUntil(
  args: string[],
  until: () => boolean,
  signal: NodeJS.Signals = 'SIGKILL',
): Promise<KilledRun> {
  const child = spawn(process.execPath, cliArgv(...args), {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  let sent = false
  const timer = setInterval(() => {
    if (!sent && until()) {
      sent = true
      child.kill(signal)
    }
  }, 3)
  return new Promise((resolve) => {
    child.on('exit', (code, sig) => {
      clearInterval(timer)
      resolve({ killed: sig === signal, status: code, stderr })
    })
  })
}
