/**
 * The abort contract, in one place: every async function rejects with an
 * {@link AbortError} (`name` `'AbortError'`, `code` `E_ABORTED`, `cause` the signal's
 * `reason`, and `partial` where work was done), and bridges the signal to the native
 * cancel flag of a running task.
 * @internal
 * @module
 */
import { CancelToken } from './native'
import { AbortError } from './errors'

/** The error an operation rejects with when `signal` aborted. */
export function abortError(signal: AbortSignal, partial?: unknown): AbortError {
  return new AbortError('The operation was aborted', partial === undefined ? { cause: signal.reason } : { cause: signal.reason, partial })
}

/** Throws the contract's {@link AbortError} when `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal)
}

/**
 * Runs `work` with a native cancel token that the signal trips. Rejects with `E_ABORTED`
 * at once if the signal is already aborted (napi does not check that), and with the
 * contract's error (cause: the signal's reason) when it aborts during the work.
 */
export async function withCancel<T>(signal: AbortSignal | undefined, work: (token: CancelToken) => Promise<T>): Promise<T> {
  throwIfAborted(signal)
  const token = new CancelToken()
  const onAbort = () => token.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return await work(token)
  } catch (err) {
    if (signal?.aborted) throw abortError(signal)
    throw err
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}
