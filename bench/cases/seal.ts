/**
 * Case D: seal and open a file, file to file, against age (X25519 recipient), a Node
 * createCipheriv('aes-256-gcm') pipeline, and `openssl speed` as the in-memory ceiling.
 * Every contender fsyncs its output inside the timed region.
 */
import { spawnSync } from 'node:child_process'
import { createCipheriv, randomBytes } from 'node:crypto'
import {
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  openSync,
  closeSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'

import { createVault, openSealedFile, sealFile, type Vault } from '../../lib/index'
import { NativeSealer } from '../../lib/native'
import type { BenchContext } from '../lib/context'
import { formatSize, randomFile, warm, WORK } from '../lib/files'
import { command, inProcess, interleave } from '../lib/measure'
import { atLeast, find, reference, rowsFrom, type CaseResult, type Row, type Table } from '../lib/report'

/** A throwaway vault for the benchmark (cheap Argon2: unlocking is not what is measured). */
export async function benchVault(): Promise<{ vault: Vault; path: string; passphrase: string }> {
  const path = join(WORK, 'bench.vault')
  rmSync(path, { force: true })
  const passphrase = 'bench passphrase'
  const { vault } = await createVault(path, {
    passphrase,
    kdf: { memoryKiB: 8192, iterations: 1, parallelism: 1 },
  })
  return { vault, path, passphrase }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r')
  fsyncSync(fd)
  closeSync(fd)
}

/** openssl speed's single-core AES-256-GCM rate on 16 KiB blocks, in bytes/s. */
function opensslSpeed(seconds: number): number {
  const r = spawnSync(
    'openssl',
    ['speed', '-elapsed', '-seconds', String(seconds), '-bytes', '16384', '-evp', 'aes-256-gcm'],
    { encoding: 'utf8' },
  )
  const line = r.stdout.split('\n').find((l) => /^aes-256-gcm/i.test(l.trim()) || /^AES-256-GCM/.test(l))
  const kbps = Number(line?.trim().split(/\s+/).at(-1)?.replace(/k$/, ''))
  if (!Number.isFinite(kbps)) throw new Error(`could not read openssl speed output:\n${r.stdout}`)
  return kbps * 1000
}

/** The same bytes copied without encryption and fsynced: the floor any file-to-file sealer sits on. */
const COPY_FLOOR = 'plain copy, no encryption (dd bs=4M conv=fsync)'
const CEILING_NOTE = 'the most any sealer can reach against it on this disk'

export async function sealCase(ctx: BenchContext): Promise<CaseResult> {
  const size = ctx.quick ? 32 * 1024 ** 2 : ctx.size
  const input = randomFile(`seal-${size}.bin`, size)
  warm(input)
  const { vault } = await benchVault()
  const out = (name: string) => join(WORK, `out-${name}`)
  const clean =
    (...names: string[]) =>
    () =>
      names.forEach((n) => rmSync(out(n), { force: true }))
  const hasAge = existsSync('/usr/bin/age') && existsSync('/usr/bin/age-keygen')
  const ageKey = join(WORK, 'age.key')
  let recipient = ''
  if (hasAge) {
    rmSync(ageKey, { force: true })
    spawnSync('age-keygen', ['-o', ageKey])
    recipient = spawnSync('age-keygen', ['-y', ageKey], { encoding: 'utf8' }).stdout.trim()
  }
  const key = randomBytes(32)

  // Inputs to open: made once, outside the timing.
  await sealFile(input, out('ours.sealed'), { vault, overwrite: true })
  if (hasAge) spawnSync('age', ['-r', recipient, '-o', out('age.age'), input])

  const sealers = [
    {
      ...inProcess('ours sealFile (vault)', () => sealFile(input, out('ours.s2'), { vault })),
      before: clean('ours.s2'),
    },
    {
      ...inProcess('Node createCipheriv aes-256-gcm pipeline + fsync', async () => {
        await pipeline(
          createReadStream(input, { highWaterMark: 1024 * 1024 }),
          createCipheriv('aes-256-gcm', key, randomBytes(12)),
          createWriteStream(out('node.enc')),
        )
        fsyncPath(out('node.enc'))
      }),
      before: clean('node.enc'),
    },
    ...(hasAge
      ? [
          {
            ...command('age -r + sync', 'sh', [
              '-c',
              `age -r ${recipient} -o ${out('age.a2')} ${input} && sync ${out('age.a2')}`,
            ]),
            before: clean('age.a2'),
          },
        ]
      : []),
    {
      ...command(COPY_FLOOR, 'dd', [
        `if=${input}`,
        `of=${out('dd.copy')}`,
        'bs=4M',
        'conv=fsync',
        'status=none',
      ]),
      before: clean('dd.copy'),
    },
  ]
  const openers = [
    {
      ...inProcess('ours openSealedFile (vault)', () =>
        openSealedFile(out('ours.sealed'), out('ours.plain'), { vault }),
      ),
      before: clean('ours.plain'),
    },
    ...(hasAge
      ? [
          {
            ...command('age -d + sync', 'sh', [
              '-c',
              `age -d -i ${ageKey} -o ${out('age.plain')} ${out('age.age')} && sync ${out('age.plain')}`,
            ]),
            before: clean('age.plain'),
          },
        ]
      : []),
    {
      ...command(COPY_FLOOR, 'dd', [
        `if=${out('ours.sealed')}`,
        `of=${out('dd.copy')}`,
        'bs=4M',
        'conv=fsync',
        'status=none',
      ]),
      before: clean('dd.copy'),
    },
  ]
  const sealRows = rowsFrom(await interleave(sealers, ctx.reps), size)
  const openRows = rowsFrom(await interleave(openers, ctx.reps), size)

  // In memory: our sealer over a 16 MiB buffer, against openssl's single-core ceiling.
  const buf = randomBytes(16 * 1024 * 1024)
  const rounds = Math.max(1, Math.round(size / buf.length))
  const mem = await interleave(
    [
      inProcess('ours in memory (NativeSealer.push, 16 MiB buffers)', () => {
        const s = new NativeSealer(vault, undefined, undefined)
        for (let i = 0; i < rounds; i++) s.push(buf)
        s.finish()
      }),
    ],
    ctx.reps,
  )
  const opensslRate = opensslSpeed(ctx.quick ? 1 : 3)
  const memRows: Row[] = [
    ...rowsFrom(mem, rounds * buf.length),
    {
      name: `openssl speed -evp aes-256-gcm (1 core): ${(opensslRate / 1e9).toFixed(2)} GB/s`,
      median: 0,
      min: 0,
      unit: 's',
    },
  ]
  const oursMemRate = (rounds * buf.length) / mem[0]!.median

  const ratios = (rows: Row[], ours: string) => {
    const list = []
    const floor = find(rows, COPY_FLOOR).median
    const node = rows.find((r) => r.name.startsWith('Node'))
    if (node) {
      list.push(atLeast(`speed: ${ours} / Node pipeline`, node.median / find(rows, ours).median, 2))
      list.push(reference('ceiling: Node pipeline / plain copy', node.median / floor, CEILING_NOTE))
    }
    const age = rows.find((r) => r.name.startsWith('age'))
    if (age) {
      list.push(atLeast(`speed: ${ours} / age`, age.median / find(rows, ours).median, 3))
      list.push(reference('ceiling: age / plain copy', age.median / floor, CEILING_NOTE))
    }
    list.push(
      reference(
        `${ours} / plain copy`,
        find(rows, ours).median / floor,
        'how close to the copy floor (1.0 = no cost for encryption)',
      ),
    )
    return list
  }
  const tables: Table[] = [
    {
      title: `seal ${formatSize(size)}, file to file (input cached; outputs fsynced)`,
      rows: sealRows,
      ratios: ratios(sealRows, 'ours sealFile (vault)'),
    },
    {
      title: `open ${formatSize(size)}, file to file`,
      rows: openRows,
      ratios: ratios(openRows, 'ours openSealedFile (vault)'),
    },
    {
      title: 'in memory',
      rows: memRows,
      ratios: [atLeast('speed: ours in memory / openssl single core', oursMemRate / opensslRate, 1)],
    },
  ]
  vault.close()
  writeFileSync(join(WORK, '.seal-done'), '')
  return {
    id: 'D',
    title: 'Seal and open a file (vs age, Node AES-GCM pipeline, openssl speed)',
    tables,
    notes: [
      'age -p cannot be scripted (it reads the passphrase from a terminal only), so age runs with an X25519 recipient (-r / -i).',
      '"plain copy" writes the same bytes without encryption and fsyncs them (dd, 4 MiB blocks): no sealer can be faster, so the grey "ceiling" ratios are the most any sealer could show against the Node pipeline or age on this disk; a target above a ceiling is missed by the disk, not by the cipher.',
      'The Node pipeline is plain AES-256-GCM over the whole stream (one tag, no chunking, not random-access): a floor for "encrypt with Node", not an equivalent format.',
      hasAge
        ? 'age 1.1 from Debian.'
        : 'age was not found: its rows are missing (install the Debian package age).',
    ],
  }
}
