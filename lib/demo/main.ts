/**
 * `npm run demo`: the whole workflow on a built-in sample card, each step saying
 * `completed` or exactly what failed. Size with `DEMO_SIZE` (default about 1 GiB); keep
 * the files with `--keep`.
 * @internal
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { DemoContext } from './context'
import { parseDemoSize, writeSampleCard } from './sample-card'
import { backupStep, restoreTestStep, statusStep, stopOffsite } from './steps/backup'
import { deliveryStep } from './steps/delivery'
import { ingestStep, safeToFormatStep } from './steps/ingest'
import { vaultStep } from './steps/keys'
import { previewsStep } from './steps/previews'
import { shareStep } from './steps/share'
import { runStep, summary, type StepOutcome } from './step'

async function demo(): Promise<number> {
  const keep = process.argv.includes('--keep')
  const size = parseDemoSize(process.env.DEMO_SIZE)
  // Not under /tmp: on many systems it is tmpfs, where a read-back can only come from the cache.
  const base = process.env.DEMO_DIR ?? (process.getuid?.() === 0 ? '/var/tmp' : tmpdir())
  const work = mkdtempSync(join(base, 'shutterproof-demo-'))
  const ctx: DemoContext = {
    work,
    destinations: [join(work, 'SSD'), join(work, 'HDD')],
    offsite: join(work, 'OFFSITE'),
    vaultPath: join(work, 'keys', 'demo.vault'),
    sessionRoots: [],
    keep,
    previewOptions: {
      watermark: { text: '© Demo Studio — proof', opacity: 0.35, position: 'bottom-right', scale: 0.35 },
    },
  }
  for (const d of [...ctx.destinations, ctx.offsite, join(work, 'keys')]) mkdirSync(d, { recursive: true })
  console.log(`Shutterproof demo in ${work}`)
  const outcomes: StepOutcome[] = []
  const step = async (name: string, work: () => Promise<string>, needs: boolean = true) => {
    const outcome = needs
      ? await runStep(name, work)
      : { name, status: 'failed' as const, detail: 'not run: an earlier step failed', seconds: 0 }
    outcomes.push(outcome)
    return outcome.status === 'completed'
  }
  try {
    const carded = await step('sample card', async () => {
      ctx.card = await writeSampleCard(join(work, 'CARD'), size)
      return `${ctx.card.files} files, ${(ctx.card.bytes / 1024 / 1024).toFixed(0)} MiB: ${ctx.card.raws.length} RAW (DNG) + JPEG pairs made now with GPS, serial numbers and orientation, XMP sidecars, one video`
    })
    const vaulted = await step('vault and recovery kit', () => vaultStep(ctx))
    const ingested = await step('ingest to 2 destinations', () => ingestStep(ctx), carded)
    await step('safe to format?', () => safeToFormatStep(ctx), ingested)
    const backedUp = await step('encrypted off-site backup', () => backupStep(ctx), ingested && vaulted)
    const tested = await step('restore test', () => restoreTestStep(ctx), backedUp)
    const previewed = await step('client previews', () => previewsStep(ctx), ingested)
    await step('preview share link', () => shareStep(ctx), previewed)
    await step('encrypted delivery', () => deliveryStep(ctx), ingested)
    await step('3-2-1 status', () => statusStep(ctx), tested)
  } finally {
    await stopOffsite()
    ctx.vault?.close()
    console.log(summary(outcomes))
    if (keep) console.log(`kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
  return outcomes.every((o) => o.status === 'completed') ? 0 : 1
}

demo().then(
  (code) => (process.exitCode = code),
  (err) => {
    console.error(err)
    process.exitCode = 1
  },
)
