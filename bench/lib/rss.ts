/** Peak anonymous RSS of a child process, sampled from /proc (mmap'd file pages excluded). */
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'

function rssAnonKiB(pid: number): number {
  try {
    const m = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) : 0
  } catch {
    return 0
  }
}

/** Runs a command to completion and returns its peak RssAnon in bytes (sampled every 5 ms). */
export function peakAnonRss(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore', env: { ...process.env, ...env } })
    let peak = 0
    const timer = setInterval(() => (peak = Math.max(peak, rssAnonKiB(child.pid!))), 5)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearInterval(timer)
      if (code !== 0) reject(new Error(`${cmd} exited ${code}`))
      else resolve(peak * 1024)
    })
  })
}
