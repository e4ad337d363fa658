/**
 * Bridges an `AbortSignal` to the native cancel flag of a running task.
 * @internal
 * @module
 */
import { CancelToken } from './native'
import { AbortError } from './errors'

/**
 * Runs `work` with a native cancel token that the signal trips. Rejects with
 * `E_ABORTED` at once if the signal is already aborted (napi does not check that).
 */
export async function withCancel<T>(signal: AbortSignal | undefined, work: (token: CancelToken) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason })
  const token = new CancelToken()
  const onAbort = () => token.cancel()
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    return await work(token)
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}
