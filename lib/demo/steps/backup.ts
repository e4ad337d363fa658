/**
 * Demo steps: an encrypted off-site backup of the session — into a bucket of a local S3
 * server (versitygw) when it can be had (Go present), else into a folder store, saying
 * which — a restore test that downloads, decrypts and re-hashes it, and the 3-2-1 status.
 */
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

import { backup, openOrInitStore, restoreTest, type Store } from '../../backup/index'
import { createS3Bucket, type S3StoreOptions } from '../../backup/s3-backend'
import { openCatalog } from '../../catalog/catalog'
import type { DemoContext } from '../context'
import { findOrBuildVersitygw, LocalS3Server } from '../local-s3'

let store: Store | undefined
let server: LocalS3Server | undefined
let cloud = false

/** Where the off-site copy goes: a local S3 bucket, or a folder when no S3 server can be had. */
async function offsiteTarget(
  ctx: DemoContext,
): Promise<{ location: string; s3?: S3StoreOptions; describe: string }> {
  const binary = findOrBuildVersitygw((line) => console.log(`  ${line}`))
  if (!binary)
    return {
      location: ctx.offsite,
      describe: `a folder store at ${ctx.offsite} (Go is not installed here, so no local S3 server; with Go the demo uses versitygw)`,
    }
  server = new LocalS3Server(
    binary,
    join(ctx.work, 'S3-SERVER'),
    'DEMOROOTKEY',
    randomBytes(18).toString('base64url'),
  )
  await server.start()
  // Throwaway keys handed over in memory: never on a command line, never in a file.
  const s3: S3StoreOptions = {
    endpoint: server.endpoint,
    aws: {
      env: { AWS_ACCESS_KEY_ID: server.rootKey, AWS_SECRET_ACCESS_KEY: server.rootSecret },
      home: ctx.work,
    },
    stagingDir: join(ctx.work, 'S3-STAGING'),
  }
  await createS3Bucket('s3://demo-offsite', s3)
  cloud = true
  return {
    location: 's3://demo-offsite/studio',
    s3,
    describe: `the S3 bucket s3://demo-offsite/studio of a local versitygw server at ${server.endpoint}`,
  }
}

/** Stops the local S3 server, if one was started. */
export async function stopOffsite(): Promise<void> {
  await server?.stop()
}

export async function backupStep(ctx: DemoContext): Promise<string> {
  const target = await offsiteTarget(ctx)
  console.log(`  off-site copy: ${target.describe}`)
  store = await openOrInitStore(target.location, { vault: ctx.vault!, s3: target.s3 })
  const r = await backup(ctx.sessionRoots[0]!, store)
  if (r.status !== 'completed')
    throw new Error(`backup ${r.status}: ${r.failures.map((f) => JSON.stringify(f)).join('; ')}`)
  const methods = Object.keys(r.verifyMethods).join(', ') || 'none'
  return `${r.files} files sealed into ${r.objectsWritten} objects (${(r.bytesWritten / 1024 / 1024).toFixed(1)} MiB), each read back and authenticated (${methods}) before it was published, into ${target.describe}; index snapshot published`
}

export async function restoreTestStep(ctx: DemoContext): Promise<string> {
  void ctx
  const r = await restoreTest(store!, { sample: 'all' })
  if (r.status !== 'completed')
    throw new Error(`restore test failed: ${r.failures.map((f) => JSON.stringify(f)).join('; ')}`)
  return `${r.checked} files ${cloud ? 'downloaded from the bucket, ' : ''}decrypted and re-hashed against the index (${(r.bytes / 1024 / 1024).toFixed(1)} MiB), no plaintext written`
}

export async function statusStep(ctx: DemoContext): Promise<string> {
  const catalog = await openCatalog(join(ctx.work, 'catalog.db'), {
    destinations: [
      { label: 'SSD', kind: 'ssd', location: 'onsite', root: ctx.destinations[0]! },
      { label: 'HDD', kind: 'hdd', location: 'onsite', root: ctx.destinations[1]! },
      { label: 'OFFSITE', kind: cloud ? 'cloud' : 'hdd', location: 'offsite', store: store! },
    ],
  })
  try {
    await catalog.rebuild()
    const s = catalog.status(ctx.sessionName)[0]
    if (!s) throw new Error(`the catalog does not know ${ctx.sessionName}`)
    const line = `${s.copies} copies on ${s.kinds.join(' + ')}, off-site: ${s.offsite ? 'yes' : 'no'}, last restore test: ${s.lastRestoreTest?.status ?? 'never'}`
    if (!s.meets321) throw new Error(`3-2-1 not met (${s.reasons.join('; ')}); ${line}`)
    return `3-2-1 met: ${line}`
  } finally {
    catalog.close()
  }
}
