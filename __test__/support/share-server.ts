/** Share test support: a session folder of random files, a registry on a manual clock, a real HTTP server on 127.0.0.1:0. */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'

import { createShareHandler, type ShareHandlerOptions } from '../../lib/share/handler'
import { manualClock, type ManualClock } from '../../lib/share/clock'
import { openShareRegistry, type ShareRegistry, type ShareRegistryOptions } from '../../lib/share/registry'
import { tempDir } from './fixtures'
import { generatedPreview } from './pictures'

export interface ShareWorld {
  root: string
  session: string
  files: Record<string, Buffer>
  dbPath: string
  serverKey: Buffer
  clock: ManualClock
  registry: ShareRegistry
  server: Server
  base: string
  close(): Promise<void>
}

/** Files of the sample session: two previews (real ones, made by makePreviews) and two full-resolution files (random bytes of these sizes). */
export const SAMPLE = {
  'previews/IMG_0001.jpg': 'preview',
  'previews/IMG 0002 été.jpg': 'preview',
  'raw/IMG_0001.CR3': 250_000,
  'raw/IMG_0002.CR3': 1_000,
} as const

export async function shareWorld(options: Partial<ShareRegistryOptions> = {}, handlerOptions: Partial<ShareHandlerOptions> = {}): Promise<ShareWorld> {
  const root = tempDir('sp-share-')
  const session = join(root, '2026-04-26_Smith_Wedding')
  const files: Record<string, Buffer> = {}
  let colour = 0
  for (const [rel, size] of Object.entries(SAMPLE)) {
    mkdirSync(join(session, rel, '..'), { recursive: true })
    files[rel] = size === 'preview' ? await generatedPreview(['#4a7bb7', '#b7774a'][colour++]) : randomBytes(size)
    writeFileSync(join(session, rel), files[rel]!)
  }
  const dbPath = join(root, 'state', 'shares.db')
  mkdirSync(join(root, 'state'))
  const serverKey = randomBytes(32)
  const clock = manualClock(new Date('2026-05-01T09:00:00Z'))
  const registry = openShareRegistry({ path: dbPath, serverKey, clock, ...options })
  const server = createServer(createShareHandler({ registry, serverKey, root: session.slice(0, session.lastIndexOf('/')), clock, ...handlerOptions }))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    root,
    session,
    files,
    dbPath,
    serverKey,
    clock,
    registry,
    server,
    base,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      registry.close()
    },
  }
}

export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  text: string
}

/** A raw HTTP request: the path goes on the wire exactly as given (no URL normalisation, unlike fetch). */
export function http(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const body = Buffer.concat(chunks)
        resolve({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(init.body)
  })
}

/** The path part of a share URL. */
export function pathOf(url: string): string {
  return new URL(url).pathname
}
