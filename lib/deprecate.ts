/**
 * Old names and signatures kept for one minor version: each warns once per process
 * (a `DeprecationWarning` with a stable code), as Node's own deprecations do.
 * @internal
 * @module
 */
const warned = new Set<string>()

/** Emits `message` once as a DeprecationWarning with `code` (e.g. `SP_DEP_RESTORE_ARGS`). */
export function deprecated(code: string, message: string): void {
  if (warned.has(code)) return
  warned.add(code)
  process.emitWarning(message, { type: 'DeprecationWarning', code })
}

/**
 * An open that became async, kept working for callers that used it synchronously: the
 * result is a promise of the object (`await openX(…)`, the supported form) whose
 * properties also reach the object directly (`openX(…).method()`, deprecated: warns once
 * under `code`). A failed open rejects (the rejection is marked handled, so a caller that
 * never awaits does not crash on it) and any direct use throws the same error.
 */
export function asyncOpen<T extends object>(open: () => T, code: string, message: string): Promise<T> & T {
  let value: T | undefined
  let failure: unknown
  let promise: Promise<T>
  try {
    value = open()
    promise = Promise.resolve(value)
  } catch (err) {
    failure = err
    promise = Promise.reject(err)
    promise.catch(() => undefined)
  }
  const own = new Set<PropertyKey>(['then', 'catch', 'finally', Symbol.toStringTag])
  return new Proxy(promise, {
    get(target, prop) {
      if (own.has(prop)) {
        const v = Reflect.get(target, prop, target) as unknown
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      }
      deprecated(code, message)
      if (value === undefined) throw failure
      const v = Reflect.get(value, prop, value) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(value) : v
    },
  }) as Promise<T> & T
}
