/**
 * A manifest read from its file a chunk at a time: its C4 ID hashed on the way, and its
 * `<hashes>` cut into the same pieces {@link parseManifest} makes, each parsed and handed
 * over as soon as it is read. A manifest of 20,000 files (~4.7 MB) then costs the memory
 * of one piece instead of its bytes, its text and their parse.
 * @internal
 * @module
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'

import { toFsError } from '../fs/errors'
import { c4FromSha512Hex } from './c4'
import {
  addEntries,
  contentOf,
  hashesOfPiece,
  headerOf,
  parseManifest,
  PIECE,
  type ManifestContent,
} from './manifest'
import type { MhlDirectoryEntry, MhlFileEntry } from './types'
import { isWellFormed, parseValidXml } from './xml'

/** Text held back between chunks: enough for `<?xml ` and `</hashes>` cut by a chunk boundary. */
const OVERLAP = 16

/**
 * A manifest file's C4 ID, and whether its text can be cut while it is read: exactly one
 * `<hashes>` and one `</hashes>`, and none of what makes a cut unsafe (comments, CDATA,
 * processing instructions but the declaration, a DOCTYPE: see splitHashes).
 */
export async function surveyManifest(path: string): Promise<{ c4: string; streamable: boolean }> {
  const sha = createHash('sha512')
  const decoder = new StringDecoder('utf8')
  let carry = ''
  let opens = 0
  let closes = 0
  let unsafe = false
  try {
    for await (const chunk of createReadStream(path)) {
      sha.update(chunk as Buffer)
      const text = carry + decoder.write(chunk as Buffer)
      // Counted in the new text only (a match inside the carried part was counted before).
      const from = carry.length
      // Any `<hashes…` (a raw `<` only starts a tag in well-formed XML), with or without attributes.
      opens += count(text, /<hashes/g, from)
      closes += count(text, /<\/hashes>/g, from)
      if (!unsafe && /<!|<\?(?!xml\s)/.test(text.slice(Math.max(0, from - 1)))) unsafe = true
      carry = text.slice(-OVERLAP)
    }
  } catch (err) {
    throw toFsError(err, path, 'read')
  }
  // `<?` at the very end, with nothing after it, is not the declaration either.
  if (/<\?$/.test(carry)) unsafe = true
  return { c4: c4FromSha512Hex(sha.digest('hex')), streamable: !unsafe && opens === 1 && closes === 1 }
}

/** Matches of `re` that end after `from` (those ending before were in the carried text). */
function count(text: string, re: RegExp, from: number): number {
  let n = 0
  for (let m = re.exec(text); m; m = re.exec(text)) if (m.index + m[0].length > from) n++
  return n
}

/**
 * {@link parseManifest}(text of `path`, `path`, `onFiles`) for a manifest
 * {@link surveyManifest} found streamable, read a chunk at a time. When it cannot be
 * read so, the text is read whole and parsed as before: then, before any entry was handed
 * over, the whole parse's result; after, the error the whole parse gives (the same
 * error, file and line as ever): only a damaged or unusual manifest costs its size.
 */
export async function parseManifestFile(
  path: string,
  onFiles: (files: MhlFileEntry[]) => void,
): Promise<ManifestContent> {
  const handed = { any: false }
  try {
    return await streamed(path, onFiles, handed)
  } catch (err) {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (readErr) {
      throw toFsError(readErr, path, 'read')
    }
    if (!handed.any) return parseManifest(text, path, onFiles)
    parseManifest(text, path)
    throw err
  }
}

async function streamed(
  path: string,
  onFiles: (files: MhlFileEntry[]) => void,
  handed: { any: boolean },
): Promise<ManifestContent> {
  const directories: MhlDirectoryEntry[] = []
  const piece = (body: string) => {
    handed.any = true
    addEntries(hashesOfPiece(body, path), path, onFiles, directories)
  }
  // As splitHashes: a piece ends after PIECE entries, at the end of one followed by the next (or by `</hashes>`).
  const end = /<\/(?:hash|directoryhash)>(?=\s*(?:<hash>|<directoryhash>|<\/hashes>))/g
  let head: string | undefined
  let tail: string | undefined
  let buf = ''
  let count = 0
  let scanned = 0
  let cut = 0
  const take = () => {
    end.lastIndex = scanned
    for (let m = end.exec(buf); m; m = end.exec(buf)) {
      scanned = end.lastIndex
      if (++count < PIECE) continue
      piece(buf.slice(cut, scanned))
      cut = scanned
      count = 0
    }
  }
  for await (const chunk of createReadStream(path, { encoding: 'utf8' })) {
    if (tail !== undefined) {
      tail += chunk as string
      continue
    }
    buf += chunk as string
    if (head === undefined) {
      const open = /<hashes\s*>/.exec(buf)
      if (!open) continue
      head = buf.slice(0, open.index + open[0].length)
      buf = buf.slice(head.length)
    }
    const close = buf.indexOf('</hashes>')
    if (close >= 0) {
      tail = buf.slice(close)
      buf = buf.slice(0, close + '</hashes>'.length)
    }
    take()
    if (tail !== undefined) {
      piece(buf.slice(cut, buf.length - '</hashes>'.length))
      buf = ''
    } else {
      // Let go of what was handed over; keep what a later match may still need.
      buf = buf.slice(cut)
      scanned -= cut
      cut = 0
    }
  }
  if (head === undefined || tail === undefined) throw new Error('no <hashes>')
  const skeleton = head + tail
  if (!isWellFormed(skeleton)) throw new Error('not well-formed')
  return contentOf(headerOf(parseValidXml(skeleton, path), path), [], directories, path)
}
