/** Share test support: a session folder of random files, a registry on a manual clock, a real HTTP server on 127.0.0.1:0. */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { request, type Agent, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'

import { manualClock, type ManualClock } from '../../lib/share/clock'
import type { CreateShareOptions } from '../../lib/share/types'
import { openShareRegistry, type ShareRegistry, type ShareRegistryOptions } from '../../lib/share/registry'
import { createShareServer, type ShareServerOptions } from '../../lib/share/server'
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

/** A full-resolution link to the world's first raw file, with `extra` options. */
export const rawShare = (w: ShareWorld, extra: Partial<CreateShareOptions>) =>
  w.registry.createShare({ session: w.session, scope: 'full', items: ['raw/IMG_0001.CR3'], ...extra })

/** Runs `fn` in a fresh share world and closes it afterwards, whatever `fn` does. */
export async function withShareWorld<T>(
  fn: (w: ShareWorld) => Promise<T>,
  options: Partial<ShareRegistryOptions> = {},
  handlerOptions: Partial<ShareServerOptions> = {},
): Promise<T> {
  const w = await shareWorld(options, handlerOptions)
  try {
    return await fn(w)
  } finally {
    await w.close()
  }
}

export async function shareWorld(
  options: Partial<ShareRegistryOptions> = {},
  handlerOptions: Partial<ShareServerOptions> = {},
): Promise<ShareWorld> {
  const root = tempDir('sp-share-')
  const session = join(root, '2026-04-26_Smith_Wedding')
  const files: Record<string, Buffer> = {}
  let colour = 0
  for (const [rel, size] of Object.entries(SAMPLE)) {
    mkdirSync(join(session, rel, '..'), { recursive: true })
    files[rel] =
      size === 'preview' ? await generatedPreview(['#4a7bb7', '#b7774a'][colour++]) : randomBytes(size)
    writeFileSync(join(session, rel), files[rel]!)
  }
  const dbPath = join(root, 'state', 'shares.db')
  mkdirSync(join(root, 'state'))
  const serverKey = randomBytes(32)
  const clock = manualClock(new Date('2026-05-01T09:00:00Z'))
  const registry = await openShareRegistry({ path: dbPath, serverKey, clock, ...options })
  const server = createShareServer({
    registry,
    serverKey,
    root: session.slice(0, session.lastIndexOf('/')),
    clock,
    ...handlerOptions,
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `${handlerOptions.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`
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
export function http(
  base: string,
  path: string,
  init: {
    method?: string
    headers?: Record<string, string>
    body?: string
    localAddress?: string
    agent?: Agent
  } = {},
): Promise<Reply> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const options = {
      host: url.hostname,
      port: url.port,
      path,
      method: init.method ?? 'GET',
      headers: init.headers,
      ...(init.localAddress ? { localAddress: init.localAddress } : {}),
      ...(init.agent ? { agent: init.agent } : {}),
    }
    const req = request(options, (res) => {
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

/** A POST of the password form. */
export function postPassword(
  base: string,
  path: string,
  password: string,
  headers: Record<string, string> = {},
  localAddress?: string,
): Promise<Reply> {
  return http(base, path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ password }).toString(),
    ...(localAddress ? { localAddress } : {}),
  })
}

/** Sends raw bytes on a new connection and resolves with everything the server sent back before closing (or after `waitMs`). */
export function rawExchange(base: string, bytes: string | Buffer, waitMs = 5000): Promise<string> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname)
    const chunks: Buffer[] = []
    const timer = setTimeout(() => socket.destroy(), waitMs)
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
    socket.write(bytes)
  })
}

/** The headers of a raw HTTP response, lower-cased. */
export function rawHeaders(response: string): { status: number; headers: Record<string, string> } {
  const [head] = response.split('\r\n\r\n')
  const [statusLine, ...lines] = head!.split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const i = line.indexOf(':')
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim()
  }
  return { status: Number(statusLine!.split(' ')[1]), headers }
}

/** A throwaway self-signed certificate for 127.0.0.1 and localhost (openssl), and its key. */
export function throwawayCertificate(dir: string): {
  certPath: string
  keyPath: string
  cert: Buffer
  key: Buffer
} {
  const certPath = join(dir, 'cert.pem')
  const keyPath = join(dir, 'key.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      keyPath,
      '-out',
      certPath,
    ],
    { stdio: 'ignore' },
  )
  return { certPath, keyPath, cert: readFileSync(certPath), key: readFileSync(keyPath) }
}
