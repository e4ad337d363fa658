/**
 * The private temporary folders that spilled per-file state lives in (issue #18), named
 * after the process that owns them: `shutterproof-<kind>-<pid>-XXXXXX` under
 * `os.tmpdir()`, mode 0700. A folder is removed when its user is done and, at the latest,
 * when the process exits; a process killed by a signal runs no exit handler, so the first
 * folder a process opens also sweeps the folders of processes that are gone.
 * @internal
 * @module
 */
import { lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** What a folder holds: `SpillTable`s (lib/spill/table.ts) or a backup's spilled lines (lib/spill/lines.ts). */
export type SpillKind = 'spill' | 'backup'

/** Our folders' names; the pid is the owner's. Older versions' names (no pid) do not match and are never swept. */
const OURS = /^shutterproof-(?:spill|backup)-([1-9][0-9]{0,9})-[A-Za-z0-9]{6}$/

/** Folders still open, removed when the process exits. */
const open = new Set<string>()
let hooked = false
let swept = false

function removeAll(): void {
  for (const dir of open) rmSync(dir, { recursive: true, force: true })
  open.clear()
}

/**
 * Makes a new private folder for `kind` and registers it for removal at exit; the first
 * call in a process sweeps stale folders first ({@link sweepStaleFolders}).
 */
export function openSpillFolder(kind: SpillKind): string {
  if (!swept) {
    swept = true
    sweepStaleFolders(tmpdir())
  }
  const dir = mkdtempSync(join(tmpdir(), `shutterproof-${kind}-${process.pid}-`))
  open.add(dir)
  if (!hooked) {
    hooked = true
    process.once('exit', removeAll)
  }
  return dir
}

/** Removes a folder {@link openSpillFolder} made, with everything in it. Idempotent. */
export function removeSpillFolder(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  open.delete(dir)
}

/**
 * Removes the folders in `dir` that a process left which no longer runs: only names of
 * ours, only real folders (not links) owned by this user, never this process's and never
 * one whose process answers (or that we may not signal). One `readdir`; a folder that
 * cannot be removed is left. Returns the folders removed.
 */
export function sweepStaleFolders(dir: string): string[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  const removed: string[] = []
  for (const name of names) {
    const pid = Number(OURS.exec(name)?.[1])
    if (!pid || pid === process.pid || isRunning(pid)) continue
    const path = join(dir, name)
    if (!ownFolder(path)) continue
    try {
      rmSync(path, { recursive: true, force: true })
      removed.push(path)
    } catch {
      // Another process sweeping at the same time, or a file we may not remove: not ours to force.
    }
  }
  return removed
}

/** Whether `pid` names a process: only ESRCH says it does not (EPERM is another user's live process). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}

/** A folder (not a link to one) that this user owns (where the platform has users). */
function ownFolder(path: string): boolean {
  const st = lstatSync(path, { throwIfNoEntry: false })
  if (!st?.isDirectory()) return false
  return process.getuid === undefined || st.uid === process.getuid()
}
