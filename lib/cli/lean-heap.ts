/**
 * V8 told to favour a small heap over speed, for the commands whose work grows with the
 * card's file count (ingest, verify, safe-to-format, backup). What those keep is small
 * (a few tens of MB live for 20,000 files), but by default V8 lets the heap grow to
 * several times its live size between full collections: 20,000 one-byte files took
 * `safe-to-format` to 131 MiB RssAnon with 40 MB live; with this, 87 MiB (bench case H).
 * The collections it adds cost little next to the I/O of these commands.
 * @module
 */
import { setFlagsFromString } from 'node:v8'

let lean = false

/**
 * Sets `--optimize-for-size` once, before the command's work starts. Node calls flags
 * changed after start-up unsupported in general; this one was measured to still take
 * effect (the numbers above), not as much as on the command line (73 MiB).
 */
export function leanHeap(): void {
  if (lean) return
  lean = true
  setFlagsFromString('--optimize-for-size')
}
