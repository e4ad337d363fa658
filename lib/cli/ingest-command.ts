/**
 * `shutterproof ingest`, `shutterproof verify`, `shutterproof safe-to-format`.
 * @module
 */
import type { Command } from 'commander'

import { ingest, safeToFormat, verify, type IngestProgress, type IngestReport, type VerifyMode } from '../ingest/index'
import type { CliContext } from './context'
import { EXIT } from './exit-codes'

const MODES: readonly VerifyMode[] = ['destination', 'source', 'size']

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`
}

function eta(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '?'
  const m = Math.floor(s / 60)
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`
}

/** Progress on a TTY: one bar overall and one per destination; otherwise a line every ~2 s. */
function progressReporter(ctx: CliContext, quiet: boolean): { update: (p: IngestProgress) => void; stop: () => void } {
  if (quiet) return { update: () => {}, stop: () => {} }
  if (process.stderr.isTTY) {
    const { MultiBar, Presets } = require('cli-progress') as typeof import('cli-progress')
    const multi = new MultiBar({ stream: process.stderr, hideCursor: true, clearOnComplete: false, format: ' {label} |{bar}| {percentage}% {value}/{total} MB {extra}' }, Presets.shades_classic)
    let overall: ReturnType<typeof multi.create> | undefined
    const bars: Array<ReturnType<typeof multi.create>> = []
    return {
      update(p) {
        const total = Math.max(1, Math.round(p.bytesTotal / 1e6))
        overall ??= multi.create(total, 0, { label: 'card'.padEnd(24), extra: '' })
        overall.update(Math.round(p.bytes / 1e6), { extra: `${p.files}/${p.filesTotal} files ${mb(p.throughput)}/s ETA ${eta(p.etaSeconds)}` })
        p.destinations.forEach((d, i) => {
          bars[i] ??= multi.create(total, 0, { label: d.root.slice(-24).padEnd(24), extra: '' })
          bars[i]!.update(Math.round(d.bytesWritten / 1e6), { extra: d.error ? `FAILED ${d.error.code}` : d.state })
        })
      },
      stop: () => multi.stop(),
    }
  }
  let last = 0
  let lastLine = ''
  return {
    update(p) {
      const now = Date.now()
      if (now - last < 2000 && p.bytes < p.bytesTotal) return
      const key = `${p.bytes}/${p.files}/${p.destinations.map((d) => d.state).join()}`
      if (key === lastLine) return
      last = now
      lastLine = key
      const dests = p.destinations.map((d, i) => `dest${i + 1} ${mb(d.bytesWritten)} ${d.error ? `failed ${d.error.code}` : d.state}`).join(', ')
      ctx.stderr(`progress: ${mb(p.bytes)} of ${mb(p.bytesTotal)} (${p.files}/${p.filesTotal} files, ${mb(p.throughput)}/s, ETA ${eta(p.etaSeconds)}); ${dests}\n`)
    },
    stop: () => {},
  }
}

