/**
 * A resumed ingest leaves an ASC MHL history the reference tool accepts: the CLI is killed
 * (SIGKILL) once k files are in place, for several k, run again, and then `ascmhl diff`,
 * `ascmhl info` and `ascmhl-debug verify` read every destination.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { nativeFindPartials } from '../lib/native'
import { cli, tempDir } from './support/fixtures'
import { listFiles, makeCard, MB } from './support/ingest-fixtures'
import { filesInPlace, runCliUntil } from './support/kill'
import { hasAscmhl, tool } from './support/mhl'

const NAME = 'SIGKILL after k files in place, resume: ascmhl diff / info / verify accept every destination'
const FOLDER = '2026-04-26_Ada_Resume'

if (!hasAscmhl) {
  console.warn(`\n  !!! SKIPPED: ${NAME} — needs ascmhl and ascmhl-debug (npm test installs them as root)\n`)
  test.skip(NAME, () => {})
} else {
  test(NAME, async () => {
    const card = makeCard({ raws: 6, rawBytes: 6 * MB, jpegs: 3 })
    const total = listFiles(card).length
    const args = (dests: string[]) => [
      'ingest',
      card,
      ...dests,
      '--client',
      'Ada',
      '--shoot',
      'Resume',
      '--date',
      '2026-04-26',
      '--quiet',
    ]
    let killedPastFirstRename = 0
    for (const k of [1, 3, 6]) {
      const dests = [tempDir('sp-r1-'), tempDir('sp-r2-')]
      const first = await runCliUntil(args(dests), () => filesInPlace(join(dests[0]!, FOLDER)).length >= k)
      const inPlace = filesInPlace(join(dests[0]!, FOLDER)).length
      if (first.killed && inPlace < total) killedPastFirstRename++
      assert.ok(first.killed || first.status === 0, first.stderr)

      const again = cli(args(dests))
      assert.is(again.status, 0, `k=${k}: ${again.stderr}${again.stdout}`)
      for (const d of dests) {
        const root = join(d, FOLDER)
        assert.equal(await nativeFindPartials(d), [])
        assert.equal(listFiles(root), listFiles(card))
        for (const f of listFiles(card))
          assert.ok(readFileSync(join(root, f)).equals(readFileSync(join(card, f))), f)
        const diff = tool('ascmhl', ['diff', root])
        assert.is(
          diff.status,
          0,
          `k=${k} (${inPlace} in place when killed) ascmhl diff ${root}:\n${diff.output}`,
        )
        const info = tool('ascmhl', ['info', root])
        assert.is(info.status, 0, `ascmhl info ${root}:\n${info.output}`)
        const verify = tool('ascmhl-debug', ['verify', root])
        assert.is(verify.status, 0, `ascmhl-debug verify ${root}:\n${verify.output}`)
      }
    }
    // The point of the test: at least one kill landed after a rename and before the end.
    assert.ok(killedPastFirstRename > 0, 'no kill landed mid-run; make the card bigger')
  })
}

test.run()
