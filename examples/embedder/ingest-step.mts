/**
 * An app's "ingest this card" step, as an embedder writes it (ESM, strict TypeScript).
 * Type-checked by `npm test` (examples/embedder/tsconfig.json) and run by
 * __test__/examples.spec.ts. Run it yourself after `npm run build`:
 *
 *   npx tsx examples/embedder/ingest-step.mts /media/CARD /Volumes/SSD1 /Volumes/SSD2
 *
 * Ctrl-C cancels: the step then reports what was done (the abort's `partial`).
 */
import {
  AbortError,
  CallbackError,
  ingest,
  isIntegrityError,
  ShutterproofError,
  type IngestProgress,
  type IngestReport,
} from 'shutterproof'

/** What the app shows when the step ends. */
export interface StepOutcome {
  outcome: 'done' | 'cancelled' | 'needs-attention' | 'error'
  /** The report, also when cancelled (what was copied and checked before Ctrl-C). */
  report?: IngestReport
  /** For the app's error dialog. */
  error?: { code: string; message: string; path?: string }
  safeToFormat: boolean
}

/** One line of progress for a status bar: phase, finished share, the file being read. */
export function describe(p: IngestProgress): string {
  const pct = p.bytesTotal > 0 ? Math.floor((100 * p.bytes) / p.bytesTotal) : 100
  const where = p.phase === 'records' ? (p.destination ?? '') : (p.currentFile ?? '')
  const drives = p.destinations
    .map((d) => `${d.label} ${d.filesDone}/${p.filesTotal}${d.error ? ` ${d.error.code}` : ''}`)
    .join(', ')
  return `${p.phase} ${pct}% ${p.files}/${p.filesTotal} files ${where} [${drives}]`
}

export async function ingestStep(
  card: string,
  drives: readonly string[],
  signal: AbortSignal,
  show: (line: string) => void,
): Promise<StepOutcome> {
  try {
    const report = await ingest({
      source: card,
      destinations: drives,
      session: { client: 'Example Client', shoot: 'Embedder' },
      signal,
      // A bug in our own UI code must not lose the card's data: if this throws, the
      // ingest stops cleanly and rejects with E_CALLBACK (handled below).
      onProgress: (p) => show(describe(p)),
    })
    const outcome = report.status === 'completed' ? 'done' : 'needs-attention'
    return { outcome, report, safeToFormat: report.safeToFormat }
  } catch (err) {
    if (err instanceof AbortError) {
      const report = err.partial as IngestReport | undefined
      return { outcome: 'cancelled', ...(report ? { report } : {}), safeToFormat: false }
    }
    if (err instanceof CallbackError) {
      return {
        outcome: 'error',
        error: { code: err.code, message: `our progress display failed: ${String(err.cause)}` },
        safeToFormat: false,
      }
    }
    if (err instanceof ShutterproofError) {
      const error = {
        code: err.code,
        message: isIntegrityError(err) ? `damaged data: ${err.message}` : err.message,
        ...(err.path !== undefined ? { path: err.path } : {}),
      }
      return { outcome: 'error', error, safeToFormat: false }
    }
    throw err
  }
}

// Run directly: ingest argv[2] to argv[3…], print the outcome as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [card, ...drives] = process.argv.slice(2)
  if (!card || drives.length === 0) {
    console.error('usage: ingest-step.mts CARD DRIVE...')
    process.exit(2)
  }
  const ac = new AbortController()
  process.once('SIGINT', () => ac.abort(new Error('Ctrl-C')))
  const result = await ingestStep(card, drives, ac.signal, (line) => process.stderr.write(`${line}\n`))
  console.log(
    JSON.stringify({
      outcome: result.outcome,
      safeToFormat: result.safeToFormat,
      status: result.report?.status,
      files: result.report?.files.length,
      error: result.error,
    }),
  )
}
