/**
 * Fuzzing the ASC MHL reader (fast-check, fixed seed; `npm run fuzz` runs it long):
 * manifests and chain files as a borrowed disk may hold them — malformed XML, entity
 * tricks, huge attributes, deep nesting, hash strings of the wrong length, paths that
 * climb out. The reader returns what the file says, or throws `E_MHL_INVALID`; it never
 * throws anything else, never returns a hash that is not one or a path that leaves the
 * history's root, and its output stays proportional to its input.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import fc from 'fast-check'
import { test } from 'uvu'

import { isC4Id } from '../lib/mhl/c4'
import { parseChain, renderChain } from '../lib/mhl/chain'
import { parseManifest, renderManifest } from '../lib/mhl/manifest'
import { readHistory } from '../lib/mhl/read'
import { MHL_HASH_FORMATS, type MhlFileInput, type MhlHashFormat } from '../lib/mhl/types'
import { tempDir } from './support/fixtures'
import { fuzz, hostileText, outcome, outcomeAsync } from './support/fuzz'

const HEX_LENGTH: Record<Exclude<MhlHashFormat, 'c4'>, number> = {
  md5: 32,
  sha1: 40,
  xxh128: 32,
  xxh3: 16,
  xxh64: 16,
}
/** What a case may cost: far above any sane parse; only a runaway (exponential) one reaches it. */
const BUDGET_MS = 5000
const HOSTNAME = readFileSync('/etc/hostname', 'utf8').trim()

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`))
const safeName = fc.stringMatching(/^[A-Za-z0-9_ é-]{1,12}(\.[A-Z0-9]{3})?$/)
const file: fc.Arbitrary<MhlFileInput> = fc.record({
  path: fc.array(safeName, { minLength: 1, maxLength: 3 }).map((p) => p.join('/')),
  size: fc.nat(),
  lastModified: fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }),
  action: fc.constantFrom('original', 'verified', 'failed'),
  hashes: fc.record(
    { xxh128: hex(32), md5: hex(32), sha1: hex(40), xxh64: hex(16) },
    { requiredKeys: ['xxh128'] },
  ),
}) as fc.Arbitrary<MhlFileInput>

/** A manifest as Shutterproof writes it, from random files. */
const validManifest = fc.uniqueArray(file, { maxLength: 5, selector: (f) => f.path }).map((files) =>
  renderManifest({
    process: 'transfer',
    files: [...files].sort((a, b) => (a.path < b.path ? -1 : 1)),
    creator: { tool: 'shutterproof', version: '0.1.0', hostName: 'studio' },
    creationDate: new Date('2026-04-26T10:00:00Z'),
    ignore: ['.DS_Store'],
  }),
)

/** Hostile pieces of XML to splice in. */
const trick = fc.oneof(
  fc.constantFrom(
    '<!DOCTYPE hashlist [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    '<!DOCTYPE hashlist [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>',
    '&xxe;',
    '&d;',
    '&#0;',
    '&#x110000;',
    '&amp;&lt;&#13;',
    '<![CDATA[</path>]]>',
    '<!-- -- -->',
    '<?xml version="1.0"?>',
    '<hash><path>../../etc/passwd</path><xxh128>00000000000000000000000000000000</xxh128></hash>',
    '<hash><path>/etc/passwd</path><md5>d41d8cd98f00b204e9800998ecf8427e</md5></hash>',
    '<hash><path>a/../../../x</path><xxh64>0123456789abcdef</xxh64></hash>',
    '<__proto__><polluted>1</polluted></__proto__>',
    '<constructor/>',
    '<hashes/>',
    '</hashlist>',
  ),
  fc.nat({ max: 20_000 }).map((n) => '<a>'.repeat(n) + '</a>'.repeat(n)),
  fc.nat({ max: 200_000 }).map((n) => `<tool x="${'A'.repeat(n)}">t</tool>`),
  fc
    .tuple(
      fc.constantFrom(...MHL_HASH_FORMATS),
      fc.oneof(
        fc.string({ maxLength: 140 }),
        hex(1),
        hex(31),
        hex(33),
        hex(128),
        fc.stringMatching(/^[0-9A-Fa-fxyz ]{0,140}$/),
      ),
    )
    .map(([f, v]) => `<hash><path>p</path><${f}>${v}</${f}></hash>`),
  hostileText(60).map(
    (p) => `<hash><path>${p}</path><xxh128>00000000000000000000000000000000</xxh128></hash>`,
  ),
  fc.string({ unit: 'binary', maxLength: 40 }),
)

/** A valid manifest with some hostile edits: splices, cuts, repeats. */
const hostileManifest = fc
  .tuple(
    validManifest,
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 200 }), fc.option(trick, { nil: undefined }), fc.boolean()), {
      maxLength: 4,
    }),
  )
  .map(([xml, edits]) => {
    for (const [at, cut, insert, duplicate] of edits) {
      const i = at % (xml.length + 1)
      const piece = duplicate ? xml.slice(i, i + cut) : ''
      xml = xml.slice(0, i) + (insert ?? '') + piece + xml.slice(i + (duplicate ? 0 : cut))
    }
    return xml
  })

function checkOutput(value: unknown, xml: string, what: string): void {
  const json = JSON.stringify(value)
  if (json.length > 4 * xml.length + 10_000)
    throw new Error(
      `${what}: ${xml.length} bytes of XML gave ${json.length} bytes of output (entity expansion?)`,
    )
  if (HOSTNAME.length >= 4 && json.includes(HOSTNAME) && !xml.includes(HOSTNAME))
    throw new Error(`${what}: an external entity was read`)
}

function plainRelative(path: string): boolean {
  return path !== '' && !path.startsWith('/') && !path.includes('\0') && !path.split('/').includes('..')
}

function budget<T>(what: string, fn: () => T): T {
  const started = Date.now()
  const result = fn()
  if (Date.now() - started > BUDGET_MS) throw new Error(`${what} took over ${BUDGET_MS} ms`)
  return result
}

test('MHL manifest reader: any text gives a well-formed manifest or E_MHL_INVALID', async () => {
  await fuzz(
    'mhl: manifests',
    fc.property(fc.oneof(hostileManifest, fc.string({ maxLength: 300 }), trick), (xml) => {
      const r = budget('parseManifest', () =>
        outcome(() => parseManifest(xml, 'fuzz.mhl'), ['E_MHL_INVALID'], 'parseManifest'),
      )
      if (!('ok' in r)) return
      checkOutput(r.ok, xml, 'parseManifest')
      for (const f of [...r.ok.files, ...r.ok.directories]) {
        if (!plainRelative(f.path))
          throw new Error(
            `parseManifest returned the path ${JSON.stringify(f.path)}, which leaves the history's root`,
          )
      }
      for (const f of r.ok.files) {
        for (const [format, record] of Object.entries(f.hashes) as Array<
          [MhlHashFormat, { value: string }]
        >) {
          const ok =
            format === 'c4'
              ? isC4Id(record.value)
              : new RegExp(`^[0-9a-fA-F]{${HEX_LENGTH[format]}}$`).test(record.value)
          if (!ok)
            throw new Error(
              `parseManifest returned the ${format} hash ${JSON.stringify(record.value)}, which is not one`,
            )
        }
      }
    }),
    600,
    true,
  )
})

