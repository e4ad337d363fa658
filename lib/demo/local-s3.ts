/**
 * A local S3 server for the demo (and the tests): versitygw (Apache-2.0) on a free loopback
 * port over a data folder, found in the cache, on PATH or in Go's bin folder, or built with
 * `go install` when Go is there.
 * @internal
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { homedir } from 'node:os'
import { dirname, join } from 'node:path'

export const VERSITYGW_MODULE = 'github.com/versity/versitygw/cmd/versitygw@v1.8.0'
const CACHED = join(homedir(), '.cache/shutterproof/bin/versitygw')

/** `go` when it is on PATH. */
function goBinary(): string | undefined {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0 ? 'go' : undefined
}

/** Where versitygw is, or undefined. */
export function findVersitygw(): string | undefined {
  const candidates = [process.env.SHUTTERPROOF_VERSITYGW, CACHED]
  const go = goBinary()
  if (go) {
    const gopath = spawnSync(go, ['env', 'GOPATH'], { encoding: 'utf8' })
    if (gopath.status === 0) candidates.push(join(gopath.stdout.trim(), 'bin/versitygw'))
  }
  for (const c of candidates) if (c && existsSync(c)) return c
  const which = spawnSync('sh', ['-c', 'command -v versitygw'], { encoding: 'utf8' })
  return which.status === 0 ? which.stdout.trim() : undefined
}

/** Finds versitygw, or builds it with Go into the cache (minutes, once); undefined without Go. */
export function findOrBuildVersitygw(log: (line: string) => void): string | undefined {
  const found = findVersitygw()
  if (found) return found
  const go = goBinary()
  if (!go) return undefined
  log(`building versitygw with Go (${VERSITYGW_MODULE}; once, about 2 minutes)`)
  mkdirSync(dirname(CACHED), { recursive: true })
  const r = spawnSync(go, ['install', VERSITYGW_MODULE], {
    stdio: 'ignore',
    env: { ...process.env, GOBIN: dirname(CACHED) },
  })
  return r.status === 0 && existsSync(CACHED) ? CACHED : undefined
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
  })
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' })
    s.once('connect', () => {
      s.destroy()
      resolve(true)
    })
    s.once('error', () => resolve(false))
  })
}

/** A user of the server besides its root one. */
export interface LocalS3User {
  access: string
  secret: string
}

/** versitygw serving `dir/data` (one folder per bucket) on 127.0.0.1. */
export class LocalS3Server {
  readonly dataDir: string
  readonly #iamDir: string
  #child?: ChildProcess
  port = 0

  constructor(
    readonly binary: string,
    readonly dir: string,
    readonly rootKey: string,
    readonly rootSecret: string,
    users: LocalS3User[] = [],
  ) {
    this.dataDir = join(dir, 'data')
    this.#iamDir = join(dir, 'iam')
    mkdirSync(this.dataDir, { recursive: true })
    mkdirSync(this.#iamDir, { recursive: true })
    const accounts = Object.fromEntries(
      users.map((u) => [
        u.access,
        { access: u.access, secret: u.secret, role: 'user', userID: 0, groupID: 0, projectID: 0 },
      ]),
    )
    writeFileSync(join(this.#iamDir, 'users.json'), JSON.stringify({ accessAccounts: accounts }))
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Starts (or restarts, on the same port and data) the server; resolves once it accepts connections. */
  async start(): Promise<void> {
    if (!this.port) this.port = await freePort()
    const child = spawn(
      this.binary,
      [
        '-p',
        `127.0.0.1:${this.port}`,
        '-a',
        this.rootKey,
        '-s',
        this.rootSecret,
        '--iam-dir',
        this.#iamDir,
        '--keep-alive',
        '-q',
        'posix',
        this.dataDir,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    )
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    this.#child = child
    for (let i = 0; i < 400; i++) {
      if (child.exitCode !== null) throw new Error(`versitygw exited ${child.exitCode}: ${stderr}`)
      if (await connects(this.port)) return
      await new Promise((r) => setTimeout(r, 25))
    }
    child.kill('SIGKILL')
    throw new Error(`versitygw did not start on port ${this.port}: ${stderr}`)
  }

  /** Stops the server (seen from a client: the network is cut). */
  async stop(): Promise<void> {
    const child = this.#child
    this.#child = undefined
    if (!child || child.exitCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    })
  }
}
