/**
 * Case J: the share server under load. `wrk` (50 connections, one thread) against our
 * server (`createShareServer`, a registry on disk) and against nginx serving the same
 * bytes as static files, in the same run, interleaved: the landing page (nginx serves
 * the HTML we rendered, saved to a file) and a 20 MB download.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer as createNetServer, connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'

import { openShareRegistry } from '../../lib/share/registry'
import { createShareServer } from '../../lib/share/server'
import type { BenchContext } from '../lib/context'
import { randomFile, WORK } from '../lib/files'
import { atLeast, atMost, type CaseResult, type Row, type Table } from '../lib/report'

const CONNECTIONS = 50

interface Load {
  rps: number
  p99ms: number
}

async function freePort(): Promise<number> {
  const s = createNetServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as AddressInfo).port
  await new Promise((r) => s.close(r))
  return port
}

/** wrk's requests/s and 99th-percentile latency (from `--latency`). */
function wrk(url: string, seconds: number): Promise<Load> {
  return new Promise((resolve, reject) => {
    // --timeout 60s: 50 clients sharing the disk and loopback take seconds per 20 MB, and
    // wrk leaves requests over its default 2 s out of the latencies.
    const child = spawn(
      'wrk',
      ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '60s', '--latency', url],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c))
    child.on('error', reject)
    child.on('exit', (code) => {
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)
      const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out)
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)
      const errors = /Socket errors: .*timeout (\d+)/.exec(out)
      if (errors && Number(errors[1]) > 0)
        return reject(new Error(`wrk saw ${errors[1]} timeouts from ${url}`))
      if (code !== 0 || !rps || !p99) return reject(new Error(`wrk failed (${code}): ${out}`))
      if (non2xx) return reject(new Error(`wrk saw ${non2xx[1]} error responses from ${url}`))
      const scale = p99[2] === 'us' ? 1e-3 : p99[2] === 's' ? 1e3 : 1
      resolve({ rps: Number(rps[1]), p99ms: Number(p99[1]) * scale })
    })
  })
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy()
        resolve(true)
      })
      s.on('error', () => resolve(false))
    })
    if (up) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nothing listens on ${port}`)
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor((s.length - 1) / 2)]!
}

export async function shareServerCase(ctx: BenchContext): Promise<CaseResult> {
  const dir = join(WORK, 'share-server')
  rmSync(dir, { recursive: true, force: true })
  const session = join(dir, 'photos', '2026-04-26_Smith')
  const staticDir = join(dir, 'static')
  mkdirSync(session, { recursive: true })
  mkdirSync(staticDir)
  const size = ctx.quick ? 1 << 20 : 20 * 1000 * 1000
  const file = randomFile(join('share-server', 'photos', '2026-04-26_Smith', 'IMG_0001.jpg'), size)
  execFileSync('cp', [file, join(staticDir, 'IMG_0001.jpg')])

  const serverKey = randomBytes(32)
  const ourPort = await freePort()
  const registry = await openShareRegistry({
    path: join(dir, 'shares.db'),
    serverKey,
    publicUrl: `http://127.0.0.1:${ourPort}`,
  })
  const share = await registry.createShare({
    session,
    scope: 'full',
    items: ['IMG_0001.jpg'],
    ttl: '1d',
    label: 'Smith selects',
  })
  const server = createShareServer({ registry, serverKey, root: join(dir, 'photos') })
  await new Promise<void>((resolve) => server.listen(ourPort, '127.0.0.1', resolve))

  // nginx serves the same landing page (as we render it) and the same file.
  const page = await (await fetch(share.url)).text()
  writeFileSync(join(staticDir, 'index.html'), page)
  const nginxPort = await freePort()
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      process.getuid?.() === 0 ? 'user root;' : '',
      'worker_processes 1;',
      'daemon off;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp),
      '  access_log off; sendfile on; keepalive_requests 100000;',
      `  server { listen 127.0.0.1:${nginxPort}; root ${staticDir}; location / { } }`,
      '}',
    ].join('\n'),
  )
  const nginx: ChildProcess = spawn(
    'nginx',
    ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')],
    { stdio: 'ignore' },
  )
  try {
    await waitForPort(nginxPort)
    const seconds = ctx.quick ? 1 : 15
    const reps = ctx.quick ? 1 : 3
    const targets = [
      {
        what: 'landing page',
        ours: share.url,
        nginx: `http://127.0.0.1:${nginxPort}/index.html`,
        bytes: Buffer.byteLength(page),
      },
      {
        what: `${(size / 1e6).toFixed(0)} MB download`,
        ours: `${share.url}/f/0`,
        nginx: `http://127.0.0.1:${nginxPort}/IMG_0001.jpg`,
        bytes: size,
      },
    ]
    const tables: Table[] = []
    for (const t of targets) {
      const runs: Record<'ours' | 'nginx', Load[]> = { ours: [], nginx: [] }
      await wrk(t.ours, 1) // warm-up, untimed
      await wrk(t.nginx, 1)
      for (let i = 0; i < reps; i++) {
        runs.ours.push(await wrk(t.ours, seconds))
        runs.nginx.push(await wrk(t.nginx, seconds))
      }
      const rows: Row[] = []
      const summary = (name: string, loads: Load[]) => {
        rows.push({
          name: `${name}: requests/s`,
          median: median(loads.map((l) => l.rps)),
          min: Math.min(...loads.map((l) => l.rps)),
          unit: 'req/s',
          bytes: t.bytes,
        })
        rows.push({
          name: `${name}: p99 latency`,
          median: median(loads.map((l) => l.p99ms)),
          min: Math.min(...loads.map((l) => l.p99ms)),
          unit: 'ms',
        })
      }
      summary('ours (share serve, plain HTTP)', runs.ours)
      summary('nginx static file', runs.nginx)
      const rps = rows[0]!.median / rows[2]!.median
      const p99 = rows[1]!.median / rows[3]!.median
      const download = t.bytes > 1e6
      tables.push({
        title: `${t.what}, ${CONNECTIONS} concurrent connections, ${seconds} s × ${reps}`,
        rows,
        ratios: [
          atLeast(`ours / nginx requests/s (${t.what})`, rps, download ? 0.5 : 0.05),
          atMost(`ours / nginx p99 latency (${t.what})`, p99, download ? 3 : 40),
        ],
      })
    }
    return {
      id: 'J',
      title: 'Share server under load (vs nginx serving the same bytes statically)',
      tables,
      notes: [
        `wrk -t1 -c${CONNECTIONS} --latency; each contender runs ${ctx.quick ? 1 : 3} times, interleaved, after an untimed 1 s warm-up; medians shown. wrk, the server and nginx share the machine's cores.`,
        "nginx runs one worker (ours is one Node process) with sendfile; it only reads files. Ours checks the link (keyed BLAKE3, SQLite), writes the access-log row (and the link's last-access time, and the bytes counted for a download; WAL, synchronous=NORMAL for these bookkeeping writes), sets the privacy headers and streams from the opened descriptor.",
        "No password and no download limit on the link (a limit adds one write per download); plain HTTP on both sides (TLS is nginx's job in the documented deployment).",
      ],
    }
  } finally {
    nginx.kill('SIGQUIT')
    server.closeAllConnections()
    await new Promise((r) => server.close(r))
    registry.close()
  }
}
