/**
 * Backup stores through the API: 500-file round trip with mtimes, incremental writes,
 * cross-session dedup, nothing readable in the store, restore tests naming damaged files,
 * wrong vault / passphrase leave the store untouched, restore refuses conflicts.
 */
import { createHash } from 'node:crypto'
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  backup,
  createVault,
  initStore,
  openStore,
  openVault,
  restore,
  restoreTest,
  type ShutterproofError,
  type Store,
  type Vault,
} from '../lib/index'
import { tempDir } from './support/fixtures'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const CLIENT = 'Zanzibar-Quixote'
const dir = tempDir('sp-backup-')
const session = join(dir, `2026-04-26_${CLIENT}_Wedding`)
let vault: Vault
let store: Store

function walk(root: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(root)) {
    const abs = join(root, name)
    if (statSync(abs).isDirectory()) out.push(...walk(abs))
    else out.push(abs)
  }
  return out.sort()
}

/** Listing + SHA-256 of every file under a folder. */
function fingerprint(root: string): string {
  return walk(root)
    .map((f) => `${relative(root, f)} ${createHash('sha256').update(readFileSync(f)).digest('hex')}`)
    .join('\n')
}

test.before(async () => {
  vault = (await createVault(join(dir, 'studio.vault'), { passphrase: 'right passphrase', kdf: FAST })).vault
  for (let i = 0; i < 500; i++) {
    const sub = join(session, 'DCIM', `${100 + Math.floor(i / 100)}CANON`)
    mkdirSync(sub, { recursive: true })
    const p = join(sub, `IMG_${String(i).padStart(4, '0')}.CR3`)
    writeFileSync(p, `PLAINTEXT-MARKER ${CLIENT} photo ${i} ` + 'x'.repeat(i * 37))
    utimesSync(p, new Date(1_700_000_000_000 + i * 1000), new Date(1_700_000_000_000 + i * 1000 + 123))
  }
  store = await initStore(join(dir, 'store'), { vault })
})

test('500 files: backup completed, restore test completed, restore byte-identical with mtimes', async () => {
  const r = await backup(session, store)
  assert.is(r.status, 'completed', JSON.stringify(r.failures.slice(0, 3)))
  assert.is(r.files, 500)
  assert.is(r.objectsWritten, 500)
  assert.ok(r.snapshot)
  const t = await restoreTest(store)
  assert.is(t.status, 'completed', JSON.stringify(t.failures))
  assert.is(t.checked, 500)
  assert.ok(t.bytes > 0)
  const into = join(dir, 'restored')
  const rr = await restore(store, r.session, into)
  assert.is(rr.status, 'completed')
  assert.is(rr.files, 500)
  for (const f of walk(session)) {
    const back = join(into, relative(session, f))
    assert.ok(readFileSync(back).equals(readFileSync(f)), back)
    // Node's utimes takes float seconds: the restored mtime is exact to within a millisecond.
    assert.ok(Math.abs(statSync(back).mtimeMs - statSync(f).mtimeMs) < 1, back)
  }
})

test('second backup after changing 3 files and adding 2 writes exactly 5 objects; unchanged run writes none', async () => {
  const files = walk(session)
  for (const f of files.slice(10, 13)) writeFileSync(f, readFileSync(f, 'utf8') + ' edited')
  writeFileSync(join(session, 'DCIM', 'new-1.JPG'), 'brand new one')
  writeFileSync(join(session, 'DCIM', 'new-2.JPG'), 'brand new two')
  const r = await backup(session, store)
  assert.is(r.status, 'completed')
  assert.is(r.objectsWritten, 5)
  assert.is(r.files, 502)
  const again = await backup(session, store)
  assert.is(again.objectsWritten, 0)
  assert.is(again.unchanged, true)
  assert.is((await restoreTest(store)).status, 'completed')
})

test('the same file in two sessions is stored once', async () => {
  const other = join(dir, `2026-05-01_${CLIENT}_Portraits`)
  mkdirSync(other)
  writeFileSync(join(other, 'copy.CR3'), readFileSync(walk(session)[100]!))
  writeFileSync(join(other, 'own.CR3'), 'only here')
  const before = (await store.objectNames()).size
  const r = await backup(other, store)
  assert.is(r.status, 'completed')
  assert.is(r.objectsWritten, 1)
  assert.is((await store.objectNames()).size, before + 1)
})

test('nothing under the store folder holds a client name, a file name or plaintext', () => {
  const needles = [CLIENT, 'Wedding', 'IMG_0', 'CR3', 'PLAINTEXT-MARKER', 'DCIM', 'brand new']
  // Sealed bytes are random: a 3- or 4-byte needle turns up by chance in a few hundred kB
  // (one run found "CR3" in an index). Contents are searched for needles of 5 bytes or more
  // (chance about 2^-40 per position); names for all of them.
  const inContents = [CLIENT, 'Wedding', 'IMG_0', '.CR3"', 'PLAINTEXT-MARKER', 'DCIM/', 'brand new'].map(
    (s) => Buffer.from(s),
  )
  for (const f of walk(join(dir, 'store'))) {
    const rel = relative(join(dir, 'store'), f)
    const bytes = readFileSync(f)
    for (const n of needles) assert.not.ok(rel.includes(n), `${rel} names ${n}`)
    for (const n of inContents) assert.is(bytes.indexOf(n), -1, `${rel} contains ${n}`)
  }
})

