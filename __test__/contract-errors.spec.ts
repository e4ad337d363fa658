/**
 * Uniform errors and a consistent API for embedders: typed errors with `code` and `path`
 * from every open, MhlError from verify, ConflictError with typed conflicts from restore,
 * sealFile's E_EXISTS naming the output; (source, target, options) everywhere with the
 * old orders still working (and warning once); async opens that still work when used
 * synchronously; Symbol.asyncDispose; one status vocabulary; library messages that name
 * the API's fix, never a CLI command.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  backup,
  ConflictError,
  createDelivery,
  createVault,
  FileSystemError,
  ingest,
  initStore,
  IntegrityError,
  MhlError,
  openCatalog,
  openDelivery,
  openShareRegistry,
  restore,
  sealFile,
  ShutterproofError,
  verify,
  type Store,
  type Vault,
} from '../lib/index'
import { REPO, tempDir } from './support/fixtures'
import { rejection } from './support/rejection'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const dir = tempDir('sp-errors-')
const session = join(dir, 'ssd', '2026-04-26_Ada_Errors')
let vault: Vault
let store: Store
const warnings: Array<{ code?: string; message: string }> = []
process.on('warning', (w) => warnings.push({ code: (w as { code?: string }).code, message: w.message }))

test.before(async () => {
  vault = (await createVault(join(dir, 'studio.vault'), { passphrase: 'errors passphrase', kdf: FAST })).vault
  mkdirSync(join(dir, 'card', 'DCIM'), { recursive: true })
  for (let i = 1; i <= 3; i++)
    writeFileSync(join(dir, 'card', 'DCIM', `IMG_000${i}.JPG`), `photo ${i} `.repeat(500))
  mkdirSync(join(dir, 'ssd'))
  await ingest({
    source: join(dir, 'card'),
    destinations: [join(dir, 'ssd')],
    session: { client: 'Ada', shoot: 'Errors', date: '2026-04-26' },
    minCopies: 1,
  })
  store = await initStore(join(dir, 'store'), { vault })
  assert.is((await backup(session, store)).status, 'completed')
})

test.after(() => vault.close())

test('opening a share registry or catalog at a folder, a missing folder or a foreign file: typed errors with path, as rejections', async () => {
  const folder = join(dir, 'a-folder')
  mkdirSync(folder)
  const junk = join(dir, 'junk.db')
  writeFileSync(junk, 'not a database at all '.repeat(300))
  const cases: Array<[string, () => Promise<unknown>, string, string]> = [
    [
      'registry at a folder',
      () => openShareRegistry({ path: folder, serverKey: randomBytes(32) }),
      'EISDIR',
      folder,
    ],
    [
      'registry in a missing folder',
      () => openShareRegistry({ path: join(dir, 'nope', 's.db'), serverKey: randomBytes(32) }),
      'ENOENT',
      join(dir, 'nope', 's.db'),
    ],
    [
      'registry on a foreign file',
      () => openShareRegistry({ path: junk, serverKey: randomBytes(32) }),
      'E_FORMAT',
      junk,
    ],
    ['catalog at a folder', () => openCatalog(folder), 'EISDIR', folder],
    ['catalog on a foreign file', () => openCatalog(junk), 'E_FORMAT', junk],
    [
      'catalog that must exist',
      () => openCatalog(join(dir, 'absent.db'), { create: false }),
      'ENOENT',
      join(dir, 'absent.db'),
    ],
  ]
  for (const [what, open, code, path] of cases) {
    const err = await rejection<ShutterproofError>(open(), what)
    assert.instance(err, ShutterproofError, `${what}: ${String(err)}`)
    assert.is(err.code, code, what)
    assert.is(err.path, path, what)
    assert.ok(err.message.includes(path), `${what}: the message names the file: ${err.message}`)
  }
  assert.instance(await rejection(openCatalog(junk)), IntegrityError)
})

test('async opens still work when used synchronously (deprecated, warned once); a failed one throws the typed error at first use and never crashes', async () => {
  const file = join(dir, 'sync-catalog.db')
  const sync = openCatalog(file)
  assert.equal(sync.status(), [])
  sync.close()
  const awaited = await openCatalog(file)
  assert.equal(awaited.status(), [])
  await awaited[Symbol.asyncDispose]()
  const registry = openShareRegistry({ path: join(dir, 'sync-shares.db'), serverKey: randomBytes(32) })
  assert.equal(registry.listShares(), [])
  registry.close()
  const bad = openCatalog(join(dir, 'a-folder'))
  assert.throws(
    () => bad.status(),
    (e: unknown) => (e as ShutterproofError).code === 'EISDIR',
  )
  await new Promise((r) => setImmediate(r))
  assert.ok(warnings.some((w) => w.code === 'SP_DEP_SYNC_CATALOG'))
  assert.is(warnings.filter((w) => w.code === 'SP_DEP_SYNC_CATALOG').length, 1, 'warned once')
})

test('Symbol.asyncDispose closes a vault, a registry and a catalog', async () => {
  const { vault: v } = await createVault(join(dir, 'dispose.vault'), { passphrase: 'dispose me', kdf: FAST })
  await v[Symbol.asyncDispose]()
  assert.ok(v.closed)
  const registry = await openShareRegistry({ path: join(dir, 'dispose.db'), serverKey: randomBytes(32) })
  await registry[Symbol.asyncDispose]()
  assert.throws(() => registry.listShares())
  const catalog = await openCatalog(join(dir, 'dispose-catalog.db'))
  catalog[Symbol.dispose]()
  assert.throws(() => catalog.status())
})

test('verify without any history rejects with MhlError E_MHL_NO_HISTORY naming the folder; a good verify says completed', async () => {
  const empty = join(dir, 'empty-session')
  mkdirSync(empty)
  const err = await rejection<MhlError>(verify(empty))
  assert.instance(err, MhlError)
  assert.is(err.code, 'E_MHL_NO_HISTORY')
  assert.is(err.path, empty)
  assert.not.match(err.message, /shutterproof \w/)
  assert.is((await verify(session)).status, 'completed')
})

test('restore(store, into, { session }): a folder holding some of the files rejects with ConflictError listing them; the old order still works and warns', async () => {
  const into = join(dir, 'restore-into')
  const r = await restore(store, into, { session: '2026-04-26_Ada_Errors' })
  assert.is(r.status, 'completed')
  const err = await rejection<ConflictError>(restore(store, into, { session: '2026-04-26_Ada_Errors' }))
  assert.instance(err, ConflictError)
  assert.instance(err, ShutterproofError)
  assert.is(err.code, 'E_EXISTS')
  assert.is(err.path, into)
  assert.ok(Array.isArray(err.conflicts) && err.conflicts.length >= 3, JSON.stringify(err.conflicts))
  assert.not.match(err.message, /shutterproof \w/)
  const old = await restore(store, '2026-04-26_Ada_Errors', join(dir, 'restore-old'))
  assert.is(old.status, 'completed')
  assert.ok(warnings.some((w) => w.code === 'SP_DEP_RESTORE_ARGS'))
})

test('openDelivery(file, into, { passphrase }); the old (file, key, into) order still works and warns', async () => {
  const d = await createDelivery([join(dir, 'card', 'DCIM', 'IMG_0001.JPG')], join(dir, 'd.sealed'), {
    kdf: FAST,
    passphrase: 'delivery words here',
  })
  const a = await openDelivery(d.path, join(dir, 'unpack-new'), { passphrase: 'delivery words here' })
  assert.equal(
    a.files.map((f) => f.name),
    ['IMG_0001.JPG'],
  )
  const b = await openDelivery(d.path, { passphrase: 'delivery words here' }, join(dir, 'unpack-old'))
  assert.equal(
    b.files.map((f) => f.name),
    ['IMG_0001.JPG'],
  )
  assert.ok(warnings.some((w) => w.code === 'SP_DEP_OPEN_DELIVERY_ARGS'))
})

test("sealFile's E_EXISTS names the output in err.path, as its message does", async () => {
  const src = join(dir, 'card', 'DCIM', 'IMG_0002.JPG')
  const dst = join(dir, 'taken.sealed')
  writeFileSync(dst, 'already here')
  const err = await rejection<FileSystemError>(sealFile(src, dst, { vault }))
  assert.instance(err, FileSystemError)
  assert.is(err.code, 'E_EXISTS')
  assert.is(err.path, dst)
  assert.ok(err.message.includes(dst), err.message)
})

test('library messages name the API fix, never a CLI command (lib/ outside lib/cli and lib/demo)', () => {
  const offenders: string[] = []
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n)
      if (statSync(p).isDirectory()) {
        if (!['cli', 'demo'].includes(n)) walk(p)
      } else if (n.endsWith('.ts')) {
        readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (/^\s*(\*|\/\/|\/\*)/.test(line)) return // comments and docs may show both
            if (
              /shutterproof (init|store|share|verify|ingest|restore|restore-test|backup|keys|seal|open|status|deliver|unpack|report|hash|passphrase|safe-to-format)\b/.test(
                line,
              )
            )
              offenders.push(`${p.slice(REPO.length + 1)}:${i + 1}: ${line.trim()}`)
          })
      }
    }
  }
  walk(join(REPO, 'lib'))
  assert.equal(offenders, [])
})

test.run()
