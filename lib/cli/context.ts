/**
 * What every CLI command receives: output channels, the abort signal that Ctrl-C trips,
 * and the exit code to finish with.
 * @module
 */
import { EXIT } from './exit-codes'

export class UsageError extends Error {}

export class CliContext {
  exitCode: number = EXIT.OK
  /** True for commands whose normal way to stop is Ctrl-C (a server): then it is not an abort. */
  interruptIsStop = false
  readonly #controller = new AbortController()

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  abort(): void {
    this.#controller.abort()
  }

  stdout(text: string): void {
    process.stdout.write(text)
  }

  stderr(text: string): void {
    process.stderr.write(text)
  }

  usageError(message: string): never {
    throw new UsageError(message)
  }
}
