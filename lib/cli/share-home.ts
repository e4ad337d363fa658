/**
 * Where the CLI keeps sharing state: `--home DIR`, else `SHUTTERPROOF_HOME`, else
 * `~/.shutterproof` (created mode 0700). It holds the registry (`shares.db`) and the
 * server key (`server.key`, 32 random bytes, mode 0600, created once, never printed).
 * @module
 */
import { randomBytes } from 'node:crypto'
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

import { FileSystemError, InvalidArgumentError } from '../errors'

/** The state folder for these options and this environment. */
export function shareHome(option: string | undefined): string {
  return resolve(option ?? process.env.SHUTTERPROOF_HOME ?? join(homedir(), '.shutterproof'))
}

/** Creates the state folder (mode 0700) if needed and returns its paths. */
export function ensureHome(home: string): { home: string; db: string; key: string } {
  mkdirSync(home, { recursive: true, mode: 0o700 })
  return { home, db: join(home, 'shares.db'), key: join(home, 'server.key') }
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
    throw new FileSystemError('EACCES', `${path} can be read by other users (mode ${mode.toString(8)}); run chmod 600 ${path}`, { path })
  }
  const key = readFileSync(path)
  if (key.length !== 32) {
    throw new InvalidArgumentError(`${path} is not a Shutterproof server key (${key.length} bytes, expected 32); move it away to make a new one (existing links stop working)`, { path })
  }
  return key
}