test('wrong vault → E_WRONG_KEY, wrong passphrase → E_BAD_PASSPHRASE; store untouched', async () => {
  const before = fingerprint(join(dir, 'store'))
  const other = (await createVault(join(dir, 'other.vault'), { passphrase: 'x', kdf: FAST })).vault
  const e = await openStore(join(dir, 'store'), { vault: other }).then(
    () => undefined,
    (err: ShutterproofError) => err,
  )
  assert.is(e?.code, 'E_WRONG_KEY')
  assert.match(e!.message, /store/)
  const p = await openVault(join(dir, 'studio.vault'), { passphrase: 'wrong' }).then(
    () => undefined,
    (err: ShutterproofError) => err,
  )
  assert.is(p?.code, 'E_BAD_PASSPHRASE')
  assert.is(fingerprint(join(dir, 'store')), before)
})

test('restore refuses a folder holding some of the files, listing them, and writes nothing', async () => {
  const into = join(dir, 'conflict')
  mkdirSync(join(into, 'DCIM'), { recursive: true })
  writeFileSync(join(into, 'DCIM', 'new-1.JPG'), 'mine')
  const sessionName = `2026-04-26_${CLIENT}_Wedding`
  const e = await restore(store, sessionName, into).then(
    () => undefined,
    (err: ShutterproofError & { conflicts?: string[] }) => err,
  )
  assert.is(e?.code, 'E_EXISTS')
  assert.equal((e as { conflicts?: string[] }).conflicts, ['DCIM/new-1.JPG'])
  assert.equal(
    walk(into).map((f) => relative(into, f)),
    ['DCIM/new-1.JPG'],
  )
  assert.is(readFileSync(join(into, 'DCIM', 'new-1.JPG'), 'utf8'), 'mine')
})

async function damagedStore(): Promise<{ s: Store; root: string; objectOf: (path: string) => string }> {
  const root = join(tempDir('sp-damage-'), 'store')
  const s = await initStore(root, { vault })
  const r = await backup(session, s)
  assert.is(r.status, 'completed')
  const snap = (await s.latestSnapshots()).get(r.session)!
  const objectOf = (path: string) => {
    const f = snap.files.find((x) => x.path === path)!
    return join(root, 'objects', f.object.slice(0, 2), f.object)
  }
  return { s, root, objectOf }
}

test('restore test names the exact file: one bit flipped, object deleted, objects swapped', async () => {
  const { s, objectOf } = await damagedStore()
  const flipped = 'DCIM/100CANON/IMG_0007.CR3'
  const deleted = 'DCIM/101CANON/IMG_0150.CR3'
  const [swapA, swapB] = ['DCIM/102CANON/IMG_0200.CR3', 'DCIM/102CANON/IMG_0201.CR3']
  const bytes = readFileSync(objectOf(flipped))
  bytes[bytes.length - 40]! ^= 0x01
  writeFileSync(objectOf(flipped), bytes)
  unlinkSync(objectOf(deleted))
  const a = objectOf(swapA)
  const b = objectOf(swapB)
  renameSync(a, a + '.x')
  renameSync(b, a)
  renameSync(a + '.x', b)
  const t = await restoreTest(s)
  assert.is(t.status, 'failed')
  const by = (p: string) => t.failures.filter((f) => f.path === p).map((f) => f.kind)
  assert.equal(by(flipped), ['failed-authentication'])
  assert.equal(by(deleted), ['missing-object'])
  assert.equal(by(swapA), ['hash-mismatch'])
  assert.equal(by(swapB), ['hash-mismatch'])
  assert.is(t.failures.length, 4, JSON.stringify(t.failures.map((f) => f.path)))
  assert.is(t.checked, 502)
  for (const f of t.failures) assert.match(f.message, f.path!)
})

test('a corrupted index snapshot is reported, not crashed on', async () => {
  const { s, root } = await damagedStore()
  const idx = walk(join(root, 'index'))
  assert.is(idx.length, 1)
  const bytes = readFileSync(idx[0]!)
  bytes[bytes.length - 3]! ^= 0x80
  writeFileSync(idx[0]!, bytes)
  const t = await restoreTest(s)
  assert.is(t.status, 'failed')
  assert.is(t.failures.length, 1)
  assert.is(t.failures[0]!.kind, 'unreadable-index')
  assert.match(t.failures[0]!.message, relative(root, idx[0]!))
  writeFileSync(idx[0]!, 'not sealed at all')
  const t2 = await restoreTest(s)
  assert.is(t2.failures[0]!.kind, 'unreadable-index')
})

test.after(() => {
  vault?.close()
  rmSync(join(dir, 'restored'), { recursive: true, force: true })
})

test.run()
