/** What every benchmark case receives. */
import { join } from 'node:path'

export interface BenchContext {
  quick: boolean
  /** BENCH_SIZE in bytes (the base input size). */
  size: number
  /** Interleaved repetitions per contender. */
  reps: number
  /** dist/cli/bin.js, the `shutterproof` executable an installed package runs (`node <cli> …`). */
  cli: string
}

export const REPO = join(__dirname, '..', '..')
