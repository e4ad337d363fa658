/**
 * `shutterproof hash`: b3sum-compatible checksum lines, or JSON.
 * @module
 */
import type { Command } from 'commander'

import { HASH_ALGORITHMS, hashFiles, type HashAlgorithm } from '../hash-file'
import { checksumLine } from './checksum-line'
import { exitForItems } from './exit-codes'
import type { CliContext } from './context'

interface HashCliOptions {
  algo: HashAlgorithm[]
  json?: boolean
}

export function registerHash(program: Command, ctx: CliContext): void {
  program
    .command('hash')
    .description('Print checksums of files, in the format of b3sum (and of xxhsum -H2 for xxh128)')
    .argument('<files...>', 'files to hash')
    .option(
      '--algo <name>',
      `algorithm: ${HASH_ALGORITHMS.join('|')} (repeat for several; default blake3)`,
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .option(
      '--json',
      'print one JSON document: { files: [{ path, size, <algo>: hex } | { path, error: { code, message } }] }',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof hash IMG_0001.CR3\n  shutterproof hash --algo xxh128 DCIM/100CANON/*\n  shutterproof hash --algo blake3 --algo sha256 --json card.img',
    )
    .action(async (files: string[], opts: Partial<HashCliOptions>) => {
      const algorithms = opts.algo ?? ['blake3']
      for (const a of algorithms) {
        if (!HASH_ALGORITHMS.includes(a))
          ctx.usageError(`unknown --algo ${a}; use one of ${HASH_ALGORITHMS.join(', ')}`)
      }
      const entries = await hashFiles(files, { algorithms, signal: ctx.signal, concurrency: 2 })
      if (opts.json) {
        const out = entries.map((e) =>
          e.ok
            ? { path: e.path, ...e.result }
            : { path: e.path, error: { code: e.error.code, message: e.error.message } },
        )
        ctx.json({ files: out })
      } else {
        let text = ''
        for (const e of entries) {
          if (!e.ok) {
            ctx.stderr(`shutterproof: ${e.error.message} [${e.error.code}]\n`)
            continue
          }
          for (const a of algorithms) text += checksumLine(e.result[a]!, e.path) + '\n'
        }
        // Checksum lines are data for `b3sum -c` and the like: byte-exact in a pipe or file;
        // on a terminal, escaped like every message (a hostile name cannot drive it).
        ctx.stdoutData(text)
      }
      ctx.exitCode = exitForItems(entries.flatMap((e) => (e.ok ? [] : [e.error])))
    })
}
