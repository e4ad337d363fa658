/**
 * `shutterproof store init`, `backup`, `restore-test` and `restore`.
 * @module
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'

import type { Command } from 'commander'

import { AbortError, FileSystemError } from '../errors'
import { backup, type BackupProgress, type BackupReport } from '../backup/run-backup'
import { restore } from '../backup/restore'
import { restoreTest } from '../backup/restore-test'
import { initStore, openOrInitStore, openStore, type Store } from '../backup/store'
import {
  openCatalog,
  type DestinationSpec,
  type Location,
  type MediaKind,
  type SessionStatus,
  type StoreStatus,
} from '../catalog/catalog'
import { openVault, type Vault } from '../keys/vault'
import { formatBytes } from '../text/units'
import type { CliContext } from './context'
import { EXIT, exitForItems } from './exit-codes'
import { leanHeap } from './lean-heap'
import { readPassphrase, readRecoveryFile, warnIfReadableByOthers } from './secret-input'
import { shareHome } from './share-home'
import { registerStoreMaintenance } from './store-maintenance-command'
import { TransferRate } from './transfer-rate'
import {
  parseConcurrency,
  parseUntil,
  s3Options,
  s3StoreOptions,
  transferOptions,
  type S3CliOptions,
} from './store-options'

interface VaultOptions extends S3CliOptions {
  vault?: string
  passphraseFile?: string
  recoveryKeyFile?: string
  json?: boolean
}

async function unlock(opts: VaultOptions, ctx: CliContext): Promise<Vault> {
  if (!opts.vault) ctx.missingOption('--vault <file>', 'the vault key file the store is bound to')
  await warnIfReadableByOthers(opts.vault, ctx)
  if (opts.recoveryKeyFile)
    return openVault(opts.vault, { recoveryKey: await readRecoveryFile(opts.recoveryKeyFile) })
  return openVault(opts.vault, { passphrase: await readPassphrase(opts, `Passphrase for ${opts.vault}: `) })
}

function vaultOptions(cmd: Command): Command {
  return s3Options(cmd)
    .option('--vault <file>', 'the vault key file the store is bound to')
    .option(
      '--passphrase-file <file>',
      'read the vault passphrase from a file (else SHUTTERPROOF_PASSPHRASE, else the terminal)',
    )
    .option('--recovery-key-file <file>', 'unlock the vault with the 24 recovery words in this file')
    .option('--json', 'print the report as JSON')
}

async function withStore<T>(
  opts: VaultOptions,
  ctx: CliContext,
  location: string,
  how: 'open' | 'init' | 'either',
  work: (s: Store) => Promise<T>,
): Promise<T> {
  const vault = await unlock(opts, ctx)
  try {
    const open = how === 'open' ? openStore : how === 'init' ? initStore : openOrInitStore
    const store = await open(location, { vault, s3: s3StoreOptions(opts, ctx) }).catch((err: unknown) => {
      // The library names initStore(); here the fix is a command.
      if (err instanceof FileSystemError && err.code === 'ENOENT' && err.path === location) {
        throw new FileSystemError(
          'ENOENT',
          `${location} holds no Shutterproof store; create one with \`shutterproof store init ${location} --vault FILE\` (or let \`shutterproof backup\` create it)`,
          { path: location },
        )
      }
      throw err
    })
    return await work(store)
  } finally {
    vault.close()
  }
}

export function registerBackup(program: Command, ctx: CliContext): void {
  const store = program
    .command('store')
    .description('Backup stores')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof store init /Volumes/Offsite/store --vault studio.vault\n  shutterproof store init s3://studio-backup/offsite --endpoint https://s3.us-west-004.backblazeb2.com --vault studio.vault\n  shutterproof store copy /Volumes/Offsite/store s3://studio-backup/offsite',
    )
  vaultOptions(
    store.command('init').description('Create an empty backup store bound to the vault').argument('<store>'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof store init /Volumes/Offsite/store --vault studio.vault\n  shutterproof store init /Volumes/Offsite/store --vault studio.vault --passphrase-file pass.txt --json\n  shutterproof store init s3://studio-backup/offsite --profile b2 --vault studio.vault',
    )
    .action(async (location: string, opts: VaultOptions) => {
      await withStore(opts, ctx, location, 'init', async (s) => {
        ctx.stdout(
          opts.json
            ? JSON.stringify({ store: s.location, keyId: s.keyId }) + '\n'
            : `created store ${s.location} for vault key id ${s.keyId}\n`,
        )
      })
    })

  registerStoreMaintenance(store, ctx)

  transferOptions(
    vaultOptions(
      program
        .command('backup')
        .description(
          'Back up a session folder into a store (created on first use): incremental, each object read back and verified',
        )
        .argument('<session-dir>')
        .argument('<store>'),
    ),
  )
    .option('--quiet', 'no progress output')
    .option(
      '--until <time>',
      'stop cleanly at this local time (HH:MM, the next one) or ISO date-time; the next run goes on',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof backup /Volumes/SSD1/2026-04-26_Ada_Wedding /Volumes/Offsite/store --vault studio.vault\n  shutterproof backup /Volumes/SSD1/2026-04-26_Ada_Wedding /Volumes/Offsite/store --vault studio.vault --passphrase-file pass.txt --json\n  shutterproof backup /Volumes/SSD1/2026-04-26_Ada_Wedding s3://studio-backup/offsite --vault studio.vault --bwlimit 20MB/s --until 06:00',
    )
    .action(
      async (
        sessionDir: string,
        location: string,
        opts: VaultOptions & { quiet?: boolean; until?: string },
      ) => {
        const until = opts.until === undefined ? undefined : parseUntil(opts.until)
        if (opts.until !== undefined && !until)
          ctx.usageError(`--until ${opts.until} is not a time; write HH:MM (e.g. 06:00) or an ISO date-time`)
        const concurrency = parseConcurrency(opts, ctx)
        leanHeap()
        await withStore(opts, ctx, location, 'either', async (s) => {
          const progress = backupProgress(ctx, opts.json === true || opts.quiet === true)
          const r = await backup(sessionDir, s, {
            signal: ctx.signal,
            onProgress: progress.update,
            ...(until ? { until } : {}),
            ...(concurrency ? { concurrency } : {}),
          })
            .catch((err: unknown) => {
              // Ctrl-C: say what was done before it.
              const partial =
                err instanceof AbortError ? (err.partial as BackupReport | undefined) : undefined
              if (partial && ctx.interrupted) {
                progress.stop()
                ctx.stderr(
                  `shutterproof: aborted by Ctrl-C after ${partial.objectsWritten} new objects; no snapshot was published (the newest is still ${partial.snapshot ?? 'none'}). Run the same command again to finish.\n`,
                )
                ctx.interruptReported = true
              }
              throw err
            })
            .finally(() => progress.stop())
          if (opts.json) ctx.json(r, 1)
          else {
            for (const f of r.failures) ctx.stderr(`shutterproof: ${f.path}: ${f.message} [${f.code}]\n`)
            if (r.windowEnded)
              ctx.stdout(
                `stopped at the end of the window (${until!.toLocaleString()}): ${r.objectsWritten} objects written and kept, no snapshot yet; run the same command again to go on\n`,
              )
            else
              ctx.stdout(
                `${r.status}: ${r.session}: ${r.files} files, ${r.objectsWritten} objects written, ${r.objectsReused} reused${r.snapshot ? `, snapshot ${r.snapshot}` : ''}\n`,
              )
            if (r.temporariesRemoved > 0)
              ctx.stdout(
                `removed ${r.temporariesRemoved} temporary files an interrupted run left in the store\n`,
              )
          }
          ctx.exitCode = r.windowEnded ? EXIT.WINDOW_ENDED : exitForItems(r.failures)
        })
      },
    )

  vaultOptions(
    program
      .command('restore-test')
      .description('Decrypt and re-hash what a store holds against its index; writes no plaintext')
      .argument('<store>')
      .option('--session <name>', 'only this session')
      .option('--all', 'every file (default)')
      .option('--sample <n>', 'this many files chosen at random, or a share of them (10%)'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof restore-test /Volumes/Offsite/store --vault studio.vault\n  shutterproof restore-test /Volumes/Offsite/store --vault studio.vault --session 2026-04-26_Ada_Wedding --sample 20 --json\n  shutterproof restore-test s3://studio-backup/offsite --vault studio.vault --sample 10%',
    )
    .action(
      async (location: string, opts: VaultOptions & { session?: string; all?: boolean; sample?: string }) => {
        if (opts.all && opts.sample) ctx.usageError('give --all or --sample N, not both')
        const sample =
          opts.sample === undefined
            ? 'all'
            : /%\s*$/.test(opts.sample)
              ? (opts.sample.trim() as `${number}%`)
              : Number(opts.sample)
        if (typeof sample === 'number' && (!Number.isSafeInteger(sample) || sample < 1))
          ctx.usageError(`--sample needs a whole number ≥ 1 or a share like 10%, not ${opts.sample}`)
        if (typeof sample === 'string' && sample !== 'all' && !/^\d+(\.\d+)?%$/.test(sample))
          ctx.usageError(`--sample needs a whole number ≥ 1 or a share like 10%, not ${opts.sample}`)
        await withStore(opts, ctx, location, 'open', async (s) => {
          const r = await restoreTest(s, {
            ...(opts.session === undefined ? {} : { session: opts.session }),
            sample,
            signal: ctx.signal,
          })
          if (opts.json) ctx.json(r, 1)
          else {
            for (const f of r.failures) ctx.stderr(`shutterproof: ${f.kind}: ${f.message} [${f.code}]\n`)
            ctx.stdout(
              `${r.status}: ${r.checked} ${r.checked === 1 ? 'file' : 'files'} checked${r.full ? ' (full test)' : ''}, ${formatBytes(r.bytes)} decrypted and hashed, ${r.failures.length} ${r.failures.length === 1 ? 'failure' : 'failures'}\n`,
            )
          }
          ctx.exitCode = r.status === 'completed' ? EXIT.OK : EXIT.INTEGRITY
        })
      },
    )

  vaultOptions(
    program
      .command('restore')
      .description("Restore a session's files into a folder (never overwrites unless --overwrite)")
      .argument('<store>')
      .argument('<session>')
      .argument('<into>')
      .option('--overwrite', 'replace files that already exist'),
  )
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof restore /Volumes/Offsite/store 2026-04-26_Ada_Wedding ~/Restored --vault studio.vault\n  shutterproof restore /Volumes/Offsite/store 2026-04-26_Ada_Wedding ~/Restored --vault studio.vault --recovery-key-file kit.txt --json',
    )
    .action(
      async (
        location: string,
        session: string,
        into: string,
        opts: VaultOptions & { overwrite?: boolean },
      ) => {
        await withStore(opts, ctx, location, 'open', async (s) => {
          const r = await restore(s, into, {
            session,
            overwrite: opts.overwrite === true,
            signal: ctx.signal,
          })
          if (opts.json) ctx.json(r, 1)
          else {
            for (const f of r.failures) ctx.stderr(`shutterproof: ${f.path}: ${f.message} [${f.code}]\n`)
            ctx.stdout(
              `${r.status}: ${r.files} ${r.files === 1 ? 'file' : 'files'}, ${formatBytes(r.bytes)} restored into ${r.into}\n`,
            )
          }
          ctx.exitCode = exitForItems(r.failures)
        })
      },
    )

  s3Options(program.command('status'))
    .description(
      '3-2-1 status of every session in the catalog (copies, kinds, off-site, last verified, last restore test)',
    )
    .option(
      '--catalog <file>',
      'the catalog file (default: catalog.db in $SHUTTERPROOF_HOME or ~/.shutterproof)',
    )
    .option(
      '--folder <spec>',
      'rebuild the catalog first from a folder of session folders: LABEL:KIND:LOCATION:PATH (kind ssd|hdd|nas|optical|cloud, location onsite|offsite); repeat for each',
      collect,
    )
    .option(
      '--store <spec>',
      'and from a backup store: LABEL:KIND:LOCATION:PATH (needs --vault); repeat for each',
      collect,
    )
    .option('--vault <file>', 'the vault key file the stores are bound to')
    .option(
      '--passphrase-file <file>',
      'read the vault passphrase from a file (else SHUTTERPROOF_PASSPHRASE, else the terminal)',
    )
    .option('--recovery-key-file <file>', 'unlock the vault with the 24 recovery words in this file')
    .option('--json', 'print the status as JSON')
    .addHelpText(
      'after',
      '\nWith --folder / --store the catalog is rebuilt from those places (their reports, ASC MHL histories and sealed\nindexes) before it answers; without them it answers from what it already holds.\n\nExamples:\n  shutterproof status --folder SSD1:ssd:onsite:/Volumes/SSD1 --folder HDD:hdd:onsite:/Volumes/HDD --store OFF:hdd:offsite:/Volumes/Offsite/store --vault studio.vault\n  shutterproof status --catalog /Volumes/Studio/shutterproof-catalog.db --json',
    )
    .action(async (opts: VaultOptions & { catalog?: string; folder?: string[]; store?: string[] }) => {
      const places = [
        ...(opts.folder ?? []).map((f) => parsePlace(f, ctx)),
        ...(opts.store ?? []).map((f) => ({ ...parsePlace(f, ctx), store: true })),
      ]
      const catalogFile = opts.catalog ?? join(shareHome(undefined), 'catalog.db')
      if (places.length === 0 && !existsSync(catalogFile)) {
        // Nothing to answer from, and nothing to build one from: say how, create nothing.
        ctx.usageError(
          `no catalog yet at ${catalogFile}. Build it by naming where your copies are, for example:\n` +
            '  shutterproof status --folder SSD1:ssd:onsite:/Volumes/SSD1 --folder HDD:hdd:onsite:/Volumes/HDD \\\n' +
            '                      --store OFF:hdd:offsite:/Volumes/Offsite/store --vault studio.vault\n' +
            'Later runs without --folder/--store answer from that catalog.',
        )
      }
      if (!opts.catalog) mkdirSync(shareHome(undefined), { recursive: true, mode: 0o700 })
      const vault = opts.store?.length ? await unlock(opts, ctx) : undefined
      try {
        const destinations: DestinationSpec[] = []
        for (const p of places) {
          const base = { label: p.label, kind: p.kind, location: p.location }
          destinations.push(
            'store' in p
              ? { ...base, store: await openStore(p.path, { vault: vault!, s3: s3StoreOptions(opts, ctx) }) }
              : { ...base, root: p.path },
          )
        }
        const catalog = await openCatalog(catalogFile, { destinations })
        try {
          if (destinations.length) await catalog.rebuild()
          printStatus(catalog.status(), catalog.stores(), opts.json === true, ctx)
        } finally {
          catalog.close()
        }
      } finally {
        vault?.close()
      }
    })
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value]
}

const KINDS: readonly MediaKind[] = ['ssd', 'hdd', 'nas', 'optical', 'cloud']
const LOCATIONS: readonly Location[] = ['onsite', 'offsite']

/** `LABEL:KIND:LOCATION:PATH` (the path may itself contain colons). */
function parsePlace(
  spec: string,
  ctx: CliContext,
): { label: string; kind: MediaKind; location: Location; path: string } {
  const [label, kind, location, ...rest] = spec.split(':')
  const path = rest.join(':')
  if (!label || !KINDS.includes(kind as MediaKind) || !LOCATIONS.includes(location as Location) || !path) {
    ctx.usageError(
      `${spec}: write LABEL:KIND:LOCATION:PATH with KIND one of ${KINDS.join('|')} and LOCATION onsite|offsite`,
    )
  }
  return { label, kind: kind as MediaKind, location: location as Location, path }
}

