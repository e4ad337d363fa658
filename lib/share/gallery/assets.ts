/**
 * The gallery's static files (`web/gallery/gallery.css` and `gallery.js` at the package's
 * root, shipped as they are: the same three folders up from this module in lib/ and in
 * dist/), read once, with the CSP hashes that let the page embed them and nothing else.
 * @internal
 * @module
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

function asset(name: string): { text: string; hash: string } {
  const text = readFileSync(join(__dirname, '..', '..', '..', 'web', 'gallery', name), 'utf8')
  return { text, hash: `'sha256-${createHash('sha256').update(text).digest('base64')}'` }
}

/** The stylesheet, embedded in a `<style>` element. */
export const GALLERY_CSS = asset('gallery.css')
/** The script, embedded in a `<script>` element. */
export const GALLERY_JS = asset('gallery.js')
