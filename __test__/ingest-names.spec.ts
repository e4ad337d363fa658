/**
 * Odd and long names on the card: a `\` is recorded in the ASC MHL history as the
 * reference tool records it; a name XML cannot hold makes the run say so and refuse
 * "safe to format"; names of 244–255 bytes are copied (their temporary names fit).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { ingest, safeToFormat } from '../lib/index'
import { nativeFindPartials } from '../lib/native'
import { cli, tempDir, writeRandomFile } from './support/fixtures'
import { listFiles, MB } from './support/ingest-fixtures'
import { hasAscmhl, tool } from './support/mhl'
import { partialPath } from './support/partial-name'

const session = { client: 'Ada', shoot: 'Names', date: '2026-04-26' }
const FOLDER = '2026-04-26_Ada_Names'

function card(names: string[]): string {
  const dir = tempDir('sp-card-')
  mkdirSync(join(dir, 'DCIM'))
  writeRandomFile(join(dir, 'DCIM', 'IMG_0001.CR3'), MB + 7)
  for (const n of names) writeFileSync(join(dir, 'DCIM', n), `content of ${n}`)
  return dir
}

const BACKSLASH = 'IMG\\0002.JPG'
const NAME_BS =
  'a name holding \\ is recorded in the ASC MHL history as the reference tool records it (ascmhl diff / verify accept it)'
if (!hasAscmhl) {
  console.warn(`\n  !!! SKIPPED: ${NAME_BS} — needs ascmhl (npm test installs it as root)\n`)
  test.skip(NAME_BS, () => {})
} else {
  test(NAME_BS, async () => {
    const src = card([BACKSLASH])
    const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
    const r = await ingest({ source: src, destinations: dests, session })
    assert.is(r.status, 'completed')
    assert.ok(r.safeToFormat, JSON.stringify(r.reasons))
    for (const d of r.perDestination) {
      assert.is(d.mhlError, undefined)
      const manifest = readFileSync(d.mhlManifest!, 'utf8')
      assert.ok(
        manifest.includes(`<path size="${'content of '.length + BACKSLASH.length}"`) &&
          manifest.includes(`DCIM/${BACKSLASH}</path>`),
        manifest,
      )
      for (const [cmd, sub] of [
        ['ascmhl', 'diff'],
        ['ascmhl', 'info'],
        ['ascmhl-debug', 'verify'],
      ] as const) {
        const t = tool(cmd, [sub, d.sessionRoot])
        assert.is(t.status, 0, `${cmd} ${sub}: ${t.output}`)
      }
    }
    // The reference tool's own history of such a folder reads the name back the same way.
    const ref = tempDir('sp-ref-')
    writeFileSync(join(ref, BACKSLASH), 'x')
    assert.is(tool('ascmhl', ['create', ref, '-h', 'xxh128']).status, 0)
    const theirs = readFileSync(
      join(
        ref,
        'ascmhl',
        readdirSync(join(ref, 'ascmhl')).find((n) => n.endsWith('.mhl'))!,
      ),
      'utf8',
    )
    assert.ok(theirs.includes(`>${BACKSLASH}</path>`), theirs)
  })
}

test('a name ASC MHL cannot hold (a control character): the run says so, exits 3, and is not safe to format; the rest is recorded', () => {
  const odd = 'IMG\u00010003.JPG'
  const src = card([odd])
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  const args = ['ingest', src, ...dests, '--client', 'Ada', '--shoot', 'Names', '--date', '2026-04-26']
  const r = cli(args)
  assert.is(r.status, 3, r.stderr + r.stdout)
  assert.match(r.stdout, 'ASC MHL history incomplete: E_MHL_UNREPRESENTABLE')
  assert.match(r.stdout, 'safe to format the card: NO')
  const json = JSON.parse(cli([...args, '--json']).stdout)
  assert.is(json.status, 'completed-with-errors')
  assert.is(json.safeToFormat, false)
  for (const d of json.perDestination) {
    assert.is(d.status, 'completed-with-errors')
    assert.is(d.mhlError.code, 'E_MHL_UNREPRESENTABLE')
    assert.match(d.mhlError.message, JSON.stringify(`DCIM/${odd}`))
    // The other files are in the history.
    assert.match(readFileSync(d.mhlManifest, 'utf8'), 'DCIM/IMG_0001.CR3')
  }
  const stf = cli(['safe-to-format', src, ...dests.map((d) => join(d, FOLDER)), '--json'])
  assert.is(stf.status, 1, stf.stdout)
  const v = JSON.parse(stf.stdout)
  assert.ok(
    v.reasons.some(
      (x: { code: string; path?: string }) => x.code === 'no-manifest' && x.path === `DCIM/${odd}`,
    ),
    stf.stdout,
  )
})

test('names of 244 to 255 bytes are copied and verified (the temporary name is shortened, and found again on resume)', async () => {
  const names = [244, 250, 255].map((n) => `${'L'.repeat(n - 4)}.JPG`)
  const src = card(names)
  const dests = [tempDir('sp-d1-'), tempDir('sp-d2-')]
  // A killed earlier run's leftover for the longest name, under its shortened temporary name.
  const leftover = partialPath(join(dests[0]!, FOLDER, 'DCIM', names[2]!))
  mkdirSync(join(dests[0]!, FOLDER, 'DCIM'), { recursive: true })
  writeFileSync(leftover, 'half')
  const r = await ingest({ source: src, destinations: dests, session })
  assert.is(r.status, 'completed', JSON.stringify(r.perDestination.map((d) => d.error)))
  assert.ok(r.safeToFormat, JSON.stringify(r.reasons))
  assert.equal(r.perDestination[0]!.removedPartials, [leftover])
  for (const d of dests) {
    assert.equal(listFiles(join(d, FOLDER)), listFiles(src))
    assert.equal(await nativeFindPartials(d), [])
  }
  const v = await safeToFormat(
    src,
    dests.map((d) => join(d, FOLDER)),
  )
  assert.ok(v.safe, JSON.stringify(v.reasons))
})

test.run()
