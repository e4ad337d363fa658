/** Record entries for tests of how records are written and read back. */
import type { RecordFile } from '../../lib/ingest/records'

/**
 * `count` verified entries named `${prefix}<i>.JPG`; the second carries an error saying
 * `message` (names and messages chosen to break naive line-based readers).
 */
export function hostileFiles(prefix: string, message: string, count = 3): RecordFile[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `${prefix}${i}.JPG`,
    size: i,
    mtimeMs: 1.5 + i,
    hashes: { blake3: 'ab'.repeat(32), xxh128: 'cd'.repeat(16) },
    status: 'verified',
    method: 'disk-direct',
    checkedAt: '2026-04-26T10:00:00.000Z',
    ...(i === 1 ? { error: { code: 'E_IO', message } } : {}),
  }))
}