test('MHL chain reader: any text gives entries or E_MHL_INVALID', async () => {
  const entry = fc.record({
    generation: fc.nat({ max: 9999 }),
    path: safeName,
    c4: fc.constant('c4' + '1'.repeat(88)),
  })
  const chain = fc
    .tuple(
      fc.array(entry, { maxLength: 4 }),
      fc.array(fc.tuple(fc.nat(), fc.nat({ max: 80 }), trick), { maxLength: 3 }),
    )
    .map(([entries, edits]) =>
      edits.reduce(
        (xml, [at, cut, insert]) =>
          xml.slice(0, at % (xml.length + 1)) + insert + xml.slice((at % (xml.length + 1)) + cut),
        renderChain(entries),
      ),
    )
  await fuzz(
    'mhl: chain files',
    fc.property(fc.oneof(chain, fc.string({ maxLength: 200 })), (xml) => {
      const r = budget('parseChain', () =>
        outcome(() => parseChain(xml, 'ascmhl_chain.xml'), ['E_MHL_INVALID'], 'parseChain'),
      )
      if ('ok' in r) {
        checkOutput(r.ok, xml, 'parseChain')
        for (const e of r.ok)
          if (!Number.isSafeInteger(e.generation))
            throw new Error(`generation ${e.generation} is not a whole number`)
      }
    }),
    600,
  )
})

test('MHL history reader: hostile ascmhl/ folders give a history or a documented MHL error', async () => {
  const root = tempDir('sp-fuzz-mhl-')
  let n = 0
  await fuzz(
    'mhl: history folders',
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat({ max: 3 }), hostileManifest), { maxLength: 3 }),
      fc.boolean(),
      async (manifests, withChain) => {
        const dir = join(root, `h${++n}`, 'ascmhl')
        mkdirSync(dir, { recursive: true })
        const entries = manifests.map(([g, xml], i) => {
          const name = `${String(g + 1).padStart(4, '0')}_fuzz_${i}.mhl`
          writeFileSync(join(dir, name), xml)
          return { generation: g + 1, path: name, c4: 'c4' + '1'.repeat(88) }
        })
        if (withChain) writeFileSync(join(dir, 'ascmhl_chain.xml'), renderChain(entries))
        const codes = [
          'E_MHL_NO_HISTORY',
          'E_MHL_INVALID',
          'E_MHL_CHAIN_MISMATCH',
          'E_MHL_MANIFEST_MISSING',
        ] as const
        const r = await outcomeAsync(
          () => readHistory(join(dir, '..'), { strict: false }),
          codes,
          'readHistory',
        )
        if ('ok' in r)
          for (const g of r.ok.generations)
            for (const f of g.files)
              if (!plainRelative(f.path)) throw new Error(`readHistory returned ${f.path}`)
        rmSync(join(dir, '..'), { recursive: true, force: true }) // a long run makes 10^5 of them
      },
    ),
    60,
    true,
  )
})

test.run()
