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
  return new AbortError(
    'The operation was aborted',
    partial === undefined ? { cause: signal.reason } : { cause: signal.reason, partial },
  )
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
export async function withCancel<T>(
  signal: AbortSignal | undefined,
  work: (token: CancelToken) => Promise<T>,
): Promise<T> {
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

/**
 * Settles like `work`, unless `signal` aborts first: then it rejects at once with the
 * contract's error, and `discard` receives the value `work` still produces later. For
 * native work that cannot be interrupted (an Argon2id derivation): the caller hears of the
 * abort within milliseconds, and `discard` undoes what the late result would have done
 * (closes a vault, removes a file nobody will commit).
 */
export function raceAbort<T>(
  signal: AbortSignal | undefined,
  work: Promise<T>,
  discard?: (late: T) => void,
): Promise<T> {
  if (!signal) return work
  return new Promise<T>((resolve, reject) => {
    let settled = false
    const onAbort = () => {
      if (settled) return
      settled = true
      reject(abortError(signal))
    }
    signal.addEventListener('abort', onAbort, { once: true })
    if (signal.aborted) onAbort()
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        if (!settled) {
          settled = true
          resolve(value)
        } else discard?.(value)
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort)
        if (!settled) {
          settled = true
          reject(err)
        }
      },
    )
  })
}
