/**
 * `shutterproof ingest`, `shutterproof verify`, `shutterproof safe-to-format`.
 * @module
 */
import type { Command } from 'commander'

import { AbortError, CallbackError } from '../errors'
import type { IngestProgress, IngestReport, VerifyMode } from '../ingest/index'
import type { IngestTally } from '../ingest/report-files'
import { formatBytes, formatRate } from '../text/units'
import type { CliContext } from './context'
import { EXIT } from './exit-codes'
import { writeJson } from './json-pieces'
import { leanHeap } from './lean-heap'
import { destinationLabels, duration, progressLines, table } from './screen'
import { renderVerdict } from './verdict'

const MODES: readonly VerifyMode[] = ['destination', 'source', 'size']

/**
 * The ingest engine (copy, MHL, reports), loaded when a command runs: `--help` needs none
 * of it. Its commands' work grows with the card's file count: V8 is asked for a small heap.
 */
function ingestApi(): typeof import('../ingest/index') {
  leanHeap()
  return require('../ingest/index') as typeof import('../ingest/index')
}

/**
 * {@link ingestApi}'s `ingest` alone: its module loads the MHL, report and verdict code
 * while the copy runs (lib/ingest/run.ts), not `verify`'s.
 */
function runIngest(): typeof import('../ingest/run').ingest {
  leanHeap()
  return (require('../ingest/run') as typeof import('../ingest/run')).ingest
}

/**
 * What the summary prints of a run's files: counts and the files with a problem, never
 * `report.files` (made on first access, ~500 bytes a file: issue #18).
 */
