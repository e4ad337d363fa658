/** What every benchmark case receives. */
import { join } from 'node:path'

export interface BenchContext {
  quick: boolean
  /** BENCH_SIZE in bytes (the base input size). */
  size: number
  /** Interleaved repetitions per contender. */
  reps: number
  /** `node dist/cli/main.js` */
  cli: string
}

export const REPO = join(__dirname, '..', '..')
