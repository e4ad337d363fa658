/** Demo step: client previews of the ingested session (JPEGs and the RAW files' embedded previews). */
import { relative } from 'node:path'

import { makePreviews } from '../../previews/run'
import type { DemoContext } from '../context'

export async function previewsStep(ctx: DemoContext): Promise<string> {
  const session = ctx.sessionRoots[0]!
  let last = 0
  const r = await makePreviews(session, {
    ...ctx.previewOptions,
    onProgress: (p) => {
      if (Date.now() - last < 1000) return
      last = Date.now()
      console.log(`  ${p.files}/${p.filesTotal} files`)
    },
  })
  ctx.previews = r
  const failed = r.items.filter((i) => i.status === 'failed')
  if (failed.length > 0)
    throw new Error(
      `${failed.length} file(s) got no preview: ${failed.map((f) => `${f.source} ${f.error!.code}`).join(', ')}`,
    )
  const done = r.items.filter((i) => i.status === 'made' || i.status === 'up-to-date')
  const fromRaw = done.filter((i) => i.kind === 'raw').length
  const reasons = new Map<string, number>()
  for (const i of r.items)
    if (i.status === 'skipped') reasons.set(i.reason!, (reasons.get(i.reason!) ?? 0) + 1)
  const skipped = [...reasons].map(([reason, n]) => `${n} ${reason}`).join(', ')
  return `${done.length} watermarked previews + thumbnails in ${relative(session, r.folder)}/ (${fromRaw} from RAW embedded previews, turned upright; ${done.length - fromRaw} from JPEGs), ${r.skipped} skipped on purpose (${skipped}), ${r.seconds.toFixed(1)} s`
}
