/**
 * Reading passphrases for the CLI: from `--passphrase-file F`, the
 * `SHUTTERPROOF_PASSPHRASE` environment variable, or the terminal without echo. Never
 * from argv, where other users could read it in the process list and shell history.
 * @module
 */
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'

import { UsageError } from './context'
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
export async function readPassphrase(opts: { passphraseFile?: string }, prompt = 'Passphrase: '): Promise<string> {
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

/** A new passphrase: asked twice on a terminal; from a file or the environment as is. */
export async function readNewPassphrase(opts: { passphraseFile?: string }): Promise<string> {
  if (opts.passphraseFile || process.env[PASSPHRASE_ENV]) return readPassphrase(opts)
  const first = await promptHidden('New passphrase: ')
  const second = await promptHidden('Repeat it: ')
  if (first !== second) throw new UsageError('the two passphrases differ; nothing was written')
  if (first === '') throw new UsageError('an empty passphrase protects nothing; nothing was written')
  return first
}

/** The 24 recovery words from a file. */
export async function readRecoveryFile(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot read --recovery-key-file ${path}: ${err.code ?? err.message}`)
  })
  // A kit saved as text may number its words ("1. abandon"): keep only the words.
  return text
    .split(/\s+/)
    .filter((w) => /^[a-z]+$/i.test(w))
    .join(' ')
}
