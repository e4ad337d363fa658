/**
 * `shutterproof store copy` and `store gc`: need no vault (nothing is decrypted).
 * @module
 */
import type { Command } from 'commander'

import { copyStore } from '../backup/copy-store'
import { collectGarbage } from '../backup/gc'
import type { CliContext } from './context'
import { EXIT } from './exit-codes'
import { s3Options, s3StoreOptions, transferOptions, type S3CliOptions } from './store-options'

export function registerStoreMaintenance(store: Command, ctx: CliContext): void {
  transferOptions(
    s3Options(
      store
        .command('copy')
        .description(
          'Copy a store to another place (folder ↔ s3://) without decrypting: only what the destination lacks, each object checked by SHA-256, snapshots after their objects',
        )
        .argument('<source>')
        .argument('<destination>'),
    ),
  )
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof store copy /Volumes/Offsite/store s3://studio-backup/offsite --bwlimit 20MB/s\n  shutterproof store copy s3://studio-backup/offsite /Volumes/Restore/store --json',
    )
    .action(async (source: string, destination: string, opts: S3CliOptions & { json?: boolean }) => {
      const s3 = s3StoreOptions(opts, ctx)
      const r = await copyStore(source, destination, {
        sourceS3: s3,
        destinationS3: s3,
        signal: ctx.signal,
        ...(s3.concurrency ? { concurrency: s3.concurrency } : {}),
      })
      if (opts.json) ctx.stdout(JSON.stringify(r, null, 1) + '\n')
      else {
        for (const f of r.failures) ctx.stderr(`shutterproof: ${f.message} [${f.code}]\n`)
        ctx.stdout(
          `${r.status}: ${r.objectsCopied} objects copied (${r.objectsPresent} already there), ${r.snapshotsCopied} snapshots, ${r.testsCopied} restore-test records, ${r.bytesCopied} bytes, into ${r.destination}\n`,
        )
      }
      ctx.exitCode = r.status === 'completed' ? EXIT.OK : EXIT.COMPLETED_WITH_ERRORS
    })

  s3Options(
    store
      .command('gc')
      .description(
        'List and remove what interrupted runs left: incomplete multipart uploads and temporary files (never objects or snapshots)',
      )
      .argument('<store>'),
  )
    .option('--dry-run', 'list only; remove nothing')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof store gc s3://studio-backup/offsite --dry-run\n  shutterproof store gc /Volumes/Offsite/store --json',
    )
    .action(async (location: string, opts: S3CliOptions & { json?: boolean; dryRun?: boolean }) => {
      const r = await collectGarbage(location, {
        s3: s3StoreOptions(opts, ctx),
        dryRun: opts.dryRun === true,
      })
      if (opts.json) ctx.stdout(JSON.stringify(r, null, 1) + '\n')
      else {
        for (const u of r.uploads)
          ctx.stdout(
            `incomplete upload: ${u.key} started ${u.initiated}${u.resumable ? ' (resumable from this machine)' : ''}\n`,
          )
        if (r.dryRun) ctx.stdout(`dry run: ${r.uploads.length} incomplete uploads; nothing removed\n`)
        else if (r.otherWriters)
          ctx.stdout('another run is writing to the store: nothing removed; run gc again later\n')
        else
          ctx.stdout(
            `removed ${r.uploadsAborted} incomplete uploads and ${r.temporariesRemoved} temporary files from ${r.store}\n`,
          )
      }
      ctx.exitCode = EXIT.OK
    })
}
