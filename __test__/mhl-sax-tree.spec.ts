/**
 * saxTree (the fast parse of a manifest's `<hashes>` pieces) gives exactly the tree
 * fast-xml-parser gives with the MHL options, on edge cases, on names a photographer's
 * card can hold, and on the reference tool's manifests; and declines (undefined) what is
 * not well-formed or uses entities XML does not define, so the slower path decides.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { saxTree } from '../lib/mhl/sax-tree'
import { escapeAttribute, escapeText, parseValidXml } from '../lib/mhl/xml'
import { vectorsDir } from './support/fixtures'

const same = (xml: string, label = xml) => {
  const ours = saxTree(xml)
  assert.ok(ours, `saxTree declined ${label}`)
  assert.equal(ours, parseValidXml(xml, 'test.mhl'), label)
}

test('edge cases: text, attributes, repeats, arrays, empty elements, whitespace, namespaces, entities', () => {
  for (const xml of [
    `<hashes>\n  <hash>\n    <path size="1" lastmodificationdate="d">A &amp; B&#13;</path>\n    <md5 action="original">abc</md5>\n  </hash>\n</hashes>`,
    `<hashes><hash><path>x</path><path>y</path><empty/><e2></e2><ea a="1"/></hash></hashes>`,
    `<hashes><directoryhash><path>d</path><content><xxh64>1</xxh64></content><structure><xxh64>2</xxh64></structure></directoryhash></hashes>`,
    `<hashes><ns:hash xmlns:ns="u" ns:at="v"><ns:path>p</ns:path></ns:hash></hashes>`,
    `<hashes xmlns="urn:x"><hash a="1" xmlns:q="z"><path>p</path></hash></hashes>`,
    `<hashes><hash>mixed<path>p</path>tail</hash></hashes>`,
    `<hashes><hash><path> lead &lt;x&gt; trail &#x1F4F7;</path></hash></hashes>`,
    `<hashes><hash><md5>a</md5><md5 action="verified">b</md5><md5>c</md5></hash></hashes>`,
    `<hashes/>`,
    `<hashes>  </hashes>`,
    `<hashes><hash><path>a &apos;b&apos; &quot;c&quot;</path></hash></hashes>`,
  ])
    same(xml)
})

test('names a card can hold, escaped as our writer escapes them, parse to the same tree', () => {
  const names = [
    'DCIM/100CANON/IMG_0001.CR3',
    ' leading and trailing spaces ',
    'a & b < c > d "quoted" \'single\'',
    'line\rbreak\nand\ttab',
    'Ünïcödé/日本語/📷.JPG',
    '..hidden/.file',
  ]
  const body = names
    .map(
      (n, i) =>
        `\n    <hash>\n      <path size="${i}" lastmodificationdate="2026-04-26T10:00:00+00:00">${escapeText(n)}</path>\n      <xxh128 action="original" hashdate="2026-04-26T10:00:00+00:00">${'0'.repeat(32)}</xxh128>\n      <c4 action="${escapeAttribute('verified')}">c4x</c4>\n    </hash>`,
    )
    .join('')
  same(`<hashes>${body}\n  </hashes>`, 'odd names')
})

test('not well-formed, or an entity XML does not define: declined, never a tree', () => {
  for (const xml of [
    `<hashes><hash></hashes>`,
    `<hashes><hash><path>p</path></hash>`,
    `<hashes><a b="1" b="2"/></hashes>`,
    `<hashes><hash><path>a&nbsp;b</path></hash></hashes>`,
    `<hashes><hash><path>a & b</path></hash></hashes>`,
    `<hashes><hash><path>a < b</path></hash></hashes>`,
  ])
    assert.is(saxTree(xml), undefined, xml)
})

const vectors = vectorsDir()
const NAME = "the reference tool's manifests (shared vectors): the same tree"
if (!vectors) {
  console.warn(`\n  !!! SKIPPED: ${NAME} — ../shared/vectors is absent (set SHUTTERPROOF_VECTORS)\n`)
  test.skip(NAME, () => {})
} else {
  test(NAME, () => {
    const dir = join(vectors, 'ascmhl/sample/ascmhl')
    const manifests = readdirSync(dir).filter((n) => n.endsWith('.mhl'))
    assert.ok(manifests.length >= 2, manifests.join(', '))
    for (const name of manifests) {
      const text = readFileSync(join(dir, name), 'utf8')
      const hashes = text.slice(text.indexOf('<hashes>'), text.indexOf('</hashes>') + '</hashes>'.length)
      assert.ok(hashes.length > 100, name)
      same(hashes, name)
    }
  })
}

test.run()
