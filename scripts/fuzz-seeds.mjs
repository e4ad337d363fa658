// Writes the seed corpora of the Rust fuzz targets into <dir>/<target>/ from the test
// vectors in docs/vectors (the sealed files beside the JSON, and every valid and invalid
// case inside it), so the fuzzer starts from real files and their known tamperings.
// Usage: node scripts/fuzz-seeds.mjs <dir>
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const dir = process.argv[2]
if (!dir) throw new Error('usage: node scripts/fuzz-seeds.mjs <corpus dir>')
const vectors = new URL('../docs/vectors/', import.meta.url).pathname
const json = JSON.parse(readFileSync(join(vectors, 'sealed_v1.json'), 'utf8'))

const files = readdirSync(vectors)
  .filter((f) => /\.(sealed|spkey)$/.test(f))
  .map((f) => readFileSync(join(vectors, f)))
const fromJson = [...json.valid, ...json.invalid, json.vault_key_file, ...json.vault_key_file.invalid].map(
  (v) => Buffer.from(v.sealed, 'hex'),
)
const sealed = [...files, ...fromJson]
const words = [json.vault_key_file.unlock.recovery_words]
const recovery = [
  ...words,
  words[0].toUpperCase(),
  `  ${words[0].replace(/ /g, '\u3000')}\n`,
  words[0].split(' ').slice(0, 23).join(' '),
  words[0].replace(/fault$/, 'faulty'),
  words[0].replace(/^captain/, 'capta\u00efn'),
  // The one parsing rule (docs/FORMAT.md "Recovery key"): a numbered kit saved as text,
  // a byte order mark, NEL between words.
  `\ufeff${words[0]
    .split(' ')
    .map((w, i) => `${i + 1}. ${w}`)
    .join('\r\n')}\r\n`,
  words[0].replace(/ /g, '\u0085'),
].map((w) => Buffer.from(w, 'utf8'))
// Range: 8 bytes of bounds (start, length; little-endian u32) before a sealed file.
const bounds = (start, length) => {
  const b = Buffer.alloc(8)
  b.writeUInt32LE(start, 0)
  b.writeUInt32LE(length, 4)
  return b
}
const ranged = sealed.flatMap((s) =>
  [bounds(0, 0), bounds(3, 10), bounds(16380, 10), bounds(0, 70000)].map((b) => Buffer.concat([b, s])),
)

// ASC MHL pieces (xml_tree): `<hashes>` as Shutterproof writes it (odd names escaped as
// lib/mhl/xml.ts escapes them) and as the reference tool writes it, with directory hashes,
// namespaces and the character references a name can need.
const hashEntry = (path, attrs = 'size="5" lastmodificationdate="2026-04-26T10:00:00+00:00"') =>
  `\n    <hash>\n      <path ${attrs}>${path}</path>\n      <xxh128 action="original" hashdate="2026-04-26T10:00:00+00:00">${'0'.repeat(32)}</xxh128>\n    </hash>`
const pieces = [
  `<hashes>${hashEntry('DCIM/100CANON/IMG_0001.CR3')}${hashEntry('a &amp; b &lt;c&gt; "q" &#13;')}\n  </hashes>`,
  `<hashes>${hashEntry('Ünïcödé/日本語/📷.JPG', 'size="0"')}\n    <directoryhash>\n      <path>Clips</path>\n      <content><xxh64 action="original">4c226b42e27d7af3</xxh64></content>\n      <structure><xxh64 action="original">906faa843d591a9f</xxh64></structure>\n    </directoryhash>\n  </hashes>`,
  `<hashes xmlns="urn:ASC:MHL:v2.0"><m:hash xmlns:m="u" m:a='&quot;&#x1F4F7;&#9;'><m:path>p</m:path></m:hash></hashes>`,
].map((p) => Buffer.from(p, 'utf8'))

const corpora = {
  header: sealed,
  inspect: sealed,
  open: sealed,
  range: ranged,
  vault_file: sealed,
  recovery_words: recovery,
  mutate: sealed,
  xml_tree: pieces,
}
for (const [target, seeds] of Object.entries(corpora)) {
  const out = join(dir, target)
  mkdirSync(out, { recursive: true })
  for (const seed of seeds) writeFileSync(join(out, createHash('sha1').update(seed).digest('hex')), seed)
}
console.log(`seed corpora for ${Object.keys(corpora).length} targets in ${dir}`)
