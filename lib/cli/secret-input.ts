/**
 * Reading passphrases for the CLI: from `--passphrase-file F`, the
 * `SHUTTERPROOF_PASSPHRASE` environment variable, or the terminal without echo. Never
 * from argv, where other users could read it in the process list and shell history.
 * @module
 */
import { readFileSync } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'

import { UsageError, type CliContext } from './context'
import { escapeControls } from '../text/escape'

export const PASSPHRASE_ENV = 'SHUTTERPROOF_PASSPHRASE'

/**
 * Reads one line from the terminal without echoing it (control characters are ignored).
 * Without a terminal it fails with `noTerminal`, which should say where else the secret
 * can come from.
 */
export function promptHidden(
  question: string,
  noTerminal = `no terminal to ask for a passphrase: use --passphrase-file FILE or set ${PASSPHRASE_ENV}`,
): Promise<string> {
  const stdin = process.stdin
  if (!stdin.isTTY) return Promise.reject(new UsageError(noTerminal))
  process.stderr.write(escapeControls(question))
  return new Promise((resolve, reject) => {
    let value = ''
    stdin.setRawMode(true)
    stdin.resume()
    stdin.setEncoding('utf8')
    const done = (err?: Error) => {
      stdin.setRawMode(false)
      stdin.pause()
      stdin.removeListener('data', onData)
      process.stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done()
        if (ch === '\u0003') return done(new UsageError('cancelled'))
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1)
        else if (ch >= ' ') value += ch
      }
    }
    stdin.on('data', onData)
  })
}

/** The first line of a secret file (a trailing newline is not part of the secret). */
export function firstLineOf(path: string): string {
  return readFileSync(path, 'utf8').split(/\r?\n/)[0]!
}

/** The passphrase from a file (first line), the environment, or the terminal. */
export async function readPassphrase(
  opts: { passphraseFile?: string },
  prompt = 'Passphrase: ',
): Promise<string> {
  if (opts.passphraseFile) {
    const text = await readFile(opts.passphraseFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read --passphrase-file ${opts.passphraseFile}: ${err.code ?? err.message}`)
    })
    const line = text.split(/\r?\n/)[0] ?? ''
    if (line === '') throw new UsageError(`--passphrase-file ${opts.passphraseFile} is empty`)
    return line
  }
  const fromEnv = process.env[PASSPHRASE_ENV]
  if (fromEnv) return fromEnv
  return promptHidden(prompt)
}

/** Tries a terminal user gets for a passphrase the check refuses, and for a confirmation that differs. */
const TRIES = 3

/**
 * A new passphrase: from a file or the environment as is, else asked on the terminal,
 * then confirmed. `refuse` returns why a passphrase is not acceptable (e.g. too weak),
 * or undefined: from a file or the environment that is an error; on the terminal the
 * passphrase is asked again. A confirmation that differs asks for the confirmation
 * again, not for the passphrase.
 */
export async function readNewPassphrase(
  opts: { passphraseFile?: string },
  refuse: (passphrase: string) => string | undefined = () => undefined,
): Promise<string> {
  if (opts.passphraseFile || process.env[PASSPHRASE_ENV]) {
    const given = await readPassphrase(opts)
    const why = refuse(given)
    if (why) throw new UsageError(`${why}; nothing was written`)
    return given
  }
  let first = ''
  for (let tries = 1; ; tries++) {
    first = await promptHidden('New passphrase: ')
    const why = first === '' ? 'an empty passphrase protects nothing' : refuse(first)
    if (!why) break
    if (tries >= TRIES) throw new UsageError(`${why}; nothing was written`)
    process.stderr.write(`${why}.\n`)
  }
  for (let tries = 1; ; tries++) {
    if ((await promptHidden('Repeat it: ')) === first) return first
    if (tries >= TRIES)
      throw new UsageError('the confirmation differs from the passphrase; nothing was written')
    process.stderr.write('That differs from the passphrase; type the confirmation again.\n')
  }
}

/**
 * The text of a `--recovery-key-file`, unchanged: the core reads the words by the one rule
 * of docs/FORMAT.md "Recovery key" (the same as for the API's `recoveryKey`), which skips
 * a kit's list numbers ("1. abandon") and a byte order mark.
 */
export async function readRecoveryFile(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read --recovery-key-file ${path}: ${err.code ?? err.message}`)
  })
}

/**
 * Warns (stderr) when a secret-bearing file such as a vault key file can be read by other
 * users: older versions wrote vaults 0644. The vault is still sealed by its passphrase,
 * but a copy of it is what an offline guesser needs.
 */
export async function warnIfReadableByOthers(path: string, ctx: CliContext): Promise<void> {
  const mode = (await stat(path).catch(() => undefined))?.mode
  if (mode !== undefined && (mode & 0o077) !== 0) {
    ctx.stderr(
      `shutterproof: warning: ${path} can be read by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}\n`,
    )
  }
}
