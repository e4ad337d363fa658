#!/usr/bin/env node
/**
 * The `shutterproof` command.
 * @module
 */
import { Command, CommanderError } from './commander'

import { ShutterproofError } from '../errors'
import { CliContext, UsageError } from './context'
import { EXIT, exitForError } from './exit-codes'
import { cliHint } from './hints'

const { version } = require('../../package.json') as { version: string }

type Register = (program: Command, ctx: CliContext) => void

/**
 * Every command module, in the order of the main help (the photographer's day, from the
 * card to the client), with the top-level commands it registers. A module is required
 * only when one of its commands runs (or for the full help): start-up then costs what
 * that command needs, not what every command needs (docs/CLI.md, "Start-up").
 */
const COMMAND_MODULES: readonly { names: readonly string[]; load: () => Register }[] = [
  {
    names: ['ingest', 'verify', 'safe-to-format'],
    load: () => (require('./ingest-command') as typeof import('./ingest-command')).registerIngest,
  },
  {
    names: ['report'],
    load: () => (require('./report-command') as typeof import('./report-command')).registerReport,
  },
  {
    names: ['store', 'backup', 'restore-test', 'restore', 'status'],
    load: () => (require('./backup-command') as typeof import('./backup-command')).registerBackup,
  },
  {
    names: ['previews'],
    load: () => (require('./previews-command') as typeof import('./previews-command')).registerPreviews,
  },
  {
    names: ['share'],
    load: () => (require('./share-command') as typeof import('./share-command')).registerShare,
  },
  {
    names: ['deliver', 'unpack'],
    load: () => (require('./delivery-command') as typeof import('./delivery-command')).registerDelivery,
  },
  {
    names: ['keys', 'passphrase'],
    load: () => (require('./keys-command') as typeof import('./keys-command')).registerKeys,
  },
  {
    names: ['seal', 'open', 'inspect'],
    load: () => (require('./seal-command') as typeof import('./seal-command')).registerSeal,
  },
  {
    names: ['hash'],
    load: () => (require('./hash-command') as typeof import('./hash-command')).registerHash,
  },
]

/**
 * The command modules this command line needs: the one that owns its first word; none for
 * a bare `--version`; all of them otherwise (the main help, `help <command>`, a mistyped
 * command that commander answers with "Did you mean …?").
 */
export function commandModulesFor(argv: readonly string[]): typeof COMMAND_MODULES {
  const first = argv[0]
  if (argv.length === 1 && (first === '--version' || first === '-V')) return []
  const owner = COMMAND_MODULES.find((m) => first !== undefined && m.names.includes(first))
  return owner ? [owner] : COMMAND_MODULES
}

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
  try {
    for (const m of commandModulesFor(argv)) m.load()(program, ctx)
  } catch (err) {
    // A command module that loads the native addon, on a machine without a usable one: the
    // error's message says what to do (as bin.ts does for modules loaded up front).
    const code = (err as { code?: unknown })?.code
    if (code !== 'E_UNSUPPORTED_PLATFORM' && code !== 'E_NATIVE_LOAD') throw err
    process.stderr.write(`shutterproof: ${(err as Error).message} [${code}]\n`)
    return EXIT.INTEGRITY
  }

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
