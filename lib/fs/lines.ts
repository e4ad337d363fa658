/**
 * The lines of a UTF-8 file, split at "\n" only, read a chunk at a time. Not
 * node:readline: on Node 24 it also splits at U+2028 and U+2029, which `JSON.stringify`
 * leaves unescaped inside strings, so a file name holding one would cut its JSON line in
 * two.
 * @internal
 * @module
 */
import { createReadStream } from 'node:fs'

/** Every line of `path` in order, without its "\n" (a last line without one included). */
export async function* linesOf(path: string, highWaterMark = 64 * 1024): AsyncGenerator<string> {
  let rest = ''
  for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark })) {
    const lines = (rest + (chunk as string)).split('\n')
    rest = lines.pop()!
    yield* lines
  }
  if (rest !== '') yield rest
}
