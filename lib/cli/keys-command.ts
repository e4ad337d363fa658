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
import { writeFile } from 'node:fs/promises'

export function registerKeys(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description('Create and manage the vault key file')
    .addHelpText('after', '\nExamples:\n  shutterproof keys init --vault /Volumes/Keys/studio.vault')
  keys
    .command('init')
    .description('Create a vault key file and print its recovery kit (24 words: print them, keep them offline)')
    .requiredOption('--vault <file>', 'where to write the vault key file (never overwritten)')
    .option('--passphrase-file <file>', 'read the new passphrase from the first line of a file')
    .option('--kit-html <file>', 'also write the recovery kit as a printable HTML page')
    .option('--json', 'print { keyId, createdAt, recoveryWords } as JSON')
    .addHelpText(
      'after',
      '\nThe passphrase is asked twice without echo, or read from --passphrase-file or SHUTTERPROOF_PASSPHRASE.\n\nExamples:\n  shutterproof keys init --vault /Volumes/Keys/studio.vault\n  shutterproof keys init --vault studio.vault --passphrase-file pass.txt --kit-html kit.html',
    )
    .action(async (opts: { vault: string; passphraseFile?: string; kitHtml?: string; json?: boolean }) => {
      const passphrase = await readNewPassphrase(opts)
      const { vault, recoveryKit } = await createVault(opts.vault, { passphrase })
      vault.close()
      if (opts.kitHtml) await writeFile(opts.kitHtml, recoveryKit.html, { flag: 'wx', mode: 0o600 })
      if (opts.json) {
        ctx.stdout(
          JSON.stringify({ keyId: recoveryKit.keyId, createdAt: recoveryKit.createdAt, recoveryWords: recoveryKit.words }, null, 2) + '\n',
        )
      } else {
        ctx.stdout(`Vault written to ${opts.vault}\n\n${recoveryKit.text}`)
      }
      ctx.exitCode = EXIT.OK
    })

  program
    .command('passphrase')
    .description('Print a random passphrase of words (2048-word list, 11 bits a word)')
    .option('--words <n>', 'number of words (4 to 24)', '6')
    .option('--separator <s>', 'between words', '-')
    .option('--json', 'print { passphrase, entropyBits }')
    .addHelpText('after', '\nExamples:\n  shutterproof passphrase\n  shutterproof passphrase --words 8 --separator " " --json')
    .action((opts: { words: string; separator: string; json?: boolean }) => {
      const words = Number(opts.words)
      if (!Number.isInteger(words)) ctx.usageError('--words takes a whole number')
      const g = generatePassphrase({ words, separator: opts.separator })
      ctx.stdout(opts.json ? JSON.stringify(g) + '\n' : `${g.passphrase}\n`)
    })
}
