/**
 * `shutterproof keys init` and `shutterproof passphrase`.
 * @module
 */
import type { Command } from 'commander'

import { generatePassphrase } from '../keys/passphrase'
import { createVault } from '../keys/vault'
import type { CliContext } from './context'
import { EXIT } from './exit-codes'
import { readNewPassphrase } from './secret-input'
import { FileSystemError } from '../errors'
import { passphraseStrength } from '../keys/strength'
import { lstat, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'

/** What a strong passphrase looks like, the CLI's way (the library's STRONG_PASSPHRASE_ADVICE names the API). */
const ADVICE =
  'a strong passphrase is 4 to 6 random words with a separator (e.g. "lunar-pocket-ripple-fabric-orbit"); `shutterproof passphrase` makes one'

/** Fails with `E_EXISTS` when something is at `path`. */
async function refuseExisting(path: string, why: string): Promise<void> {
  const there = await lstat(path).then(
    () => true,
    () => false,
  )
  if (there) throw new FileSystemError('E_EXISTS', `${path}: ${why}`, { path })
}

/** Why a new vault passphrase is too weak, or undefined when it is strong. */
function weakness(passphrase: string): string | undefined {
  const s = passphraseStrength(passphrase, ['shutterproof', 'vault'])
  if (s.strong) return undefined
  const why = [s.warning, ...s.suggestions].filter(Boolean).join(' ')
  return `that passphrase is too weak (strength ${s.score} of 4${why ? `: ${why}` : ''}); ${ADVICE}, or give --allow-weak`
}

export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program
    .command('keys')
    .description('Create and manage the vault key file')
    .addHelpText('after', '\nExamples:\n  shutterproof keys init --vault /Volumes/Keys/studio.vault')
  keys
    .command('init')
    .description(
      'Create a vault key file and print its recovery kit (24 words: print them, keep them offline)',
    )
    .requiredOption(
      '--vault <file>',
      'where to write the vault key file (never overwritten; created mode 600)',
    )
    .option('--passphrase-file <file>', 'read the new passphrase from the first line of a file')
    .option('--kit-html <file>', 'also write the recovery kit as a printable HTML page (mode 600)')
    .option('--allow-weak', 'accept a passphrase the strength estimate calls weak (not recommended)')
    .option('--json', 'print { keyId, createdAt, recoveryWords, kitHtml? } as JSON')
    .addHelpText(
      'after',
      `\nThe passphrase is asked twice without echo, or read from --passphrase-file or SHUTTERPROOF_PASSPHRASE.\nIt is measured (zxcvbn) and refused when weak unless --allow-weak: ${ADVICE}.\n\nExamples:\n  shutterproof keys init --vault /Volumes/Keys/studio.vault\n  shutterproof keys init --vault studio.vault --passphrase-file pass.txt --kit-html kit.html`,
    )
    .action(
      async (opts: {
        vault: string
        passphraseFile?: string
        kitHtml?: string
        allowWeak?: boolean
        json?: boolean
      }) => {
        // Refuse before asking anything: typing a passphrase twice to learn the file exists helps nobody.
        await refuseExisting(
          opts.vault,
          'a vault key file is already there; it is never overwritten: choose another path',
        )
        if (opts.kitHtml)
          await refuseExisting(
            opts.kitHtml,
            'a file is already there; choose another path for the recovery kit page',
          )
        const passphrase = await readNewPassphrase(opts, (p) => (opts.allowWeak ? undefined : weakness(p)))
        const { vault, recoveryKit } = await createVault(opts.vault, { passphrase })
        vault.close()
        if (opts.kitHtml) await writeFile(opts.kitHtml, recoveryKit.html, { flag: 'wx', mode: 0o600 })
        if (opts.json) {
          ctx.stdout(
            JSON.stringify(
              {
                keyId: recoveryKit.keyId,
                createdAt: recoveryKit.createdAt,
                recoveryWords: recoveryKit.words,
                ...(opts.kitHtml ? { kitHtml: resolve(opts.kitHtml) } : {}),
              },
              null,
              2,
            ) + '\n',
          )
        } else {
          ctx.stdout(`Vault written to ${opts.vault} (readable by you only)\n\n${recoveryKit.text}`)
          if (opts.kitHtml)
            ctx.stdout(
              `\nRecovery kit page written to ${resolve(opts.kitHtml)} (readable by you only): print it, then delete the file.\n`,
            )
        }
        ctx.exitCode = EXIT.OK
      },
    )

  program
    .command('passphrase')
    .description('Print a random passphrase of words (2048-word list, 11 bits a word)')
    .option('--words <n>', 'number of words (4 to 24)', '6')
    .option('--separator <s>', 'between words', '-')
    .option('--json', 'print { passphrase, entropyBits }')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof passphrase\n  shutterproof passphrase --words 8 --separator " " --json',
    )
    .action((opts: { words: string; separator: string; json?: boolean }) => {
      const words = Number(opts.words)
      if (!Number.isInteger(words)) ctx.usageError('--words takes a whole number')
      const g = generatePassphrase({ words, separator: opts.separator })
      ctx.stdout(opts.json ? JSON.stringify(g) + '\n' : `${g.passphrase}\n`)
    })
}
