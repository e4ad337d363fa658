/**
 * Faults on the way to a real S3 server (versitygw): injected 503 SlowDown / 429 / resets
 * / a request that never gets an answer are retried with back-off and reported; a request
 * that keeps failing stops after the bounded attempts; the server stopped mid-upload and
 * started again; the server gone for good, then back; SIGKILL in the middle of a multipart
 * upload resumed by the next run with no upload left behind; stale uploads listed and
 * aborted by `store gc`.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import {
  backup,
  createVault,
  initStore,
  openStore,
  restoreTest,
  type ShutterproofError,
  type Vault,
} from '../lib/index'
import {
  createS3Bucket,
  type RetryEvent,
  type S3Backend,
  type S3StoreOptions,
} from '../lib/backup/s3-backend'
import { xml } from '../lib/backup/s3/client'
import { backoff } from '../lib/backup/s3/retry'
import { TokenBucket } from '../lib/backup/s3/token-bucket'
import { cli, cliArgv, tempDir, writeRandomFile } from './support/fixtures'
import { FaultProxy } from './support/fault-proxy'
import { s3Available, startS3Server, type S3TestServer } from './support/s3-server'

const FAST = { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 }
const MiB = 1024 * 1024
const available = s3Available('s3-faults.spec.ts')
const run = available ? test : test.skip

const dir = tempDir('sp-s3-faults-')
const vaultFile = join(dir, 'studio.vault')
const passFile = join(dir, 'pass.txt')
let srv: S3TestServer
let vault: Vault

function s3(extra: S3StoreOptions = {}): S3StoreOptions {
  return srv.storeOptions(dir, { attempts: 6, baseMs: 20, maxMs: 200 }, extra)
}

/** A session folder of `n` random files of `size` bytes (sizes differ per tag so objects differ). */
function sessionOf(tag: string, n: number, size: number): string {
  const root = join(dir, `2026-04-26_Client_${tag}`)
  mkdirSync(root, { recursive: true })
  for (let i = 0; i < n; i++) writeRandomFile(join(root, `IMG_${i}.CR3`), size + i + tag.length * 7919)
  return root
}

test.before(async () => {
  if (!available) return
  srv = await startS3Server()
  await createS3Bucket('s3://faults', s3())
  vault = (await createVault(vaultFile, { passphrase: 'p', kdf: FAST })).vault
  writeFileSync(passFile, 'p\n')
})

test.after(async () => {
  vault?.close()
  await srv?.close()
})

test('back-off: exponential steps with equal jitter, capped', () => {
  const p = { attempts: 8, baseMs: 100, maxMs: 1000 }
  assert.equal(
    [1, 2, 3, 4, 5].map((n) => backoff(p, n, () => 0)),
    [50, 100, 200, 400, 500],
  )
  assert.equal(
    [1, 2, 3, 4, 5].map((n) => backoff(p, n, () => 1)),
    [100, 200, 400, 800, 1000],
  )
})

test('the rate limit never lets more through than rate × time + burst', async () => {
  const bucket = new TokenBucket(2 * MiB, 64 * 1024)
  const t0 = performance.now()
  for (let i = 0; i < 32; i++) await bucket.take(64 * 1024)
  const seconds = (performance.now() - t0) / 1000
  // 2 MiB at 2 MiB/s with a 64 KiB burst: at least (2 MiB − 64 KiB) / (2 MiB/s).
  assert.ok(seconds >= (2 * MiB - 64 * 1024) / (2 * MiB) - 0.01, `${seconds} s`)
})

