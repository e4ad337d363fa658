/**
 * A run's records share their `files` list (issue #18): the first destination's is laid
 * out entry by entry, later destinations whose files had the same outcome copy its bytes,
 * checked against its SHA-256. Every record is still exactly JSON.stringify(record, null, 1).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { ingest, type SessionRecord } from '../lib/index'
import { recordChunks, writeRecord, type WrittenList } from '../lib/ingest/records'
import { tempDir } from './support/fixtures'
import { makeCard, MB } from './support/ingest-fixtures'
import { hostileFiles } from './support/record-fixtures'

function record(root: string, destinationIndex: number): SessionRecord {
  return {
    format: 'shutterproof-session-record/1',
    kind: 'ingest',
    createdAt: '2026-04-26T10:00:00.000Z',
    tool: { name: 'shutterproof', version: '0.1.0' },
    root,
    status: 'completed',
    files: [],
    destinationIndex,
  }
}

test('a list copied from another record: the record as if laid out entry by entry', async () => {
  const files = hostileFiles('DCIM/100CANON/IMG_ "é"\u2028', 'bad\n  }\nsector', 300)
  const [a, b] = [tempDir('sp-rec-'), tempDir('sp-rec-')]
  let list: WrittenList | undefined
  const first = await writeRecord(record(a, 0), files, { onList: (l) => (list = l) })
  assert.ok(list)
  assert.is(list.path, first)
  const second = await writeRecord(record(b, 1), undefined, { list })
  assert.is(readFileSync(second, 'utf8'), [...recordChunks(record(b, 1), files)].join(''))
  assert.is(readFileSync(first, 'utf8'), [...recordChunks(record(a, 0), files)].join(''))
  assert.equal((JSON.parse(readFileSync(second, 'utf8')) as SessionRecord).files, files)
  // An empty list too.
  let empty: WrittenList | undefined
  await writeRecord(record(a, 0), [], { onList: (l) => (empty = l) })
  const third = await writeRecord(record(b, 1), undefined, { list: empty })
  assert.is(readFileSync(third, 'utf8'), JSON.stringify(record(b, 1), null, 1) + '\n')
})

test('a list changed after it was written is not copied: the promise rejects and nothing is left', async () => {
  const files = hostileFiles('DCIM/100CANON/IMG_', 'bad sector', 50)
  const [a, b] = [tempDir('sp-rec-'), tempDir('sp-rec-')]
  let list: WrittenList | undefined
  const first = await writeRecord(record(a, 0), files, { onList: (l) => (list = l) })
  writeFileSync(first, readFileSync(first, 'utf8').replace('"size": 7,', '"size": 8,'))
  await writeRecord(record(b, 1), undefined, { list }).then(
    () => assert.unreachable('a changed list must not be copied'),
    (err: Error) => assert.match(err.message, /changed after it was written/),
  )
  assert.equal(readdirSync(join(b, '.shutterproof')), [])
})

test('an ingest to three destinations: each record exactly as JSON.stringify lays it out, the same files everywhere', async () => {
  const card = makeCard({ rawBytes: MB, raws: 2, jpegs: 2 })
  const dests = [tempDir('sp-dst-'), tempDir('sp-dst-'), tempDir('sp-dst-')]
  const report = await ingest({
    source: card,
    destinations: dests,
    session: { client: 'Ada', shoot: 'Three', date: '2026-04-26' },
  })
  assert.is(report.status, 'completed')
  const records = report.perDestination.map((d) => {
    const text = readFileSync(d.reportPath!, 'utf8')
    const r = JSON.parse(text) as SessionRecord
    assert.is(text, JSON.stringify(r, null, 1) + '\n', d.reportPath)
    return r
  })
  assert.equal(
    records.map((r) => r.destinationIndex),
    [0, 1, 2],
  )
  assert.equal(
    records.map((r) => r.root),
    report.perDestination.map((d) => d.sessionRoot),
  )
  assert.ok(records[0]!.files.length > 5)
  assert.equal(records[1]!.files, records[0]!.files)
  assert.equal(records[2]!.files, records[0]!.files)
})

test('destinations whose files had different outcomes: each record lays out its own', async () => {
  const card = makeCard({ rawBytes: MB, raws: 2, jpegs: 1 })
  const dests = [tempDir('sp-dst-'), tempDir('sp-dst-'), tempDir('sp-dst-')]
  // Another file under the same name in the second session: refused there (E_EXISTS), copied elsewhere.
  const taken = 'DCIM/100CANON/IMG_0001.xmp'
  mkdirSync(join(dests[1]!, '2026-04-26_Ada_Apart', 'DCIM', '100CANON'), { recursive: true })
  writeFileSync(join(dests[1]!, '2026-04-26_Ada_Apart', taken), 'not the card’s file')
  const report = await ingest({
    source: card,
    destinations: dests,
    session: { client: 'Ada', shoot: 'Apart', date: '2026-04-26' },
  })
  const statusOf = (d: number) => {
    const r = JSON.parse(readFileSync(report.perDestination[d]!.reportPath!, 'utf8')) as SessionRecord
    return r.files.find((f) => f.path === taken)
  }
  assert.is(statusOf(0)?.status, 'verified')
  assert.is(statusOf(1)?.status, 'failed')
  assert.is(statusOf(1)?.error?.code, 'E_EXISTS')
  assert.is(statusOf(2)?.status, 'verified')
})

test.run()
