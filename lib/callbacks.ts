/**
 * The one guard every user callback (`onProgress`, `onFile`, …) is called through. A
 * callback that throws (or returns a promise that rejects) must not crash the host app
 * with an `uncaughtException` from a native progress queue, nor leave partial files: the
 * guard records the error, trips the operation's internal signal — which stops native
 * work exactly as an abort does — and the operation then rejects with `E_CALLBACK`
 * carrying the thrown error as `cause`.
 * @internal
 * @module
 */
import { abortError } from './abort'
import { CallbackError, type ShutterproofError } from './errors'

/** One running operation: the user's signal, plus the stop a throwing callback causes. */
export class CallbackGuard {
  readonly #controller = new AbortController()
  readonly #user: AbortSignal | undefined
  #failure: { callback: string; cause: unknown } | undefined

  /** Aborts when the user's signal aborts or a callback throws: hand it to the work. */
  readonly signal: AbortSignal

  constructor(userSignal: AbortSignal | undefined) {
    this.#user = userSignal
    this.signal = userSignal
      ? AbortSignal.any([userSignal, this.#controller.signal])
      : this.#controller.signal
  }

  /** True once the user aborted or a callback threw. */
  get stopped(): boolean {
    return this.signal.aborted
  }

  /** Rejects at once (with the abort contract's error) when the user's signal is already aborted. */
  throwIfStopped(partial?: unknown): void {
    if (this.stopped) throw this.stopError(partial)
  }

  /**
   * `fn` wrapped so that a throw or a rejected promise stops the operation instead of
   * escaping; calls after the stop are dropped. `undefined` stays `undefined`.
   */
  wrap<A extends unknown[]>(
    name: string,
    fn: ((...args: A) => unknown) | undefined,
  ): ((...args: A) => void) | undefined {
    if (typeof fn !== 'function') return undefined
    return (...args: A) => {
      if (this.stopped) return
      try {
        const out = fn(...args)
        if (
          out !== null &&
          typeof out === 'object' &&
          typeof (out as PromiseLike<unknown>).then === 'function'
        ) {
          ;(out as PromiseLike<unknown>).then(undefined, (err: unknown) => this.#fail(name, err))
        }
      } catch (err) {
        this.#fail(name, err)
      }
    }
  }

  /** Calls `fn` once through the guard (for callbacks called from plain code). */
  call<A extends unknown[]>(name: string, fn: ((...args: A) => unknown) | undefined, ...args: A): void {
    this.wrap(name, fn)?.(...args)
  }

  #fail(callback: string, cause: unknown): void {
    if (this.#failure || this.#user?.aborted) return
    this.#failure = { callback, cause }
    this.#controller.abort(cause)
  }

  /** The error to reject with once stopped: `E_CALLBACK` for a throwing callback, else `E_ABORTED`. */
  stopError(partial?: unknown): ShutterproofError {
    if (this.#failure)
      return new CallbackError(
        this.#failure.callback,
        this.#failure.cause,
        partial === undefined ? undefined : { partial },
      )
    return abortError(this.#user ?? this.signal, partial)
  }

  /** What to reject with when the work threw `err`: the stop's error if stopped, else `err` itself. */
  failure(err: unknown, partial?: unknown): unknown {
    return this.stopped ? this.stopError(partial) : err
  }
}