function table(r: IngestReport): string {
  const rows = [['destination', 'status', 'verified', 'identical', 'earlier', 'copied', 'failed', 'aborted', 'written']]
  for (const d of r.perDestination) {
    rows.push([d.sessionRoot, d.status, d.verified, d.skippedIdentical, d.previouslyVerified, d.copied, d.failed, d.aborted, mb(d.bytesWritten)].map(String))
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  return rows.map((row) => row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd()).join('\n') + '\n'
}

function ingestExit(status: IngestReport['status']): number {
  return status === 'completed' ? EXIT.OK : status === 'aborted' ? EXIT.ABORTED : status === 'failed' ? EXIT.INTEGRITY : EXIT.COMPLETED_WITH_ERRORS
}

interface IngestCliOptions {
  client: string
  shoot: string
  date?: string
  verify?: string
  template?: string
  minCopies?: string
  json?: boolean
  quiet?: boolean
}

export function registerIngest(program: Command, ctx: CliContext): void {
  program
    .command('ingest')
    .description('Copy a card to every destination at once, read every copy back from disk, and say whether the card is safe to format')
    .argument('<card>', 'the card (mount point or folder)')
    .argument('<destinations...>', 'destination drives or folders; each receives the session folder')
    .requiredOption('--client <name>', 'client name (part of the session folder name)')
    .requiredOption('--shoot <name>', 'shoot name (part of the session folder name)')
    .option('--date <YYYY-MM-DD>', 'session date (default today)')
    .option('--verify <mode>', `destination (read every copy back, default) | source | size`)
    .option('--template <template>', 'session folder template (default {date}_{client}_{shoot})')
    .option('--min-copies <n>', 'verified copies needed before the card is safe to format (default 2)')
    .option('--json', 'print the full report as one JSON document on stdout')
    .option('--quiet', 'no progress output')
    .addHelpText(
      'after',
      '\nExit codes: 0 completed, 3 completed with errors, 1 a verification failed, 130 aborted (Ctrl-C), 2 usage.\n\nExamples:\n  shutterproof ingest /media/EOS_DIGITAL /Volumes/SSD1 /Volumes/SSD2 --client "Ada Lovelace" --shoot Wedding\n  shutterproof ingest /media/CARD /mnt/a /mnt/b --client Ada --shoot Portraits --date 2026-04-26 --json',
    )
    .action(async (card: string, destinations: string[], opts: IngestCliOptions) => {
      const mode = (opts.verify ?? 'destination') as VerifyMode
      if (!MODES.includes(mode)) ctx.usageError(`unknown --verify ${opts.verify}; use one of ${MODES.join(', ')}`)
      const minCopies = opts.minCopies === undefined ? 2 : Number(opts.minCopies)
      if (!Number.isInteger(minCopies) || minCopies < 1) ctx.usageError('--min-copies must be a whole number ≥ 1')
      const progress = progressReporter(ctx, opts.quiet === true)
      let report: IngestReport
      try {
        report = await ingest({
          source: card,
          destinations,
          session: { client: opts.client, shoot: opts.shoot, ...(opts.date ? { date: opts.date } : {}) },
          ...(opts.template ? { folderTemplate: opts.template } : {}),
          verify: mode,
          minCopies,
          signal: ctx.signal,
          onProgress: progress.update,
        })
      } finally {
        progress.stop()
      }
      if (opts.json) {
        ctx.stdout(JSON.stringify(report, null, 2) + '\n')
      } else if (!opts.quiet) {
        ctx.stdout(`session ${report.session.folder}: ${report.status}, ${report.files.length} files, ${mb(report.bytesTotal)}\n`)
        ctx.stdout(table(report))
        for (const d of report.perDestination) {
          if (d.error) ctx.stdout(`  ${d.sessionRoot}: ${d.error.code}: ${d.error.message}\n`)
          if (d.mhlError) ctx.stdout(`  ${d.sessionRoot}: ASC MHL history incomplete: ${d.mhlError.code}: ${d.mhlError.message}\n`)
        }
        for (const f of report.files) {
          if (f.sourceError) ctx.stdout(`  ${f.path}: ${f.sourceError.code}: ${f.sourceError.message}\n`)
          f.destinations.forEach((x, i) => {
            if (x.error && !report.perDestination[i]!.error) ctx.stdout(`  ${f.path} at ${report.perDestination[i]!.sessionRoot}: ${x.error.code}: ${x.error.message}\n`)
          })
        }
        for (const d of report.perDestination) {
          if (d.htmlReportPath) ctx.stdout(`  report: ${d.htmlReportPath}\n`)
          else if (d.htmlReportError) ctx.stdout(`  ${d.sessionRoot}: HTML report not written: ${d.htmlReportError.code}: ${d.htmlReportError.message}\n`)
        }
        for (const s of report.skipped) ctx.stdout(`  skipped ${s.path} (${s.reason}${s.target ? ` → ${s.target}, not followed` : ''})\n`)
        ctx.stdout(report.safeToFormat ? 'safe to format the card: yes\n' : `safe to format the card: NO (${report.reasons.length} reasons; see safe-to-format)\n`)
      }
      ctx.exitCode = ingestExit(report.status)
    })

  program
    .command('verify')
    .description('Re-hash a session folder from disk against its ASC MHL history and reports; record the result')
    .argument('<session>', 'a session folder written by ingest, or any folder with an ascmhl/ history')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  shutterproof verify /Volumes/SSD1/2026-04-26_Ada_Wedding\n  shutterproof verify --json /Volumes/SSD2/2026-04-26_Ada_Wedding')
    .action(async (session: string, opts: { json?: boolean }) => {
      const r = await verify(session, { signal: ctx.signal })
      if (opts.json) ctx.stdout(JSON.stringify(r, null, 2) + '\n')
      else {
        ctx.stdout(`${r.root}: ${r.status} (${r.files.length} files, against ${r.sources.join(' + ')})\n`)
        for (const p of r.mismatches) ctx.stdout(`  MISMATCH ${p}\n`)
        for (const p of r.missing) ctx.stdout(`  MISSING  ${p}\n`)
      }
      ctx.exitCode = r.status === 'verified' ? EXIT.OK : EXIT.INTEGRITY
    })

  program
    .command('safe-to-format')
    .description('Say whether a card may be formatted: every file verified on enough destinations (never formats anything)')
    .argument('<card>', 'the card')
    .argument('<destinations...>', 'session folders (or the drives holding them)')
    .option('--min-copies <n>', 'verified copies needed (default 2)')
    .option('--rehash', 're-read the card and every copy from the disk (not the page cache) and compare BLAKE3 with the recorded card hashes')
    .option('--json', 'print the verdict as JSON')
    .addHelpText('after', '\nExamples:\n  shutterproof safe-to-format /media/EOS_DIGITAL /Volumes/SSD1 /Volumes/SSD2\n  shutterproof safe-to-format /media/EOS_DIGITAL /Volumes/SSD1/2026-04-26_Ada_Wedding --min-copies 1 --rehash --json')
    .action(async (card: string, destinations: string[], opts: { minCopies?: string; rehash?: boolean; json?: boolean }) => {
      const minCopies = opts.minCopies === undefined ? 2 : Number(opts.minCopies)
      if (!Number.isInteger(minCopies) || minCopies < 1) ctx.usageError('--min-copies must be a whole number ≥ 1')
      const v = await safeToFormat(card, destinations, { minCopies, rehash: opts.rehash === true, signal: ctx.signal })
      if (opts.json) ctx.stdout(JSON.stringify(v, null, 2) + '\n')
      else {
        ctx.stdout(v.safe ? `safe to format: yes (${v.files} files, each verified on ≥ ${v.minCopies} destinations)\n` : `safe to format: NO\n`)
        for (const r of v.reasons) ctx.stdout(`  ${r.code}: ${r.message}\n`)
      }
      ctx.exitCode = v.safe ? EXIT.OK : EXIT.INTEGRITY
    })
}