function printStatus(rows: SessionStatus[], stores: StoreStatus[], json: boolean, ctx: CliContext): void {
  if (json) ctx.json(rows, 1)
  else if (rows.length === 0 && stores.length === 0)
    ctx.stdout(
      'The catalog knows no session yet: give --folder (and --store) for the places that hold your session folders.\n',
    )
  else {
    const offsite = (r: SessionStatus) =>
      r.places
        .filter((p) => p.location === 'offsite')
        .map((p) => p.label)
        .join(',')
    const table = [
      ['session', 'copies', 'kinds', 'off-site', 'last verified', 'restore test', '3-2-1'],
    ].concat(
      rows.map((r) => [
        r.session,
        String(r.copies),
        r.kinds.join('+'),
        r.offsite ? `yes:${offsite(r)}` : 'no',
        r.lastVerified?.slice(0, 10) ?? 'never',
        r.lastRestoreTest ? `${r.lastRestoreTest.status} ${r.lastRestoreTest.at.slice(0, 10)}` : 'never',
        r.meets321 ? 'yes' : `no: ${r.reasons.join('; ')}`,
      ]),
    )
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)))
    for (const row of table)
      ctx.stdout(
        row
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd() + '\n',
      )
    for (const s of stores) {
      const full = s.lastFullTestPassed
        ? `last full restore test passed ${s.lastFullTestPassed}`
        : 'no full restore test passed yet'
      const last = s.lastTest
        ? `; last test ${s.lastTest.status} ${s.lastTest.at}${s.lastTest.full ? '' : ' (sample)'}`
        : ''
      ctx.stdout(
        `store ${s.label} (${s.kind}, ${s.location === 'offsite' ? 'off-site' : 'on-site'}, ${s.store}): ${full}${last}\n`,
      )
    }
  }
  ctx.exitCode = rows.every((r) => r.meets321) ? EXIT.OK : EXIT.COMPLETED_WITH_ERRORS
}

/**
 * Backup progress: one line redrawn in place on a terminal, a plain line every few seconds
 * otherwise (logs, CI), nothing with --quiet or --json.
 */
function backupProgress(
  ctx: CliContext,
  silent: boolean,
): { update?: (p: BackupProgress) => void; stop: () => void } {
  if (silent) return { stop: () => {} }
  const rate = new TransferRate()
  const line = (p: BackupProgress) => `${rate.line(p)}  objects written ${p.objectsWritten}`
  if (process.stderr.isTTY) {
    let drawn = false
    return {
      update: (p) => {
        drawn = true
        ctx.stderrRedraw(line(p))
      },
      stop: () => {
        if (drawn) ctx.stderr('\n')
        drawn = false
      },
    }
  }
  let last = 0
  return {
    update: (p) => {
      const now = Date.now()
      if (now - last < 5000 && p.files < p.filesTotal) return
      last = now
      ctx.stderr(`progress: ${line(p)}\n`)
    },
    stop: () => {},
  }
}
