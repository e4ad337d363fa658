/** Demo steps: ingest the card to two destinations, then ask whether it may be formatted. */
import { ingest, safeToFormat } from '../../ingest/index'
import type { DemoContext } from '../context'

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

export async function ingestStep(ctx: DemoContext): Promise<string> {
  const card = ctx.card!
  let lastLine = 0
  const report = await ingest({
    source: card.root,
    destinations: ctx.destinations,
    session: { client: 'Demo Client', shoot: 'Portraits', date: '2026-04-26' },
    onProgress: (p) => {
      const now = Date.now()
      if (now - lastLine < 1000 && p.bytes < p.bytesTotal) return
      lastLine = now
      console.log(`  ${mb(p.bytes)} / ${mb(p.bytesTotal)}  ${p.files}/${p.filesTotal} files`)
    },
  })
  ctx.sessionRoots = report.perDestination.map((d) => d.sessionRoot)
  ctx.sessionName = report.session.folder
  if (report.status !== 'completed') {
    const why = report.perDestination
      .filter((d) => d.error)
      .map((d) => `${d.root}: ${d.error!.code} ${d.error!.message}`)
    throw new Error(`ingest ${report.status}${why.length ? `: ${why.join('; ')}` : ''}`)
  }
  const methods = new Set(report.files.flatMap((f) => f.destinations.map((d) => d.method)))
  return `${report.files.length} files, ${mb(report.bytes)} read once, written to ${report.perDestination.length} destinations and read back (${[...methods].join(', ')})`
}

export async function safeToFormatStep(ctx: DemoContext): Promise<string> {
  const verdict = await safeToFormat(ctx.card!.root, ctx.destinations, { minCopies: 2 })
  if (!verdict.safe)
    throw new Error(`not safe to format: ${verdict.reasons.map((r) => JSON.stringify(r)).join('; ')}`)
  const fewest = Math.min(...verdict.copies.map((c) => c.verifiedAt.length))
  return `safe to format: each of ${verdict.files} card files has ≥ ${fewest} disk-verified copies (the demo formats nothing)`
}
