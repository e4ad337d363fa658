/**
 * The same ingest step from a CommonJS app (strict TypeScript, compiled to `require`).
 * Type-checked by `npm test`; run by __test__/examples.spec.ts:
 *
 *   node --require ./node_modules/tsx/dist/cjs/index.cjs examples/embedder/ingest-step.cts /media/CARD /Volumes/SSD1 /Volumes/SSD2
 */
import {
  AbortError,
  CallbackError,
  ingest,
  isIntegrityError,
  ShutterproofError,
  type IngestReport,
} from 'shutterproof'

async function main(): Promise<void> {
  const [card, ...drives] = process.argv.slice(2)
  if (!card || drives.length === 0) {
    console.error('usage: ingest-step.cts CARD DRIVE...')
    process.exitCode = 2
    return
  }
  const ac = new AbortController()
  process.once('SIGINT', () => ac.abort(new Error('Ctrl-C')))
  let report: IngestReport | undefined
  let error: { code: string; message: string } | undefined
  try {
    report = await ingest({
      source: card,
      destinations: drives,
      session: { client: 'Example Client', shoot: 'Embedder CJS' },
      signal: ac.signal,
      onProgress: (p) => process.stderr.write(`${p.phase} ${p.files}/${p.filesTotal}\n`),
    })
  } catch (err) {
    if (err instanceof AbortError) report = err.partial as IngestReport | undefined
    else if (err instanceof CallbackError || err instanceof ShutterproofError)
      error = { code: err.code, message: (isIntegrityError(err) ? 'damaged data: ' : '') + err.message }
    else throw err
  }
  console.log(
    JSON.stringify({
      outcome: report?.status ?? 'error',
      safeToFormat: report?.safeToFormat ?? false,
      files: report?.files.length,
      error,
    }),
  )
}

void main()
