/**
 * The second, independent decryptor (support/webcrypto-open.ts: WebCrypto + hash-wasm's
 * Argon2id, written from docs/FORMAT.md alone) against the format's test vectors, its
 * invalid cases (each with the code every unlock route must give: the list the Rust
 * tests walk too), hand-made malformed headers, and the Wycheproof Cobblestone-256 vectors.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { inflateSync } from 'node:zlib'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { REPO, vectorsDir } from './support/fixtures'
import {
  cobblestoneChunks,
  openCobblestone,
  openSealedWebCrypto,
  openVaultKeyFile,
  parseHeader,
  SealedError,
  type Trace,
  type Unlock,
} from './support/webcrypto-open'

interface Valid {
  name: string
  sealed: string
  unlock: { vault_key?: string; recovery_words?: string; passphrase?: string }
  plaintext_len: number
  plaintext_sha256: string
  plaintext?: string
  intermediates?: Record<string, string | number>
}
/** How an invalid vector is opened: the keys of `unlock_routes`. */
type Route = 'vault_key' | 'recovery_key' | 'passphrase' | 'file_key'
interface Invalid {
  name: string
  of: string
  sealed: string
  /** The code each unlock route must give. */
  errors: Record<Route, string>
}

const DOCS = join(REPO, 'docs/vectors')
const json = JSON.parse(readFileSync(join(DOCS, 'sealed_v1.json'), 'utf8'))
const valid: Valid[] = json.valid
const invalid: Invalid[] = json.invalid
const FILE_KEY = hex(json.fixed_randomness_do_not_reuse.file_key)
const ROUTES: Record<Route, string> = json.unlock_routes

function hex(s: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(Buffer.from(s, 'hex'))
}
function toHex(b: Uint8Array | number | undefined): string | number | undefined {
  return b instanceof Uint8Array ? Buffer.from(b).toString('hex') : b
}
async function digest(alg: 'SHA-256' | 'SHA-512', data: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest(alg, data))) as string
}

/** Expects `promise` to reject with a SealedError (with `code`, when given); returns the code. */
async function refuses(promise: Promise<unknown>, code?: string, what = ''): Promise<string> {
  try {
    await promise
  } catch (e) {
    assert.instance(e, SealedError, `${what}: ${e}`)
    if (code) assert.is((e as SealedError).code, code, `${what}: ${(e as Error).message}`)
    return (e as SealedError).code
  }
  assert.unreachable(`${what}: accepted`)
  return ''
}

/**
 * BIP39 (English) words → 32-byte recovery key, for the words in the vectors only: their
 * indices in the standard 2048-word list, and the 8-bit SHA-256 checksum checked.
 */
const BIP39_INDEX: Record<string, number> = { baby: 136, captain: 273, dust: 546, fault: 671, mass: 1092 }
async function recoveryKeyFromWords(words: string): Promise<Uint8Array<ArrayBuffer>> {
  const list = words.trim().toLowerCase().split(/\s+/)
  assert.is(list.length, 24)
  let bits = ''
  for (const w of list) {
    const i = BIP39_INDEX[w]
    assert.ok(i !== undefined, `word ${w} not in this test's excerpt of the BIP39 list`)
    bits += i.toString(2).padStart(11, '0')
  }
  const bytes = Uint8Array.from({ length: 33 }, (_, k) => parseInt(bits.slice(8 * k, 8 * k + 8), 2))
  const entropy = bytes.slice(0, 32)
  const check = new Uint8Array(await crypto.subtle.digest('SHA-256', entropy))[0]
  assert.is(bytes[32], check, 'BIP39 checksum')
  return entropy
}

async function routeUnlock(route: Route): Promise<Unlock> {
  switch (route) {
    case 'vault_key':
      return { vaultKey: hex(ROUTES.vault_key) }
    case 'recovery_key':
      return { recoveryKey: await recoveryKeyFromWords(ROUTES.recovery_key) }
    case 'passphrase':
      return { passphrase: ROUTES.passphrase }
    case 'file_key':
      return { fileKey: hex(ROUTES.file_key) }
  }
  throw new Error(`unknown unlock route ${route}`)
}

