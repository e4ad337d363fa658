/**
 * The delivery page's static files, served from the handler as files (no CDN): the page
 * script, the decryptor, the service worker and the stylesheet from `web/delivery/` at
 * the package's root, and client-zip's worker build straight from `node_modules` (a kept
 * library, not a copy). Each is read once, with the SRI hash the page's tags carry.
 * @internal
 * @module
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'

/** One served file. */
export interface DeliveryAsset {
  body: Buffer
  type: string
  /** `sha384-…`, for `integrity`. */
  integrity: string
}

const WEB = join(__dirname, '..', '..', '..', 'web', 'delivery')

function asset(path: string, type: string): DeliveryAsset {
  const body = readFileSync(path)
  return { body, type, integrity: `sha384-${createHash('sha384').update(body).digest('base64')}` }
}

let loaded: Record<string, DeliveryAsset> | undefined

/** The files under `/d/<name>`, by name. */
export function deliveryAssets(): Readonly<Record<string, DeliveryAsset>> {
  const js = 'text/javascript; charset=utf-8'
  loaded ??= {
    'page.js': asset(join(WEB, 'page.js'), js),
    'sealed.js': asset(join(WEB, 'sealed.js'), js),
    'sw.js': asset(join(WEB, 'sw.js'), js),
    'page.css': asset(join(WEB, 'page.css'), 'text/css; charset=utf-8'),
    // client-zip's classic-script build (global `downloadZip`), for importScripts in the worker.
    'client-zip.js': asset(join(dirname(require.resolve('client-zip')), 'worker.js'), js),
    // hash-wasm's Argon2id build (global `hashwasm`), for links opened with a passphrase.
    'argon2.js': asset(join(dirname(require.resolve('hash-wasm')), 'argon2.umd.min.js'), js),
  }
  return loaded
}
