/**
 * Case K: decrypting a delivery in the client's browser. The same sealed file (a delivery
 * link's, docs/DELIVERY.md) is opened by the page in headless Chromium (service worker,
 * WebCrypto, saved through the browser's download), by `openSealedFile` (the Rust core,
 * file to file, fsynced), and by the page's own decryptor run in Node's WebCrypto with 64
 * chunks per step (what the page does) and with one chunk per step — which shows what
 * batching buys against WebCrypto's per-call cost on 16 KiB chunks.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { createReadStream } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { Readable } from 'node:stream'

import { createDeliveryLink, deliveryKeyWords, openSealedFile, openShareRegistry } from '../../lib/index'
import { createShareServer } from '../../lib/share/server'
import type { BenchContext } from '../lib/context'
import { formatSize, randomFile, warm, WORK } from '../lib/files'
import { inProcess, interleave, type Contender } from '../lib/measure'
import { reference, rowsFrom, find, type CaseResult } from '../lib/report'

const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--no-first-run',
]

interface Sealed {
  keyFromFragment(fragment: string): Uint8Array | undefined
  openStream(stream: ReadableStream<Uint8Array>, key: Uint8Array): Promise<ReadableStream<Uint8Array>>
}

/** The page's decryptor (web/delivery/sealed.js), loaded as a classic script, optionally with another batch size. */
function decryptor(batch?: number): Sealed {
  let code = readFileSync(join(__dirname, '../../web/delivery/sealed.js'), 'utf8')
  if (batch !== undefined) code = code.replace(/const BATCH = \d+/, `const BATCH = ${batch}`)
  const scope: { crypto: typeof globalThis.crypto; ShutterproofSealed?: Sealed } = {
    crypto: globalThis.crypto,
  }
  new Function('self', code)(scope)
  return scope.ShutterproofSealed!
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) n += chunk.length
  return n
}

export async function browserDecryptCase(ctx: BenchContext): Promise<CaseResult> {
  const size = ctx.quick ? 32 * 1024 ** 2 : ctx.size
  const reps = ctx.quick ? 1 : 3
  const session = join(WORK, 'k-session')
  randomFile(`k-session/delivery-${size}.bin`, size)
  rmSync(join(session, '.shutterproof'), { recursive: true, force: true })
  const serverKey = Buffer.alloc(32, 7)
  const registry = await openShareRegistry({ path: ':memory:', serverKey })
  const d = await createDeliveryLink(registry, { session, files: [`delivery-${size}.bin`] })
  const sealed = join(d.folder, '0001.sealed')
  warm(sealed)
  const server = createShareServer({ registry, serverKey, root: WORK })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const link = `${base}${new URL(d.url).pathname}#${d.key}`
  const recoveryKey = await deliveryKeyWords(d.key)
  const out = join(WORK, 'k-out.bin')
  const contenders: Contender[] = [
    inProcess('openSealedFile (Rust core, file to file)', () =>
      openSealedFile(sealed, out, { recoveryKey, overwrite: true }),
    ),
  ]
  for (const [name, batch] of [
    ['page decryptor in Node WebCrypto, 64 chunks per step (as in the page)', undefined],
    ['page decryptor in Node WebCrypto, 1 chunk per step', 1],
  ] as const) {
    const sealedJs = decryptor(batch)
    const key = sealedJs.keyFromFragment(d.key)!
    contenders.push(
      inProcess(name, async () => {
        const input = Readable.toWeb(
          createReadStream(sealed, { highWaterMark: 1024 * 1024 }),
        ) as ReadableStream<Uint8Array>
        const n = await drain(await sealedJs.openStream(input, key))
        if (n !== size) throw new Error(`${name}: ${n} bytes, expected ${size}`)
      }),
    )
  }
  const notes = [
    `One ${formatSize(size)} file sealed by createDeliveryLink, served by the share server on 127.0.0.1.`,
    'The browser row runs from the click to the download being complete on disk (Chromium writes it), page already open.',
  ]
  const closers: Array<() => Promise<void>> = []
  if (existsSync(CHROMIUM)) {
    const { chromium } = await import('playwright-core')
    const downloads = join(WORK, 'k-downloads')
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, downloadsPath: downloads })
    closers.push(() => browser.close())
    const page = await (await browser.newContext({ acceptDownloads: true })).newPage()
    await page.goto(link)
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 })
    contenders.push(
      inProcess('browser page (Chromium: service worker, WebCrypto, download)', async () => {
        const [download] = await Promise.all([
          page.waitForEvent('download', { timeout: 600_000 }),
          page.locator('#files li button').click(),
        ])
        const path = await download.path()
        const failure = await download.failure()
        if (failure) throw new Error(`browser download failed: ${failure}`)
        rmSync(path, { force: true })
      }),
    )
  } else notes.push(`${CHROMIUM} is absent: no browser row (scripts/install-test-tools.sh installs it).`)
  try {
    const timings = await interleave(contenders, reps, false)
    const rows = rowsFrom(timings, size)
    const core = find(rows, contenders[0]!.name).median
    const ratios = rows
      .slice(1)
      .map((r) => reference(`${r.name} ÷ openSealedFile (time)`, r.median / core, 'measured, no target'))
    return {
      id: 'K',
      title: 'Browser delivery: decrypting in the page vs openSealedFile',
      tables: [{ title: `Decrypt ${formatSize(size)}`, rows, ratios }],
      notes,
    }
  } finally {
    for (const close of closers) await close()
    server.closeAllConnections()
    server.close()
    registry.close()
    rmSync(out, { force: true })
    rmSync(join(session, '.shutterproof'), { recursive: true, force: true })
  }
}
