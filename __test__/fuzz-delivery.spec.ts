/**
 * Fuzzing the delivery tar reader (fast-check, fixed seed; `npm run fuzz` runs it long):
 * random names, types, sizes, link targets and pax records, in tars sealed with the right
 * key, so only the unpacker's own rules stand between them and the disk. Whatever the
 * archive, openDelivery writes regular files inside the chosen folder only, exactly
 * those it reports, or nothing at all with a documented code.
 */
import {
  createWriteStream,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs'
import { join, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'

import fc from 'fast-check'
import { pack, type Header } from 'tar-stream'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { createSealStream, createVault, openDelivery, type Vault } from '../lib/index'
import { checkEntryName, confinedPath, NameSet } from '../lib/delivery/safe-paths'
import { tempDir } from './support/fixtures'
import { fuzz, hostileText, outcomeAsync, same } from './support/fuzz'

/** tmpfs when there is one: the unpacker fsyncs every file and folder it writes. */
function scratch(): string {
  if (!existsSync('/dev/shm')) return tempDir('sp-fuzz-delivery-')
  const dir = mkdtempSync('/dev/shm/sp-fuzz-delivery-')
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

const name = fc.oneof(
  hostileText(60),
  fc.constantFrom(
    'a',
    'A',
    'a/b',
    'a/B',
    'b/../a',
    './a',
    'a/./b',
    'a//b',
    '/etc/passwd',
    '../x',
    'C:x',
    'a\\b',
    '.shutterproof-unpack-x',
    'é',
    'e\u0301',
    'É',
  ),
  fc
    .array(fc.constantFrom('a', 'b', '..', '.', '', 'É', 'é'), { minLength: 1, maxLength: 4 })
    .map((p) => p.join('/')),
  fc.nat({ max: 300 }).map((n) => 'x'.repeat(n)),
)

test('entry names: an accepted name is a plain relative path that stays inside the folder', async () => {
  const root = resolve('/tmp/sp-root')
  await fuzz(
    'delivery: entry names',
    fc.property(fc.oneof(name, fc.string(), fc.anything()), (raw) => {
      const checked = checkEntryName(raw)
      if (!checked.ok) return
      const n = checked.name
      if (n.startsWith('/') || n.includes('\\') || /[\u0000-\u001f\u007f]/.test(n))
        throw new Error(`accepted ${JSON.stringify(n)}`)
      if (n.split('/').some((p) => p === '' || p === '.' || p === '..'))
        throw new Error(`accepted ${JSON.stringify(n)} with a bad component`)
      same(n, n.normalize('NFC'), 'NFC')
      same(checked.parts.join('/'), n, 'parts')
      const target = confinedPath(root, n)
      if (!target.startsWith(root + '/')) throw new Error(`${n} resolves to ${target}`)
    }),
    3000,
  )
  await fuzz(
    'delivery: name collisions',
    fc.property(fc.array(name, { maxLength: 12 }), (raws) => {
      const set = new NameSet()
      const accepted: string[] = []
      for (const raw of raws) {
        const c = checkEntryName(raw)
        if (c.ok && set.add(c.name) === undefined) accepted.push(c.name)
      }
      const keys = accepted.map((a) => a.normalize('NFC').toLowerCase())
      if (new Set(keys).size !== keys.length)
        throw new Error(`two accepted names collide: ${JSON.stringify(accepted)}`)
      for (const k of keys)
        if (keys.some((o) => o.startsWith(k + '/')))
          throw new Error(`${k} is both a file and a folder: ${JSON.stringify(accepted)}`)
    }),
    2000,
  )
})

type Entry = { header: Partial<Header> & { name: string }; body: Buffer }

const entry: fc.Arbitrary<Entry> = fc
  .record({
    name,
    type: fc.constantFrom(
      'file',
      'file',
      'file',
      'directory',
      'symlink',
      'link',
      'character-device',
      'fifo',
      'contiguous-file',
    ),
    body: fc.uint8Array({ maxLength: 600 }),
    linkname: fc.option(fc.constantFrom('/etc/passwd', '../outside', 'a'), { nil: undefined }),
    pax: fc.option(
      fc.record({
        path: fc.option(name, { nil: undefined }),
        mtime: fc.option(fc.oneof(fc.constantFrom('1.5', '-1', '1e9', '99999999999999999', 'x')), {
          nil: undefined,
        }),
      }),
      { nil: undefined },
    ),
  })
  .map(({ name: n, type, body, linkname, pax }) => {
    const header: Entry['header'] = { name: n, type: type as Header['type'], mode: 0o644 }
    if (linkname !== undefined) header.linkname = linkname
    if (pax)
      header.pax = Object.fromEntries(Object.entries(pax).filter(([, v]) => v !== undefined)) as Record<
        string,
        string
      >
    const data = type === 'file' || type === 'contiguous-file' ? Buffer.from(body) : Buffer.alloc(0)
    return { header: { ...header, size: data.length }, body: data }
  })

async function sealTar(entries: Entry[] | Buffer, vault: Vault, out: string): Promise<void> {
  const tar = pack()
  const done = pipeline(tar, createSealStream({ vault }), createWriteStream(out))
  try {
    if (Buffer.isBuffer(entries)) {
      tar.push(entries)
      tar.push(null)
    } else {
      for (const e of entries)
        await new Promise<void>((res, rej) => tar.entry(e.header, e.body, (err) => (err ? rej(err) : res())))
      tar.finalize()
    }
  } catch (err) {
    tar.destroy(err as Error)
  }
  await done.catch(() => undefined)
}

/** Every path under `dir`, with its kind. */
function walk(dir: string, out: string[] = [], prefix = ''): string[] {
  for (const n of existsSync(dir) ? readdirSync(dir) : []) {
    const st = lstatSync(join(dir, n))
    out.push(`${prefix}${n}${st.isSymbolicLink() ? ' -> link' : st.isDirectory() ? '/' : ''}`)
    if (st.isDirectory()) walk(join(dir, n), out, `${prefix}${n}/`)
  }
  return out
}

test('delivery unpacking: any sealed tar unpacks inside the folder, exactly as reported, or not at all', async () => {
  const root = scratch()
  const { vault } = await createVault(join(root, 'fuzz.spkey'), {
    passphrase: 'fuzz',
    kdf: { memoryKiB: 8, iterations: 1, parallelism: 1 },
  })
  let n = 0
  let unpacked = 0
  try {
    await fuzz(
      'delivery: sealed tars',
      fc.asyncProperty(
        fc.oneof(
          fc.array(entry, { maxLength: 6 }),
          fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
        ),
        async (entries) => {
          const caseDir = join(root, `case-${++n}`)
          const into = join(caseDir, 'into')
          mkdirSync(into, { recursive: true })
          const sealed = join(root, `case-${n}.sealed`)
          await sealTar(entries, vault, sealed)
          const r = await outcomeAsync(
            () => openDelivery(sealed, { vault }, into),
            ['E_UNSAFE_ENTRY', 'E_ARCHIVE_LIMIT', 'E_EXISTS', 'E_FORMAT'],
            'openDelivery',
          )
          const outside = walk(caseDir).filter((p) => p !== 'into/' && !p.startsWith('into/'))
          if (outside.length > 0) throw new Error(`written beside the folder: ${outside.join(', ')}`)
          const inside = walk(into)
          if (inside.some((p) => p.endsWith(' -> link')))
            throw new Error(`a link was made: ${inside.join(', ')}`)
          if ('err' in r) {
            if (inside.length > 0) throw new Error(`${r.err.code}, yet left ${inside.join(', ')}`)
            rmSync(caseDir, { recursive: true, force: true })
            rmSync(sealed, { force: true })
            return
          }
          const files = inside.filter((p) => !p.endsWith('/')).sort()
          same(files, r.ok.files.map((f) => f.name).sort(), 'the files written are the files reported')
          for (const f of r.ok.files)
            same(readFileSync(join(into, f.name)).length, f.size, `size of ${f.name}`)
          if (r.ok.files.length > 0) unpacked++
          // A long run makes 10^5 cases, in memory on tmpfs: keep only a failing one.
          rmSync(caseDir, { recursive: true, force: true })
          rmSync(sealed, { force: true })
        },
      ),
      150,
      true,
    )
    assert.ok(unpacked > 0, 'some archives unpacked (the generator reaches the happy path too)')
  } finally {
    vault.close()
  }
})

test.run()
