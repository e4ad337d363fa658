/**
 * nativeTree (the Rust parse of a manifest's `<hashes>` pieces) against saxTree, side by
 * side: whenever the native parser answers, saxes gives a deep-equal tree; it answers for
 * our own manifests (odd names included) and the reference tool's; and it declines what
 * saxes refuses as well as the unusual XML it leaves to saxes (comments, CDATA, raw CR,
 * attribute-value normalization, names JS objects inherit…).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { writeGeneration, type MhlFileInput } from '../lib/index'
import { hashesOfPiece, PIECE, splitHashes } from '../lib/mhl/manifest'
import { nativeTree } from '../lib/mhl/native-tree'
import { saxTree } from '../lib/mhl/sax-tree'
import { ARRAYS, childrenOf } from '../lib/mhl/xml'
import { tempDir, vectorsDir } from './support/fixtures'
import { fuzz } from './support/fuzz'

/** The native parser answers, and saxes gives the same tree. */
const same = (xml: string, label = xml) => {
  const ours = nativeTree(xml)
  assert.ok(ours, `nativeTree declined ${label}`)
  assert.equal(ours, saxTree(xml), label)
}

/** The native parser declines, or answers what saxes answers. */
const agreesOrDeclines = (xml: string): boolean => {
  const ours = nativeTree(xml)
  if (ours === undefined) return false
  assert.equal(ours, saxTree(xml), JSON.stringify(xml))
  return true
}

const pieces = (manifest: string, label: string): string[] => {
  const cut = splitHashes(manifest)
  assert.ok(cut, `${label} could not be cut into pieces`)
  return cut.bodies.map((b) => `<hashes>${b}</hashes>`)
}

test('edge cases: text, attributes, repeats, arrays, empty elements, whitespace, namespaces, entities', () => {
  for (const xml of [
    `<hashes>\n  <hash>\n    <path size="1" lastmodificationdate="d">A &amp; B&#13;</path>\n    <md5 action="original">abc</md5>\n  </hash>\n</hashes>`,
    `<hashes><hash><path>x</path><path>y</path><empty/><e2></e2><ea a="1"/></hash></hashes>`,
    `<hashes><directoryhash><path>d</path><content><xxh64>1</xxh64></content><structure><xxh64>2</xxh64></structure></directoryhash></hashes>`,
    `<hashes><ns:hash xmlns:ns="u" ns:at="v"><ns:path>p</ns:path></ns:hash></hashes>`,
    `<hashes xmlns="urn:x"><hash a="1" xmlns:q="z"><path>p</path></hash></hashes>`,
    `<hashes><hash xmlns="urn:x"/><hash xmlns:a="b">t</hash><hash xmlnsx="w" xml:lang="en"/></hashes>`,
    `<hashes><hash>mixed<path>p</path>tail</hash></hashes>`,
    `<hashes><hash><path> lead &lt;x&gt; trail &#x1F4F7;&#128247;</path></hash></hashes>`,
    `<hashes><hash><md5>a</md5><md5 action="verified">b</md5><md5>c</md5></hash></hashes>`,
    `<hashes/>`,
    `<hashes>  </hashes>`,
    `<hashes></hashes>\n \t\n`,
    `<hashes><hash><path>a &apos;b&apos; &quot;c&quot; ]]&gt; ]] > 'x' "y"</path></hash></hashes>`,
    `<hashes><a b='say "hi"' c="it's" d="&lt;&gt;&amp;&quot;&apos;&#9;&#10;&#13;&#x20AC;" e=">" f=""/></hashes>`,
    `<hashes  ><a  b = "1"\n\tc='2'  /><a\nb="3"></a\n></hashes >`,
    `<hashes><_a.b-c_1 x_y.z-="v"/><A>Ünïcödé 日本語 📷 \u0085\u00a0\ufeff</A></hashes>`,
    `<hashes>${ARRAYS.size ? [...ARRAYS].map((n) => `<${n}/>`).join('') : ''}</hashes>`,
    `<hashlist><hashlist/></hashlist>`,
  ])
    same(xml)
})

