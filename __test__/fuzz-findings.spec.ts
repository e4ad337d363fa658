/**
 * Regression tests for the findings of the fuzzers (docs/SECURITY.md, "Fuzzing"): one
 * test per finding, named after it. Rust findings replay from
 * crates/core/fuzz/regressions/ in `scripts/fuzz.sh --smoke`.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { InvalidArgumentError, MhlError } from '../lib/errors'
import { parseManifest } from '../lib/mhl/manifest'
import { confinedPath } from '../lib/delivery/safe-paths'
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

/** A one-file manifest whose file has `path` and `hash` (an xxh64 element unless given). */
function manifest(path: string, hash = '<xxh64 action="original">0123456789abcdef</xxh64>'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">
  <creatorinfo><creationdate>2026-04-26T10:00:00+00:00</creationdate><tool>other</tool></creatorinfo>
  <processinfo><process>transfer</process></processinfo>
  <hashes><hash><path size="1">${path}</path>${hash}</hash></hashes>
</hashlist>
`
}

function expectInvalid(xml: string, mentions: string) {
  try {
    parseManifest(xml, 'fuzz.mhl')
    assert.unreachable('accepted')
  } catch (err) {
    assert.instance(err, MhlError, String(err))
    assert.is((err as MhlError).code, 'E_MHL_INVALID')
    assert.match((err as MhlError).message, mentions)
  }
}

test('fuzz finding mhl-hash-length: a manifest hash of the wrong length or alphabet is E_MHL_INVALID', () => {
  expectInvalid(
    manifest('A', '<xxh64 action="original">000aa000aaa000a</xxh64>'),
    'xxh64 hash for A is not 16 hex digits',
  )
  expectInvalid(manifest('A', '<xxh128>00aaaa000a0aaaaa00000a0a00a0a00a0</xxh128>'), 'not 32 hex digits')
  expectInvalid(manifest('A', '<md5>zz1d8cd98f00b204e9800998ecf8427e</md5>'), 'not 32 hex digits')
  expectInvalid(manifest('A', '<c4>c4abc</c4>'), 'not a C4 ID')
  // Upper-case hex (hexBinary allows it) still reads.
  assert.is(
    parseManifest(manifest('A', '<xxh64>0123456789ABCDEF</xxh64>'), 'ok.mhl').files[0]!.hashes.xxh64!.value,
    '0123456789ABCDEF',
  )
})

test('fuzz finding mhl-path-escape: a manifest path that leads out of the root is E_MHL_INVALID, so verify never reads outside the session', () => {
  for (const p of ['../../etc/passwd', '/etc/passwd', 'Clips/../../../x', '..'])
    expectInvalid(manifest(p), 'leads out of the history')
  // Names that merely contain dots stay valid.
  assert.is(parseManifest(manifest('Clips/..hidden/a..b'), 'ok.mhl').files[0]!.path, 'Clips/..hidden/a..b')
})

test('fuzz finding delivery-dotdot-prefix: an entry named "..foo" stays inside the folder and is not refused as outside', () => {
  assert.is(confinedPath('/tmp/into', '..foo'), '/tmp/into/..foo')
  assert.is(confinedPath('/tmp/into', 'a/..%2f'), '/tmp/into/a/..%2f')
  assert.throws(() => confinedPath('/tmp/into', '..'))
  assert.throws(() => confinedPath('/tmp/into', 'a/../../b'))
})

test.run()
