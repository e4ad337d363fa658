/**
 * `shutterproof seal`, `open` and `inspect`.
 * @module
 */
import { basename, dirname, join } from 'node:path'

import type { Command } from 'commander'

import type { ShutterproofError } from '../errors'
import { openVault, type Vault } from '../keys/vault'
import { inspectSealed, openSealedFile, sealFile } from '../seal/files'
import type { CliContext } from './context'
import { exitForItems } from './exit-codes'
import { readPassphrase, readRecoveryFile, warnIfReadableByOthers } from './secret-input'

const SUFFIX = '.sealed'

interface UnlockOptions {
  vault?: string
  passphraseFile?: string
  recoveryKeyFile?: string
}

async function unlockVault(opts: UnlockOptions, ctx: CliContext): Promise<Vault> {
  if (!opts.vault) ctx.missingOption('--vault <file>', 'the vault key file')
  await warnIfReadableByOthers(opts.vault, ctx)
  if (opts.recoveryKeyFile)
    return openVault(opts.vault, { recoveryKey: await readRecoveryFile(opts.recoveryKeyFile) })
  return openVault(opts.vault, { passphrase: await readPassphrase(opts, `Passphrase for ${opts.vault}: `) })
}

/** Where an output goes: `-o` (a folder when several inputs), else beside the input. */
function outputFor(input: string, out: string | undefined, many: boolean, name: string): string {
  if (!out) return join(dirname(input), name)
  return many ? join(out, name) : out
}

function failureLine(path: string, err: ShutterproofError): string {
  return `shutterproof: ${path}: ${err.message} [${err.code}]\n`
}

export function registerSeal(program: Command, ctx: CliContext): void {
  program
    .command('seal')
    .description('Encrypt files for your vault: writes FILE.sealed beside each (never overwrites)')
    .argument('<files...>')
    .requiredOption('--vault <file>', 'the vault key file')
    .option('-o, --output <path>', 'output file (one input) or folder (several)')
    .option('--passphrase-file <file>', 'read the vault passphrase from a file')
    .option('--json', 'print { files: [{ input, output, plaintextSize, sealedSize } | { input, error }] }')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof seal IMG_0001.CR3 --vault studio.vault\n  shutterproof seal *.CR3 --vault studio.vault -o /Volumes/Offsite/',
    )
    .action(async (files: string[], opts: UnlockOptions & { output?: string; json?: boolean }) => {
      const vault = await unlockVault(opts, ctx)
      try {
        await eachFile(ctx, files, opts.json, (input) => {
          const output = outputFor(input, opts.output, files.length > 1, basename(input) + SUFFIX)
          return sealFile(input, output, { vault, signal: ctx.signal }).then((r) => ({ output, ...r }))
        })
      } finally {
        vault.close()
      }
    })

  program
    .command('open')
    .description('Decrypt sealed files: writes the original name beside each (never overwrites)')
    .argument('<files...>')
    .option('--vault <file>', 'the vault key file (with its passphrase)')
    .option('--recovery-key-file <file>', 'a file holding the 24 recovery words (instead of the passphrase)')
    .option('-o, --output <path>', 'output file (one input) or folder (several)')
    .option('--passphrase-file <file>', 'read the vault passphrase from a file')
    .option('--json', 'print { files: [{ input, output, plaintextSize, sealedSize } | { input, error }] }')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof open IMG_0001.CR3.sealed --vault studio.vault\n  shutterproof open *.sealed --vault studio.vault --recovery-key-file kit.txt -o restored/',
    )
    .action(async (files: string[], opts: UnlockOptions & { output?: string; json?: boolean }) => {
      const vault = await unlockVault(opts, ctx)
      try {
        await eachFile(ctx, files, opts.json, (input) => {
          const name = basename(input).endsWith(SUFFIX)
            ? basename(input).slice(0, -SUFFIX.length)
            : basename(input) + '.opened'
          const output = outputFor(input, opts.output, files.length > 1, name)
          return openSealedFile(input, output, { vault, signal: ctx.signal }).then((r) => ({ output, ...r }))
        })
      } finally {
        vault.close()
      }
    })

  program
    .command('inspect')
    .description('Show what can unlock a sealed file, its vault key id and sizes (no key needed)')
    .argument('<file>')
    .option('--json', 'print the facts as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof inspect IMG_0001.CR3.sealed\n  shutterproof inspect --json IMG_0001.CR3.sealed',
    )
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await inspectSealed(file)
      if (opts.json) ctx.json(info)
      else {
        ctx.stdout(
          [
            `${file}: Shutterproof sealed ${info.kind}, format version ${info.version}`,
            `unlocks with: ${info.stanzas.join(', ')}`,
            ...(info.keyId ? [`vault key id: ${info.keyId}`] : []),
            ...info.kdf.map(
              (k) => `passphrase: Argon2id m=${k.memoryKiB} KiB, t=${k.iterations}, p=${k.parallelism}`,
            ),
            `plaintext: ${info.plaintextSize} bytes; sealed: ${info.sealedSize} bytes (header ${info.headerSize})`,
            '',
          ].join('\n'),
        )
      }
    })
}

/** Runs one operation per file, reports each, and sets the exit code (3 if some failed). */
async function eachFile(
  ctx: CliContext,
  files: string[],
  json: boolean | undefined,
  run: (input: string) => Promise<{ output: string; plaintextSize: number; sealedSize: number }>,
): Promise<void> {
  const results: object[] = []
  const failures: ShutterproofError[] = []
  for (const input of files) {
    try {
      const r = await run(input)
      results.push({ input, ...r })
      if (!json) ctx.stdout(`${input} -> ${r.output}\n`)
    } catch (err) {
      const e = err as ShutterproofError
      if (e.code === 'E_ABORTED') throw e
      failures.push(e)
      results.push({ input, error: { code: e.code, message: e.message } })
      if (!json) ctx.stderr(failureLine(input, e))
    }
  }
  if (json) ctx.json({ files: results })
  // A file that fails a check (damaged, foreign key) is exit 1, whatever else happened.
  ctx.exitCode = exitForItems(failures)
}
