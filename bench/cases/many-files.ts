/**
 * Case H: cards of many small files. Peak anonymous RSS of every command that reads or
 * writes a session (ingest, the re-run on the verified card, verify, safe-to-format,
 * backup) at 2,000 and 20,000 one-byte files, against the CLI's start-up; and the files
 * per second of the verified ingest to 2 destinations against `cp -r` + sync and rclone
 * on the same card.
 */
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import type { BenchContext } from '../lib/context'
import { WORK } from '../lib/files'
import { median } from '../lib/measure'
import { peakAnonRss } from '../lib/rss'
import { atLeast, atMost, reference, type CaseResult, type Row, type Table } from '../lib/report'
import { benchVault } from './seal'

const MiB = 1024 ** 2
const FLOOR = '2 × copy with fsync per file and folder, in parallel (python3)'
const OURS = 'ours CLI ingest (verified, 2 destinations)'
const CP = '2 × cp -r in parallel + sync'
const RCLONE = '2 × rclone copy --checksum in parallel + sync'
/** Interleaved rounds of the files-per-second contenders: their medians are compared (one run each swung by 2 × with the disk). */
const ROUNDS = 3
const mib = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`

/** A card of `n` one-byte files, 1,000 per folder (as cameras number them), made once. */
function smallFilesCard(n: number): string {
  const root = join(WORK, `card-${n}-small`)
  const done = join(WORK, `card-${n}-small.done`)
  try {
    readFileSync(done)
    return root
  } catch {
    // not made yet
  }
  rmSync(root, { recursive: true, force: true })
  for (let i = 0; i < n; i++) {
    const dir = join(root, 'DCIM', `${100 + Math.floor(i / 1000)}CANON`)
    if (i % 1000 === 0) mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `IMG_${String(i).padStart(5, '0')}.JPG`), String(i % 10))
  }
  writeFileSync(done, '')
  return root
}

/** Folders of this case's destinations: one per timed copy, all removed at the case's end. */
const DESTS = /^many-dests-\d+$/

/**
 * ext4 without a journal (this machine's disk) skips every inode freed in the last ~30 s
 * one by one when it creates a file: right after emptying 4,000 files, each create took
 * ~0.4 ms (the copy of 2,000 files 1.0–1.4 s instead of ~0.25 s; issue #18). So no copy
 * here goes into a folder emptied just before: each gets new folders; they are removed
 * at the end and waited out there (the case, or the next run's, would pay for them
 * otherwise), and leftovers of an interrupted run are removed first and waited out.
 */
const FREED_INODES_SKIPPED_MS = 35_000

/** Removes leftover destination folders of an earlier, interrupted run; waits out their freed inodes. */
async function removeLeftovers(): Promise<void> {
  const left = readdirSync(WORK).filter((n) => DESTS.test(n) || n === 'many-d1' || n === 'many-d2')
  if (left.length === 0) return
  for (const n of left) rmSync(join(WORK, n), { recursive: true, force: true })
  await new Promise((r) => setTimeout(r, FREED_INODES_SKIPPED_MS))
}

/** Runs a command to completion: its peak RssAnon (bytes) and wall time (s). */
async function peakAndTime(
  cmd: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
): Promise<{ peak: number; seconds: number }> {
  const t0 = process.hrtime.bigint()
  const peak = await peakAnonRss(cmd, args, env)
  return { peak, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }
}

/** A shell command's wall time (s). */
function shellSeconds(script: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn('bash', ['-c', script], { stdio: 'ignore' })
    child.on('error', reject)
    child.on('exit', (code) =>
      code === 0
        ? resolve(Number(process.hrtime.bigint() - t0) / 1e9)
        : reject(new Error(`${script}: ${code}`)),
    )
  })
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/**
 * The durability floor of issue #18: a plain copy that makes every file durable on its
 * own — read, write, `fsync` per file, then `fsync` of each folder — to one destination
 * (run once per destination, in parallel, as ours copies). What a copy that never batches
 * its flushes costs on this disk.
 */
const FSYNC_EACH_COPY = `
import os, sys
src, dst = sys.argv[1], sys.argv[2]
for folder, dirs, files in os.walk(src):
    dirs.sort()
    out = os.path.join(dst, os.path.relpath(folder, src))
    os.makedirs(out, exist_ok=True)
    for name in sorted(files):
        with open(os.path.join(folder, name), 'rb') as f:
            data = f.read()
        fd = os.open(os.path.join(out, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
    fd = os.open(out, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
`

export async function manyFilesCase(ctx: BenchContext): Promise<CaseResult> {
  const counts = ctx.quick ? [200, 2000] : [2000, 20000]
  const node = process.execPath
  const idle = median(await Promise.all([0, 1, 2].map(() => peakAnonRss(node, [ctx.cli, '--version']))))
  const { vault, path: vaultPath, passphrase } = await benchVault()
  vault.close()
  const hasRclone = spawnSync('rclone', ['version'], { stdio: 'ignore' }).status === 0
  const rcloneConf = join(WORK, 'rclone.conf')
  writeFileSync(rcloneConf, '')

  const commands = ['ingest', 're-run', 'verify', 'safe-to-format', 'backup'] as const
  const peaks = new Map<string, number[]>()
  const rates: Row[] = []
  // Files per second, per contender and card size: one sample per round.
  const perSecond: Record<string, number[][]> = {}
  const sample = (name: string, i: number, filesPerSecond: number) =>
    (perSecond[name] ??= counts.map(() => []))[i]!.push(filesPerSecond)
  const rounds = ctx.quick ? 1 : ROUNDS
  await removeLeftovers()
  const made: string[] = []
  /** Two new, empty destination folders (see FREED_INODES_SKIPPED_MS). */
  const freshDests = () => {
    const base = join(WORK, `many-dests-${made.length}`)
    made.push(base)
    const dsts = [join(base, 'd1'), join(base, 'd2')]
    for (const d of dsts) mkdirSync(d, { recursive: true })
    spawnSync('sync', ['-f', WORK])
    return dsts
  }
  for (const [i, n] of counts.entries()) {
    const card = smallFilesCard(n)
    const dsts = freshDests()
    const store = join(WORK, 'many-store')
    rmSync(store, { recursive: true, force: true })
    const session = dsts.map((d) => join(d, '2026-01-01_bench_many'))
    const ingestTo = (to: string[]) => [
      ctx.cli,
      'ingest',
      card,
      ...to,
      '--client',
      'bench',
      '--shoot',
      'many',
      '--date',
      '2026-01-01',
      '--quiet',
    ]
    const ingestArgs = ingestTo(dsts)
    const runs: Record<(typeof commands)[number], () => Promise<{ peak: number; seconds: number }>> = {
      ingest: () => peakAndTime(node, ingestArgs),
      're-run': () => peakAndTime(node, ingestArgs),
      verify: () => peakAndTime(node, [ctx.cli, 'verify', session[0]!, '--json']),
      'safe-to-format': () => peakAndTime(node, [ctx.cli, 'safe-to-format', card, ...session, '--json']),
      backup: () =>
        peakAndTime(node, [ctx.cli, 'backup', session[0]!, store, '--vault', vaultPath, '--quiet'], {
          SHUTTERPROOF_PASSPHRASE: passphrase,
        }),
    }
    for (const c of commands) {
      const r = await runs[c]()
      peaks.set(c, [...(peaks.get(c) ?? []), r.peak])
      if (c === 'ingest') sample(OURS, i, n / r.seconds)
    }
    /** One peer's files/s: `copy` to 2 new destination folders at once (then `sync -f`, when `sync`). */
    const timePeer = async (name: string, copy: (to: string) => string, sync: boolean) => {
      const to = freshDests()
      const seconds = await shellSeconds(
        `${to.map((d) => `${copy(join(d, 'card'))} &`).join(' ')} wait${sync ? `; sync -f ${q(to[0]!)}` : ''}`,
      )
      sample(name, i, n / seconds)
    }
    // Interleaved rounds, each copy to 2 new folders on the same disk: ours (after the
    // first round, whose ingest was timed above), then each peer.
    for (let round = 0; round < rounds; round++) {
      if (round > 0) sample(OURS, i, n / (await peakAndTime(node, ingestTo(freshDests()))).seconds)
      await timePeer(CP, (to) => `cp -r --reflink=never ${q(card)} ${q(to)}`, true)
      await timePeer(FLOOR, (to) => `python3 -c ${q(FSYNC_EACH_COPY)} ${q(card)} ${q(to)}`, false)
      if (hasRclone)
        await timePeer(
          RCLONE,
          (to) => `RCLONE_CONFIG=${q(rcloneConf)} rclone copy --checksum ${q(card)} ${q(to)}`,
          true,
        )
    }
    rmSync(store, { recursive: true, force: true })
  }
  for (const base of made) rmSync(base, { recursive: true, force: true })
  await new Promise((r) => setTimeout(r, FREED_INODES_SKIPPED_MS))
  for (const [name, perCount] of Object.entries(perSecond))
    counts.forEach((n, i) =>
      rates.push({
        name: `${name}, ${n} files (files/s)`,
        median: median(perCount[i]!),
        min: Math.min(...perCount[i]!),
        unit: 'req/s',
      }),
    )
  const medianRate = (name: string, i: number) => median(perSecond[name]![i]!)

  const [small, large] = counts
  const tables: Table[] = [
    {
      title: `peak RssAnon per command (CLI start-up alone: ${mib(idle)})`,
      rows: commands.flatMap((c) =>
        counts.map((n, i) => ({
          name: `${c}, ${n} files (peak RssAnon)`,
          median: peaks.get(c)![i]!,
          min: peaks.get(c)![i]!,
          unit: 'bytes' as const,
        })),
      ),
      ratios: commands.flatMap((c) => [
        atMost(`${c}: extra MiB over start-up at ${large} files`, (peaks.get(c)![1]! - idle) / MiB, 64),
        atMost(`${c}: growth ${small} → ${large} files`, peaks.get(c)![1]! / peaks.get(c)![0]!, 1.1),
      ]),
    },
    {
      title: 'files per second to 2 destinations (higher is better)',
      rows: rates,
      ratios: counts.flatMap((n, i) => {
        const ours = medianRate(OURS, i)
        const out = [reference(`ours ÷ cp -r + sync, ${n} files`, ours / medianRate(CP, i), 'for reference')]
        if (perSecond[RCLONE])
          out.push(reference(`ours ÷ rclone, ${n} files`, ours / medianRate(RCLONE, i), 'for reference'))
        // Issue #18: ≥ 2,000 files/s, or the floor of a per-file fsync copy where that is lower.
        const target = Math.min(2000, medianRate(FLOOR, i))
        out.push(
          atLeast(
            `ours ÷ min(2,000 files/s, per-file fsync floor ${target.toFixed(0)}), ${n} files`,
            ours / target,
            1,
          ),
        )
        return out
      }),
    },
  ]
  return {
    id: 'H',
    title: 'Many small files: memory and files per second',
    tables,
    notes: [
      `Cards of ${counts.join(' and ')} one-byte files, 1,000 per folder; each command runs once per card for its peak memory, in this order: ingest to 2 destinations, the same ingest again (every file previously verified), verify of the first session, safe-to-format of the card against both sessions, backup of the first session to a new local store. Files per second: ${ROUNDS} interleaved rounds per card (ours, cp, the floor, rclone; the first round's ingest is the one above), medians compared, "min" the slowest round.`,
      'Peak RssAnon sampled every 5 ms from /proc/<pid>/status (file-backed pages and the page cache not counted); "extra MiB" is the peak minus the CLI start-up alone (--version).',
      'Every timed copy (ours and each peer) goes to 2 new folders on the same disk, never into one emptied just before (ext4 without a journal skips each inode freed in the last ~30 s on every create: ~0.4 ms a file right after a clean-up). Peers copy to their 2 destinations in parallel, then sync; rclone with --checksum (it hashes both sides with MD5). The per-file fsync floor (python3: read, write, fsync each file, then fsync its folder; one process per destination) is what a copy that makes every file durable on its own costs here: the files-per-second target is 2,000 or that floor, whichever is lower. Ours verifies every copy from the disk and writes the ASC MHL, JSON and HTML reports; the files-per-second targets of the copy engine (fsync batching) are issue #18\u2019s copy-engine part.',
    ],
  }
}
