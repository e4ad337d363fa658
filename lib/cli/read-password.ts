/**
 * Reading a chosen password without putting it on the command line: from a file, from
 * `SHUTTERPROOF_SHARE_PASSWORD`, or typed on the terminal without echo.
 * @module
 */
import { readFileSync } from 'node:fs'

import { UsageError } from './context'

/** The first line of a password file (a trailing newline is not part of the password). */
export function passwordFromFile(path: string): string {
  const text = readFileSync(path, 'utf8')
  return text.split(/\r?\n/)[0]!
}

/** Reads one line from the terminal without echoing it. */
export function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin
  if (!stdin.isTTY) {
    return Promise.reject(
      new UsageError('no terminal to type the password on; use --password-file FILE or SHUTTERPROOF_SHARE_PASSWORD, or --password generate'),
    )
  }
  process.stderr.write(prompt)
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
