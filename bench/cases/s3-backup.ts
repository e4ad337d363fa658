/**
 * Case I: encrypted backup of the sample card (case E's, 2 × BENCH_SIZE) to a local S3
 * server (versitygw), ours against `rclone copy` through an rclone crypt remote and
 * `restic backup`, all to the same server in the same run; and how closely `bwlimit`
 * holds its limit.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { backup, initStore } from '../../lib/index'
import { createS3Bucket, type S3Backend, type S3StoreOptions } from '../../lib/backup/s3-backend'
import { findVersitygw, LocalS3Server } from '../../lib/demo/local-s3'
import type { BenchContext } from '../lib/context'
import { formatSize, WORK } from '../lib/files'
import { interleave, type Contender } from '../lib/measure'
import { atLeast, atMost, find, reference, rowsFrom, type CaseResult, type Row } from '../lib/report'
import { sampleCard } from './copy'
import { benchVault } from './seal'

const KEY = 'BENCHROOTKEY'
const SECRET = 'bench-root-secret-0123456789'
const BUCKET = 'bench'
/** The issue's example limit: 20 MB/s. */
const LIMIT = 20 * 1000 * 1000

function tool(cmd: string): boolean {
  return spawnSync(cmd, ['version'], { stdio: 'ignore' }).status === 0
}

