/**
 * A real SMTP server for the tests: Python's aiosmtpd (pip package `aiosmtpd`, installed by
 * scripts/install-test-tools.sh) running ./smtp-sink.py on 127.0.0.1 at a free port. It
 * speaks real SMTP — EHLO, STARTTLS or TLS from the first byte, AUTH LOGIN/PLAIN — and
 * writes each message it accepts into a folder, where the tests read it back.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

import { tempDir } from './fixtures'

/** One message the sink accepted. */
export interface SunkMail {
  mailFrom: string
  rcptTos: string[]
  subject: string
  from: string
  to: string
  headers: Record<string, string>
  text: string | null
  html: string | null
  parts: string[]
  /** The TLS version of the connection (`TLSv1.3`), or null for plain SMTP. */
  tls: string | null
  /** The user name it logged in as, or null. */
  login: string | null
}

export interface SmtpSink {
  port: number
  /** Every message so far, oldest first. */
  messages(): SunkMail[]
  /** Waits until a message matching `pick` (given the message and its place, 0 first) arrives (default: any), up to `timeoutMs`. */
  waitFor(pick?: (m: SunkMail, index: number) => boolean, timeoutMs?: number): Promise<SunkMail>
  close(): Promise<void>
}

export interface SmtpSinkOptions {
  starttls?: { certPath: string; keyPath: string }
  tls?: { certPath: string; keyPath: string }
  auth?: { user: string; pass: string }
  rejectRcpt?: string[]
  failData?: boolean
  delayMs?: number
}

const SCRIPT = join(__dirname, 'smtp-sink.py')

/** Why the sink cannot run here, or `undefined` when it can. */
export function smtpSinkMissing(): string | undefined {
  const check = spawnSync('python3', ['-c', 'import aiosmtpd'], { encoding: 'utf8' })
  if (check.error) return 'python3 is missing'
  if (check.status !== 0)
    return 'the Python package aiosmtpd is missing (pip install aiosmtpd; scripts/install-test-tools.sh installs it)'
  return undefined
}

/** Starts the sink and resolves once it listens. */
export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const dir = tempDir('sp-smtp-')
  const args = [SCRIPT, '--dir', dir]
  if (options.starttls) args.push('--starttls', options.starttls.certPath, options.starttls.keyPath)
  if (options.tls) args.push('--tls', options.tls.certPath, options.tls.keyPath)
  if (options.auth) args.push('--auth', `${options.auth.user}:${options.auth.pass}`)
  for (const r of options.rejectRcpt ?? []) args.push('--reject-rcpt', r)
  if (options.failData) args.push('--fail-data')
  if (options.delayMs) args.push('--delay-ms', String(options.delayMs))
  const child: ChildProcess = spawn('python3', args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port))
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited (${code}) before listening`)))
    child.once('error', reject)
  })
  const messages = (): SunkMail[] =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SunkMail)
  return {
    port,
    messages,
    async waitFor(pick = () => true, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const found = messages().find(pick)
        if (found) return found
        if (Date.now() > until)
          throw new Error(`no matching mail within ${timeoutMs} ms (the sink has ${messages().length})`)
        await new Promise((r) => setTimeout(r, 25))
      }
    },
    async close() {
      if (child.exitCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      child.stdin!.end()
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
      await exited
      clearTimeout(timer)
    },
  }
}