test('names a card can hold, written by writeGeneration (2,000 files): every piece the same tree', async () => {
  const odd = [
    'with spaces/and  double  spaces .JPG',
    ' leading and trailing ',
    'a & b < c > d "quoted" \'single\'',
    'cr\rin a name',
    'line\nbreak and\ttab',
    'x]]>y',
    '&amp; literally',
    'Ünïcödé/日本語/📷.JPG',
    'emoji 🎞️👩‍👩‍👧.CR3',
    '..hidden/.file',
    'back\\slash',
  ]
  const files: MhlFileInput[] = []
  for (let i = 0; i < 2000; i++) {
    const name = i < odd.length ? odd[i]! : `DCIM/100CANON/IMG_${String(i).padStart(4, '0')}.CR3`
    files.push({
      path: name,
      size: i,
      lastModified: new Date(Date.UTC(2026, 3, 26, 10, 0, i % 60)),
      hashes: { xxh128: i.toString(16).padStart(32, '0'), ...(i % 7 === 0 ? { md5: 'f'.repeat(32) } : {}) },
      action: i % 3 === 0 ? 'verified' : 'original',
    })
  }
  const root = tempDir()
  const { manifestPath } = await writeGeneration(root, {
    process: 'transfer',
    creator: { tool: 'shutterproof', version: '0.1.0' },
    files,
  })
  const text = readFileSync(manifestPath, 'utf8')
  const all = pieces(text, manifestPath)
  assert.ok(all.length >= 2000 / PIECE, String(all.length))
  for (const [i, xml] of all.entries()) same(xml, `piece ${i}`)
  // hashesOfPiece (native first) reads back every odd name as written.
  const paths = new Set(
    all.flatMap((xml) =>
      (
        childrenOf(
          hashesOfPiece(xml.slice('<hashes>'.length, -'</hashes>'.length), 'x.mhl'),
          'hash',
        ) as Array<{
          path: { '#text': string }
        }>
      ).map((h) => h.path['#text']),
    ),
  )
  assert.is(paths.size, 2000)
  for (const name of odd) assert.ok(paths.has(name), JSON.stringify(name))
})

test('saxes refuses: the native parser declines too', () => {
  for (const xml of [
    `<hashes><hash></hashes>`,
    `<hashes><hash><path>p</path></hash>`,
    `<hashes></hash></hashes>`,
    `<hashes></hashes><hashes/>`,
    `<hashes></hashes>text`,
    `text<hashes/>`,
    `<hashes><a b="1" b="2"/></hashes>`,
    `<hashes><a xmlns:p="1" xmlns:p="2"/></hashes>`,
    `<hashes><a b=1/></hashes>`,
    `<hashes><a b/></hashes>`,
    `<hashes><a b="1"c="2"/></hashes>`,
    `<hashes><a b="<"/></hashes>`,
    `<hashes><a b="&"/></hashes>`,
    `<hashes><a b="&nbsp;"/></hashes>`,
    `<hashes><hash><path>a&nbsp;b</path></hash></hashes>`,
    `<hashes><hash><path>a & b</path></hash></hashes>`,
    `<hashes><hash><path>a < b</path></hash></hashes>`,
    `<hashes><hash><path>a]]>b</path></hash></hashes>`,
    `<hashes>&#X41;</hashes>`,
    `<hashes>&#;</hashes>`,
    `<hashes>&#0;</hashes>`,
    `<hashes>&#xFFFE;</hashes>`,
    `<hashes>&#xD800;</hashes>`,
    `<hashes>&#x110000;</hashes>`,
    `<hashes>&amp</hashes>`,
    `<hashes>\u0001</hashes>`,
    `<hashes>\uFFFF</hashes>`,
    `<hashes>\uDCF7</hashes>`,
    `<hashes><a / ></hashes>`,
    `<hashes>< a/></hashes>`,
    `<hashes><1a/></hashes>`,
    `<hashes></hashes  x>`,
    `<hashes>`,
    ``,
  ]) {
    assert.is(saxTree(xml), undefined, `saxes should refuse ${JSON.stringify(xml)}`)
    assert.is(nativeTree(xml), undefined, JSON.stringify(xml))
  }
})

test('unusual XML saxes may take: declined, left to saxes', () => {
  for (const xml of [
    `<?xml version="1.0"?><hashes/>`,
    ` <hashes/>`,
    `\uFEFF<hashes/>`,
    `<!DOCTYPE hashes><hashes/>`,
    `<hashes><!-- a comment --></hashes>`,
    `<hashes><![CDATA[x]]></hashes>`,
    `<hashes><?pi x?></hashes>`,
    `<hashes/><!-- after -->`,
    `<hashes>\r</hashes>`,
    `<hashes>a\r\nb</hashes>`,
    `<hashes a="x\ty"/>`,
    `<hashes a="x\ny"/>`,
    `<hashes a="x\ry"/>`,
    `<hashes\r/>`,
    `<hashes p:a="1" q:a="2"/>`,
    `<hashes><a:b:c/></hashes>`,
    `<hashes><:a/></hashes>`,
    `<hashes><é/></hashes>`,
    `<hashes a\u00e9="1"/>`,
    // A lone high surrogate: saxes reads it with the next code unit as one (odd) character.
    `<hashes>\uD83Dx</hashes>`,
    `<hashes><constructor/></hashes>`,
    `<hashes><__proto__>x</__proto__></hashes>`,
  ])
    assert.is(nativeTree(xml), undefined, JSON.stringify(xml))
})

test('names JS objects inherit (constructor, __proto__…): declined or the same tree, never a different one', () => {
  const names = Object.getOwnPropertyNames(Object.prototype).filter((n) => /^[A-Za-z_][\w.-]*$/.test(n))
  assert.ok(names.includes('constructor') && names.includes('__proto__'), names.join())
  for (const n of names)
    for (const xml of [`<${n}/>`, `<r><${n}>t</${n}></r>`, `<r><p:${n} a="1"/><${n}/></r>`, `<r ${n}="v"/>`])
      agreesOrDeclines(xml)
  same(`<r toString="v" p:valueOf="w"/>`)
})