function sh(script: string, env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync('bash', ['-c', `set -euo pipefail\n${script}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  })
  if (r.status !== 0) throw new Error(`${script}: exit ${r.status}: ${r.stderr}`)
}

function timed(fn: () => void): number {
  const t0 = process.hrtime.bigint()
  fn()
  return Number(process.hrtime.bigint() - t0) / 1e9
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

export async function s3BackupCase(ctx: BenchContext): Promise<CaseResult> {
  const binary = findVersitygw()
  if (!binary) {
    return {
      id: 'I',
      title: 'Encrypted backup to S3',
      tables: [],
      notes: [
        'versitygw was not found (scripts/install-test-tools.sh builds it with Go): case I was not run.',
      ],
    }
  }
  const reps = Math.min(ctx.reps, 3)
  const card = sampleCard(ctx)
  const root = join(WORK, 'i-s3')
  rmSync(root, { recursive: true, force: true })
  const server = new LocalS3Server(binary, root, KEY, SECRET)
  await server.start()
  const aws = { env: { AWS_ACCESS_KEY_ID: KEY, AWS_SECRET_ACCESS_KEY: SECRET }, home: root }
  const s3: S3StoreOptions = { endpoint: server.endpoint, aws, stagingDir: join(root, 'staging') }
  await createS3Bucket(`s3://${BUCKET}`, s3)
  const { vault } = await benchVault()
  const bucketDir = join(server.dataDir, BUCKET)
  let n = 0
  /** Untimed, between runs: the last run's data removed from the server's disk, the card in the page cache. */
  const fresh = () => {
    for (const d of ['ours', 'rclone', 'restic']) rmSync(join(bucketDir, d), { recursive: true, force: true })
    rmSync(join(root, 'restic-cache'), { recursive: true, force: true })
    spawnSync('sync', ['-f', root])
    spawnSync('bash', ['-c', `cat ${card.files.map((f) => q(join(card.root, f))).join(' ')} > /dev/null`])
  }

  // Peers' configuration: both sign with the same keys against the same server. The
  // environment's AWS_CA_BUNDLE makes rclone's S3 backend fail even over http, so it is unset for the peers.
  const rcloneConf = join(root, 'rclone.conf')
  const hasRclone = tool('rclone')
  if (hasRclone) {
    const obscured = spawnSync('rclone', ['obscure', 'bench crypt password'], {
      encoding: 'utf8',
    }).stdout.trim()
    writeFileSync(
      rcloneConf,
      `[s3]\ntype = s3\nprovider = Other\naccess_key_id = ${KEY}\nsecret_access_key = ${SECRET}\nendpoint = ${server.endpoint}\nregion = us-east-1\nforce_path_style = true\n\n[crypt]\ntype = crypt\nremote = s3:${BUCKET}/rclone\npassword = ${obscured}\n`,
    )
  }
  const hasRestic = tool('restic')
  const peerEnv = {
    RCLONE_CONFIG: rcloneConf,
    AWS_ACCESS_KEY_ID: KEY,
    AWS_SECRET_ACCESS_KEY: SECRET,
    RESTIC_PASSWORD: 'bench restic password',
    RESTIC_CACHE_DIR: join(root, 'restic-cache'),
  }
  const unset = 'unset AWS_CA_BUNDLE; '

  const NAMES = {
    ours: 'ours backup() to s3:// (seal, read back, SHA-256 per part, If-None-Match)',
    rclone: 'rclone copy through an rclone crypt remote',
    restic: 'restic backup (s3 repository)',
  }
  const contenders: Contender[] = [
    {
      name: NAMES.ours,
      before: fresh,
      run: async () => {
        const store = await initStore(`s3://${BUCKET}/ours/run-${++n}`, { vault, s3 })
        const t0 = process.hrtime.bigint()
        const r = await backup(card.root, store)
        const seconds = Number(process.hrtime.bigint() - t0) / 1e9
        if (r.status !== 'completed' || r.objectsWritten !== card.files.length)
          throw new Error(
            `ours: ${r.status}, ${r.objectsWritten} objects: ${JSON.stringify(r.failures.slice(0, 2))}`,
          )
        ;(store.backend as S3Backend).close()
        return seconds
      },
    },
    ...(hasRclone
      ? [
          {
            name: NAMES.rclone,
            before: fresh,
            run: () => timed(() => sh(`${unset}rclone copy ${q(card.root)} crypt:run-${++n}`, peerEnv)),
          },
        ]
      : []),
    ...(hasRestic
      ? [
          {
            name: NAMES.restic,
            before: fresh,
            run: () => {
              const repo = { RESTIC_REPOSITORY: `s3:${server.endpoint}/${BUCKET}/restic/run-${++n}` }
              sh(`${unset}restic init --quiet`, { ...peerEnv, ...repo })
              return timed(() => sh(`${unset}restic backup --quiet ${q(card.root)}`, { ...peerEnv, ...repo }))
            },
          },
        ]
      : []),
  ]
  const rows: Row[] = rowsFrom(await interleave(contenders, reps, false), card.bytes)
  const m = (name: string) => find(rows, name).median
  const ratios = []
  if (hasRclone) ratios.push(atLeast(`speed: ours / rclone crypt`, m(NAMES.rclone) / m(NAMES.ours), 1.0))
  if (hasRestic) ratios.push(atLeast(`speed: ours / restic`, m(NAMES.restic) / m(NAMES.ours), 1.5))

  // --bwlimit: the big files of the card (about 20 s at the limit), sealed bytes sent over wall time.
  fresh()
  const limited = join(WORK, 'i-limited')
  rmSync(limited, { recursive: true, force: true })
  const big = card.files.filter((f) => f.endsWith('.CR3')).slice(0, ctx.quick ? 2 : 8)
  for (const f of big) {
    mkdirSync(join(limited, f, '..'), { recursive: true })
    spawnSync('ln', [join(card.root, f), join(limited, f)])
  }
  const lstore = await initStore(`s3://${BUCKET}/ours/limited`, { vault, s3: { ...s3, bwlimit: LIMIT } })
  // The transfer window: from the first byte sent to the last (progress moves with upload bytes).
  let first = 0n
  let last = 0n
  let seen = 0
  const t0 = process.hrtime.bigint()
  const lr = await backup(limited, lstore, {
    onProgress: (p) => {
      if (p.bytes === seen) return
      seen = p.bytes
      last = process.hrtime.bigint()
      if (!first) first = last
    },
  })
  const lsec = Number(process.hrtime.bigint() - t0) / 1e9
  const window = Number(last - first) / 1e9
  const sent = (lstore.backend as S3Backend).bytesUploaded
  if (lr.status !== 'completed') throw new Error(`limited backup: ${lr.status}`)
  const achieved = sent / window
  const limitRows: Row[] = [
    {
      name: `ours backup() with bwlimit ${LIMIT / 1e6} MB/s: ${formatSize(sent)} sealed, sent in ${window.toFixed(1)} s = ${(achieved / 1e6).toFixed(2)} MB/s (whole run ${lsec.toFixed(1)} s = ${(sent / lsec / 1e6).toFixed(2)} MB/s)`,
      median: window,
      min: window,
      unit: 's',
      bytes: sent,
    },
  ]

  vault.close()
  await server.stop()
  rmSync(root, { recursive: true, force: true })
  rmSync(limited, { recursive: true, force: true })
  return {
    id: 'I',
    title: `Encrypted backup of a ${formatSize(card.bytes)} sample card to a local S3 server (vs rclone crypt, restic)`,
    tables: [
      { title: `${card.description} to versitygw on 127.0.0.1 (card in page cache)`, rows, ratios },
      {
        title: `bwlimit: ${big.length} large files at ${LIMIT / 1e6} MB/s`,
        rows: limitRows,
        ratios: [
          atLeast('achieved / limit (within 5 %)', achieved / LIMIT, 0.95),
          atMost('achieved / limit (within 5 %)', achieved / LIMIT, 1.05),
          reference(
            'unlimited ours / limit',
            card.bytes / m(NAMES.ours) / LIMIT,
            'how far above the limit ours runs without it',
          ),
        ],
      },
    ],
    notes: [
      `Server: versitygw v1.8.0 (posix backend, keep-alive) on 127.0.0.1 over a folder under bench/.work on the same disk and the same 2 cores as the clients; every contender signs SigV4 with the same keys. Before every run, untimed: the previous run's data removed from the server's folder (then sync -f) and the card read into the page cache. ${reps} repetitions each, interleaved, no warm-up run (each run is a full backup into a new prefix).`,
      'Ours (in-process, default settings: 4 files at once, 16 MiB parts over 32 MiB, 4 parts at once): each file is hashed (keyed BLAKE3, its object name), sealed to a staging file, read back from the disk with the page cache evicted and authenticated, hashed again with SHA-256 per part, and uploaded with If-None-Match: * and x-amz-checksum-sha256, which the server verifies; the sealed index snapshot last.',
      hasRclone
        ? `rclone ${spawnSync('rclone', ['version'], { encoding: 'utf8' }).stdout.split('\n')[0]} copy to a crypt remote over an s3 remote (provider Other, path style); defaults otherwise (4 transfers, multipart over 200 MiB). rclone crypt encrypts names and contents (XSalsa20-Poly1305) and does not read back.`
        : 'rclone was not found: its row is missing.',
      hasRestic
        ? `restic ${spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout.trim()}: \`restic init\` untimed, then \`restic backup\` (content-defined chunking, dedup, AES-256 + Poly1305, pack files).`
        : 'restic was not found: its row is missing (bench/run.sh installs it with apt as root).',
      'AWS_CA_BUNDLE is unset for rclone and restic: with it set (as on these machines), rclone\'s S3 backend fails even over http ("LoadCustomCABundleError"). Ours reads it only for https endpoints.',
      `bwlimit: one backup of ${big.length} of the card's large files with bwlimit ${LIMIT / 1e6} MB/s (decimal), 4 files at once (the default for object storage); "achieved" is the sealed bytes sent (retries included, none here) over the transfer window, from the first byte sent to the last (the run's first seal before it and the snapshot after it are outside; the whole run's rate is shown too).`,
    ],
  }
}