run(
  '503 SlowDown, 429, a reset mid-upload and an unanswered request are retried and reported; the backup completes',
  async () => {
    const proxy = new FaultProxy(srv.port)
    await proxy.listen()
    try {
      const events: RetryEvent[] = []
      const opts = s3({ endpoint: proxy.endpoint, idleTimeoutMs: 1000, onRetry: (e) => events.push(e) })
      const store = await initStore('s3://faults/transient', { vault, s3: opts })
      proxy.add({
        match: (r) => r.method === 'PUT' && /partNumber=/.test(r.url ?? ''),
        fault: 'reset',
        times: 1,
      })
      proxy.add({ match: (r) => r.method === 'PUT' && /objects\//.test(r.url ?? ''), fault: '503', times: 2 })
      proxy.add({ match: (r) => r.method === 'PUT' && /objects\//.test(r.url ?? ''), fault: '429', times: 1 })
      proxy.add({
        match: (r) => r.method === 'POST' && /uploads/.test(r.url ?? ''),
        fault: 'stall',
        times: 1,
      })
      const session = sessionOf('Transient', 4, 200_000)
      writeRandomFile(join(session, 'MVI_0001.MP4'), 12 * MiB)
      const r = await backup(session, store)
      assert.is(r.status, 'completed', JSON.stringify(r.failures))
      assert.equal(proxy.injected, { '503': 2, '429': 1, reset: 1, stall: 1 })
      const reasons = events.map((e) => e.reason)
      assert.ok(reasons.includes('HTTP 503 SlowDown'), reasons.join())
      assert.ok(reasons.includes('HTTP 429 TooManyRequests'), reasons.join())
      assert.ok(reasons.includes('E_S3_TIMEOUT'), reasons.join())
      assert.ok(
        reasons.some((x) => /ECONNRESET|EPIPE/.test(x)),
        reasons.join(),
      )
      assert.is((store.backend as S3Backend).retries, events.length)
      for (const e of events)
        assert.ok(e.delayMs <= 200 && e.attempt >= 2 && e.attempts === 6, JSON.stringify(e))
      assert.is(
        (await restoreTest(await openStore('s3://faults/transient', { vault, s3: s3() }))).status,
        'completed',
      )
    } finally {
      await proxy.close()
    }
  },
)

run(
  'a request that keeps failing stops after the bounded attempts, says so, and publishes no snapshot; a re-run completes',
  async () => {
    const proxy = new FaultProxy(srv.port)
    await proxy.listen()
    try {
      const store = await initStore('s3://faults/bounded', {
        vault,
        s3: s3({ endpoint: proxy.endpoint, retry: { attempts: 3, baseMs: 10, maxMs: 50 } }),
      })
      const rule = {
        match: (r: { method?: string; url?: string }) => r.method === 'PUT' && /objects\//.test(r.url ?? ''),
        fault: '503' as const,
        times: 1000,
      }
      proxy.add(rule)
      const session = sessionOf('Bounded', 3, 100_000)
      const r = await backup(session, store)
      assert.is(r.status, 'completed-with-errors')
      assert.is(r.snapshot, undefined)
      assert.is(r.failures.length, 3)
      for (const f of r.failures) {
        assert.is(f.code, 'E_S3')
        assert.match(f.message, /after 3 attempts: HTTP 503 SlowDown/)
      }
      rule.times = 0
      const again = await backup(session, store)
      assert.is(again.status, 'completed', JSON.stringify(again.failures))
    } finally {
      await proxy.close()
    }
  },
)

run(
  'network cut: the server stops in the middle of the uploads and comes back; the run completes after retries',
  async () => {
    const events: RetryEvent[] = []
    const store = await initStore('s3://faults/cut', {
      vault,
      s3: s3({
        bwlimit: 4 * 1000 * 1000,
        retry: { attempts: 10, baseMs: 200, maxMs: 2000 },
        onRetry: (e) => events.push(e),
      }),
    })
    const session = sessionOf('Cut', 6, 3 * MiB)
    const running = backup(session, store)
    await new Promise((r) => setTimeout(r, 1500))
    await srv.stop()
    await new Promise((r) => setTimeout(r, 1500))
    await srv.start()
    const r = await running
    assert.is(r.status, 'completed', JSON.stringify(r.failures))
    assert.ok(events.length > 0, 'retries were reported')
    assert.ok(
      events.some((e) => /ECONNREFUSED|ECONNRESET|EPIPE/.test(e.reason)),
      events.map((e) => e.reason).join(),
    )
    assert.is((await restoreTest(store)).status, 'completed')
  },
)

run(
  'the server gone for good: the run fails with E_S3_UNREACHABLE naming the fix; once it is back a re-run completes',
  async () => {
    const session = sessionOf('Gone', 3, 200_000)
    const opts = s3({ retry: { attempts: 3, baseMs: 20, maxMs: 100 } })
    await initStore('s3://faults/gone', { vault, s3: opts })
    await srv.stop()
    try {
      const e = await openStore('s3://faults/gone', { vault, s3: opts }).then(
        () => undefined,
        (err: ShutterproofError) => err,
      )
      assert.is(e?.code, 'E_S3_UNREACHABLE')
      assert.match(
        e!.message,
        /failed after 3 attempts \(ECONNREFUSED.*check the network and the endpoint, then run again/,
      )
      const r = cli(
        [
          'backup',
          session,
          's3://faults/gone',
          '--endpoint',
          srv.endpoint,
          '--vault',
          vaultFile,
          '--passphrase-file',
          passFile,
        ],
        { env: { ...srv.env(), SHUTTERPROOF_STAGING_DIR: join(dir, 'staging') } },
      )
      assert.is(r.status, 1)
      assert.match(r.stderr, /E_S3_UNREACHABLE/)
      assert.match(r.stderr, /retry 1 of 7/, 'retries are printed')
    } finally {
      await srv.start()
    }
    const again = await backup(session, await openStore('s3://faults/gone', { vault, s3: opts }))
    assert.is(again.status, 'completed', JSON.stringify(again.failures))
  },
)

/** Parts of the one multipart upload under `prefix`, or 0 while there is none. */
async function partsUploaded(backend: S3Backend, prefix: string): Promise<number> {
  const r = await backend.client.request({ method: 'GET', query: { uploads: '', prefix } })
  const up = (
    xml.parse(r.body.toString()) as {
      ListMultipartUploadsResult?: { Upload?: Array<{ Key: string; UploadId: string }> }
    }
  ).ListMultipartUploadsResult?.Upload?.[0]
  if (!up) return 0
  const parts = await backend.client.request({ method: 'GET', key: up.Key, query: { uploadId: up.UploadId } })
  return (
    (xml.parse(parts.body.toString()) as { ListPartsResult?: { Part?: unknown[] } }).ListPartsResult?.Part
      ?.length ?? 0
  )
}

/** Runs `shutterproof backup` (slowed by --bwlimit) and SIGKILLs it once 2 parts of its big object are in the bucket. */
async function backupKilledMidMultipart(
  session: string,
  location: string,
  staging: string,
  watcher: S3Backend,
  prefix: string,
): Promise<void> {
  const child = spawn(
    process.execPath,
    cliArgv(
      'backup',
      session,
      location,
      '--endpoint',
      srv.endpoint,
      '--vault',
      vaultFile,
      '--passphrase-file',
      passFile,
      '--bwlimit',
      '8MiB/s',
      '--quiet',
    ),
    {
      stdio: 'ignore',
      env: { ...process.env, ...srv.env(), SHUTTERPROOF_STAGING_DIR: staging },
    },
  )
  const exited = new Promise((r) => child.on('exit', r))
  for (let i = 0; i < 1200 && child.exitCode === null; i++) {
    if ((await partsUploaded(watcher, prefix)) >= 2) break
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill('SIGKILL')
  await exited
  // A part whose body reached the server before the kill may still be written after it;
  // wait until the listing stops changing so that it cannot reappear after an abort.
  let last = -1
  for (let i = 0; i < 40; i++) {
    const now = await partsUploaded(watcher, prefix)
    if (now === last) break
    last = now
    await new Promise((r) => setTimeout(r, 250))
  }
}

/** Asserts that no multipart upload is pending, naming the ones that are (uvu's diff cannot print them). */
async function assertNoPendingUploads(backend: S3Backend, message: string): Promise<void> {
  const pending = await backend.pendingUploads()
  assert.is(pending.length, 0, `${message}: ${JSON.stringify(pending)}`)
}

run(
  'SIGKILL in the middle of a multipart upload: the next run resumes it (sends less), and no upload is left behind',
  async () => {
    const staging = join(dir, 'staging-kill')
    const session = join(dir, '2026-04-26_Client_Killed')
    mkdirSync(session)
    writeRandomFile(join(session, 'MVI_0001.MP4'), 80 * MiB + 3)
    const opts = s3({ stagingDir: staging, partSize: 16 * MiB, multipartThreshold: 32 * MiB })
    const store = await initStore('s3://faults/killed', { vault, s3: opts })
    const watcher = store.backend as S3Backend
    await backupKilledMidMultipart(session, 's3://faults/killed', staging, watcher, 'killed/objects/')
    const before = await partsUploaded(watcher, 'killed/objects/')
    assert.ok(before >= 2, `${before} parts before the kill`)
    const pending = await watcher.pendingUploads()
    assert.is(pending.length, 1)
    assert.ok(pending[0]!.resumable, 'the staged sealed file is kept for the next run')

    const again = await openStore('s3://faults/killed', { vault, s3: opts })
    const r = await backup(session, again)
    assert.is(r.status, 'completed', JSON.stringify(r.failures))
    const backend = again.backend as S3Backend
    assert.ok(backend.resumedParts >= before, `${backend.resumedParts} parts resumed`)
    assert.ok(
      backend.bytesUploaded <= 80 * MiB + 1024 * 1024 - before * 16 * MiB,
      `${backend.bytesUploaded} bytes sent by the resuming run`,
    )
    await assertNoPendingUploads(backend, 'no upload left behind')
    const t = await restoreTest(again)
    assert.is(t.status, 'completed', JSON.stringify(t.failures))
  },
)

run(
  'stale uploads: store gc --dry-run lists them, store gc aborts them; a backup that cannot resume one aborts it',
  async () => {
    const session = join(dir, '2026-04-26_Client_Stale')
    mkdirSync(session)
    writeRandomFile(join(session, 'MVI_0002.MP4'), 64 * MiB + 5)
    const staging = join(dir, 'staging-stale')
    const opts = s3({ stagingDir: staging })
    const store = await initStore('s3://faults/stale', { vault, s3: opts })
    const watcher = store.backend as S3Backend
    await backupKilledMidMultipart(session, 's3://faults/stale', staging, watcher, 'stale/objects/')
    rmSync(staging, { recursive: true, force: true }) // the machine lost its staged file: nothing to resume from
    const env = { ...srv.env(), SHUTTERPROOF_STAGING_DIR: staging }
    const listed = cli(
      ['store', 'gc', 's3://faults/stale', '--endpoint', srv.endpoint, '--dry-run', '--json'],
      { env },
    )
    assert.is(listed.status, 0, listed.stderr)
    const dry = JSON.parse(listed.stdout) as {
      uploads: Array<{ key: string; resumable: boolean }>
      uploadsAborted: number
    }
    assert.is(dry.uploads.length, 1)
    assert.match(dry.uploads[0]!.key, /^objects\/[0-9a-f]{2}\/[0-9a-f]{64}$/)
    assert.is(dry.uploads[0]!.resumable, false)
    assert.is(dry.uploadsAborted, 0)
    const gc = cli(['store', 'gc', 's3://faults/stale', '--endpoint', srv.endpoint, '--json'], { env })
    assert.is(gc.status, 0, gc.stderr)
    assert.is((JSON.parse(gc.stdout) as { uploadsAborted: number }).uploadsAborted, 1)
    await assertNoPendingUploads(watcher, 'no upload left behind')

    // Again, and this time the next backup (the only writer) aborts the upload it cannot resume.
    await backupKilledMidMultipart(session, 's3://faults/stale', staging, watcher, 'stale/objects/')
    rmSync(staging, { recursive: true, force: true })
    // Only uploads older than the sweeping writer's registration (the store's clock, whole
    // seconds) are swept; versitygw dates an upload by its last part.
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const r = await backup(session, await openStore('s3://faults/stale', { vault, s3: opts }))
    assert.is(r.status, 'completed', JSON.stringify(r.failures))
    assert.ok(r.temporariesRemoved >= 1, `${r.temporariesRemoved} removed`)
    await assertNoPendingUploads(watcher, 'no upload left behind')
  },
)

test.run()