function tallyOf(report: IngestReport): IngestTally {
  const { ingestTally } = require('../ingest/report-files') as typeof import('../ingest/report-files')
  const t = ingestTally(report)
  if (!t) throw new Error('internal: an ingest report without its tally')
  return t
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`
}

/** What each destination is doing, in words. */
function doing(d: IngestProgress['destinations'][number]): string {
  if (d.error) return `FAILED ${d.error.code}`
  if (d.state === 'aborted') return 'cancelled'
  if (d.state === 'finished') return 'done'
  return d.phase === 'read-back' ? 'reading back' : d.phase === 'records' ? 'writing reports' : 'writing'
}

interface Reporter {
  update: (p: IngestProgress) => void
  /** Stops drawing; `cancelled` redraws the bars with what was really done. */
  stop: (cancelled?: IngestReport) => void
}

/**
 * Progress on a terminal: one bar for the card (read) and one per destination (finished
 * there: written and read back), each labelled by its drive name and fitted to the
 * terminal's width. Otherwise a plain line every ~2 s.
 */
function progressReporter(ctx: CliContext, quiet: boolean, destinations: readonly string[]): Reporter {
  if (quiet) return { update: () => {}, stop: () => {} }
  const labels = ['card', ...destinationLabels(destinations)]
  const columns = ctx.stderrColumns
  if (columns !== undefined) {
    const { MultiBar } = require('cli-progress') as typeof import('cli-progress')
    const multi = new MultiBar({
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      format: '{line}',
      autopadding: false,
      linewrap: false,
    })
    const bars: Array<ReturnType<typeof multi.create>> = []
    let last: IngestProgress | undefined
    let lastWords = ''
    const draw = (p: IngestProgress, cardState?: string) => {
      const width = ctx.stderrColumns ?? columns
      const reading = !cardState && p.bytesRead < p.bytesTotal
      // What the bars say in words: a change (reading → reading back → done) is drawn at
      // once, not at the next 100 ms frame, so a phase shorter than a frame is still seen.
      const words = [cardState ?? reading, ...p.destinations.map(doing)].join('\n')
      const lines = progressLines(
        [
          {
            label: labels[0]!,
            fraction: p.bytesRead / Math.max(1, p.bytesTotal),
            items: [
              `${formatBytes(p.bytesRead)} of ${formatBytes(p.bytesTotal)}`,
              cardState ?? (reading ? formatRate(p.throughput) : 'read'),
              ...(reading ? [`ETA ${duration(p.etaSeconds)}`] : []),
              `${p.files}/${p.filesTotal} files done`,
            ],
          },
          ...p.destinations.map((d, i) => ({
            label: labels[i + 1]!,
            fraction: d.bytesDone / Math.max(1, p.bytesTotal),
            items: [
              doing(d),
              `${d.filesDone}/${p.filesTotal} files`,
              `written ${formatBytes(d.bytesWritten)}`,
            ],
          })),
        ],
        width,
      )
      lines.forEach((line, i) => {
        bars[i] ??= multi.create(1, 0, { line })
        bars[i]!.update(0, { line })
      })
      if (words !== lastWords) multi.update()
      lastWords = words
    }
    return {
      update(p) {
        last = p
        draw(p)
      },
      stop(cancelled) {
        // Ctrl-C: the bars show what was actually done, never "finished".
        if (cancelled && last) {
          const t = tallyOf(cancelled)
          draw(
            {
              ...last,
              files: t.reachedEverywhere,
              destinations: last.destinations.map((d, i) => ({
                ...d,
                state: 'aborted',
                filesDone: t.checked[i]!.files,
                bytesDone: t.checked[i]!.bytes,
              })),
            },
            'cancelled',
          )
        }
        multi.stop()
      },
    }
  }
  let lastAt = 0
  let lastLine = ''
  let startBytes: number | undefined
  return {
    update(p) {
      // The copy's first event (nothing read yet) takes no line: the first line says how far it got.
      startBytes ??= p.bytesRead
      if (p.phase === 'read' && p.bytesRead === startBytes) return
      const now = Date.now()
      if (now - lastAt < 2000 && p.phase !== 'records') return
      const dests = p.destinations
        .map((d, i) => `${labels[i + 1]} ${d.filesDone}/${p.filesTotal} ${doing(d)}`)
        .join(', ')
      const line = `progress: ${mb(p.bytesRead)} of ${mb(p.bytesTotal)} read, ${p.files}/${p.filesTotal} files done (${mb(p.throughput)}/s, ETA ${duration(p.etaSeconds)}); ${dests}\n`
      if (line === lastLine) return
      lastAt = now
      lastLine = line
      ctx.stderr(line)
    },
    stop: () => {},
  }
}

/** The per-destination summary, fitted to the terminal: drive, status, counts. */
function summaryTable(r: IngestReport, columns: number): string {
  const labels = destinationLabels(r.perDestination.map((d) => d.root))
  const rows = [['drive', 'status', 'checked', 'not checked', 'failed', 'not copied', 'written']]
  r.perDestination.forEach((d, i) => {
    rows.push([
      labels[i]!,
      d.status,
      String(d.verified + d.skippedIdentical + d.previouslyVerified),
      String(d.copied),
      String(d.failed),
      String(d.aborted),
      formatBytes(d.bytesWritten),
    ])
  })
  return table(rows, columns, [false, false, true, true, true, true, true])
}

function ingestExit(status: IngestReport['status']): number {
  return status === 'completed'
    ? EXIT.OK
    : status === 'aborted'
      ? EXIT.ABORTED
      : status === 'failed'
        ? EXIT.INTEGRITY
        : EXIT.COMPLETED_WITH_ERRORS
}

/** Everything a photographer needs after a run (or a Ctrl-C), the verdict last. */
function printSummary(ctx: CliContext, report: IngestReport, minCopies: number): void {
  const columns = ctx.stdoutColumns
  const labels = destinationLabels(report.perDestination.map((d) => d.root))
  const status = report.status === 'aborted' ? 'CANCELLED' : report.status
  const tally = tallyOf(report)
  ctx.stdout(
    `${status}: ${tally.files} files, ${formatBytes(report.bytesTotal)}\nsession: ${report.session.folder}\n`,
  )
  ctx.stdout(summaryTable(report, columns))
  report.perDestination.forEach((d, i) => ctx.stdout(`  ${labels[i]}: ${d.sessionRoot}\n`))
  for (const d of report.perDestination) {
    if (d.error) ctx.stdout(`  ${d.sessionRoot}: ${d.error.code}: ${d.error.message}\n`)
  }
  for (const f of tally.problems) {
    if (f.sourceError) ctx.stdout(`  ${f.path}: ${f.sourceError.code}: ${f.sourceError.message}\n`)
    f.errors.forEach((x, i) => {
      if (x) ctx.stdout(`  ${f.path} at ${labels[i]}: ${x.code}: ${x.message}\n`)
    })
  }
  for (const d of report.perDestination) {
    if (d.mhlError)
      ctx.stdout(
        `  ${d.sessionRoot}: ASC MHL history incomplete: ${d.mhlError.code}: ${d.mhlError.message}\n`,
      )
    if (d.htmlReportPath) ctx.stdout(`  report: ${d.htmlReportPath}\n`)
    else if (d.htmlReportError)
      ctx.stdout(
        `  ${d.sessionRoot}: HTML report not written: ${d.htmlReportError.code}: ${d.htmlReportError.message}\n`,
      )
  }
  for (const s of report.skipped)
    ctx.stdout(`  skipped ${s.path} (${s.reason}${s.target ? ` → ${s.target}, not followed` : ''})\n`)
  if (report.status === 'aborted') {
    ctx.stderr(
      `shutterproof: aborted by Ctrl-C: ${tally.checkedEverywhere} of ${tally.files} files were copied and checked at every destination; nothing partial is under a final name. Run the same command again to finish.\n`,
    )
  }
  ctx.stdout(
    renderVerdict(
      { safe: report.safeToFormat, files: tally.files, minCopies, reasons: report.reasons },
      columns,
    ),
  )
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
    .description(
      'Copy a card to every destination at once, read every copy back from disk, and say whether the card is safe to format',
    )
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
      if (!MODES.includes(mode))
        ctx.usageError(`unknown --verify ${opts.verify}; use one of ${MODES.join(', ')}`)
      const minCopies = opts.minCopies === undefined ? 2 : Number(opts.minCopies)
      if (!Number.isInteger(minCopies) || minCopies < 1)
        ctx.usageError('--min-copies must be a whole number ≥ 1')
      const progress = progressReporter(ctx, opts.quiet === true || opts.json === true, destinations)
      let report: IngestReport
      try {
        report = await runIngest()({
          source: card,
          destinations,
          session: { client: opts.client, shoot: opts.shoot, ...(opts.date ? { date: opts.date } : {}) },
          ...(opts.template ? { folderTemplate: opts.template } : {}),
          verify: mode,
          minCopies,
          signal: ctx.signal,
          onProgress: progress.update,
        })
        progress.stop()
      } catch (err) {
        // Ctrl-C: the report of what was done comes with the abort.
        const partial =
          err instanceof AbortError || err instanceof CallbackError
            ? (err.partial as IngestReport | undefined)
            : undefined
        progress.stop(partial)
        if (!partial) throw err
        report = partial
        if (!(err instanceof AbortError)) throw err
      }
      if (opts.json) await writeJson(ctx, report)
      else if (!opts.quiet) printSummary(ctx, report, minCopies)
      ctx.exitCode = ingestExit(report.status)
      // The summary said what Ctrl-C left: main need not add its line.
      if (report.status === 'aborted' && !opts.json && !opts.quiet) ctx.interruptReported = true
    })

  program
    .command('verify')
    .description(
      'Re-hash a session folder from disk against its ASC MHL history and reports; record the result',
    )
    .argument('<session>', 'a session folder written by ingest, or any folder with an ascmhl/ history')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof verify /Volumes/SSD1/2026-04-26_Ada_Wedding\n  shutterproof verify --json /Volumes/SSD2/2026-04-26_Ada_Wedding',
    )
    .action(async (session: string, opts: { json?: boolean }) => {
      const r = await ingestApi().verify(session, { signal: ctx.signal })
      if (opts.json) await writeJson(ctx, r)
      else {
        // The count without building the list of every file (loaded here: `--help` loads no engine).
        const { lazyRows } = require('../ingest/lazy-list') as typeof import('../ingest/lazy-list')
        const files = lazyRows(r, 'files')?.count ?? r.files.length
        ctx.stdout(
          `${r.root}: ${r.status === 'completed' ? 'verified' : 'FAILED'} (${files} files, against ${r.sources.join(' + ')})\n`,
        )
        for (const p of r.mismatches) ctx.stdout(`  MISMATCH ${p}\n`)
        for (const p of r.missing) ctx.stdout(`  MISSING  ${p}\n`)
      }
      ctx.exitCode = r.status === 'completed' ? EXIT.OK : EXIT.INTEGRITY
    })

  program
    .command('safe-to-format')
    .description(
      'Say whether a card may be formatted: every file verified on enough destinations (never formats anything)',
    )
    .argument('<card>', 'the card')
    .argument('<destinations...>', 'session folders (or the drives holding them)')
    .option('--min-copies <n>', 'verified copies needed (default 2)')
    .option(
      '--rehash',
      're-read the card and every copy from the disk (not the page cache) and compare BLAKE3 with the recorded card hashes',
    )
    .option('--json', 'print the verdict as JSON')
    .addHelpText(
      'after',
      '\nThe reasons are grouped (what is wrong, at which destination, a few files named); the verdict comes last.\n\nExamples:\n  shutterproof safe-to-format /media/EOS_DIGITAL /Volumes/SSD1 /Volumes/SSD2\n  shutterproof safe-to-format /media/EOS_DIGITAL /Volumes/SSD1/2026-04-26_Ada_Wedding --min-copies 1 --rehash --json',
    )
    .action(
      async (
        card: string,
        destinations: string[],
        opts: { minCopies?: string; rehash?: boolean; json?: boolean },
      ) => {
        const minCopies = opts.minCopies === undefined ? 2 : Number(opts.minCopies)
        if (!Number.isInteger(minCopies) || minCopies < 1)
          ctx.usageError('--min-copies must be a whole number ≥ 1')
        const v = await ingestApi().safeToFormat(card, destinations, {
          minCopies,
          rehash: opts.rehash === true,
          signal: ctx.signal,
        })
        if (opts.json) await writeJson(ctx, v)
        else ctx.stdout(renderVerdict(v, ctx.stdoutColumns))
        ctx.exitCode = v.safe ? EXIT.OK : EXIT.INTEGRITY
      },
    )
}
