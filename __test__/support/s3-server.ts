/**
 * A real S3 server for the tests: versitygw (Apache-2.0) on a free loopback port over a
 * temporary data folder, with a second user that owns nothing. Installed by
 * scripts/install-test-tools.sh; when it is missing, suites skip loudly.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT_KEY = 'SPTESTROOTKEY'
export const ROOT_SECRET = 'sp-test-root-secret-0123456789'
/** A user of the server that owns no bucket (for "no permission" tests). */
export const OTHER_KEY = 'SPTESTOTHERKEY'
export const OTHER_SECRET = 'sp-test-other-secret-0123456789'

/** Where versitygw is, or undefined. */
export function versitygwPath(): string | undefined {
  const candidates = [process.env.SHUTTERPROOF_VERSITYGW, join(homedir(), '.cache/shutterproof/bin/versitygw')]
  const gopath = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' })
  if (gopath.status === 0) candidates.push(join(gopath.stdout.trim(), 'bin/versitygw'))
  for (const c of candidates) if (c && existsSync(c)) return c
  const which = spawnSync('sh', ['-c', 'command -v versitygw'], { encoding: 'utf8' })
  return which.status === 0 ? which.stdout.trim() : undefined
}

/** Prints the loud skip notice once per suite; returns whether S3 tests can run. */
export function s3Available(suite: string): boolean {
  if (versitygwPath()) return true
  console.log(`\n!!! SKIPPED: ${suite}: versitygw is not installed (scripts/install-test-tools.sh installs it with Go); these S3 tests are skipped, not passed\n`)
  return false
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

/** Data folders need user xattrs: a disk-backed folder rather than a tmpfs /tmp. */
function baseDir(): string {
  for (const d of [process.env.SHUTTERPROOF_S3_TEST_DIR, '/var/tmp', tmpdir()]) if (d && existsSync(d)) return d
  return tmpdir()
}

export class S3TestServer {
  readonly dir: string
  /** The bucket folders live here: what the provider's disks would hold. */
  readonly dataDir: string
  readonly #iamDir: string
  #child?: ChildProcess
  port = 0

  constructor() {
    this.dir = mkdtempSync(join(baseDir(), 'sp-s3-'))
    this.dataDir = join(this.dir, 'data')
    this.#iamDir = join(this.dir, 'iam')
    mkdirSync(this.dataDir)
    mkdirSync(this.#iamDir)
    const user = { access: OTHER_KEY, secret: OTHER_SECRET, role: 'user', userID: 0, groupID: 0, projectID: 0 }
    writeFileSync(join(this.#iamDir, 'users.json'), JSON.stringify({ accessAccounts: { [OTHER_KEY]: user } }))
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Environment for a CLI child (or an `aws` option) signing as the root user. */
  env(key = ROOT_KEY, secret = ROOT_SECRET): Record<string, string> {
    return { AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: 'us-east-1' }
  }

  /** Starts (or restarts, on the same port and data) the server; resolves when it accepts connections. */
  async start(): Promise<void> {
    const bin = versitygwPath()
    if (!bin) throw new Error('versitygw is not installed')
    if (!this.port) this.port = await freePort()
    const child = spawn(bin, ['-p', `127.0.0.1:${this.port}`, '-a', ROOT_KEY, '-s', ROOT_SECRET, '--iam-dir', this.#iamDir, '--keep-alive', '-q', 'posix', this.dataDir], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d) => (stderr += d))
    this.#child = child
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`versitygw exited ${child.exitCode}: ${stderr}`)
      if (await connects(this.port)) return
      await new Promise((r) => setTimeout(r, 25))
    }
    throw new Error(`versitygw did not start on port ${this.port}: ${stderr}`)
  }

  /** Stops the server (a network cut, seen from the client). */
  async stop(): Promise<void> {
    const child = this.#child
    if (!child || child.exitCode !== null) return
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGKILL')
    })
    this.#child = undefined
  }

  /** Stops the server and removes its data. */
  async close(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Starts a server; the caller closes it. */
export async function startS3Server(): Promise<S3TestServer> {
  const s = new S3TestServer()
  await s.start()
  return s
}
