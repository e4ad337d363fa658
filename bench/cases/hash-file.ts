/**
 * Case A: hash a file by path (API and CLI) against b3sum, xxhsum -H2 and openssl, in
 * the page cache at equal thread counts, and from disk against `cat`.
 */
import { join } from 'node:path'

import { hashFile } from '../../lib/index'
import type { BenchContext } from '../lib/context'
import { evict, formatSize, randomFile, warm, WORK } from '../lib/files'
import { command, inProcess, interleave } from '../lib/measure'
import { atMost, find, reference, rowsFrom, type CaseResult, type Table } from '../lib/report'

const CLI_HASH = 'ours CLI (all threads, start-up included)'
const MS = 1000
const NO_CA_NODE = 'node -e 0, NODE_EXTRA_CA_CERTS unset'
const NO_CA_CLI = 'ours CLI hash (empty), NODE_EXTRA_CA_CERTS unset'

/**
 * Start-up of short commands against `node -e 0` and against b3sum's own (b3sum of an empty
 * file), with 4× the repetitions of the other tables: each run takes only milliseconds.
 * With Node 24 at hand ($BENCH_NODE24, set by bench/run.sh), the CLI again with Node's
 * compile cache (on by default in dist/cli/bin.js) and without it.
 */
async function startupTable(ctx: BenchContext, empty: string, startup: string): Promise<Table> {
  const node = process.execPath
  const node24 = process.env.BENCH_NODE24
  const cache = { NODE_COMPILE_CACHE: join(WORK, 'node-compile-cache') }
  const timings = await interleave(
    [
      command('node -e 0', node, ['-e', '0']),
      command('b3sum (empty file)', 'b3sum', [empty]),
      command('ours CLI --version', node, [ctx.cli, '--version']),
      command(startup, node, [ctx.cli, 'hash', empty]),
      command('ours CLI ingest --help', node, [ctx.cli, 'ingest', '--help']),
      command('ours CLI --help (every command module)', node, [ctx.cli, '--help']),
      // A CA bundle named in NODE_EXTRA_CA_CERTS (set on some CI and sandbox machines) is
      // parsed at every start of Node 20: how much of `node -e 0` that is, shown apart.
      ...(process.env.NODE_EXTRA_CA_CERTS
        ? [
            command(NO_CA_NODE, node, ['-e', '0'], { NODE_EXTRA_CA_CERTS: '' }),
            command(NO_CA_CLI, node, [ctx.cli, 'hash', empty], { NODE_EXTRA_CA_CERTS: '' }),
          ]
        : []),
      ...(node24
        ? [
            command('Node 24: node -e 0', node24, ['-e', '0']),
            command('Node 24: ours CLI hash (empty), compile cache', node24, [ctx.cli, 'hash', empty], cache),
            command('Node 24: ours CLI hash (empty), no compile cache', node24, [ctx.cli, 'hash', empty], {
              NODE_DISABLE_COMPILE_CACHE: '1',
            }),
          ]
        : []),
    ],
    ctx.reps * 4,
  )
  const rows = rowsFrom(timings)
  const over = (name: string, base = 'node -e 0') => (find(rows, name).median - find(rows, base).median) * MS
  const ratios = [
    atMost('ours CLI --version − node -e 0 (ms)', over('ours CLI --version'), 30),
    atMost('ours CLI hash start-up − node -e 0 (ms)', over(startup), 30),
    atMost('ours CLI ingest --help − node -e 0 (ms)', over('ours CLI ingest --help'), 30),
    reference('b3sum start-up (ms)', find(rows, 'b3sum (empty file)').median * MS, 'for comparison'),
    reference(
      'ours CLI hash start-up / b3sum start-up',
      find(rows, startup).median / find(rows, 'b3sum (empty file)').median,
      'for comparison',
    ),
  ]
  if (process.env.NODE_EXTRA_CA_CERTS)
    ratios.push(
      reference('node -e 0: cost of NODE_EXTRA_CA_CERTS (ms)', over('node -e 0', NO_CA_NODE), 'environment'),
      reference(
        'ours CLI hash start-up − node -e 0, without NODE_EXTRA_CA_CERTS (ms)',
        over(NO_CA_CLI, NO_CA_NODE),
        'for comparison',
      ),
    )
  if (node24)
    ratios.push(
      reference(
        'Node 24: hash start-up − node -e 0, compile cache (ms)',
        over('Node 24: ours CLI hash (empty), compile cache', 'Node 24: node -e 0'),
        'for comparison',
      ),
      reference(
        'Node 24: hash start-up − node -e 0, no compile cache (ms)',
        over('Node 24: ours CLI hash (empty), no compile cache', 'Node 24: node -e 0'),
        'for comparison',
      ),
    )
  return {
    title: 'CLI start-up (the CLI start-up is subtracted from CLI rows in the "− start-up" ratios)',
    rows,
    ratios,
  }
}

