/**
 * The copy engine's temporary name for a final path, written from its documented rule
 * (docs/COPY-ENGINE.md) independently of the Rust code: `.<name>.sp-partial`, or, when
 * that exceeds 255 bytes, the longest UTF-8-whole prefix of the name that fits, `~`, the
 * first 16 hex digits of the name's BLAKE3, and `.sp-partial`.
 */
import { basename, dirname, join } from 'node:path'

import { createHasher } from '../../lib/index'

const SUFFIX = '.sp-partial'

export function partialPath(finalPath: string, nameMax = 255): string {
  const name = Buffer.from(basename(finalPath))
  if (1 + name.length + SUFFIX.length <= nameMax) return join(dirname(finalPath), `.${name}${SUFFIX}`)
  let room = nameMax - 1 - 1 - 16 - SUFFIX.length
  while (room > 0 && (name[room]! & 0xc0) === 0x80) room--
  const hash = createHasher(['blake3']).update(name).digest().blake3!.slice(0, 16)
  return join(dirname(finalPath), `.${name.subarray(0, room).toString()}~${hash}${SUFFIX}`)
}
