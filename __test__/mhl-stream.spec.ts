/**
 * A manifest read from its file a chunk at a time (what folding an ASC MHL history does)
 * reads exactly as its whole text parsed at once: the same entries in the same pieces,
 * the same content, the same C4 ID, and for a damaged manifest the same error.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { c4Id } from '../lib/mhl/c4'
import { parseManifest, renderManifest } from '../lib/mhl/manifest'
import { parseManifestFile, surveyManifest } from '../lib/mhl/manifest-stream'
import type { MhlFileEntry } from '../lib/mhl/types'
import { tempDir } from './support/fixtures'

const dir = tempDir('sp-mhls-')

/** A manifest of `n` files with names that need escaping and multi-byte characters (split across chunks). */
function manifestOf(n: number): string {
  const files = Array.from({ length: n }, (_, i) => ({
    path: `DCIM/${100 + (i % 3)}CANON/IMG_${i} &amp;<x> é😀.JPG`,
    size: i,
    lastModified: new Date(1_700_000_000_000 + i * 1000),
    hashes: { xxh128: (i % 16).toString(16).repeat(32), md5: (i % 7).toString(16).repeat(32) },
    action: 'original' as const,
  }))
  return renderManifest({
    process: 'transfer',
    files,
    creator: { tool: 't', hostName: 'h', comment: 'c' },
    creationDate: new Date('2026-04-26T10:00:00Z'),
    ignore: ['.DS_Store'],
  })
}

/** Both ways: what each hands over (piece by piece) and returns, or the error each throws. */
async function both(xml: string, name: string) {
  const path = join(dir, name)
  writeFileSync(path, xml)
  const run = async (parse: (onFiles: (f: MhlFileEntry[]) => void) => unknown) => {
    const pieces: MhlFileEntry[][] = []
    try {
      return { content: await parse((f) => pieces.push(f)), pieces }
    } catch (err) {
      return { error: `${(err as { code?: string }).code}: ${(err as Error).message}` }
    }
  }
  const survey = await surveyManifest(path)
  assert.is(survey.c4, c4Id(Buffer.from(xml)))
  return {
    survey,
    // As scanHistory reads it: a chunk at a time when the survey says it can be.
    streamed: await run((onFiles) =>
      survey.streamable ? parseManifestFile(path, onFiles) : parseManifest(xml, path, onFiles),
    ),
    whole: await run((onFiles) => parseManifest(xml, path, onFiles)),
  }
}

test('a manifest of thousands of files reads the same streamed as whole, in the same pieces', async () => {
  for (const n of [0, 1, 499, 500, 501, 4321]) {
    const r = await both(manifestOf(n), `m${n}.mhl`)
    assert.ok(r.survey.streamable || n === 0, `${n}`)
    assert.equal(r.streamed, r.whole, `${n} files`)
    assert.is(r.whole.pieces?.flat().length, n)
  }
})

test('directory hashes and a root hash read the same streamed as whole', async () => {
  const xml = manifestOf(1200)
    .replace(
      '</hash>\n    <hash>',
      '</hash>\n    <directoryhash>\n      <path>DCIM</path>\n      <content><xxh128>' +
        'a'.repeat(32) +
        '</xxh128></content>\n    </directoryhash>\n    <hash>',
    )
    .replace(
      '  </processinfo>',
      `    <roothash>\n      <content><xxh128>${'b'.repeat(32)}</xxh128></content>\n    </roothash>\n  </processinfo>`,
    )
  const r = await both(xml, 'dirs.mhl')
  assert.ok(r.survey.streamable)
  assert.equal(r.streamed, r.whole)
  assert.is((r.whole.content as { directories: unknown[] }).directories.length, 1)
})

test('what cannot be cut safely is parsed whole, and damage reports the same error', async () => {
  const xml = manifestOf(1500)
  const cases: Record<string, string> = {
    comment: xml.replace('</hashes>', '<!-- </hashes> --></hashes>'),
    attribute: xml.replace('<hashes>', '<hashes a="1">'),
    'bad hash in a late piece': xml.replace(/>([0-9a-f]{32})<\/xxh128>(?![\s\S]*IMG_1300 )/, '>zz</xxh128>'),
    'broken tag in a late piece': xml.replace(
      '<hash>\n      <path size="1400"',
      '<hash>\n      <path size="1400"<',
    ),
    'bad version after the entries': xml.replace('version="2.0"', 'version="1.0"'),
    'broken tail': xml.replace('</hashlist>', '</hashlis>'),
  }
  for (const [name, text] of Object.entries(cases)) {
    assert.is.not(text, xml, name)
    const r = await both(text, `${name.replace(/ /g, '-')}.mhl`)
    // A comment is read whole; `<hashes a="1">` is found not cuttable while reading, before any entry, and read whole then.
    assert.is(r.survey.streamable, name !== 'comment', name)
    if (r.whole.error) assert.is(r.streamed.error, r.whole.error, name)
    else assert.equal(r.streamed, r.whole, name)
  }
})

test.run()
