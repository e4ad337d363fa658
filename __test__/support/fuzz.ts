/**
 * Property-based fuzzing of the TypeScript parsers with fast-check.
 *
 * `npm test` runs each property for its short count of cases from a fixed seed, so a run
 * is fast and the same every time. `npm run fuzz` (scripts/fuzz.sh) runs them long:
 * SHUTTERPROOF_FUZZ_RUNS sets the cases per property (SHUTTERPROOF_FUZZ_HEAVY_RUNS those of
 * the heavy ones, which write files or talk HTTP), SHUTTERPROOF_FUZZ_SEED the seed,
 * and SHUTTERPROOF_FUZZ_REPORT names a file that gets one JSON line per property run
 * (cases, seed, time, and the counterexample of a failure).
 */
import { appendFileSync } from 'node:fs'
import { isDeepStrictEqual } from 'node:util'

import fc from 'fast-check'
import * as assert from 'uvu/assert'

import { ShutterproofError, type ErrorCode } from '../../lib/errors'

/** The seed every property runs from unless told otherwise. */
export const FUZZ_SEED = Number(process.env.SHUTTERPROOF_FUZZ_SEED ?? 21)

/** What one case may cost: far above any sane parse (milliseconds); only a runaway one reaches it. */
export const CASE_BUDGET_MS = 5000

/**
 * Cases for a property: its short count in `npm test`; in a long run SHUTTERPROOF_FUZZ_RUNS,
 * or for a heavy property (one that writes files or talks HTTP per case)
 * SHUTTERPROOF_FUZZ_HEAVY_RUNS when that is set.
 */
export function casesFor(short: number, heavy = false): number {
  const long = Number(
    (heavy && process.env.SHUTTERPROOF_FUZZ_HEAVY_RUNS) || process.env.SHUTTERPROOF_FUZZ_RUNS,
  )
  return Number.isSafeInteger(long) && long > 0 ? long : short
}

/**
 * Checks `property` for its number of cases from the fixed seed; fails the test with
 * fast-check's report (seed, path and shrunk counterexample, enough to replay it).
 */
export async function fuzz<T>(
  name: string,
  property: fc.IPropertyWithHooks<T> | fc.IAsyncPropertyWithHooks<T>,
  short: number,
  heavy = false,
): Promise<void> {
  const numRuns = casesFor(short, heavy)
  const started = Date.now()
  // Each case's time, to hold every case to the budget (a runaway parse is a finding too).
  let caseStarted = 0
  let slowest = 0
  const start = () => {
    caseStarted = performance.now()
  }
  const stop = () => {
    slowest = Math.max(slowest, performance.now() - caseStarted)
  }
  const timed = property.isAsync()
    ? (property as fc.IAsyncPropertyWithHooks<T>)
        .beforeEach(async (previous) => {
          await previous()
          start()
        })
        .afterEach(async (previous) => {
          stop()
          await previous()
        })
    : (property as fc.IPropertyWithHooks<T>)
        .beforeEach((previous) => {
          previous()
          start()
        })
        .afterEach((previous) => {
          stop()
          previous()
        })
  const details = await fc.check(timed as fc.IAsyncProperty<T>, {
    seed: FUZZ_SEED,
    numRuns,
    endOnFailure: false,
  })
  const report = process.env.SHUTTERPROOF_FUZZ_REPORT
  if (report) {
    const line = {
      property: name,
      cases: details.numRuns,
      heavy,
      seed: FUZZ_SEED,
      ms: Date.now() - started,
      slowestCaseMs: Math.round(slowest),
      failed: details.failed,
      ...(details.failed
        ? { counterexample: safeJson(details.counterexample), error: String(details.errorInstance) }
        : {}),
    }
    appendFileSync(report, JSON.stringify(line) + '\n')
  }
  if (slowest > CASE_BUDGET_MS)
    assert.unreachable(
      `${name}: a case took ${Math.round(slowest)} ms, over the ${CASE_BUDGET_MS} ms budget of one case`,
    )
  if (details.failed)
    assert.unreachable(`${name}: ${String(details.errorInstance)}\n${fc.defaultReportMessage(details) ?? ''}`)
}

function safeJson(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)))
  } catch {
    return String(value)
  }
}

/**
 * The property every parser of untrusted input shares: it returns, or throws a
 * {@link ShutterproofError} with one of `codes` — never a TypeError, RangeError (stack
 * overflow) or other stray exception.
 */
export function expectDocumented(
  err: unknown,
  codes: readonly ErrorCode[],
  what: string,
): asserts err is ShutterproofError {
  if (!(err instanceof ShutterproofError)) {
    throw new Error(
      `${what} threw ${(err as Error)?.name ?? typeof err} (not a ShutterproofError): ${(err as Error)?.message ?? String(err)}`,
    )
  }
  if (!codes.includes(err.code))
    throw new Error(`${what} threw undocumented code ${err.code}: ${err.message}`)
}

/** Runs `fn`, returning its result or the documented error it threw (anything else is rethrown). */
export function outcome<T>(
  fn: () => T,
  codes: readonly ErrorCode[],
  what: string,
): { ok: T } | { err: ShutterproofError } {
  try {
    return { ok: fn() }
  } catch (err) {
    expectDocumented(err, codes, what)
    return { err }
  }
}

/** The same, for async work. */
export async function outcomeAsync<T>(
  fn: () => Promise<T>,
  codes: readonly ErrorCode[],
  what: string,
): Promise<{ ok: T } | { err: ShutterproofError }> {
  try {
    return { ok: await fn() }
  } catch (err) {
    expectDocumented(err, codes, what)
    return { err }
  }
}

/** Structural equality for property checks, with a message. */
export function same(actual: unknown, expected: unknown, message: string): void {
  if (!isDeepStrictEqual(actual, expected))
    throw new Error(`${message}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`)
}

/** Strings that have broken parsers before: separators, dots, encodings, controls, long runs. */
export const hostileText = (maxLength = 80): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '/',
          '\\',
          '.',
          '..',
          '%2e',
          '%2f',
          '%5c',
          '%00',
          '\0',
          '\n',
          '\r',
          ' ',
          '\t',
          ':',
          'C:',
          '~',
          '-',
          '--',
          '*',
          '?',
          '#',
          '&',
          '=',
          '"',
          "'",
          '<',
          '>',
        ),
        fc.constantFrom(
          'a',
          'IMG_0001.CR3',
          'é',
          'e\u0301',
          'İ',
          '\u202e',
          '\ufeff',
          '\ud800',
          '😀',
          'ﬃ',
          'CON',
          'nul',
        ),
        fc.string({ maxLength: 8 }),
        fc.string({ unit: 'binary', maxLength: 8 }),
      ),
      { maxLength: maxLength / 4 },
    )
    .map((parts) => parts.join(''))
