#!/usr/bin/env node
/**
 * The `shutterproof` command.
 * @module
 */
import { Command, CommanderError } from 'commander'

import { ShutterproofError } from '../errors'
import { CliContext, UsageError } from './context'
import { EXIT, exitForError } from './exit-codes'
import { cliHint } from './hints'
import { registerBackup } from './backup-command'
import { registerHash } from './hash-command'
import { registerIngest } from './ingest-command'
import { registerKeys } from './keys-command'
import { registerSeal } from './seal-command'
import { registerShare } from './share-command'
import { registerDelivery } from './delivery-command'
import { registerReport } from './report-command'
import { registerPreviews } from './previews-command'

const { version } = require('../../package.json') as { version: string }

export async function main(argv: string[]): Promise<number> {
  const ctx = new CliContext()
  const program = new Command('shutterproof')
    .version(version)
    .description('Keeps photographers\u2019 work safe: verified ingest, encrypted backups, safe sharing')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout(s),
      writeErr: (s) => ctx.stderr(s),
      // One style for every usage error: `shutterproof: <what>` (commander says `error: <what>`).
      outputError: (s, write) => write(`shutterproof: ${s.replace(/^error: /, '')}`),
    })
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof ingest /media/EOS_DIGITAL /Volumes/SSD1 /Volumes/SSD2 --client Ada --shoot Wedding\n  shutterproof backup /Volumes/SSD1/2026-04-26_Ada_Wedding /Volumes/Offsite/store --vault studio.vault\n  shutterproof hash --json IMG_0001.CR3',
    )
  // The order of the main help: the photographer's day, from the card to the client.
  registerIngest(program, ctx)
  registerReport(program, ctx)
  registerBackup(program, ctx)
  registerPreviews(program, ctx)
  registerShare(program, ctx)
  registerDelivery(program, ctx)
  registerKeys(program, ctx)
  registerSeal(program, ctx)
  registerHash(program, ctx)

  let interrupted = false
  const onSigint = () => {
    interrupted = true
    ctx.abort()
  }
  process.once('SIGINT', onSigint)
  try {
    await program.parseAsync(argv, { from: 'user' })
    if (interrupted && !ctx.interruptIsStop) {
      // A command that finished its work anyway as Ctrl-C came, or told what was left.
      if (!ctx.interruptReported)
        ctx.stderr('shutterproof: aborted by Ctrl-C; nothing partial was left under a final name\n')
      return EXIT.ABORTED
    }
    return ctx.exitCode
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.OK : EXIT.USAGE
    }
    if (err instanceof UsageError) {
      ctx.stderr(`shutterproof: ${err.message}\n`)
      return EXIT.USAGE
    }
    if (err instanceof ShutterproofError && err.code === 'E_ABORTED') {
      if (!ctx.interruptReported)
        ctx.stderr(
          interrupted
            ? 'shutterproof: aborted by Ctrl-C; nothing partial was left under a final name\n'
            : `shutterproof: ${err.message}\n`,
        )
      return EXIT.ABORTED
    }
    if (err instanceof ShutterproofError) {
      const hint = cliHint(err)
      ctx.stderr(`shutterproof: ${err.message} [${err.code}]\n${hint ? `  ${hint}\n` : ''}`)
      return exitForError(err)
    }
    throw err
  } finally {
    process.removeListener('SIGINT', onSigint)
  }
}

/** Runs the command line of this process and sets its exit code. */
export function run(): void {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code
    },
    (err: unknown) => {
      process.stderr.write(`shutterproof: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`)
      process.exitCode = EXIT.INTEGRITY
    },
  )
}

if (require.main === module) run()
