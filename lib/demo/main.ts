/**
 * `npm run demo`: the library's main job on a built-in sample. For now it generates a
 * sample RAW-sized file and hashes it with BLAKE3 and XXH128; later steps of the
 * workflow (ingest, backup, sharing) join as they land.
 * @module
 */
import { randomFillSync } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { hashFile } from '../hash'

async function demo(): Promise<number> {
  const keep = process.argv.includes('--keep')
  const dir = mkdtempSync(join(tmpdir(), 'shutterproof-demo-'))
  try {
    const sample = join(dir, 'IMG_0001.CR3')
    writeFileSync(sample, randomFillSync(Buffer.alloc(48 * 1024 * 1024)))
    console.log(`sample card file: ${sample} (48 MiB of random bytes)`)
    const started = performance.now()
    const r = await hashFile(sample, { algorithms: ['blake3', 'xxh128'] })
    const seconds = (performance.now() - started) / 1000
    console.log(`blake3  ${r.blake3}`)
    console.log(`xxh128  ${r.xxh128}`)
    console.log(`hash: completed (${r.size} bytes in ${seconds.toFixed(2)} s)`)
    return 0
  } catch (err) {
    console.error(`hash: failed: ${(err as Error).message}`)
    return 1
  } finally {
    if (keep) console.log(`kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

demo().then((code) => (process.exitCode = code))
