/**
 * Fuzzing the CLI's path arguments (fast-check, fixed seed; `npm run fuzz` runs it long):
 * `hash`, `inspect`, `seal` and `open` run in this process (the real `main`) on files with
 * hostile names — dashes, dots, spaces, control characters, Unicode tricks — given as
 * relative, absolute, dotted, missing or option-looking paths. Whatever the arguments:
 * a documented exit code, error lines with documented codes, and no file written
 * anywhere but beside an input or in the `-o` folder.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'

import fc from 'fast-check'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { main } from '../lib/cli/main'
import { createVault } from '../lib/keys/vault'
import { sealFile } from '../lib/seal/files'
import { tempDir } from './support/fixtures'
import { fuzz, hostileText } from './support/fuzz'

const EXIT_CODES = [0, 1, 2, 3]
const CODES = new Set([
  'ENOENT',
  'EISDIR',
  'EACCES',
  'E_NO_SPACE',
  'E_READ_ONLY',
  'E_IO',
  'E_EXISTS',
  'E_AUTH',
  'E_TRUNCATED',
  'E_FORMAT',
  'E_WRONG_KEY',
  'E_BAD_PASSPHRASE',
  'E_BAD_RECOVERY_KEY',
  'E_KDF_LIMIT',
  'E_INVALID_ARGUMENT',
])

function scratch(): string {
  if (!existsSync('/dev/shm')) return tempDir('sp-fuzz-cli-')
  const dir = mkdtempSync('/dev/shm/sp-fuzz-cli-')
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Every path under `dir` (folders end in `/`). */
function walk(dir: string, prefix = '', out: string[] = []): string[] {
  for (const n of readdirSync(dir)) {
    const isDir = lstatSync(join(dir, n)).isDirectory()
    out.push(prefix + n + (isDir ? '/' : ''))
    if (isDir) walk(join(dir, n), prefix + n + '/', out)
  }
  return out
}

/** Runs `main(argv)` in `cwd` with stdout and stderr captured. */
async function run(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  const writes = { out: '', err: '' }
  const stdout = process.stdout.write.bind(process.stdout)
  const stderr = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((s: string | Uint8Array) => (
    (writes.out += String(s)),
    true
  )) as typeof process.stdout.write
  process.stderr.write = ((s: string | Uint8Array) => (
    (writes.err += String(s)),
    true
  )) as typeof process.stderr.write
  const home = process.cwd()
  process.chdir(cwd)
  try {
    return { code: await main(argv), ...writes }
  } finally {
    process.chdir(home)
    process.stdout.write = stdout
    process.stderr.write = stderr
  }
}

/** A name a file can have on Linux: no `/`, no NUL, not `.` or `..`, at most 200 bytes. */
const fileName = fc
  .oneof(
    hostileText(40),
    fc.constantFrom(
      '-',
      '--',
      '-o',
      '--json',
      '-h',
      ' a',
      'a ',
      'a.sealed',
      '.sealed',
      '...sealed',
      'x\nY',
      'é',
      'e\u0301',
    ),
  )
  // As the file system stores it: UTF-8, so a lone surrogate becomes U+FFFD.
  .map((n) => Buffer.from(n.replace(/[/\0]/g, '_'), 'utf8').toString('utf8'))
  .filter((n) => n !== '' && n !== '.' && n !== '..' && Buffer.byteLength(n) <= 200)

test('CLI path arguments: documented exit codes and errors, and nothing written outside where outputs go', async () => {
  const root = scratch()
  const keys = join(root, 'keys')
  mkdirSync(keys)
  const vaultPath = join(keys, 'studio.spkey')
  const { vault } = await createVault(vaultPath, {
    passphrase: 'fuzz pass',
    kdf: { memoryKiB: 8, iterations: 1, parallelism: 1 },
  })
  writeFileSync(join(keys, 'pass.txt'), 'fuzz pass\n')
  let n = 0
  try {
    await fuzz(
      'cli: path arguments',
      fc.asyncProperty(
        fc.uniqueArray(fileName, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('hash', 'inspect', 'seal', 'open'),
        fc.array(
          fc.tuple(fc.nat(), fc.constantFrom('plain', './', 'abs', 'dotdot', 'trailing/', 'missing', 'dir')),
          { minLength: 1, maxLength: 3 },
        ),
        fc.constantFrom(undefined, 'out', 'out/', 'new-out', '-', 'in/a-file'),
        fc.boolean(),
        async (names, command, picks, output, json) => {
          const work = join(root, `case-${++n}`)
          const inDir = join(work, 'in')
          mkdirSync(join(inDir, 'dir'), { recursive: true })
          mkdirSync(join(work, 'out'))
          writeFileSync(join(inDir, 'a-file'), 'x')
          for (const [i, name] of names.entries()) {
            const p = join(inDir, name)
            if (existsSync(p)) continue
            if (command === 'open' && i === 0) await sealFile(join(inDir, 'a-file'), p, { vault })
            else writeFileSync(p, `photo ${i}`)
          }
          const paths = picks.map(([i, form]) => {
            const name = names[i % names.length]!
            switch (form) {
              case './':
                return `./in/${name}`
              case 'abs':
                return join(inDir, name)
              case 'dotdot':
                return `in/dir/../${name}`
              case 'trailing/':
                return `in/${name}/`
              case 'missing':
                return `in/missing-${name}`
              case 'dir':
                return 'in/dir'
              default:
                return `in/${name}`
            }
          })
          const argv = [command, ...(command === 'inspect' ? paths.slice(0, 1) : paths)]
          if (command === 'seal' || command === 'open')
            argv.push('--vault', vaultPath, '--passphrase-file', join(keys, 'pass.txt'))
          if (output !== undefined && command !== 'hash' && command !== 'inspect') argv.push('-o', output)
          if (json) argv.push('--json')
          const before = new Set(walk(work))
          const { code, err } = await run(argv, work)
          if (!EXIT_CODES.includes(code)) throw new Error(`${argv.join(' ')}: exit code ${code}`)
          for (const m of err.matchAll(/\[([A-Z_]+)\]\s*$/gm))
            if (!CODES.has(m[1]!)) throw new Error(`${argv.join(' ')}: undocumented code ${m[1]}`)
          if (/unexpected error|TypeError|RangeError/.test(err)) throw new Error(`${argv.join(' ')}: ${err}`)
          // New files only: the -o file itself, or files named after an input, beside
          // the inputs (in/) or in the -o folder.
          const outTo = output?.replace(/\/$/, '')
          for (const p of walk(work)) {
            if (before.has(p) || p.endsWith('/')) continue
            if (p === outTo) continue
            const inside = p.startsWith('in/') || (outTo !== undefined && p.startsWith(outTo + '/'))
            if (!inside) throw new Error(`${argv.join(' ')}: wrote ${p}`)
            const made = basename(p)
            const fromInput =
              names.some(
                (nm) => made === `${nm}.sealed` || `${made}.sealed` === nm || made === `${nm}.opened`,
              ) || made.startsWith('a-file')
            if (!fromInput)
              throw new Error(`${argv.join(' ')}: wrote ${p}, which is not named after an input`)
          }
          if (walk(root).some((p) => !p.startsWith('keys/') && !p.startsWith('case-') && p !== 'keys/'))
            throw new Error('wrote beside the case folders')
          rmSync(work, { recursive: true, force: true })
        },
      ),
      80,
      true,
    )
    assert.ok(n > 0)
  } finally {
    vault.close()
  }
})

test.run()
