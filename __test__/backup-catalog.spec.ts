/**
 * The catalog from real ingests (two SSD folders), a real backup to an off-site store and
 * a real restore test: each 3-2-1 reason appears and goes; rebuild reproduces the status.
 */
import { mkdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  backup,
  createVault,
  ingest,
  initStore,
  openCatalog,
  restoreTest,
  type DestinationSpec,
} from '../lib/index'
import { openDatabase } from '../lib/sqlite'
import { makeCard } from './support/ingest-fixtures'
import { cli, tempDir } from './support/fixtures'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }

test('status gives each 3-2-1 reason; rebuild of a deleted catalog gives the same status', async () => {
  const dir = tempDir('sp-catalog-')
  const [ssd1, ssd2] = [join(dir, 'ssd1'), join(dir, 'ssd2')]
  mkdirSync(ssd1)
  mkdirSync(ssd2)
  const card = makeCard({ rawBytes: 100_000, raws: 2, jpegs: 2 })
  const r = await ingest({
    source: card,
    destinations: [ssd1, ssd2],
    session: { client: 'Ada', shoot: 'Wedding', date: '2026-04-26' },
  })
  assert.is(r.status, 'completed')
  const name = r.session.folder
  const { vault } = await createVault(join(dir, 'v.vault'), { passphrase: 'p', kdf: FAST })
  const store = await initStore(join(dir, 'store'), { vault })
  let now = new Date()
  const destinations: DestinationSpec[] = [
    { label: 'SSD1', kind: 'ssd', location: 'onsite', root: ssd1 },
    { label: 'SSD2', kind: 'ssd', location: 'onsite', root: ssd2 },
    { label: 'Offsite', kind: 'hdd', location: 'offsite', store },
  ]
  const file = join(dir, 'catalog.db')
  const catalog = await openCatalog(file, { destinations, now: () => now })
  await catalog.rebuild()
  let s = catalog.status(name)[0]!
  assert.equal(s.reasons, ['only 2 copies', 'one kind of storage', 'no off-site copy'])
  assert.is(s.meets321, false)

  assert.is((await backup(join(ssd1, name), store)).status, 'completed')
  await catalog.recordStore('Offsite', store)
  s = catalog.status(name)[0]!
  assert.is(s.copies, 3)
  assert.equal(s.kinds, ['hdd', 'ssd'])
  assert.equal(s.reasons, ['off-site copy never restore-tested'])
  assert.is(catalog.safeToDeleteOriginals(name).safe, false)

  assert.is((await restoreTest(store)).status, 'completed')
  await catalog.recordStore('Offsite', store)
  s = catalog.status(name)[0]!
  assert.is(s.meets321, true, s.reasons.join())
  assert.is(catalog.safeToDeleteOriginals(name).safe, true)

  now = new Date(Date.now() + 31 * 24 * 3600 * 1000)
  assert.equal(catalog.status(name)[0]!.reasons, ['last verification older than 30 days'])
  const before = catalog.status()
  catalog.close()
  rmSync(file)
  rmSync(file + '-wal', { force: true })
  rmSync(file + '-shm', { force: true })
  const again = await openCatalog(file, { destinations, now: () => now })
  await again.rebuild()
  assert.equal(again.status(), before)
  again.close()
  const raw = openDatabase(file, { readonly: true })
  assert.is(raw.pragma('user_version', { simple: true }), 2)
  assert.is(raw.pragma('journal_mode', { simple: true }), 'wal')
  raw.close()
  const table = cli(['status', '--catalog', file])
  // The CLI uses the real clock: today the session meets 3-2-1.
  assert.is(table.status, 0, table.stderr)
  assert.match(
    table.stdout,
    new RegExp(`${name}\\s+3\\s+hdd\\+ssd\\s+yes:Offsite\\s+\\S+\\s+completed \\S+\\s+yes`),
  )
  const json = cli(['status', '--catalog', file, '--json'])
  assert.is((JSON.parse(json.stdout) as Array<{ session: string }>)[0]!.session, name)
  // From the CLI alone: a new catalog rebuilt from the places named on the command line.
  const fresh = cli(
    [
      'status',
      '--catalog',
      join(dir, 'cli-catalog.db'),
      '--json',
      '--vault',
      join(dir, 'v.vault'),
      '--folder',
      `SSD1:ssd:onsite:${ssd1}`,
      '--folder',
      `SSD2:ssd:onsite:${ssd2}`,
      '--store',
      `Offsite:hdd:offsite:${join(dir, 'store')}`,
    ],
    { env: { SHUTTERPROOF_PASSPHRASE: 'p' } },
  )
  assert.is(fresh.status, 0, fresh.stderr)
  const row = (JSON.parse(fresh.stdout) as Array<{ session: string; copies: number; meets321: boolean }>)[0]!
  assert.equal([row.session, row.copies, row.meets321], [name, 3, true])
  assert.is(
    cli(['status', '--catalog', join(dir, 'x.db'), '--folder', 'SSD1:tape:onsite:/x']).status,
    2,
    'an unknown kind is a usage error',
  )
  vault.close()
})

test.run()
