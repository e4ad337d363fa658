/**
 * Where the CLI keeps sharing state: `--home DIR`, else `SHUTTERPROOF_HOME`, else
 * `~/.shutterproof` (created mode 0700; an existing one that others can enter is
 * tightened to 0700, or refused when that is not possible). It holds the registry
 * (`shares.db`), the server key (`server.key`, 32 random bytes, mode 0600, created once,
 * never printed) and, optionally, the server's settings (`share.json`, see
 * {@link ShareConfig}; it may hold the SMTP password, which is why the folder is private).
 * @module
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

import { FileSystemError, InvalidArgumentError } from '../errors'
import type { SmtpSettings } from '../share/mail/smtp-settings'

/** The state folder for these options and this environment. */
export function shareHome(option: string | undefined): string {
  return resolve(option ?? process.env.SHUTTERPROOF_HOME ?? join(homedir(), '.shutterproof'))
}

/** The state folder's paths; `tightened` holds the old mode when an existing folder was made owner-only. */
export interface HomePaths {
  home: string
  db: string
  key: string
  config: string
  tightened?: number
}

/**
 * Creates the state folder (mode 0700) if needed and returns its paths. An existing
 * folder that group or others can enter is tightened to 0700; when that fails (not
 * ours), it is refused: the key and the client addresses in the log must stay private.
 */
export function ensureHome(home: string): HomePaths {
  mkdirSync(home, { recursive: true, mode: 0o700 })
  const paths: HomePaths = {
    home,
    db: join(home, 'shares.db'),
    key: join(home, 'server.key'),
    config: join(home, 'share.json'),
  }
  const st = statSync(home)
  if (!st.isDirectory())
    throw new InvalidArgumentError(`${home} is not a folder; give the share home folder with --home`, {
      path: home,
    })
  const mode = st.mode & 0o777
  if (mode & 0o077) {
    try {
      chmodSync(home, 0o700)
    } catch (err) {
      throw new FileSystemError(
        'EACCES',
        `${home} can be entered by other users (mode ${mode.toString(8)}) and cannot be made private (${(err as NodeJS.ErrnoException).code}); run chmod 700 ${home}`,
        { path: home },
      )
    }
    paths.tightened = mode
  }
  return paths
}

/** The share server's settings in `share.json` in the share home; every field optional, command-line options win. */
export interface ShareConfig {
  /** Where clients reach the server, e.g. `https://photos.example.com`. */
  publicUrl?: string
  /** The folder the shared session folders are in; `share serve` serves nothing outside it. */
  root?: string
  /** Reverse proxies whose `X-Forwarded-For`/`-Proto` are believed, e.g. `["127.0.0.1"]`. */
  trustProxy?: string[]
  /** PEM certificate chain and key, for direct HTTPS. */
  tlsCert?: string
  tlsKey?: string
  /** The request log file (default stdout). */
  logFile?: string
  /**
   * The SMTP server sign-in codes are mailed through (links bound to recipients), e.g.
   * `{"url": "smtp://studio%40example.com:APP-PASSWORD@smtp.example.com:587", "from": "Jane Doe Photography <studio@example.com>"}`;
   * `SHUTTERPROOF_SMTP_URL` / `SHUTTERPROOF_SMTP_FROM` win over it. See docs/SIGNIN.md.
   */
  smtp?: Partial<SmtpSettings>
}

type FieldKind = 'string' | 'strings' | 'smtp'

const CONFIG_FIELDS: Record<keyof ShareConfig, FieldKind> = {
  publicUrl: 'string',
  root: 'string',
  trustProxy: 'strings',
  tlsCert: 'string',
  tlsKey: 'string',
  logFile: 'string',
  smtp: 'smtp',
}

/** The fields of `smtp` in share.json, and whether each may also be a number. */
const SMTP_FIELDS: Record<keyof SmtpSettings, 'string' | 'duration'> = {
  url: 'string',
  from: 'string',
  caFile: 'string',
  timeout: 'duration',
}

/** Why a share.json field's value is wrong, or `undefined` when it is right. */
function fieldProblem(k: string, kind: FieldKind, v: unknown): string | undefined {
  if (kind === 'string')
    return typeof v === 'string' && v !== '' ? undefined : `${k} must be a non-empty string`
  if (kind === 'strings')
    return Array.isArray(v) && v.every((x) => typeof x === 'string')
      ? undefined
      : `${k} must be a list of strings`
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return 'smtp must be an object like {"url": "smtp://USER:PASSWORD@HOST:587", "from": "Name <address>"}'
  for (const [f, x] of Object.entries(v)) {
    const want = SMTP_FIELDS[f as keyof SmtpSettings]
    if (!want) return `unknown field "smtp.${f}" (known: ${Object.keys(SMTP_FIELDS).join(', ')})`
    const ok = (typeof x === 'string' && x !== '') || (want === 'duration' && typeof x === 'number')
    if (!ok)
      return `smtp.${f} must be a non-empty string${want === 'duration' ? ' (e.g. "20s") or milliseconds' : ''}`
  }
  return undefined
}

/** Reads `share.json` (absent: `{}`); a malformed file or unknown field fails naming the file. */
export function readShareConfig(path: string): ShareConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
  const bad = (why: string) =>
    new InvalidArgumentError(`${path}: ${why}; see docs/DEPLOY.md for its fields`, { path })
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw bad(`not valid JSON (${(err as Error).message})`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('must hold a JSON object')
  for (const [k, v] of Object.entries(value)) {
    const kind = CONFIG_FIELDS[k as keyof ShareConfig]
    if (!kind)
      throw bad(`unknown field ${JSON.stringify(k)} (known: ${Object.keys(CONFIG_FIELDS).join(', ')})`)
    const problem = fieldProblem(k, kind, v)
    if (problem) throw bad(problem)
  }
  return value as ShareConfig
}

/**
 * Reads the server key, creating it (O_EXCL, mode 0600) on first use. Refuses a key file
 * that others can read or that is not exactly 32 bytes.
 */
export function loadServerKey(path: string): Buffer {
  try {
    const fd = openSync(path, 'wx', 0o600)
    try {
      writeSync(fd, randomBytes(32))
    } finally {
      closeSync(fd)
    }
    chmodSync(path, 0o600)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  }
  const mode = statSync(path).mode & 0o777
  if (mode & 0o077) {
    throw new FileSystemError(
      'EACCES',
      `${path} can be read by other users (mode ${mode.toString(8)}); run chmod 600 ${path}`,
      { path },
    )
  }
  const key = readFileSync(path)
  if (key.length !== 32) {
    throw new InvalidArgumentError(
      `${path} is not a Shutterproof server key (${key.length} bytes, expected 32); move it away to make a new one (existing links stop working)`,
      { path },
    )
  }
  return key
}
