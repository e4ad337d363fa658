/**
 * `npm run bench`: every case, ours against peers in the same run, written to
 * bench/RESULTS.md and bench/results.svg. `--quick` is a smoke run (tiny inputs, one
 * repetition) that writes under bench/.work/ instead.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { browserDecryptCase } from './cases/browser-decrypt'
import { copyCase } from './cases/copy'
import { hashFileCase } from './cases/hash-file'
import { manyFilesCase } from './cases/many-files'
import { memoryCase } from './cases/memory'
import { perCallCase } from './cases/per-call'
import { previewsCase } from './cases/previews'
import { s3BackupCase } from './cases/s3-backup'
import { sealCase } from './cases/seal'
import { shareServerCase } from './cases/share-server'
import { streamHashCase } from './cases/stream-hash'
import { REPO, type BenchContext } from './lib/context'
import { formatSize, parseSize, WORK } from './lib/files'
import { describeMachine } from './lib/machine'
import { markdown, svgChart, type CaseResult } from './lib/report'

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick')
  const only = caseFilter(process.argv)
  const size = parseSize(process.env.BENCH_SIZE ?? '1GiB')
  const ctx: BenchContext = { quick, size, reps: quick ? 1 : 5, cli: join(REPO, 'dist/cli/bin.js') }
  mkdirSync(WORK, { recursive: true })
  const machine = describeMachine(WORK, {
    node: [process.execPath, ['--version']],
    b3sum: ['b3sum', ['--version']],
    xxhsum: ['xxhsum', ['--version']],
    openssl: ['openssl', ['version']],
    age: ['age', ['--version']],
    rclone: ['rclone', ['version']],
    restic: ['restic', ['version']],
    cp: ['cp', ['--version']],
    tar: ['tar', ['--version']],
    vipsthumbnail: ['vipsthumbnail', ['--vips-version']],
    convert: ['/usr/bin/convert', ['-version']],
    exiftool: ['/usr/bin/exiftool', ['-ver']],
    exiv2: ['exiv2', ['--version']],
    nginx: ['nginx', ['-v']],
    wrk: ['sh', ['-c', 'wrk -v 2>&1 | head -1']],
  })
  const cases: CaseResult[] = []
  for (const [name, run] of [
    ['A', hashFileCase],
    ['B', streamHashCase],
    ['C', perCallCase],
    ['D', sealCase],
    ['E', copyCase],
    ['F', memoryCase],
    ['G', previewsCase],
    ['H', manyFilesCase],
    ['I', s3BackupCase],
    ['J', shareServerCase],
    ['K', browserDecryptCase],
  ] as const) {
    if (only && !only.has(name)) continue
    const t0 = Date.now()
    process.stdout.write(`case ${name} … `)
    cases.push(await run(ctx))
    console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  const md = markdown(machine, cases, { date: new Date().toISOString(), quick, size: formatSize(size) })
  // Only a full run of every case may replace the committed results.
  const tag = quick ? '.quick' : only ? '.partial' : ''
  const out = tag ? WORK : join(REPO, 'bench')
  writeFileSync(join(out, `RESULTS${tag}.md`), md)
  writeFileSync(join(out, `results${tag}.svg`), svgChart(cases))
  console.log(`wrote ${join(out, `RESULTS${tag}.md`)}`)
}

/** `--case A,E` (or `--case=A,E`): run only these cases; `undefined` runs all. */
function caseFilter(argv: string[]): Set<string> | undefined {
  const i = argv.findIndex((a) => a === '--case' || a.startsWith('--case='))
  if (i < 0) return undefined
  const value = argv[i]!.includes('=') ? argv[i]!.slice('--case='.length) : argv[i + 1]
  const names = (value ?? '').toUpperCase().split(',').filter(Boolean)
  const known = 'ABCDEFGHIJK'
  if (names.length === 0 || names.some((n) => !known.includes(n) || n.length !== 1)) {
    throw new Error(`--case ${value ?? ''} is not understood; give letters from ${known}, e.g. --case A,E`)
  }
  return new Set(names)
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
