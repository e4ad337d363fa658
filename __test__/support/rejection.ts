/** Awaiting a promise that must reject. */
import * as assert from 'uvu/assert'

/** The error `p` rejects with (fails the test when it resolves). */
export async function rejection<E = Error & { code?: string }>(
  p: Promise<unknown>,
  what = 'the promise',
): Promise<E> {
  return p.then(
    (v) => {
      assert.unreachable(`${what} resolved (${JSON.stringify(v)?.slice(0, 200)}) where it should reject`)
      throw new Error('unreachable')
    },
    (err: unknown) => err as E,
  )
}
