/**
 * A session root's evidence (lib/ingest/evidence.ts): per path the newest record entry
 * that says something of the file under its final name. The first entry of a path is
 * stored as read (its JSON text, in one write: issue #18); a later one is merged with it
 * (a `verify` entry keeps the hashes and mtime the ingest recorded); entries of failed or
 * aborted attempts never replace a success.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { Evidence } from '../lib/ingest/evidence'
import type { RecordFile } from '../lib/ingest/records'

const ingested: RecordFile = {
  path: 'DCIM/IMG_0001.CR3',
  size: 5,
  mtimeMs: 1000.5,
  hashes: { blake3: 'aa', xxh128: 'bb' },
  status: 'verified',
  method: 'disk-direct',
  checkedAt: '2026-04-26T10:00:00.000Z',
}

test('the first entry of a path is kept as given, as its text or as the object', () => {
  const e = new Evidence()
  e.add(ingested, JSON.stringify(ingested, null, 1))
  e.add({ ...ingested, path: 'DCIM/IMG_0002.CR3' })
  assert.equal(e.get(ingested.path), ingested)
  assert.equal(e.get('DCIM/IMG_0002.CR3'), { ...ingested, path: 'DCIM/IMG_0002.CR3' })
  assert.is(e.size, 2)
  e.clear()
})

test('a later entry is merged: a verify without hashes or mtime keeps the ingest’s', () => {
  const e = new Evidence()
  e.add(ingested, JSON.stringify(ingested))
  const verified: RecordFile = {
    path: ingested.path,
    size: 5,
    hashes: { blake3: 'aa' },
    status: 'mismatch',
    method: 'disk-direct',
    checkedAt: '2026-04-27T10:00:00.000Z',
  }
  e.add(verified, JSON.stringify(verified))
  assert.equal(e.get(ingested.path), { ...ingested, ...verified, hashes: ingested.hashes, mtimeMs: 1000.5 })
  e.clear()
})

test('failed and aborted entries say nothing of the file under its final name', () => {
  const e = new Evidence()
  e.add(ingested)
  e.add({ ...ingested, status: 'failed', checkedAt: 'later' })
  e.add({ ...ingested, path: 'other', status: 'aborted' })
  assert.equal(e.get(ingested.path), ingested)
  assert.is(e.get('other'), undefined)
  assert.equal([...e.entries()], [ingested])
  e.clear()
})

test.run()
