/**
 * Writer registrations: each run that writes to a store (backup, a restore-test record)
 * leaves a small file under `locks/` while it runs, so that a run which finds itself the
 * only live writer may remove the temporary files a killed run left behind.
 *
 * Concurrent writers stay allowed (objects are content-addressed and published by rename);
 * the registration only decides who may sweep, and what: temporaries last modified
 * before the sweeper registered. A writer that registers later only creates temporaries
 * after that moment, so a sweep never takes a file a live writer still needs.
 * @internal
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { hostname } from 'node:os'

import type { StoreBackend } from './backend'

const FORMAT = 'shutterproof-writer/1'
const LOCKS = 'locks'
/** Folders whose temporaries a sole writer removes (`locks/` is swept by age only). */
const SWEPT = ['objects', 'index', 'tests']
/** A live writer touches its registration this often… */
const HEARTBEAT_MS = 60_000
/** …so one untouched for this long belongs to a process that is gone (or asleep). */
export const STALE_AFTER_MS = 30 * 60_000

interface Registration {
  format: string
  /** A hash of the host name: equal on one machine, and no machine name in the store. */
  host: string
  pid: number
  purpose: string
  startedAt: string
}

/** A registered writer; `release` when the run ends (also after a failure). */
export interface Writer {
  /** Temporary files of earlier, dead runs removed when this writer registered. */
  readonly temporariesRemoved: number
  /** Another live writer was registered (so nothing was swept). */
  readonly otherWriters: boolean
  release(): Promise<void>
}

let thisHost: string | undefined

/** This machine's id as kept in registrations (computed once). */
export function hostId(): string {
  thisHost ??= createHash('sha256')
    .update('shutterproof-writer-host\0')
    .update(hostname())
    .digest('hex')
    .slice(0, 16)
  return thisHost
}

/** True unless `pid` certainly names no process on this machine. */
function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: alive, owned by another user.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** Whether another registration still belongs to a running writer. */
async function isLive(backend: StoreBackend, key: string, now: number): Promise<boolean> {
  const st = await backend.stat(key)
  if (!st) return false
  let r: Registration | undefined
  try {
    r = JSON.parse((await backend.getBytes(key)).toString('utf8')) as Registration
  } catch {
    r = undefined
  }
  // Same machine: the process table answers exactly, whatever the age.
  if (r?.format === FORMAT && r.host === hostId()) return processAlive(r.pid)
  // Another machine, or unreadable: trust the heartbeat.
  return now - st.mtimeMs < STALE_AFTER_MS
}

/**
 * Registers a writer of `purpose`, removes registrations of dead writers and, when no
 * other writer is live, the temporaries they left. Keeps the registration fresh until
 * `release`.
 */
export async function registerWriter(backend: StoreBackend, purpose: string): Promise<Writer> {
  const key = `${LOCKS}/${randomBytes(8).toString('hex')}.json`
  const body: Registration = {
    format: FORMAT,
    host: hostId(),
    pid: process.pid,
    purpose,
    startedAt: new Date().toISOString(),
  }
  await backend.putBytes(key, Buffer.from(JSON.stringify(body) + '\n'))
  // The store's own clock (a network share keeps its own): temporaries older than this
  // were not made by a writer registering after us.
  const registeredAt = (await backend.stat(key))?.mtimeMs ?? Date.now()
  const heartbeat = setInterval(() => void backend.touch(key).catch(() => {}), HEARTBEAT_MS)
  heartbeat.unref()
  let temporariesRemoved = 0
  let others = 0
  try {
    for (const other of await backend.list(LOCKS)) {
      if (other === key) continue
      if (await isLive(backend, other, registeredAt)) others++
      else await backend.delete(other)
    }
    temporariesRemoved += await backend.removeTemporaries(LOCKS, registeredAt - STALE_AFTER_MS)
    if (others === 0) {
      for (const prefix of SWEPT) temporariesRemoved += await backend.removeTemporaries(prefix, registeredAt)
    }
  } catch (err) {
    clearInterval(heartbeat)
    await backend.delete(key).catch(() => {})
    throw err
  }
  let released = false
  return {
    temporariesRemoved,
    otherWriters: others > 0,
    release: async () => {
      if (released) return
      released = true
      clearInterval(heartbeat)
      await backend.delete(key)
    },
  }
}

/** Runs `fn` as a registered writer of the store, releasing the registration after. */
export async function asWriter<T>(
  backend: StoreBackend,
  purpose: string,
  fn: (w: Writer) => Promise<T>,
): Promise<T> {
  const writer = await registerWriter(backend, purpose)
  let result: T
  try {
    result = await fn(writer)
  } catch (err) {
    // The run's own error says more than a failed clean-up (e.g. the drive went away).
    await writer.release().catch(() => {})
    throw err
  }
  await writer.release()
  return result
}
