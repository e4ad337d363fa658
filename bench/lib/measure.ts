/**
 * Timing with interleaved repetitions (A B A B …) so drift on a shared machine hits
 * every contender alike; summarised as median and minimum.
 */
import { spawnSync } from 'node:child_process'

export interface Contender {
  /** Shown in the tables. */
  name: string
  /** Runs once and returns the seconds it took (the contender times what it must). */
  run: () => Promise<number> | number
  /** Called before every run, outside the timed region (e.g. evict the page cache). */
  before?: () => void
}

export interface Timing {
  name: string
  samples: number[]
  median: number
  min: number
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

/** Runs every contender `reps` times, interleaved, after one untimed warm-up each. */
export async function interleave(contenders: Contender[], reps: number, warmup = true): Promise<Timing[]> {
  const samples = contenders.map(() => [] as number[])
  if (warmup) {
    for (const c of contenders) {
      c.before?.()
      await c.run()
    }
  }
  for (let r = 0; r < reps; r++) {
    for (const [i, c] of contenders.entries()) {
      c.before?.()
      samples[i]!.push(await c.run())
    }
  }
  return contenders.map((c, i) => ({
    name: c.name,
    samples: samples[i]!,
    median: median(samples[i]!),
    min: Math.min(...samples[i]!),
  }))
}

/** A contender that runs a command and times it from spawn to exit (stdout discarded). */
export function command(name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): Contender {
  return {
    name,
    run: () => {
      const t0 = process.hrtime.bigint()
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } })
      const t1 = process.hrtime.bigint()
      if (r.status !== 0) throw new Error(`${name}: ${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`)
      return Number(t1 - t0) / 1e9
    },
  }
}

/** A contender timing an async function in this process. */
export function inProcess(name: string, fn: () => Promise<unknown> | unknown): Contender {
  return {
    name,
    run: async () => {
      const t0 = process.hrtime.bigint()
      await fn()
      return Number(process.hrtime.bigint() - t0) / 1e9
    },
  }
}
