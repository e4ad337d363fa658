/**
 * The gallery's static files (gallery.css, gallery.js, in this folder; the build copies
 * them beside the compiled module), read once, with the CSP hashes that let the page
 * embed them and nothing else.
 * @internal
 * @module
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

function asset(name: string): { text: string; hash: string } {
  const text = readFileSync(join(__dirname, name), 'utf8')
  return { text, hash: `'sha256-${createHash('sha256').update(text).digest('base64')}'` }
}

/** The stylesheet, embedded in a `<style>` element. */
export const GALLERY_CSS = asset('gallery.css')
/** The script, embedded in a `<script>` element. */
export const GALLERY_JS = asset('gallery.js')
