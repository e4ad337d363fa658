/**
 * Fault torture (not part of `npm test`: minutes, and random): kills the CLI with SIGKILL
 * during ingest and backup — at a random moment, or a random few milliseconds after a
 * random number of files (objects) are in place — again during some of the resumes, and
 * checks what a photographer relies on after each kill and after each completed resume:
 *
 * - every file under a final name at a destination equals the card's file (after every kill);
 * - the resumed ingest completes, every copy equals the card, no temporary file is left,
 *   the reference tool accepts each ASC MHL history (`ascmhl diff`, `ascmhl info`,
 *   `ascmhl-debug verify`), and `safe-to-format --rehash` says yes;
 * - after a killed backup the store still restore-tests `completed` (the previous snapshot
 *   stands, or there is none yet and it says so); the resumed backup completes, the restore
 *   test passes, and a restore is byte-identical.
 *
 * Run: `node --import tsx __test__/torture.ts [--kills N] [--backup-kills M] [--seed S] [--files F]`
 * (defaults 20, 10, time-based, 40). It prints one line per round and ends with
 * `torture: … problems: 0` (exit 0) or lists every problem (exit 1). Record the last result
 * in docs/TORTURE.md.
 */
import { spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

import { createVault } from '../lib/index'
import { nativeFindPartials } from '../lib/native'
import { cliArgv, tempDir } from './support/fixtures'
import { filesInPlace } from './support/kill'

const args = process.argv.slice(2)
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const KILLS = opt('kills', 20)
const BACKUP_KILLS = opt('backup-kills', 10)
const FILES = opt('files', 40)
const SEED = opt('seed', Date.now() % 1_000_000)
const PASS = 'torture-lunar-pocket-ripple-fabric'

/** mulberry32: the same seed gives the same kill points (up to the machine's timing). */
let state = SEED >>> 0
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const problems: string[] = []
const problem = (what: string) => {
  problems.push(what)
  console.log(`  PROBLEM: ${what}`)
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** A card: mixed sizes (a few large files, many small), odd and long names. */
function makeCard(): { dir: string; files: Map<string, string> } {
  const dir = tempDir('sp-torture-card-')
  const names: string[] = []
  for (let i = 0; i < FILES; i++)
    names.push(`DCIM/${100 + (i % 3)}CANON/IMG_${String(i).padStart(4, '0')}.${i % 4 === 0 ? 'CR3' : 'JPG'}`)
  names.push(
    'DCIM/100CANON/back\\slash.JPG',
    'DCIM/100CANON/Cafe\u0301 Rene\u0301e.JPG',
    `DCIM/101CANON/${'L'.repeat(246)}.JPG`,
    'MISC/empty.dat',
  )
  const files = new Map<string, string>()
  let block = Buffer.alloc(0)
  for (const [i, rel] of names.entries()) {
    const abs = join(dir, rel)
    mkdirSync(join(abs, '..'), { recursive: true })
    const size = rel.endsWith('empty.dat')
      ? 0
      : rel.endsWith('.CR3')
        ? 4_000_000 + i * 997
        : 200_000 + Math.floor(random() * 1_500_000)
    if (block.length < size) block = Buffer.alloc(size)
    for (let o = 0; o < size; o += 4) block.writeUInt32LE((i * 2654435761 + o * 40503) >>> 0, o)
    writeFileSync(abs, block.subarray(0, size))
    utimesSync(abs, new Date(1_750_000_000_000 + i * 1000), new Date(1_750_000_000_000 + i * 1000 + 321))
    files.set(rel, sha(abs))
  }
  return { dir, files }
}

/** When to SIGKILL a run: `ms` after its start, or `thenMs` after `when()` first holds. */
interface KillPoint {
  ms?: number
  when?: () => boolean
  thenMs?: number
  label: string
}

/** Runs the CLI, SIGKILLing it at `kill` if it is still running then. */
function run(
  cliArgs: string[],
  kill?: KillPoint,
): Promise<{ killed: boolean; status: number | null; out: string; ms: number }> {
  const started = performance.now()
  const child = spawn(process.execPath, cliArgv(...cliArgs), {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out += c.toString()))
  const timers: NodeJS.Timeout[] = []
  if (kill?.ms !== undefined) timers.push(setTimeout(() => child.kill('SIGKILL'), kill.ms))
  if (kill?.when) {
    const poll = setInterval(() => {
      if (!kill.when!()) return
      clearInterval(poll)
      timers.push(setTimeout(() => child.kill('SIGKILL'), kill.thenMs ?? 0))
    }, 3)
    timers.push(poll)
  }
  return new Promise((resolve) =>
    child.on('exit', (status, signal) => {
      for (const t of timers) clearTimeout(t)
      resolve({ killed: signal === 'SIGKILL', status, out, ms: performance.now() - started })
    }),
  )
}

/** A random kill point: at a random moment, or a little after `count()` reaches a random k of `total`. */
function killPoint(fullMs: number, count: () => number, total: number): KillPoint {
  if (random() < 0.35) {
    const ms = Math.floor(random() * fullMs)
    return { ms, label: `${ms}ms` }
  }
  const k = Math.floor(random() * (total + 1))
  const thenMs = Math.floor(random() * 200)
  return { when: () => count() >= k, thenMs, label: `${k} in place+${thenMs}ms` }
}

function tool(cmd: string, a: string[]): { status: number | null; output: string } {
  const r = spawnSync(cmd, a, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
  return { status: r.status, output: `${r.stdout}${r.stderr}` }
}

/** Every final-named file at `root` equals the card's (none is partial or foreign). */
function checkFinalNames(root: string, card: Map<string, string>, when: string): number {
  let n = 0
  for (const rel of filesInPlace(root)) {
    n++
    const want = card.get(rel)
    if (!want) problem(`${when}: ${root}/${rel} is not a card file`)
    else if (sha(join(root, rel)) !== want)
      problem(`${when}: ${root}/${rel} differs from the card under its final name`)
  }
  return n
}

const FOLDER = '2026-04-26_Torture_Card'
const ingestArgs = (card: string, dests: string[]) => [
  'ingest',
  card,
  ...dests,
  '--client',
  'Torture',
  '--shoot',
  'Card',
  '--date',
  '2026-04-26',
  '--quiet',
]

async function ingestRound(
  round: number,
  card: { dir: string; files: Map<string, string> },
  fullMs: number,
): Promise<void> {
  const dests = [tempDir('sp-torture-d1-'), tempDir('sp-torture-d2-')]
  const roots = dests.map((d) => join(d, FOLDER))
  const kills: string[] = []
  // The first run is killed at a random point; each resume is killed too, with probability ½ (at most 3 kills).
  for (let attempt = 0; ; attempt++) {
    const kill =
      attempt === 0 || (attempt < 3 && random() < 0.5)
        ? killPoint(fullMs, () => filesInPlace(roots[0]!).length, card.files.size)
        : undefined
    const r = await run(ingestArgs(card.dir, dests), kill)
    if (r.killed) {
      const inPlace = roots.map((root) =>
        checkFinalNames(root, card.files, `ingest round ${round} after a kill at ${kill!.label}`),
      )
      kills.push(`${kill!.label} → ${inPlace.join('/')} files in place`)
      continue
    }
    if (kill) kills.push(`${kill.label} (finished first)`)
    if (r.status !== 0)
      problem(
        `ingest round ${round}: the run after ${kills.length} kills exited ${r.status}: ${r.out.slice(-800)}`,
      )
    break
  }
  for (const [i, root] of roots.entries()) {
    const n = checkFinalNames(root, card.files, `ingest round ${round} after completion`)
    if (n !== card.files.size)
      problem(`ingest round ${round}: ${root} holds ${n} of ${card.files.size} files`)
    const partials = await nativeFindPartials(dests[i]!)
    if (partials.length) problem(`ingest round ${round}: temporaries left: ${partials.join(', ')}`)
    for (const [cmd, sub] of [
      ['ascmhl', 'diff'],
      ['ascmhl', 'info'],
      ['ascmhl-debug', 'verify'],
    ] as const) {
      const t = tool(cmd, [sub, root])
      if (t.status !== 0)
        problem(`ingest round ${round}: ${cmd} ${sub} ${root} exited ${t.status}: ${t.output.slice(-600)}`)
    }
  }
  const stf = await run(['safe-to-format', card.dir, ...roots, '--rehash'])
  if (stf.status !== 0)
    problem(`ingest round ${round}: safe-to-format --rehash exited ${stf.status}: ${stf.out.slice(-600)}`)
  console.log(`ingest ${round}: kill points ${kills.join(', ')}; resumed, checked`)
  for (const d of dests) rmSync(d, { recursive: true, force: true })
}

async function backupRound(
  round: number,
  session: string,
  store: string,
  auth: string[],
  fullMs: number,
): Promise<void> {
  // New content each round, so each round writes new objects.
  for (let i = 0; i < 4; i++) {
    const p = join(session, 'EDITS', `round-${round}-${i}.tif`)
    mkdirSync(join(p, '..'), { recursive: true })
    writeFileSync(p, Buffer.alloc(300_000 + i * 1000 + round, `${round}/${i}`))
  }
  const kills: string[] = []
  const objects = () => {
    const root = join(store, 'objects')
    return existsSync(root)
      ? readdirSync(root).reduce(
          (n, d) => n + readdirSync(join(root, d)).filter((f) => !f.startsWith('.')).length,
          0,
        )
      : 0
  }
  for (let attempt = 0; ; attempt++) {
    const before = objects()
    const kill =
      attempt === 0 || (attempt < 3 && random() < 0.5)
        ? killPoint(fullMs, () => objects() - before, 4)
        : undefined
    const r = await run(['backup', session, store, ...auth, '--quiet'], kill)
    if (r.killed) {
      kills.push(kill!.label)
      // The previous snapshot (if any) must still restore-test completed; none must say so.
      const hasSnapshot =
        existsSync(join(store, 'index')) &&
        readdirSync(join(store, 'index')).some((n) => n.endsWith('.sealed') && !n.startsWith('.'))
      const t = await run(['restore-test', store, ...auth])
      if (hasSnapshot && t.status !== 0)
        problem(
          `backup round ${round}: after a kill at ${kill!.label} the previous snapshot no longer restore-tests: ${t.out.slice(-600)}`,
        )
      if (!hasSnapshot && t.status !== 1)
        problem(`backup round ${round}: restore-test with no snapshot exited ${t.status}, not 1`)
      continue
    }
    if (kill) kills.push(`${kill.label} (finished first)`)
    if (r.status !== 0)
      problem(
        `backup round ${round}: the run after ${kills.length} kills exited ${r.status}: ${r.out.slice(-800)}`,
      )
    break
  }
  const t = await run(['restore-test', store, ...auth])
  if (t.status !== 0) problem(`backup round ${round}: restore-test exited ${t.status}: ${t.out.slice(-600)}`)
  const into = tempDir('sp-torture-restore-')
  const name = session.slice(session.lastIndexOf('/') + 1)
  const rr = await run(['restore', store, name, join(into, name), ...auth])
  if (rr.status !== 0) problem(`backup round ${round}: restore exited ${rr.status}: ${rr.out.slice(-600)}`)
  else {
    const want = filesInPlace(session)
    const got = filesInPlace(join(into, name))
    if (want.join('\n') !== got.join('\n'))
      problem(`backup round ${round}: the restore lists other files than the session`)
    for (const rel of want)
      if (got.includes(rel) && sha(join(session, rel)) !== sha(join(into, name, rel)))
        problem(`backup round ${round}: ${rel} restored with other bytes`)
  }
  rmSync(into, { recursive: true, force: true })
  console.log(
    `backup ${round}: kill points ${kills.join(', ')} (k = new objects); resumed, restore-tested, restored byte for byte`,
  )
}

async function main(): Promise<void> {
  if (tool('ascmhl', ['--help']).status !== 0 || tool('ascmhl-debug', ['--help']).status !== 0) {
    console.error(
      'torture: needs the reference ascmhl tool (pip install ascmhl, or bash scripts/install-test-tools.sh)',
    )
    process.exit(2)
  }
  const started = Date.now()
  console.log(
    `torture: seed ${SEED}, ${KILLS} ingest rounds, ${BACKUP_KILLS} backup rounds, ${FILES + 4} card files`,
  )
  const card = makeCard()
  const clean = await run(ingestArgs(card.dir, [tempDir('sp-torture-clean-'), tempDir('sp-torture-clean-')]))
  if (clean.status !== 0) throw new Error(`a clean ingest failed: ${clean.out}`)
  console.log(`a clean ingest takes ${Math.round(clean.ms)} ms; kills land uniformly in that span`)
  for (let round = 1; round <= KILLS; round++) await ingestRound(round, card, clean.ms)

  const dir = tempDir('sp-torture-backup-')
  const vaultFile = join(dir, 'studio.vault')
  ;(
    await createVault(vaultFile, {
      passphrase: PASS,
      kdf: { memoryKiB: 8 * 1024, iterations: 1, parallelism: 1 },
    })
  ).vault.close()
  writeFileSync(join(dir, 'pass.txt'), `${PASS}\n`)
  const auth = ['--vault', vaultFile, '--passphrase-file', join(dir, 'pass.txt')]
  // The session to back up: a fresh ingest of the card.
  const sessionDest = tempDir('sp-torture-session-')
  const ing = await run(ingestArgs(card.dir, [sessionDest, tempDir('sp-torture-session2-')]))
  if (ing.status !== 0) throw new Error(`ingest for the backup phase failed: ${ing.out}`)
  const session = join(sessionDest, FOLDER)
  const store = join(dir, 'store')
  const probe = await run(['backup', session, join(dir, 'probe-store'), ...auth, '--quiet'])
  if (probe.status !== 0) throw new Error(`a clean backup failed: ${probe.out}`)
  console.log(`a clean backup takes ${Math.round(probe.ms)} ms`)
  for (let round = 1; round <= BACKUP_KILLS; round++) await backupRound(round, session, store, auth, probe.ms)

  const minutes = ((Date.now() - started) / 60000).toFixed(1)
  console.log(
    `torture: seed ${SEED}, ${KILLS} ingest rounds, ${BACKUP_KILLS} backup rounds, ${minutes} min, problems: ${problems.length}`,
  )
  if (problems.length) {
    for (const p of problems) console.log(`- ${p}`)
    process.exit(1)
  }
}

main().catch((err: unknown) => {
  console.error(`torture: ${(err as Error).stack ?? String(err)}`)
  process.exit(2)
})
