/**
 * Delivery links in a real browser (Debian's Chromium through playwright-core): open a
 * link, click a download, and read the JS heap of the page and of its service worker
 * through the Chrome DevTools Protocol while the download runs.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { pipeline } from 'node:stream/promises'

import type { Browser, BrowserContext, Download, Page } from 'playwright-core'

export { chromiumMissing as browserMissing, launchChromium as launch } from './chromium'

/** A page that records every request it makes and every console error. */
export async function openPage(
  browser: Browser,
): Promise<{ context: BrowserContext; page: Page; requests: string[]; problems: string[] }> {
  const context = await browser.newContext({ acceptDownloads: true })
  const page = await context.newPage()
  const requests: string[] = []
  const problems: string[] = []
  context.on('request', (req) => requests.push(req.url()))
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  return { context, page, requests, problems }
}

/** The status line's text and state once the page settled on `state` (ready, error, done). */
export async function statusWhen(page: Page, state: string, timeout = 60_000): Promise<string> {
  await page.waitForSelector(`#status[data-state="${state}"]`, { timeout })
  return (await page.locator('#status').textContent()) ?? ''
}

/** Clicks `what` and returns the download it starts. */
export async function downloadBy(page: Page, click: () => Promise<void>): Promise<Download> {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), click()])
  return download
}

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256')
  await pipeline(createReadStream(path), h)
  return h.digest('hex')
}

/**
 * Samples the JS heap (used bytes) of the page and of every service worker of the
 * browser, through CDP, every `everyMs` until stopped; returns the highest sum seen.
 */
export async function heapSampler(
  browser: Browser,
  page: Page,
  everyMs = 250,
): Promise<{ stop(): Promise<{ peak: number; samples: number }> }> {
  const pageCdp = await page.context().newCDPSession(page)
  const cdp = await browser.newBrowserCDPSession()
  const { targetInfos } = (await cdp.send('Target.getTargets')) as {
    targetInfos: Array<{ targetId: string; type: string }>
  }
  const workers = targetInfos.filter((t) => t.type === 'service_worker')
  // Child sessions through the (non-flat) message relay: playwright's CDP sessions cannot address flat child sessions.
  const sessions: string[] = []
  for (const t of workers) {
    const { sessionId } = (await cdp.send('Target.attachToTarget', {
      targetId: t.targetId,
      flatten: false,
    })) as {
      sessionId: string
    }
    sessions.push(sessionId)
  }
  let nextId = 1
  const waiting = new Map<number, (used: number) => void>()
  cdp.on('Target.receivedMessageFromTarget', (event: { message: string }) => {
    const msg = JSON.parse(event.message) as { id?: number; result?: { usedSize?: number } }
    if (msg.id !== undefined && waiting.has(msg.id)) {
      waiting.get(msg.id)!(msg.result?.usedSize ?? 0)
      waiting.delete(msg.id)
    }
  })
  const workerHeap = (sessionId: string): Promise<number> =>
    new Promise((resolve) => {
      const id = nextId++
      waiting.set(id, resolve)
      void cdp
        .send('Target.sendMessageToTarget', {
          sessionId,
          message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }),
        })
        .catch(() => resolve(0))
    })
  let peak = 0
  let samples = 0
  let running = true
  const loop = (async () => {
    while (running) {
      const pageHeap = (
        (await pageCdp.send('Runtime.getHeapUsage').catch(() => ({ usedSize: 0 }))) as {
          usedSize: number
        }
      ).usedSize
      const workerHeaps = await Promise.all(sessions.map(workerHeap))
      peak = Math.max(peak, pageHeap + workerHeaps.reduce((a, b) => a + b, 0))
      if (sessions.length > 0 && workerHeaps.some((h) => h > 0)) samples++
      await new Promise((r) => setTimeout(r, everyMs))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      await cdp.detach().catch(() => undefined)
      return { peak, samples }
    },
  }
}