test('random documents, well-formed or broken: whenever the native parser answers, saxes agrees', async () => {
  // Mostly what manifests hold, sometimes what the native parser must decline.
  const name = fc.oneof(
    { arbitrary: fc.constantFrom('hash', 'path', 'a', 'p:a', 'q:a', 'b.c-d'), weight: 12 },
    { arbitrary: fc.constantFrom('constructor', 'xmlns', 'é', 'a:b:c', '1a'), weight: 1 },
  )
  const usual = ['x', ' ', '&amp;', '&lt;', '&#13;', '&#9;', '&#x1F4F7;', '>', '"', "'", '📷', 'é', '\u0085']
  const unusual = [
    '\r',
    '&#X41;',
    '&nbsp;',
    '&',
    '<',
    ']]>',
    '\u0001',
    '\uD83D',
    '\uFFFF',
    '<!--c-->',
    '<![CDATA[c]]>',
    '<?p?>',
  ]
  // Raw tabs and newlines are usual in text, unusual in attribute values (normalized to spaces).
  const mostly = (common: string[], rare: string[]) =>
    fc.oneof(
      { arbitrary: fc.constantFrom(...common), weight: 30 },
      { arbitrary: fc.constantFrom(...rare), weight: 1 },
    )
  const chars = mostly([...usual, '\t', '\n'], unusual)
  const valueChars = mostly(usual, [...unusual, '\t', '\n'])
  const text = fc.array(chars, { maxLength: 6 }).map((a) => a.join(''))
  const value = fc.array(valueChars, { maxLength: 6 }).map((a) => a.join(''))
  const attrs = fc
    .array(
      fc.tuple(
        fc.constantFrom('a', 'b', 'p:a', 'xmlns', 'xmlns:p', 'xml:lang'),
        value,
        fc.constantFrom('"', "'"),
      ),
      {
        maxLength: 3,
      },
    )
    .map((as) => as.map(([n, v, q]) => ` ${n}=${q}${v.replaceAll(q, '')}${q}`).join(''))
  const element: fc.Memo<string> = fc.memo((depth) =>
    depth <= 1
      ? fc.tuple(name, attrs, text).map(([n, a, t]) => (t === '' ? `<${n}${a}/>` : `<${n}${a}>${t}</${n}>`))
      : fc
          .tuple(name, attrs, fc.array(fc.oneof(text, element(depth - 1)), { maxLength: 4 }))
          .map(([n, a, kids]) => `<${n}${a}>${kids.join('')}</${n}>`),
  )
  let answered = 0
  let runs = 0
  await fuzz(
    'native tree vs saxTree',
    fc.property(element(3), fc.option(fc.tuple(fc.nat(), chars)), (doc, broken) => {
      let xml = doc
      if (broken) {
        const at = broken[0] % (xml.length + 1)
        xml = xml.slice(0, at) + broken[1] + xml.slice(at)
      }
      runs++
      if (agreesOrDeclines(xml)) answered++
    }),
    3000,
  )
  // Not a vacuous property: a good share of the documents gets a native answer.
  assert.ok(answered > runs / 10, `${answered} of ${runs}`)
})

test('deep nesting: declined past a depth no manifest needs (no native recursion to overflow)', () => {
  same(`${'<a>'.repeat(60)}x${'</a>'.repeat(60)}`, '60 deep')
  const deep = `${'<a>'.repeat(100_000)}${'</a>'.repeat(100_000)}`
  assert.is(nativeTree(deep), undefined)
  assert.ok(saxTree(deep))
})

test('a failure inside the native call is a decline, not a crash', () => {
  assert.is(nativeTree(42 as unknown as string), undefined)
  assert.is(nativeTree(undefined as unknown as string), undefined)
})

const vectors = vectorsDir()
const NAME =
  "the reference tool's manifests and chain file (shared vectors): the same tree, piece by piece and whole"
if (!vectors) {
  console.warn(`\n  !!! SKIPPED: ${NAME} — ../shared/vectors is absent (set SHUTTERPROOF_VECTORS)\n`)
  test.skip(NAME, () => {})
} else {
  test(NAME, () => {
    const dir = join(vectors, 'ascmhl/sample/ascmhl')
    const names = readdirSync(dir).filter((n) => n.endsWith('.mhl'))
    assert.ok(names.length >= 2, names.join(', '))
    for (const name of [...names, 'ascmhl_chain.xml']) {
      const text = readFileSync(join(dir, name), 'utf8')
      if (name.endsWith('.mhl')) for (const xml of pieces(text, name)) same(xml, name)
      // The whole document, less its XML declaration (which the native parser declines).
      const body = text.replace(/^<\?xml[^?]*\?>\s*/, '')
      assert.ok(body.length < text.length, name)
      same(body, `${name} (whole)`)
    }
  })
}

test.run()
