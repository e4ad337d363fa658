// Runs the uvu suites (__test__/*.spec.ts) on the machine's Node and on Node 24, two suite
// processes at a time (issue #19: a fresh clone's `npm test` under ~30 minutes on 2 cores;
// one after the other, the two passes alone took 23 of 34 minutes, with a core often idle
// while a suite waited on a child process, a disk flush or a server).
//
//   node scripts/run-suites.mjs [NODE24_BIN]
//
// Each suite file is one job: `uvu -r tsx __test__ '^NAME$'` in its own process, so a suite
// that crashes takes only itself down. A job's output is printed whole when it ends (never
// interleaved with another's); the last stdout line is "PASSED FAILED SKIPPED" for
// scripts/test.sh to add up. Without NODE24_BIN the Node 24 pass is reported SKIPPED.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..')
const JOBS = Number(process.env.SHUTTERPROOF_TEST_JOBS || 2)
if (!Number.isInteger(JOBS) || JOBS < 1)
  throw new Error(`SHUTTERPROOF_TEST_JOBS=${process.env.SHUTTERPROOF_TEST_JOBS}: give a whole number ≥ 1`)

// Not re-run on Node 24: the suites whose cost is bulk bytes, injected faults or a browser
// drawing a static file, all through code the other suites also run on Node 24 — a 1 GiB
// delivery in Chromium, a 3 GiB ingest's memory, 1 GiB hashing, the whole demo, the copy
// engine's and S3's fault injection, and the HTML report in Chromium — and the memory
// bounds of 20,000-file sessions (backup-scale, evidence-scale: V8 heap caps on our own
// per-file state; the pieces they rely on are tested on both, in backup-spill, spill and
// mhl-stream). They run on the machine's Node; the rest (the Node-facing ones all in) on both.
const NODE20_ONLY = new Set([
  'backup-scale',
  'evidence-scale',
  'delivery-browser',
  'ingest-memory',
  'large-file',
  'demo',
  'ingest-faults',
  's3-faults',
  'report-ingest',
])

// These read dist/, which package.spec's `npm pack` deletes and rebuilds (its prepack):
// no two of them run at once.
const USES_DIST = new Set(['package', 'demo', 'examples', 'cli-startup'])

// The longest suites start first, so the two lanes end near together (this order only
// changes the wall time, never a result).
const LONGEST_FIRST = [
  'delivery-browser',
  'cli-contract',
  'ingest-scale',
  'backup-scale',
  'evidence-scale',
  's3-faults',
  'ingest-faults',
  'contract-api',
  'package',
  'share-cli',
  'ingest-memory',
  'report-ingest',
  'demo',
]

/** A job's name: the spec file without `.spec.ts`. */
const suites = readdirSync(join(REPO, '__test__'))
  .filter((f) => f.endsWith('.spec.ts'))
  .map((f) => f.slice(0, -'.spec.ts'.length))
  .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))

