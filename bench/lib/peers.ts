/**
 * npm peers that the benchmark compares against but the package does not depend on.
 * They are installed by bench/run.sh into bench/.peers (outside the project's lock file:
 * @napi-rs/blake-hash's per-platform optional packages upset `npm ci` on this npm).
 */
import { createRequire } from 'node:module'
import { join } from 'node:path'

/** The part of @napi-rs/blake-hash's API the benchmark uses. */
export interface Blake3HasherLike {
  update(input: Buffer): unknown
  digest(format?: string): string
}

const peers = createRequire(join(__dirname, '..', '.peers', 'node_modules', 'index.js'))

export function napiBlakeHash(): { Blake3Hasher: new () => Blake3HasherLike } {
  return peers('@napi-rs/blake-hash')
}
