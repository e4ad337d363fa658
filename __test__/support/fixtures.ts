/** Test fixtures generated at run time: temporary folders, random files, tool checks. */
import { execFileSync, spawnSync } from 'node:child_process'
import { randomFillSync } from 'node:crypto'
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

export const REPO = resolve(__dirname, '../..')
/** tsx's loader by absolute URL, so child processes can run TypeScript from any folder. */
export const TSX = pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href

const made: string[] = []
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})

/** A fresh temporary folder, removed when the test process exits. */
export function tempDir(prefix = 'sp-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

const BLOCK = 16 * 1024 * 1024
let block: Buffer | undefined

/**
 * Writes `size` bytes of random-looking content (never zeros): one random 16 MiB block,
 * varied per block by a counter so no two blocks are equal.
 */
export function writeRandomFile(path: string, size: number): string {
  block ??= randomFillSync(Buffer.alloc(BLOCK))
  const fd = openSync(path, 'w')
  try {
    for (let offset = 0, n = 0; offset < size; offset += BLOCK, n++) {
      const len = Math.min(BLOCK, size - offset)
      block.writeUInt32LE(n, 0)
      writeSync(fd, block, 0, len)
    }
  } finally {
    closeSync(fd)
  }
  return path
}

let bigFile: string | undefined
/** One ≥ 1 GiB random file shared by the suites of this run (made once). */
export function gibFile(): string {
  bigFile ??= writeRandomFile(join(tempDir('sp-big-'), 'big.raw'), 1024 * 1024 * 1024 + 5)
  return bigFile
}

/** Whether a command exists on PATH. */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0
}

/** Runs a tool and returns its stdout (throws on a non-zero exit). */
export function run(cmd: string, args: string[], options: { cwd?: string } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options })
}

/** Where the shared test vectors live, or undefined when the folder is absent. */
export function vectorsDir(): string | undefined {
  const dir = process.env.SHUTTERPROOF_VECTORS ?? resolve(REPO, '../shared/vectors')
  return existsSync(dir) ? dir : undefined
}

/** Node's arguments that run the CLI from source (through tsx) with `args`. */
export function cliArgv(...args: string[]): string[] {
  return ['--import', TSX, join(REPO, 'lib/cli/main.ts'), ...args]
}

/** Runs the CLI from source (through tsx), returning exit status and output. */
export function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
  const r = spawnSync(process.execPath, cliArgv(...args), {
    encoding: 'utf8',
    cwd: options.cwd ?? REPO,
    env: { ...process.env, ...options.env },
    maxBuffer: 64 * 1024 * 1024,
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}
