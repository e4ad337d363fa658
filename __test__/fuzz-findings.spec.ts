/**
 * Regression tests for the findings of the fuzzers (docs/SECURITY.md, "Fuzzing"): one
 * test per finding, named after it. Rust findings replay from
 * crates/core/fuzz/regressions/ in `scripts/fuzz.sh --smoke`.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { InvalidArgumentError } from '../lib/errors'
import { parseDuration } from '../lib/share/duration'
import { parseRange } from '../lib/share/range'

test('fuzz finding range-rounding: bytes=a-b with b < a past 2^53 is ignored, not answered 416', () => {
  // Both numbers round to the same double; compared as doubles the range looked valid.
  assert.is(parseRange('bytes=1180591620717411237889-1180591620717411237888', 0), undefined)
  assert.is(parseRange('bytes=18014398509481985-18014398509481984', 100), undefined)
  assert.equal(parseRange('bytes=18014398509481984-18014398509481985', 100), 'unsatisfiable')
})

test('fuzz finding duration-bigint: parseDuration of a non-string, non-number throws E_INVALID_ARGUMENT, not a TypeError', () => {
  for (const value of [10n, [[0n]], { toJSON: () => 10n }, Symbol('x'), null]) {
    try {
      parseDuration(value as unknown as string, 'ttl')
      assert.unreachable('accepted')
    } catch (err) {
      assert.instance(err, InvalidArgumentError, String(err))
      assert.is((err as InvalidArgumentError).code, 'E_INVALID_ARGUMENT')
    }
  }
})

test.run()
