/**
 * Demo step: a preview share link for the JPEGs, served on 127.0.0.1 for a moment and
 * fetched once like a client's browser would, checking the privacy headers.
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'

import { createShareHandler } from '../../share/handler'
import { openShareRegistry } from '../../share/registry'
import type { DemoContext } from '../context'

const REQUIRED_HEADERS = ['x-robots-tag', 'referrer-policy', 'cache-control', 'x-content-type-options']

export async function shareStep(ctx: DemoContext): Promise<string> {
  const sessionRoot = ctx.sessionRoots[0]!
  const serverKey = randomBytes(32)
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const registry = await openShareRegistry({ path: join(ctx.work, 'shares.db'), serverKey, baseUrl: `http://127.0.0.1:${port}` })
  try {
    server.on('request', createShareHandler({ registry, serverKey, root: ctx.work }))
    const items = ctx.card!.jpegs.slice(0, 3)
    const share = await registry.createShare({ session: sessionRoot, items, scope: 'preview', ttl: '7d', label: 'Demo selects' })
    console.log(`  link (expires ${share.expiresAt}): ${share.url}`)
    const page = await fetch(share.url)
    const missing = REQUIRED_HEADERS.filter((h) => !page.headers.get(h))
    if (page.status !== 200 || missing.length) throw new Error(`landing page: HTTP ${page.status}, missing headers: ${missing.join(', ') || 'none'}`)
    const file = await fetch(`${share.url}/f/0`)
    const bytes = (await file.arrayBuffer()).byteLength
    if (file.status !== 200 || bytes === 0) throw new Error(`download: HTTP ${file.status}, ${bytes} bytes`)
    await registry.revokeShare(share.id, 'demo finished')
    const after = await fetch(share.url)
    if (after.status !== 410) throw new Error(`a revoked link answered HTTP ${after.status}, not 410`)
    return `preview link for ${items.length} JPEGs served, fetched (200, noindex/no-referrer/no-store/nosniff), a file downloaded (${bytes} bytes), then revoked (410)`
  } finally {
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    registry.close()
  }
}