export async function hashFileCase(ctx: BenchContext): Promise<CaseResult> {
  const sizes = ctx.quick ? [256 * 1024 ** 2] : [ctx.size, 4 * ctx.size]
  const tables: Table[] = []
  const node = process.execPath

  // The CLI's own start-up (Node, the CLI's modules, the addon, argument parsing): the same
  // command over an empty file. It runs inside every cached table, interleaved with the
  // rows it is subtracted from, so drift on a shared machine hits both alike.
  const empty = randomFile('hash-empty.bin', 0)
  const STARTUP = 'ours CLI start-up (hash of an empty file)'
  tables.push(await startupTable(ctx, empty, STARTUP))

  for (const size of sizes) {
    const file = randomFile(`hash-${size}.bin`, size)
    warm(file)
    const cached = rowsFrom(
      await interleave(
        [
          inProcess('ours API hashFile (all threads)', () => hashFile(file)),
          command('b3sum (all threads)', 'b3sum', [file]),
          command(CLI_HASH, node, [ctx.cli, 'hash', file]),
          command('ours CLI, 1 thread', node, [ctx.cli, 'hash', file], { RAYON_NUM_THREADS: '1' }),
          command('b3sum --num-threads 1', 'b3sum', ['--num-threads', '1', file]),
          command('ours CLI --algo xxh128', node, [ctx.cli, 'hash', '--algo', 'xxh128', file]),
          command('xxhsum -H2', 'xxhsum', ['-H2', file]),
          command('ours CLI --algo sha256', node, [ctx.cli, 'hash', '--algo', 'sha256', file]),
          command('openssl dgst -sha256', 'openssl', ['dgst', '-sha256', file]),
          command(STARTUP, node, [ctx.cli, 'hash', empty]),
          command('node -e 0', node, ['-e', '0']),
        ],
        ctx.reps,
      ),
      size,
    )
    delete find(cached, STARTUP).bytes // it hashed nothing
    delete find(cached, 'node -e 0').bytes
    const cli = (name: string) => find(cached, name).median - find(cached, STARTUP).median
    tables.push({
      title: `${formatSize(size)}, in page cache`,
      rows: cached,
      ratios: [
        atMost(
          'ours API / b3sum (all threads)',
          find(cached, 'ours API hashFile (all threads)').median / find(cached, 'b3sum (all threads)').median,
          1.05,
        ),
        atMost(
          'ours CLI end to end, start-up included / b3sum (all threads)',
          find(cached, CLI_HASH).median / find(cached, 'b3sum (all threads)').median,
          1.15,
        ),
        reference(
          'floor of any Node CLI: (node -e 0 + b3sum) / b3sum',
          (find(cached, 'node -e 0').median + find(cached, 'b3sum (all threads)').median) /
            find(cached, 'b3sum (all threads)').median,
          'Node alone',
        ),
        atMost(
          'ours CLI − start-up / b3sum (1 thread each)',
          cli('ours CLI, 1 thread') / find(cached, 'b3sum --num-threads 1').median,
          1.05,
        ),
        atMost(
          'ours CLI xxh128 − start-up / xxhsum -H2',
          cli('ours CLI --algo xxh128') / find(cached, 'xxhsum -H2').median,
          1.05,
        ),
        atMost(
          'ours CLI sha256 − start-up / openssl',
          cli('ours CLI --algo sha256') / find(cached, 'openssl dgst -sha256').median,
          1.05,
        ),
      ],
    })

    const fromDisk = (c: ReturnType<typeof command>) => ({ ...c, before: () => evict(file) })
    const disk = rowsFrom(
      await interleave(
        [
          fromDisk(command('cat > /dev/null', 'cat', [file])),
          fromDisk(inProcess('ours API hashFile', () => hashFile(file))),
          fromDisk(command('b3sum', 'b3sum', [file])),
        ],
        ctx.reps,
        false,
      ),
      size,
    )
    tables.push({
      title: `${formatSize(size)}, from disk (guest-evicted before each run)`,
      rows: disk,
      ratios: [
        atMost(
          'ours API / cat',
          find(disk, 'ours API hashFile').median / find(disk, 'cat > /dev/null').median,
          1.05,
        ),
      ],
    })
  }
  return {
    id: 'A',
    title: 'Hash a file by path (API and CLI)',
    tables,
    notes: [
      'Equal threads: the 1-thread rows pin our rayon pool with RAYON_NUM_THREADS=1 and b3sum with --num-threads 1.',
      'CLI ratios subtract the CLI start-up (the same command over an empty file: Node, modules, addon, arguments), measured interleaved in the same table, so they compare hashing work. At small sizes the difference of two noisy medians is itself noisy.',
      '"From disk" evicts the file with posix_fadvise(DONTNEED) (dd iflag=nocache) before every run; the hypervisor may still cache below the guest.',
    ],
  }
}
