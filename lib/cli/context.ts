/**
 * What every CLI command receives: output channels, the abort signal that Ctrl-C trips,
 * and the exit code to finish with. Everything printed through it has control and bidi
 * characters escaped (lib/text/escape.ts): hostile file names cannot drive the terminal.
 * @module
 */
import { fstatSync, writeSync } from 'node:fs'

import { escapeControls } from '../text/escape'
import { EXIT } from './exit-codes'

export class UsageError extends Error {}

export class CliContext {
  exitCode: number = EXIT.OK
  /** True for commands whose normal way to stop is Ctrl-C (a server): then it is not an abort. */
  interruptIsStop = false
  /** True once Ctrl-C was pressed. */
  interrupted = false
  /** True when the command itself told what Ctrl-C left (then main adds nothing). */
  interruptReported = false
  // Made on first use: `--version` and the help never need one.
  #controller: AbortController | undefined

  get signal(): AbortSignal {
    return (this.#controller ??= new AbortController()).signal
  }

  abort(): void {
    this.interrupted = true
    ;(this.#controller ??= new AbortController()).abort()
  }

  /** Text for people (or a JSON document) on stdout, escaped. */
  stdout(text: string): void {
    toStdout(escapeControls(text))
  }

  /** One JSON document on stdout (bidi and C1 characters escaped the JSON way: equal once parsed). */
  json(doc: unknown, indent = 2): void {
    this.stdout(JSON.stringify(doc, null, indent) + '\n')
  }

  /**
   * Data for other tools (checksum lines; only `hash` uses it): written byte-exact when
   * stdout is not a terminal, escaped like every message when it is. Where stdout surely
   * is no terminal (a file, a pipe, /dev/null), the bytes go straight to file descriptor 1
   * without creating `process.stdout`, which costs Node's stream modules at start-up
   * (docs/CLI.md, "Start-up"). Should that write fail (a full disk, a closed pipe, a
   * non-blocking pipe that is full), what is left goes through `process.stdout`, which
   * writes it or fails exactly as it always did.
   */
  stdoutData(text: string): void {
    if (!stdoutIsNoTerminal()) {
      if (process.stdout.isTTY) this.stdout(text)
      else toStdout(text)
      return
    }
    const bytes = Buffer.from(text)
    let done = 0
    try {
      while (done < bytes.length) done += writeSync(1, bytes, done)
    } catch (err) {
      if ((err as { code?: string }).code === 'EPIPE') readerGone()
      toStdout(bytes.subarray(done))
    }
  }

  /** Messages and progress on stderr, escaped. */
  stderr(text: string): void {
    process.stderr.write(escapeControls(text))
  }

  /** A progress line redrawn in place on a terminal: CR, the line escaped, then "erase to the end of the line" (a shorter line leaves nothing behind). */
  stderrRedraw(text: string): void {
    process.stderr.write(`\r${escapeControls(text)}\u001b[K`)
  }

  /** Columns of the terminal stderr is on (progress), or undefined when it is not one. */
  get stderrColumns(): number | undefined {
    return process.stderr.isTTY ? process.stderr.columns || 80 : undefined
  }

  /** Columns of the terminal stdout is on (tables), else 100. */
  get stdoutColumns(): number {
    return process.stdout.isTTY ? process.stdout.columns || 80 : 100
  }

  usageError(message: string): never {
    throw new UsageError(message)
  }

  /** The one style for a missing option, as commander says it for required ones. */
  missingOption(flag: string, what: string): never {
    throw new UsageError(`required option '${flag}' not specified (${what})`)
  }
}

let watching = false

/** Writes through `process.stdout`, which is made (and watched for a closed pipe) on first use. */
function toStdout(data: string | Uint8Array): void {
  if (!watching) {
    watching = true
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') readerGone()
      throw err
    })
  }
  process.stdout.write(data)
}

/**
 * The reader of stdout closed it (`shutterproof hash *.CR3 | head -1`): nobody reads what
 * is left, so stop at once and quietly, as a Unix tool ended by SIGPIPE does, instead of
 * a stack trace. Exit handlers still run (temporary folders go); whatever was written
 * durably stays, and nothing partial is ever under a final name.
 */
function readerGone(): never {
  process.exit(EXIT.STDOUT_CLOSED)
}

/**
 * True when file descriptor 1 is surely not a terminal: a regular file, a pipe or socket,
 * or (Linux) one of the memory devices /dev/null, /dev/zero, /dev/full (character devices
 * of major number 1). Anything else (a terminal, Windows) is left to `process.stdout`.
 */
function stdoutIsNoTerminal(): boolean {
  if (process.platform === 'win32') return false
  try {
    const st = fstatSync(1)
    if (st.isFile() || st.isFIFO() || st.isSocket()) return true
    return process.platform === 'linux' && st.isCharacterDevice() && Math.floor(st.rdev / 256) % 4096 === 1
  } catch {
    return false
  }
}
