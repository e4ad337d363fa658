/**
 * A CLI's JSON document written in pieces: the text of `JSON.stringify(doc, null, indent)`,
 * byte for byte, with the per-file lists of a result not read yet (`IngestReport.files`,
 * `VerifyReport.files`, `SafeToFormatVerdict.copies`: lib/ingest/lazy-list.ts) written an
 * item at a time from their packed rows, never as one string or one array of 20,000
 * objects.
 * @module
 */
import type { CliContext } from './context'

/** Stands for a streamed list while the rest of the document is laid out. */
const MARK = '\u0000rows\u0000'

/** Characters gathered before each write to stdout. */
const BATCH = 64 * 1024

/**
 * The pieces of `JSON.stringify(doc, null, indent)` for a plain object `doc` whose lazy
 * lists (see lib/ingest/lazy-list.ts) are not built yet: those come an item at a time.
 */
export function* jsonPieces(doc: object, indent = 2): Generator<string> {
  // Loaded here, not at the top: ingest-command imports this module, and `ingest --help` loads no engine.
  const { lazyRows } = require('../ingest/lazy-list') as typeof import('../ingest/lazy-list')
  const streamed: Array<Iterable<unknown>> = []
  const shallow: Record<string, unknown> = {}
  for (const key of Object.keys(doc)) {
    const lazy = lazyRows(doc, key)
    if (lazy) {
      shallow[key] = MARK
      streamed.push(lazy.rows())
    } else shallow[key] = (doc as Record<string, unknown>)[key]
  }
  const text = JSON.stringify(shallow, null, indent)
  const mark = JSON.stringify(MARK)
  const pad = ' '.repeat(indent)
  let from = 0
  for (const rows of streamed) {
    const at = text.indexOf(mark, from)
    yield text.slice(from, at)
    let first = true
    for (const item of rows) {
      // An element of a list one level down: `indent` more spaces on every line (JSON strings hold no raw newline).
      const json = JSON.stringify(item, null, indent) ?? 'null'
      yield (first ? `[\n${pad}${pad}` : `,\n${pad}${pad}`) + json.replace(/\n/g, `\n${pad}${pad}`)
      first = false
    }
    yield first ? '[]' : `\n${pad}]`
    from = at + mark.length
  }
  yield text.slice(from) + '\n'
}

/** Writes {@link jsonPieces} of `doc` to stdout in batches, waiting for the pipe to drain between them. */
export async function writeJson(ctx: CliContext, doc: object): Promise<void> {
  let batch = ''
  for (const piece of jsonPieces(doc)) {
    batch += piece
    if (batch.length < BATCH) continue
    ctx.stdout(batch)
    batch = ''
    if (process.stdout.writableNeedDrain) await new Promise((res) => process.stdout.once('drain', res))
  }
  ctx.stdout(batch)
}
