/**
 * The embedder examples (examples/embedder: the same ingest step as ESM and as CommonJS,
 * strict TypeScript, importing the package by its name) type-check and run against the
 * built package. `npm test` also type-checks them on their own (scripts/test.sh).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { REPO, run, tempDir, TSX } from './support/fixtures'

const dir = tempDir('sp-examples-')
const card = join(dir, 'card')

test.before(() => {
  mkdirSync(join(card, 'DCIM'), { recursive: true })
  for (let i = 1; i <= 3; i++)
    writeFileSync(join(card, 'DCIM', `IMG_000${i}.JPG`), `photo ${i} `.repeat(1000))
})

test('the examples type-check with the strictest settings, by the package name (ESM and CJS)', () => {
  assert.ok(
    existsSync(join(REPO, 'dist/index.d.ts')),
    'dist/ is missing: run `npm run build:ts` first (npm test does)',
  )
  run(
    process.execPath,
    [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(REPO, 'examples/embedder')],
    { cwd: REPO },
  )
})

for (const file of ['ingest-step.mts', 'ingest-step.cts']) {
  test(`${file} ingests a card to two drives and reports it safe to format`, () => {
    const drives = [join(dir, file, 'SSD1'), join(dir, file, 'SSD2')]
    for (const d of drives) mkdirSync(d, { recursive: true })
    // CommonJS through tsx's require hook (its ESM loader mishandles a .cts on Node 20), ESM through its loader.
    const hook = file.endsWith('.cts')
      ? ['--require', join(REPO, 'node_modules/tsx/dist/cjs/index.cjs')]
      : ['--import', TSX]
    const out = run(process.execPath, [...hook, join(REPO, 'examples/embedder', file), card, ...drives], {
      cwd: REPO,
    })
    const result = JSON.parse(out.trim().split('\n').at(-1)!) as {
      outcome: string
      safeToFormat: boolean
      files: number
    }
    assert.ok(['done', 'completed'].includes(result.outcome), out)
    assert.is(result.safeToFormat, true)
    assert.is(result.files, 3)
  })
}

test.run()
