/**
 * Demo steps: an encrypted off-site backup of the session, a restore test that decrypts
 * and re-hashes it, and the 3-2-1 status from the catalog.
 */
import { join } from 'node:path'

import { backup, openOrInitStore, restoreTest, type Store } from '../../backup/index'
import { openCatalog } from '../../catalog/catalog'
import type { DemoContext } from '../context'

let store: Store | undefined

export async function backupStep(ctx: DemoContext): Promise<string> {
  store = await openOrInitStore(ctx.offsite, { vault: ctx.vault! })
  const r = await backup(ctx.sessionRoots[0]!, store)
  if (r.status !== 'completed') throw new Error(`backup ${r.status}: ${r.failures.map((f) => JSON.stringify(f)).join('; ')}`)
  const methods = Object.keys(r.verifyMethods).join(', ') || 'none'
  return `${r.files} files sealed into ${r.objectsWritten} objects (${(r.bytesWritten / 1024 / 1024).toFixed(1)} MiB), each read back and authenticated (${methods}); index snapshot published`
}

export async function restoreTestStep(ctx: DemoContext): Promise<string> {
  void ctx
  const r = await restoreTest(store!, { sample: 'all' })
  if (r.status !== 'completed') throw new Error(`restore test failed: ${r.failures.map((f) => JSON.stringify(f)).join('; ')}`)
  return `${r.checked} files decrypted and re-hashed against the index (${(r.bytes / 1024 / 1024).toFixed(1)} MiB), no plaintext written`
}

export async function statusStep(ctx: DemoContext): Promise<string> {
  const catalog = await openCatalog(join(ctx.work, 'catalog.db'), {
    destinations: [
      { label: 'SSD', kind: 'ssd', location: 'onsite', root: ctx.destinations[0]! },
      { label: 'HDD', kind: 'hdd', location: 'onsite', root: ctx.destinations[1]! },
      { label: 'OFFSITE', kind: 'hdd', location: 'offsite', store: store! },
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
