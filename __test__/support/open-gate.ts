/**
 * A gate on one file's next open(): a Linux write lease (fcntl F_SETLEASE) held by a small
 * python3 process. Whoever opens the file then blocks in open() until the gate is
 * released, and the holder learns of it at once (SIGIO). Tests use it to act at an exact
 * point of a native copy — "the engine is opening file k" — instead of racing a timer
 * (the card-pull test lost that race three times in a row on CI of 606ea88).
 *
 * The kernel breaks a lease by itself after /proc/sys/fs/lease-break-time (45 s by
 * default), so a test that never releases the gate is slow, not hung.
 */
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'

const HOLDER = `
import fcntl, os, signal, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
def broken(sig, frame):
    print("opening", flush=True)
    sys.stdin.readline()
    fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_UNLCK)
    sys.exit(0)
signal.signal(signal.SIGIO, broken)
fcntl.fcntl(fd, fcntl.F_SETLEASE, fcntl.F_WRLCK)
print("held", flush=True)
while True:
    signal.pause()
`

export interface OpenGate {
  /** Settles when someone is blocked opening the file. */
  opening: Promise<void>
  /** Lets the blocked open() go on. */
  release(): void
}

/** Why no gate can be held on this machine (no python3, leases off), or undefined. */
export function openGateMissing(): string | undefined {
  if (spawnSync('python3', ['-c', '0']).status !== 0) return 'python3 is not installed'
  try {
    if (readFileSync('/proc/sys/fs/leases-enable', 'utf8').trim() === '1') return undefined
  } catch {
    // not Linux
  }
  return 'file leases are off (/proc/sys/fs/leases-enable)'
}

/** Holds the gate on `path`, or says why it cannot (no python3, leases disabled, …). */
export async function holdOpenGate(path: string): Promise<OpenGate | string> {
  const child = spawn('python3', ['-c', HOLDER, path], { stdio: ['pipe', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  const first = await lines.next().catch(() => ({ value: undefined }))
  if (first.value !== 'held') {
    child.kill()
    return `cannot hold a lease on ${path}: ${stderr.trim() || 'python3 did not start'}`
  }
  const opening = lines.next().then((l) => {
    if (l.value !== 'opening') throw new Error(`lease holder: ${stderr.trim() || 'ended early'}`)
  })
  return {
    opening,
    release: () => {
      child.stdin.end('go\n')
    },
  }
}