async function unlocksFor(v: Valid): Promise<Array<[string, Unlock]>> {
  const out: Array<[string, Unlock]> = [['raw file key', { fileKey: FILE_KEY }]]
  if (v.unlock.vault_key) out.push(['vault key', { vaultKey: hex(v.unlock.vault_key) }])
  if (v.unlock.recovery_words)
    out.push(['recovery key', { recoveryKey: await recoveryKeyFromWords(v.unlock.recovery_words) }])
  if (v.unlock.passphrase) out.push(['passphrase', { passphrase: v.unlock.passphrase }])
  return out
}

test('the decryptor module is browser-safe: its only import is hash-wasm; no Buffer, process or require', () => {
  const src = readFileSync(join(REPO, '__test__/support/webcrypto-open.ts'), 'utf8')
  const imports = [...src.matchAll(/^import .* from '([^']+)'/gm)].map((m) => m[1])
  assert.equal(imports, ['hash-wasm'])
  assert.not.match(src, /\b(Buffer|process|require)\b[.(]/)
})

// ---------------------------------------------------------------------------------------
// docs/vectors/sealed_v1.json and the .sealed files

test('sealed_v1.json: every valid vector opens through each of its unlocks and the raw file-key seam', async () => {
  assert.is(valid.length, 5)
  for (const v of valid) {
    for (const [how, unlock] of await unlocksFor(v)) {
      const plain = await openSealedWebCrypto(hex(v.sealed), unlock)
      const what = `${v.name} via ${how}`
      assert.is(plain.length, v.plaintext_len, what)
      assert.is(await digest('SHA-256', plain as Uint8Array<ArrayBuffer>), v.plaintext_sha256, what)
      if (v.plaintext !== undefined) assert.is(toHex(plain), v.plaintext, what)
    }
  }
})

test('sealed_v1.json: vault-short intermediates match (vault key path and recovery key path)', async () => {
  const v = valid.find((x) => x.intermediates)!
  assert.ok(v, 'a vector lists intermediates')
  const viaVault: Trace = {}
  const viaRecovery: Trace = {}
  await openSealedWebCrypto(hex(v.sealed), { vaultKey: hex(v.unlock.vault_key!) }, { trace: viaVault })
  await openSealedWebCrypto(
    hex(v.sealed),
    { recoveryKey: await recoveryKeyFromWords(v.unlock.recovery_words!) },
    { trace: viaRecovery },
  )
  const seen = { ...viaRecovery, ...viaVault }
  for (const [name, want] of Object.entries(v.intermediates!)) {
    assert.is(toHex(seen[name]), want, name)
  }
  // The two paths meet at the same file key and payload key.
  for (const name of ['file_key', 'header_mac', 'payload_input_key', 'cobblestone_aead_key']) {
    assert.is(toHex(viaRecovery[name]), toHex(viaVault[name]), name)
  }
})

test('docs/vectors/*.sealed equal their JSON vectors and open', async () => {
  for (const name of ['vault-empty', 'vault-short', 'passphrase-short']) {
    const v = valid.find((x) => x.name === name)!
    const file = new Uint8Array(readFileSync(join(DOCS, `${name}.sealed`)))
    assert.is(toHex(file), v.sealed, name)
    const [, unlock] = (await unlocksFor(v)).at(-1)!
    const plain = await openSealedWebCrypto(file, unlock)
    assert.is(await digest('SHA-256', plain as Uint8Array<ArrayBuffer>), v.plaintext_sha256, name)
  }
})

test('sealed_v1.json: every invalid vector fails with the code listed for each unlock route (vault, recovery, passphrase, raw file key)', async () => {
  assert.ok(invalid.length >= 47, `${invalid.length} invalid vectors`)
  const routes = Object.keys(ROUTES).sort()
  assert.equal(routes, ['file_key', 'passphrase', 'recovery_key', 'vault_key'])
  for (const v of invalid) {
    assert.ok(
      valid.some((x) => x.name === v.of),
      `${v.name}: its base ${v.of} is a valid vector`,
    )
    assert.equal(Object.keys(v.errors).sort(), routes, `${v.name}: a code for every route`)
    for (const route of routes as Route[]) {
      await refuses(
        openSealedWebCrypto(hex(v.sealed), await routeUnlock(route)),
        v.errors[route],
        `${v.name} (${route})`,
      )
    }
  }
  // The payload cases: a cut at and around each chunk boundary, extra bytes and chunks, swapped and spliced chunks.
  const payload = invalid.filter((v) => v.of === 'vault-three-chunks').map((v) => v.name)
  for (const name of [
    'the final chunk missing (ends on a chunk boundary)',
    'an extra chunk after the final chunk (chunk 1 again)',
    'chunks 0 and 1 swapped',
    'chunk 1 spliced from another file of the same vault',
  ]) {
    assert.ok(payload.includes(name), name)
  }
})

test('sealed_v1.json: the vault key file opens with its passphrase and recovery key; its invalid variants fail', async () => {
  const vkf = json.vault_key_file as {
    sealed: string
    unlock: { passphrase: string; recovery_words: string }
    vault_key: string
    recovery_kek: string
    invalid: Array<{
      name: string
      sealed: string
      errors: Record<'passphrase' | 'recovery_key' | 'file_key', string>
    }>
  }
  const bytes = hex(vkf.sealed)
  assert.is(toHex(new Uint8Array(readFileSync(join(DOCS, 'vault-key-file.spkey')))), vkf.sealed)
  for (const unlock of [
    { passphrase: vkf.unlock.passphrase },
    { recoveryKey: await recoveryKeyFromWords(vkf.unlock.recovery_words) },
    { fileKey: FILE_KEY },
  ]) {
    const { vaultKey, recoveryKek } = await openVaultKeyFile(bytes, unlock)
    assert.is(toHex(vaultKey), vkf.vault_key)
    assert.is(toHex(recoveryKek), vkf.recovery_kek)
  }
  await refuses(
    openSealedWebCrypto(bytes, { passphrase: vkf.unlock.passphrase }),
    'E_FORMAT',
    'vault key file opened as a sealed file',
  )
  for (const v of vkf.invalid) {
    assert.equal(Object.keys(v.errors).sort(), ['file_key', 'passphrase', 'recovery_key'], v.name)
    for (const route of ['passphrase', 'recovery_key', 'file_key'] as const) {
      await refuses(
        openVaultKeyFile(hex(v.sealed), await routeUnlock(route)),
        v.errors[route],
        `${v.name} (${route})`,
      )
    }
  }
})

// ---------------------------------------------------------------------------------------
// Hand-made damage, straight from FORMAT.md's rules

const short = valid.find((x) => x.name === 'vault-short')!
const pass = valid.find((x) => x.name === 'passphrase-short')!
const edit = (v: Valid, at: number, byte: number) => {
  const b = hex(v.sealed)
  b[at] = byte
  return b
}
/** Writes u32be(x) at `at` (passphrase stanza costs start at offset 12). */
const editU32 = (v: Valid, at: number, x: number) => {
  const b = hex(v.sealed)
  new DataView(b.buffer).setUint32(at, x)
  return b
}

test('header: magic, version, kind, stanza count, stanza type, truncation', async () => {
  const fk = { fileKey: FILE_KEY }
  await refuses(openSealedWebCrypto(edit(short, 0, 0x54), fk), 'E_FORMAT', 'bad magic')
  await refuses(
    openSealedWebCrypto(new TextEncoder().encode('hello, not sealed at all'), fk),
    'E_FORMAT',
    'not sealed',
  )
  await refuses(openSealedWebCrypto(edit(short, 8, 0x02), fk), 'E_FORMAT', 'version 2')
  await refuses(openSealedWebCrypto(edit(short, 9, 0x02), fk), 'E_FORMAT', 'kind 2')
  await refuses(openSealedWebCrypto(edit(short, 10, 0), fk), 'E_FORMAT', '0 stanzas')
  await refuses(openSealedWebCrypto(edit(short, 10, 9), fk), 'E_FORMAT', '9 stanzas')
  await refuses(openSealedWebCrypto(edit(short, 11, 0x04), fk), 'E_FORMAT', 'unknown stanza type')
  await refuses(
    openSealedWebCrypto(edit(short, 11, 0x03), fk),
    undefined,
    'vault stanza read as passphrase (76 not 80)',
  )
  await refuses(openSealedWebCrypto(edit(short, 10, 3), fk), undefined, 'one stanza more than present')
  await refuses(
    openSealedWebCrypto(edit(short, 10, 1), fk),
    'E_AUTH',
    'one stanza fewer (MAC at the wrong place)',
  )
  for (const len of [0, 4, 8, 10, 11, 12, 91, 172, 204]) {
    await refuses(openSealedWebCrypto(hex(short.sealed).slice(0, len), fk), 'E_TRUNCATED', `cut to ${len}`)
  }
  // A vault key file is not a sealed file, and the other way round (kind is authenticated by the MAC too).
  await refuses(openSealedWebCrypto(edit(short, 9, 0x01), fk), 'E_FORMAT', 'kind 1 opened as a file')
  await refuses(
    openSealedWebCrypto(edit(short, 9, 0x01), fk, { kind: 'vault-key' }),
    'E_AUTH',
    'kind flipped',
  )
  await refuses(openVaultKeyFile(hex(short.sealed), fk), 'E_FORMAT', 'file opened as a vault key file')

  const h = parseHeader(hex(short.sealed))
  assert.is(h.length, 205)
  assert.equal(
    h.stanzas.map((s) => s.type),
    [1, 2],
  )
  assert.is(parseHeader(hex(pass.sealed)).length, 11 + 77 + 32)
  const k = json.kdf_params
  assert.equal(parseHeader(hex(pass.sealed)).stanzas[0]!.argon2, { mKib: k.m_kib, t: k.t, p: k.p })
})

test('passphrase stanza: Argon2id caps refused before any Argon2 run; malformed costs; wrong passphrase', async () => {
  const p = { passphrase: pass.unlock.passphrase! }
  const started = Date.now()
  await refuses(openSealedWebCrypto(editU32(pass, 12, 2097152 + 1), p), 'E_KDF_LIMIT', 'm over 2 GiB')
  await refuses(openSealedWebCrypto(editU32(pass, 12, 0xffffffff), p), 'E_KDF_LIMIT', 'm = 2^32-1 KiB')
  await refuses(openSealedWebCrypto(editU32(pass, 16, 11), p), 'E_KDF_LIMIT', 't = 11')
  await refuses(openSealedWebCrypto(editU32(pass, 20, 17), p), 'E_KDF_LIMIT', 'p = 17')
  // The caps hold even when the file is opened without the passphrase (the header is refused as a whole).
  await refuses(
    openSealedWebCrypto(editU32(pass, 16, 11), { fileKey: FILE_KEY }),
    'E_KDF_LIMIT',
    't = 11, raw key',
  )
  assert.ok(Date.now() - started < 2000, 'no Argon2 ran')
  await refuses(openSealedWebCrypto(editU32(pass, 16, 0), p), 'E_FORMAT', 't = 0')
  await refuses(openSealedWebCrypto(editU32(pass, 20, 0), p), 'E_FORMAT', 'p = 0')
  await refuses(openSealedWebCrypto(editU32(pass, 12, 7), p), 'E_FORMAT', 'm < 8p')
  // Within the caps but changed: Argon2 runs, the wrap key differs, nothing unwraps.
  await refuses(openSealedWebCrypto(editU32(pass, 16, 2), p), 'E_BAD_PASSPHRASE', 't = 2 (edited)')
  await refuses(
    openSealedWebCrypto(hex(pass.sealed), { passphrase: 'Correct horse battery staple' }),
    'E_BAD_PASSPHRASE',
    'wrong passphrase',
  )
  await refuses(
    openSealedWebCrypto(hex(pass.sealed), { vaultKey: hex(short.unlock.vault_key!) }),
    'E_WRONG_KEY',
    'vault key on a passphrase file',
  )
  // An empty passphrase is refused where the stanza would be looked up, before any Argon2 run.
  await refuses(
    openSealedWebCrypto(hex(pass.sealed), { passphrase: '' }),
    'E_INVALID_ARGUMENT',
    'empty passphrase',
  )
  await refuses(
    openSealedWebCrypto(hex(short.sealed), { passphrase: '' }),
    'E_INVALID_ARGUMENT',
    'empty passphrase, no passphrase stanza',
  )
  // Bytes are accepted as the passphrase too (UTF-8, unnormalized).
  const plain = await openSealedWebCrypto(hex(pass.sealed), {
    passphrase: new TextEncoder().encode(pass.unlock.passphrase!),
  })
  assert.is(toHex(plain), pass.plaintext)
})

test('keys: wrong vault key, wrong recovery key, wrong file key, wrong key sizes', async () => {
  const bytes = hex(short.sealed)
  await refuses(
    openSealedWebCrypto(bytes, { vaultKey: new Uint8Array(32).fill(0x12) }),
    'E_WRONG_KEY',
    'other vault key',
  )
  await refuses(
    openSealedWebCrypto(bytes, { recoveryKey: new Uint8Array(32).fill(0x23) }),
    'E_WRONG_KEY',
    'other recovery key',
  )
  await refuses(openSealedWebCrypto(bytes, { passphrase: 'x' }), 'E_WRONG_KEY', 'no passphrase stanza')
  await refuses(
    openSealedWebCrypto(bytes, { fileKey: new Uint8Array(32).fill(1) }),
    'E_AUTH',
    'other file key',
  )
  await refuses(openSealedWebCrypto(bytes, { fileKey: FILE_KEY.slice(0, 31) }), undefined, '31-byte file key')
  await refuses(openSealedWebCrypto(bytes, { vaultKey: new Uint8Array(33) }), undefined, '33-byte vault key')
  // The KEK the vault keeps opens the recovery stanza directly.
  const trace: Trace = {}
  await openSealedWebCrypto(
    bytes,
    { recoveryKey: await recoveryKeyFromWords(short.unlock.recovery_words!) },
    { trace },
  )
  const plain = await openSealedWebCrypto(bytes, { recoveryKek: trace.recovery_kek as Uint8Array })
  assert.is(toHex(plain), short.plaintext)
})

// ---------------------------------------------------------------------------------------
// Wycheproof Cobblestone-256 through the payload layer

const dir = vectorsDir()
const WYCHEPROOF =
  'Wycheproof Cobblestone-256 vectors through the payload layer (valid: length + SHA-512; invalid: refused; partial prefixes)'
if (!dir) {
  console.warn(`\n  !!! SKIPPED: ${WYCHEPROOF} — ../shared/vectors is absent (set SHUTTERPROOF_VECTORS)\n`)
  test.skip(WYCHEPROOF, () => {})
} else {
  test(WYCHEPROOF, async () => {
    const w = JSON.parse(
      readFileSync(join(dir, 'wycheproof_c2sp_chunked_encryption_aes_256_gcm_test.json'), 'utf8'),
    )
    let count = 0
    const partial = new Map<string, number>()
    for (const group of w.testGroups) {
      assert.is(group.aead, 'AEAD_AES_256_GCM')
      assert.is(group.sha, 'SHA-512')
      for (const t of group.tests) {
        count++
        const what = `tcId ${t.tcId} (${t.comment})`
        const ct = new Uint8Array(inflateSync(Buffer.from(t.ct, 'hex')))
        const key = hex(t.key)
        const ctx = hex(t.ctx)
        if (t.result === 'valid') {
          const trace: Trace = {}
          const plain = await openCobblestone(key, ctx, ct, trace)
          assert.is(plain.length, Number(t.msgLength), what)
          assert.is(await digest('SHA-512', plain as Uint8Array<ArrayBuffer>), t.msgSha512, what)
          assert.is(toHex(trace.cobblestone_aead_key), t.aeadKey, what)
          assert.is(toHex(trace.cobblestone_base_nonce), t.baseNonce, what)
        } else {
          assert.is(t.result, 'invalid', what)
          await refuses(openCobblestone(key, ctx, ct), undefined, what)
          // Streaming: what is released before the failure is nothing, or exactly the longest
          // valid prefix (a payload length that can't be right is refused before any chunk).
          const released: Uint8Array[] = []
          await refuses(
            (async () => {
              for await (const p of cobblestoneChunks(key, ctx, ct)) released.push(p)
            })(),
            undefined,
            what,
          )
          const prefix = Buffer.concat(released)
          if (t.flags.includes('HeaderFailure'))
            assert.is(prefix.length, 0, `${what}: nothing before the commitment check`)
          if (t.flags.includes('PartialPlaintext') && prefix.length > 0) {
            assert.is(prefix.length, Number(t.msgLength), what)
            assert.is(await digest('SHA-512', new Uint8Array(prefix)), t.msgSha512, what)
          } else if (!t.flags.includes('PartialPlaintext')) {
            assert.is(prefix.length, 0, `${what}: no plaintext released`)
          }
          partial.set(String(t.tcId), prefix.length)
        }
      }
    }
    assert.is(count, 35)
    // The ones whose length is plausible do release their valid prefix first (streaming).
    for (const id of ['12', '13', '14', '18', '34', '35'])
      assert.is(partial.get(id), 16384, `tcId ${id} prefix`)
  })
}

test.run()
