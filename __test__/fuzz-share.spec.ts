/**
 * Fuzzing the share links' parsers (fast-check, fixed seed; `npm run fuzz` runs them
 * long): the Range parser (lib/share/range.ts), the duration parser
 * (lib/share/duration.ts), the token parser (lib/share/tokens.ts) and the URL router,
 * through the real request handler on a real server.
 */
import { rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { Agent } from 'node:http'
import { join } from 'node:path'

import fc from 'fast-check'
import { test } from 'uvu'

import { parseDuration } from '../lib/share/duration'
import { parseRange } from '../lib/share/range'
import { base32, isShareId, newShareId, newShareSecret, parseToken } from '../lib/share/tokens'
import { fuzz, hostileText, outcome, same } from './support/fuzz'
import { http, pathOf, shareWorld } from './support/share-server'

/** Percent-encodes the UTF-8 bytes of any string (lone surrogates too, as U+FFFD). */
const percentEncode = (s: string) =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, '0')}`,
    )
    .join('')

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const
const ws = fc.constantFrom('', ' ', '  ', '\t', ' \t ')
const digits = fc.oneof(
  fc.nat({ max: 1000 }).map(String),
  fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String),
  fc.stringMatching(/^0{0,3}\d{1,25}$/),
)

/** A single, well-formed byte range header and what RFC 9110 says it means for `size`. */
const wellFormedRange = fc.tuple(
  fc.constantFrom('first-last', 'first-', 'suffix'),
  digits,
  digits,
  ws,
  ws,
  fc.constantFrom('bytes', 'BYTES', 'Bytes'),
)

function expectedRange(kind: string, a: string, b: string, size: number): ReturnType<typeof parseRange> {
  const first = BigInt(a)
  const last = BigInt(b)
  const n = BigInt(size)
  if (kind === 'suffix') {
    if (last === 0n || n === 0n) return 'unsatisfiable'
    return { start: Number(last >= n ? 0n : n - last), end: size - 1 }
  }
  if (kind === 'first-last' && last < first) return undefined // invalid: the header is ignored
  if (first >= n) return 'unsatisfiable'
  const end = kind === 'first-' || last >= n ? n - 1n : last
  return { start: Number(first), end: Number(end) }
}

test('Range parser: any header gives a range inside the file, 416 or the whole file, as RFC 9110 says', async () => {
  const size = fc.oneof(
    fc.nat({ max: 100_000 }),
    fc.constantFrom(0, 1, Number.MAX_SAFE_INTEGER),
    fc.maxSafeNat(),
  )
  await fuzz(
    'range: well-formed single ranges match RFC 9110',
    fc.property(wellFormedRange, size, ([kind, a, b, s1, s2, unit], n) => {
      const header =
        kind === 'first-last'
          ? `${unit}${s1}=${s2}${a}-${b}`
          : kind === 'first-'
            ? `${unit}=${a}${s1}-`
            : `${unit}=${s2}-${b}`
      same(parseRange(header, n), expectedRange(kind, a, b, n), `parseRange(${JSON.stringify(header)}, ${n})`)
    }),
    2000,
  )
  const anyHeader = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    hostileText(),
    fc.stringMatching(/^bytes=[\d\s,-]{0,40}$/),
  )
  await fuzz(
    'range: any header is total and in bounds',
    fc.property(fc.option(anyHeader, { nil: undefined }), size, (header, n) => {
      const r = parseRange(header, n)
      if (r === undefined || r === 'unsatisfiable') return
      if (
        !Number.isSafeInteger(r.start) ||
        !Number.isSafeInteger(r.end) ||
        r.start < 0 ||
        r.start > r.end ||
        r.end >= n
      ) {
        throw new Error(
          `parseRange(${JSON.stringify(header)}, ${n}) = ${JSON.stringify(r)} is outside the file`,
        )
      }
    }),
    2000,
  )
})

test('duration parser: a positive whole number of milliseconds or E_INVALID_ARGUMENT, for any value', async () => {
  await fuzz(
    'duration: written durations',
    fc.property(
      fc.integer({ min: 1, max: 999_999 }),
      fc.constantFrom(...(Object.keys(UNIT_MS) as Array<keyof typeof UNIT_MS>)),
      ws,
      ws,
      ws,
      (n, unit, a, b, c) => {
        same(parseDuration(`${a}${n}${b}${unit}${c}`), n * UNIT_MS[unit], `${n}${unit}`)
      },
    ),
    2000,
  )
  const anything = fc.oneof(
    fc.anything({
      withBigInt: true,
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
    }),
    fc.string(),
    hostileText(),
    fc.double(),
  )
  await fuzz(
    'duration: any value',
    fc.property(anything, (value) => {
      const r = outcome(
        () => parseDuration(value as string),
        ['E_INVALID_ARGUMENT'],
        `parseDuration(${String(typeof value)})`,
      )
      if ('ok' in r && (!Number.isSafeInteger(r.ok) || r.ok <= 0))
        throw new Error(`parseDuration gave ${r.ok}`)
    }),
    2000,
  )
})

test('token parser: only exactly 68 base32 letters split, into a 16-letter id and a 52-letter secret', async () => {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  const nearToken = fc
    .tuple(
      fc.string({ unit: fc.constantFrom(...alphabet, ...'A0189=-_/.'), minLength: 60, maxLength: 76 }),
      fc.constantFrom('', '\n', ' ', '%00'),
    )
    .map(([s, tail]) => s + tail)
  await fuzz(
    'tokens: parseToken and isShareId',
    fc.property(fc.oneof(nearToken, fc.string(), fc.anything()), (value) => {
      const parts = parseToken(value)
      const isToken =
        typeof value === 'string' && value.length === 68 && [...value].every((c) => alphabet.includes(c))
      if (!isToken) {
        same(parts, undefined, `parseToken(${JSON.stringify(value)})`)
      } else {
        same(parts, { id: value.slice(0, 16), secret: value.slice(16) }, 'parts')
        same(isShareId(parts!.id), true, 'the id part is a share id')
      }
      same(
        isShareId(value),
        typeof value === 'string' && value.length === 16 && [...value].every((c) => alphabet.includes(c)),
        'isShareId',
      )
    }),
    3000,
  )
  await fuzz(
    'tokens: fresh tokens and base32',
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      same(base32(bytes).length, Math.ceil((bytes.length * 8) / 5), 'base32 length')
      same(parseToken(newShareId() + newShareSecret()) !== undefined, true, 'a fresh token parses')
    }),
    500,
  )
})

test('URL router: any path, method and Range header gets a documented status; only shared bytes are ever served', async () => {
  const w = await shareWorld()
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    // Bait outside the session folder, reachable only by escaping it.
    const outside = Buffer.from('OUTSIDE THE SESSION: never served')
    writeFileSync(join(w.root, 'outside.jpg'), outside)
    // Shared while it is a regular file (createShare refuses links leading out), then
    // swapped for a link out of the session: the server must still refuse to follow it.
    writeFileSync(join(w.session, 'previews', 'escape.jpg'), w.files['previews/IMG_0001.jpg']!) // a real preview at share time
    const full = await w.registry.createShare({
      session: w.session,
      scope: 'full',
      items: [
        { path: 'previews/IMG_0001.jpg', kind: 'preview' },
        { path: 'raw/IMG_0002.CR3', kind: 'full' },
        { path: 'previews/escape.jpg', kind: 'preview' },
      ],
    })
    rmSync(join(w.session, 'previews', 'escape.jpg'))
    symlinkSync(join(w.root, 'outside.jpg'), join(w.session, 'previews', 'escape.jpg'))
    const preview = await w.registry.createShare({
      session: w.session,
      scope: 'preview',
      items: ['previews/IMG 0002 été.jpg'],
    })
    const revoked = await w.registry.createShare({
      session: w.session,
      scope: 'preview',
      items: ['previews/IMG_0001.jpg'],
    })
    w.registry.revokeShare(revoked.id)
    const tokens = [full, preview, revoked].map((s) => pathOf(s.url).slice(3))
    const served = new Map<string, Buffer[]>([
      [tokens[0]!, [w.files['previews/IMG_0001.jpg']!, w.files['raw/IMG_0002.CR3']!]],
      [tokens[1]!, [w.files['previews/IMG 0002 été.jpg']!]],
    ])
    const tokenPart = fc.oneof(
      fc.constantFrom(...tokens),
      fc
        .constantFrom(...tokens)
        .chain((t) =>
          fc.nat({ max: 67 }).map((i) => t.slice(0, i) + (t[i] === 'a' ? 'b' : 'a') + t.slice(i + 1)),
        ),
      fc.stringMatching(/^[a-z2-7]{60,70}$/),
      fc.webSegment(),
    )
    const rest = fc.oneof(
      fc.constant(''),
      fc.constantFrom(
        '/f/0',
        '/f/1',
        '/f/2',
        '/f/3',
        '/f/00',
        '/f/-1',
        '/f/9999999',
        '/all.tar',
        '/',
        '//f/0',
      ),
      fc.nat({ max: 20 }).map((n) => `/f/${n}`),
      fc
        .constantFrom(
          'previews/IMG_0001.jpg',
          'raw/IMG_0001.CR3',
          'raw/IMG_0002.CR3',
          '../outside.jpg',
          'previews/../../outside.jpg',
          'previews/escape.jpg',
        )
        .map((p) => `/p/${percentEncode(p)}`),
      hostileText(60).map((p) => `/p/${percentEncode(p)}`),
      fc.webPath(),
    )
    const method = fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS')
    const range = fc.option(
      fc.oneof(
        fc.constantFrom('bytes=0-9', 'bytes=-5', 'bytes=70000-', 'bytes=5-1', 'bytes=0-0,2-3'),
        fc.string({ maxLength: 30 }),
      ),
      { nil: undefined },
    )
    await fuzz(
      'router: share URLs through the handler',
      fc.asyncProperty(
        fc.constantFrom('/s/', '/s', '/S/', '//s/', '/s/./', '/robots.txt?', '/'),
        tokenPart,
        rest,
        method,
        range,
        async (prefix, token, tail, m, r) => {
          const path = prefix + token + tail
          const headers: Record<string, string> = {}
          if (r !== undefined && /^[\x20-\x7e]*$/.test(r)) headers.range = r
          const reply = await http(w.base, path, { method: m, headers, agent })
          if (![200, 206, 404, 410, 416, 429].includes(reply.status))
            throw new Error(`${m} ${path}: status ${reply.status}`)
          if (reply.body.includes(outside)) throw new Error(`${m} ${path}: served a file outside the session`)
          const isFile =
            reply.headers['content-disposition'] !== undefined &&
            reply.headers['content-type'] !== 'application/x-tar'
          if ((reply.status === 200 || reply.status === 206) && m === 'GET' && isFile) {
            const files = served.get(token) ?? []
            if (!files.some((f) => f.includes(reply.body)))
              throw new Error(`${m} ${path}: served bytes that are not a shared item of this link`)
          }
        },
      ),
      300,
      true,
    )
  } finally {
    agent.destroy()
    await w.close()
  }
})

test.run()