function rank(name) {
  const i = LONGEST_FIRST.indexOf(name)
  return i < 0 ? LONGEST_FIRST.length : i
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** One suite file as a job: uvu on `runtime.bin`, with its own flags (`uvuFlags`). */
function uvuJob(name, runtime) {
  return {
    name,
    label: runtime.label,
    command: runtime.bin,
    args: [
      join(REPO, 'node_modules/uvu/bin.js'),
      ...(runtime.uvuFlags ?? []),
      '-r',
      'tsx',
      '__test__',
      `^${escapeRegExp(name)}\\.spec\\.ts$`,
    ],
    env: runtime.env,
  }
}

// Without FORCE_COLOR (uvu sets it unless --no-color): beside NO_COLOR=1, Node 24 warns on
// stderr ("The 'NO_COLOR' env is ignored…") in every child process, before anything the CLI
// says. Child processes the tests start (node, npm, npx) find Node 24 first on PATH.
function node24Runtime(bin, version) {
  const env = { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH}` }
  delete env.FORCE_COLOR
  return { bin, label: `Node ${version}`, env, uvuFlags: ['--no-color'] }
}

/** "PASSED FAILED SKIPPED" from uvu's summary; a run that failed without a failed test in its summary (it crashed first) counts one failure, so it never passes unseen. */
function counts(output, status) {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, '')
  const last = (label) => {
    const all = [...plain.matchAll(new RegExp(`${label}:\\s+(\\d+)`, 'g'))]
    return all.length ? Number(all[all.length - 1][1]) : 0
  }
  const total = last('Total')
  const passed = last('Passed')
  const skipped = last('Skipped')
  let failed = total - passed
  if (status !== 0 && failed === 0) failed = 1
  return { passed, failed, skipped }
}

function runJob(job) {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn(job.command, job.args, { cwd: REPO, env: job.env, stdio: ['ignore', 'pipe', 'pipe'] })
    const chunks = []
    child.stdout.on('data', (c) => chunks.push(c))
    child.stderr.on('data', (c) => chunks.push(c))
    child.on('error', (err) => chunks.push(Buffer.from(`\ncould not start ${job.command}: ${err.message}\n`)))
    child.on('close', (code, signal) => {
      const output = Buffer.concat(chunks).toString('utf8')
      const status = code ?? (signal ? 128 : 1)
      resolve({ ...job, output, status, seconds: (Date.now() - started) / 1000, ...counts(output, status) })
    })
  })
}

async function main() {
  const machine = { bin: process.execPath, label: `Node ${process.versions.node}`, env: process.env }
  const jobs = suites.map((s) => uvuJob(s, machine))
  let skippedRuns = 0
  const bin = process.argv[2]
  if (bin) {
    const version = (
      await runJob({ command: bin, args: ['-p', 'process.versions.node'], env: process.env })
    ).output.trim()
    const node24 = node24Runtime(bin, version)
    jobs.push(...suites.filter((s) => !NODE20_ONLY.has(s)).map((s) => uvuJob(s, node24)))
    console.error(
      `not re-run on Node ${version} (run on Node ${process.versions.node} only): ${[...NODE20_ONLY].join(' ')}`,
    )
  } else {
    console.error(
      '!!! SKIPPED: Node 24 could not be installed (scripts/install-node24.sh); the JS suites did not run on Node 24',
    )
    skippedRuns = 1
  }
  // Longest first across both Node versions: each version's list is already in that order.
  jobs.sort((a, b) => rank(a.name) - rank(b.name))

  const waiting = [...jobs]
  const done = []
  let distBusy = false
  const next = () => {
    const i = waiting.findIndex((j) => !(USES_DIST.has(j.name) && distBusy))
    return i < 0 ? undefined : waiting.splice(i, 1)[0]
  }
  const wake = new Set()
  const lane = async () => {
    for (;;) {
      const job = next()
      if (!job) {
        if (!waiting.length) return
        await new Promise((r) => wake.add(r)) // only dist/ suites are left, and one is running
        continue
      }
      const usesDist = USES_DIST.has(job.name)
      if (usesDist) distBusy = true
      const result = await runJob(job)
      if (usesDist) distBusy = false
      for (const r of wake) r()
      wake.clear()
      done.push(result)
      const verdict = result.failed ? 'FAILED' : 'ok'
      console.error(`\n== ${job.name}.spec.ts on ${job.label}\n${result.output.trimEnd()}`)
      console.error(
        `${verdict}: ${job.name}.spec.ts on ${job.label}: ${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped (${result.seconds.toFixed(1)} s; ${done.length}/${jobs.length})`,
      )
    }
  }
  const t0 = Date.now()
  await Promise.all(Array.from({ length: JOBS }, lane))

  const byLabel = new Map()
  for (const r of done) {
    const sum = byLabel.get(r.label) ?? { passed: 0, failed: 0, skipped: 0, seconds: 0, suites: 0 }
    sum.passed += r.passed
    sum.failed += r.failed
    sum.skipped += r.skipped
    sum.seconds += r.seconds
    sum.suites += 1
    byLabel.set(r.label, sum)
  }
  console.error(`\n== uvu suites: ${JOBS} at a time, ${((Date.now() - t0) / 60000).toFixed(1)} minutes`)
  for (const [label, s] of byLabel)
    console.error(
      `${label}: ${s.suites} suites, ${s.passed} passed, ${s.failed} failed, ${s.skipped} skipped (${(s.seconds / 60).toFixed(1)} suite-minutes)`,
    )
  const failedSuites = done.filter((r) => r.failed)
  for (const r of failedSuites) console.error(`FAILED: ${r.name}.spec.ts on ${r.label}`)
  const total = (k) => done.reduce((n, r) => n + r[k], 0)
  console.log(`${total('passed')} ${total('failed')} ${total('skipped') + skippedRuns}`)
}

await main()
