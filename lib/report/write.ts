/**
 * Writing the HTML offload report beside an ingest's JSON report, and re-rendering it
 * later from a session folder. Temporary name, fsync, rename: a report is whole or absent.
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'

import { FileSystemError, fromNative } from '../errors'
import { writeChunksDurably } from '../fs/durable'
import { DATA_FOLDER, nodeError } from '../ingest/plan'
import type { SessionRecord } from '../ingest/records'
import { offloadReportChunks, recordView, type ReportView } from './html'

/**
 * Renders `record` and writes it as `<json name>.html` beside its JSON report; `siblings`
 * are the other destinations' records of the same run. Returns the HTML path.
 */
export async function writeHtmlBeside(
  jsonPath: string,
  record: SessionRecord,
  siblings: readonly SessionRecord[] = [],
): Promise<string> {
  return writeHtmlViewBeside(jsonPath, recordView(record, siblings))
}

/** {@link writeHtmlBeside} from a view (see {@link ReportView}), streamed to the file row by row. */
export async function writeHtmlViewBeside(jsonPath: string, view: ReportView): Promise<string> {
  const out = jsonPath.replace(/\.json$/, '') + '.html'
  await writeChunksDurably(out, offloadReportChunks(view, { jsonName: basename(jsonPath) }))
  return out
}

/** The ingest reports of a session root, newest first, with their paths (unreadable ones left out). */
async function ingestRecords(sessionRoot: string): Promise<Array<{ path: string; record: SessionRecord }>> {
  const dir = join(sessionRoot, DATA_FOLDER)
  const names = (await readdir(dir)).filter((n) => /^ingest-.*\.json$/.test(n))
  const out: Array<{ path: string; record: SessionRecord }> = []
  for (const name of names) {
    try {
      const record = JSON.parse(await readFile(join(dir, name), 'utf8')) as SessionRecord
      if (
        record?.format !== 'shutterproof-session-record/1' ||
        record.kind !== 'ingest' ||
        !Array.isArray(record.files)
      )
        continue
      out.push({ path: join(dir, name), record })
    } catch {
      // Not a report we can read: the newest readable one is rendered.
    }
  }
  out.sort((a, b) =>
    a.record.createdAt < b.record.createdAt
      ? 1
      : a.record.createdAt > b.record.createdAt
        ? -1
        : a.path < b.path
          ? 1
          : -1,
  )
  return out
}

/** Options of {@link writeOffloadReport}. */
export interface WriteOffloadReportOptions {
  /** Where to write the HTML; default beside the JSON report, same name with `.html`. */
  output?: string
}

/** What {@link writeOffloadReport} wrote. */
export interface WrittenOffloadReport {
  /** The HTML file. */
  path: string
  /** The JSON report it was rendered from. */
  jsonPath: string
  /** Other destinations' JSON reports of the same run that were found and used. */
  siblings: string[]
}

/**
 * Re-renders the HTML offload report of a session folder from its newest ingest JSON
 * report (`SESSION/.shutterproof/ingest-<time>.json`). The other destinations' reports
 * of the same run are read too when their drives are mounted (then every file shows its
 * exact method everywhere); otherwise the run summary in this report is shown.
 *
 * @example
 * ```ts
 * import { writeOffloadReport } from 'shutterproof'
 * const { path } = await writeOffloadReport('/Volumes/SSD1/2026-04-26_Ada_Wedding')
 * console.log(`open ${path}`)
 * ```
 * @throws {@link FileSystemError} `ENOENT` when the folder has no readable ingest report
 */
export async function writeOffloadReport(
  sessionRoot: string,
  options: WriteOffloadReportOptions = {},
): Promise<WrittenOffloadReport> {
  const root = resolve(sessionRoot)
  let found: Array<{ path: string; record: SessionRecord }>
  try {
    found = await ingestRecords(root)
  } catch (err) {
    if ((err as NodeJS.ErrnoException)?.code !== 'ENOENT')
      throw fromNative(nodeError(err, join(root, DATA_FOLDER)), root)
    // No .shutterproof folder: say so, unless the session folder itself is not there.
    await stat(root).catch((e: unknown) => {
      throw fromNative(nodeError(e, root), root)
    })
    found = []
  }
  const newest = found[0]
  if (!newest)
    throw new FileSystemError(
      'ENOENT',
      `ENOENT: ${join(root, DATA_FOLDER)}: no readable ingest report (ingest-<time>.json); is this a session folder written by ingest()?`,
      { path: root },
    )
  const siblings: SessionRecord[] = []
  const siblingPaths: string[] = []
  for (const d of newest.record.destinations ?? []) {
    if (resolve(d.sessionRoot) === root || resolve(d.sessionRoot) === resolve(newest.record.root)) continue
    const match = (await ingestRecords(d.sessionRoot).catch(() => [])).find(
      (x) => x.record.createdAt === newest.record.createdAt && x.record.root === d.sessionRoot,
    )
    if (match) {
      siblings.push(match.record)
      siblingPaths.push(match.path)
    }
  }
  const path = options.output ? resolve(options.output) : newest.path.replace(/\.json$/, '') + '.html'
  try {
    await writeChunksDurably(
      path,
      offloadReportChunks(recordView(newest.record, siblings), { jsonName: basename(newest.path) }),
    )
  } catch (err) {
    throw fromNative(nodeError(err, path), path)
  }
  return { path, jsonPath: newest.path, siblings: siblingPaths }
}
