/**
 * What every CLI command receives: output channels, the abort signal that Ctrl-C trips,
 * and the exit code to finish with. Everything printed through it has control and bidi
 * characters escaped (lib/text/escape.ts): hostile file names cannot drive the terminal.
 * @module
 */
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
  readonly #controller = new AbortController()

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  abort(): void {
    this.interrupted = true
    this.#controller.abort()
  }

  /** Text for people (or a JSON document) on stdout, escaped. */
  stdout(text: string): void {
    process.stdout.write(escapeControls(text))
  }

  /** One JSON document on stdout (bidi and C1 characters escaped the JSON way: equal once parsed). */
  json(doc: unknown, indent = 2): void {
    this.stdout(JSON.stringify(doc, null, indent) + '\n')
  }

  /** Bytes for other tools (checksum lines), written as they are. Only `hash` uses it, and not on a terminal. */
  stdoutRaw(text: string): void {
    process.stdout.write(text)
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
