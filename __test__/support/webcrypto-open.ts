/**
 * An independent decryptor for Shutterproof sealed files (docs/FORMAT.md, version 1),
 * written from FORMAT.md alone with nothing but WebCrypto (`globalThis.crypto.subtle`:
 * AES-GCM, HKDF, HMAC) and `hash-wasm`'s Argon2id for the passphrase stanza.
 *
 * It imports no Node module, so it also runs in a browser: a sealed file is
 * browser-decryptable. It is a second implementation for the tests, not the product's
 * decryptor (that is the Rust core).
 *
 * Entry points:
 * - `openSealedWebCrypto(bytes, unlock)` — a whole sealed file → its plaintext.
 * - `openVaultKeyFile(bytes, passphrase)` — a vault key file → vault key + recovery KEK.
 * - `openCobblestone(key, context, payload)` / `cobblestoneChunks(…)` — the payload layer
 *   alone (c2sp.org/chunked-encryption, Cobblestone-256), as used by the Wycheproof test.
 */
import { argon2id } from 'hash-wasm'

type Bytes = Uint8Array<ArrayBuffer>

export type SealedErrorCode =
  | 'E_FORMAT'
  | 'E_KDF_LIMIT'
  | 'E_WRONG_KEY'
  | 'E_BAD_PASSPHRASE'
  | 'E_AUTH'
  | 'E_TRUNCATED'
  | 'E_INVALID_ARGUMENT'

/** A refusal, with the error code FORMAT.md names ("Error codes"). */
export class SealedError extends Error {
  constructor(
    readonly code: SealedErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`)
    this.name = 'SealedError'
  }
}

/** One way to unlock a file. `fileKey` is the raw file key (FORMAT.md "Unlocking with the file key": no stanza is used). */
export type Unlock =
  | { passphrase: string | Uint8Array }
  | { fileKey: Uint8Array }
  | { vaultKey: Uint8Array }
  | { recoveryKey: Uint8Array }
  | { recoveryKek: Uint8Array }

/** Intermediate values, named as in sealed_v1.json's `intermediates`. */
export type Trace = Record<string, Uint8Array | number>

export interface OpenOptions {
  /** Which kind of file is expected (default `'file'`); the other kind is refused (E_FORMAT). */
  kind?: 'file' | 'vault-key'
  /** Filled with the intermediate values as they are computed (names as in sealed_v1.json); for tests. */
  trace?: Trace
}

// ---------------------------------------------------------------------------------------
// Constants (FORMAT.md "Constants and labels")

const MAGIC = ascii('SPSEALED')
const VERSION = 0x01
const KIND_FILE = 0x00
const KIND_VAULT_KEY = 0x01
const FIXED_LEN = 11
const MAX_STANZAS = 8
const MAC_LEN = 32
const KEY_LEN = 32
const STANZA_SALT_LEN = 16
const WRAPPED_LEN = 48
const TYPE_VAULT = 0x01
const TYPE_RECOVERY = 0x02
const TYPE_PASSPHRASE = 0x03
const BODY_LEN: Record<number, number> = { [TYPE_VAULT]: 80, [TYPE_RECOVERY]: 80, [TYPE_PASSPHRASE]: 76 }
const STANZA_NAME: Record<number, string> = {
  [TYPE_VAULT]: 'vault',
  [TYPE_RECOVERY]: 'recovery',
  [TYPE_PASSPHRASE]: 'passphrase',
}
const KDF_COSTS_LEN = 12
const ARGON2_MAX_M_KIB = 2097152
const ARGON2_MAX_T = 10
const ARGON2_MAX_P = 16

const LABEL = {
  wrapVault: ascii('shutterproof.v1 wrap vault'),
  wrapRecovery: ascii('shutterproof.v1 wrap recovery'),
  wrapPassphrase: ascii('shutterproof.v1 wrap passphrase'),
  keyId: ascii('shutterproof.v1 key id'),
  recoveryKek: ascii('shutterproof.v1 recovery kek'),
  recoveryId: ascii('shutterproof.v1 recovery id'),
  headerMac: ascii('shutterproof.v1 header mac'),
  payloadKey: ascii('shutterproof.v1 payload key'),
  payloadContext: ascii('shutterproof.v1 payload'),
}

// Cobblestone-256 (c2sp.org/chunked-encryption with HKDF-SHA-512 and AES-256-GCM)
const CS_INFO_PREFIX = ascii('c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\0')
const CS_SALT_LEN = 24
const CS_COMMIT_LEN = 32
const CS_HEADER_LEN = CS_SALT_LEN + CS_COMMIT_LEN
const CHUNK = 16384
const TAG = 16
const SEALED_CHUNK = CHUNK + TAG
const MAX_CHUNKS = 2 ** 38

const subtle = globalThis.crypto.subtle

// ---------------------------------------------------------------------------------------
// Header

export interface Stanza {
  type: number
  /** Offset of the type byte in the file. */
  offset: number
  /** The type byte and the body bytes before `wrapped`: the AAD of the wrapping. */
  aad: Bytes
  /** Key id / recovery id (16 bytes) for vault and recovery stanzas. */
  id?: Bytes
  /** Argon2id costs for passphrase stanzas. */
  argon2?: { mKib: number; t: number; p: number }
  salt: Bytes
  wrapped: Bytes
}

export interface Header {
  kind: 'file' | 'vault-key'
  stanzas: Stanza[]
  /** Every header byte before the MAC (the MAC's message). */
  authenticated: Bytes
  mac: Bytes
  /** Header length, MAC included; the payload starts here. */
  length: number
}

/**
 * Parses and validates the header: magic, version, kind, stanza count, stanza types and
 * fixed lengths, and the Argon2id costs of every passphrase stanza (before any Argon2 run).
 * Nothing here is authenticated yet.
 */
export function parseHeader(file: Uint8Array): Header {
  const bytes = own(file)
  if (bytes.length < MAGIC.length || !equalPublic(bytes.subarray(0, MAGIC.length), MAGIC)) {
    // A prefix of the magic is a truncated sealed file; anything else is not a sealed file.
    if (bytes.length < MAGIC.length && equalPublic(bytes, MAGIC.subarray(0, bytes.length))) {
      throw new SealedError('E_TRUNCATED', 'file ends inside the magic')
    }
    throw new SealedError('E_FORMAT', 'not a sealed file (bad magic)')
  }
  if (bytes.length < FIXED_LEN) throw new SealedError('E_TRUNCATED', 'file ends inside the fixed header')
  if (bytes[8] !== VERSION) throw new SealedError('E_FORMAT', `unsupported version ${bytes[8]}`)
  const kindByte = bytes[9]
  if (kindByte !== KIND_FILE && kindByte !== KIND_VAULT_KEY)
    throw new SealedError('E_FORMAT', `unknown kind ${kindByte}`)
  const count = bytes[10]!
  if (count < 1 || count > MAX_STANZAS) throw new SealedError('E_FORMAT', `bad stanza count ${count}`)

  const stanzas: Stanza[] = []
  let at = FIXED_LEN
  for (let i = 0; i < count; i++) {
    if (at >= bytes.length) throw new SealedError('E_TRUNCATED', 'file ends inside the stanzas')
    const type = bytes[at]!
    const bodyLen = BODY_LEN[type]
    if (bodyLen === undefined) throw new SealedError('E_FORMAT', `unknown stanza type ${type}`)
    // At most one passphrase stanza, refused at the second one's type byte.
    if (type === TYPE_PASSPHRASE && stanzas.some((s) => s.type === TYPE_PASSPHRASE)) {
      throw new SealedError('E_FORMAT', 'more than one passphrase stanza')
    }
    // The three Argon2id costs are one field, checked as soon as their 12 bytes are there
    // (before the salt): caps first (E_KDF_LIMIT), then well-formedness; before any allocation.
    let argon2: Stanza['argon2']
    if (type === TYPE_PASSPHRASE) {
      if (at + 1 + KDF_COSTS_LEN > bytes.length)
        throw new SealedError('E_TRUNCATED', 'file ends inside the Argon2id costs')
      const view = new DataView(bytes.buffer, bytes.byteOffset + at + 1, KDF_COSTS_LEN)
      argon2 = { mKib: view.getUint32(0), t: view.getUint32(4), p: view.getUint32(8) }
      if (argon2.mKib > ARGON2_MAX_M_KIB || argon2.t > ARGON2_MAX_T || argon2.p > ARGON2_MAX_P) {
        throw new SealedError(
          'E_KDF_LIMIT',
          `Argon2id costs over the caps (m=${argon2.mKib} KiB, t=${argon2.t}, p=${argon2.p})`,
        )
      }
      if (argon2.t === 0 || argon2.p === 0 || argon2.mKib < 8 * argon2.p) {
        throw new SealedError(
          'E_FORMAT',
          `malformed Argon2id costs (m=${argon2.mKib} KiB, t=${argon2.t}, p=${argon2.p})`,
        )
      }
    }
    const end = at + 1 + bodyLen
    if (end > bytes.length) throw new SealedError('E_TRUNCATED', 'file ends inside a stanza')
    const aadEnd = end - WRAPPED_LEN
    const stanza: Stanza = {
      type,
      offset: at,
      aad: bytes.subarray(at, aadEnd),
      salt: bytes.subarray(aadEnd - STANZA_SALT_LEN, aadEnd),
      wrapped: bytes.subarray(aadEnd, end),
    }
    if (argon2) stanza.argon2 = argon2
    else stanza.id = bytes.subarray(at + 1, at + 17)
    stanzas.push(stanza)
    at = end
  }
  if (at + MAC_LEN > bytes.length) throw new SealedError('E_TRUNCATED', 'file ends inside the header MAC')
  return {
    kind: kindByte === KIND_FILE ? 'file' : 'vault-key',
    stanzas,
    authenticated: bytes.subarray(0, at),
    mac: bytes.subarray(at, at + MAC_LEN),
    length: at + MAC_LEN,
  }
}

// ---------------------------------------------------------------------------------------
// Unlocking: stanza → file key

async function unwrap(
  stanza: Stanza,
  secret: Bytes,
  label: Bytes,
  trace?: Trace,
): Promise<Bytes | undefined> {
  const wrapKey = await hkdf(stanza.salt, secret, label, KEY_LEN)
  if (trace) trace[`${STANZA_NAME[stanza.type]}_wrap_key`] = wrapKey
  const key = await subtle.importKey('raw', wrapKey, 'AES-GCM', false, ['decrypt'])
  try {
    const fileKey = await subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(12), additionalData: stanza.aad, tagLength: 128 },
      key,
      stanza.wrapped,
    )
    return new Uint8Array(fileKey)
  } catch {
    return undefined
  }
}

/** The file key, from whichever unlocking material was offered. */
async function fileKeyFor(header: Header, unlock: Unlock, trace?: Trace): Promise<Bytes> {
  if ('fileKey' in unlock) return key32(unlock.fileKey, 'file key')

  if ('passphrase' in unlock) {
    const password =
      typeof unlock.passphrase === 'string' ? ascii(unlock.passphrase, true) : own(unlock.passphrase)
    // Refused where the stanza would be looked up, with or without a passphrase stanza.
    if (password.length === 0) throw new SealedError('E_INVALID_ARGUMENT', 'the passphrase is empty')
    const candidates = header.stanzas.filter((s) => s.type === TYPE_PASSPHRASE)
    if (candidates.length === 0) throw new SealedError('E_WRONG_KEY', 'no passphrase stanza')
    for (const s of candidates) {
      const { mKib, t, p } = s.argon2!
      const secret = await argon2id({
        password,
        salt: s.salt,
        memorySize: mKib,
        iterations: t,
        parallelism: p,
        hashLength: KEY_LEN,
        outputType: 'binary',
      })
      const fileKey = await unwrap(s, own(secret), LABEL.wrapPassphrase, trace)
      if (fileKey) return fileKey
    }
    throw new SealedError('E_BAD_PASSPHRASE', 'no passphrase stanza unwraps')
  }

  let secret: Bytes, type: number, id: Bytes, label: Bytes
  if ('vaultKey' in unlock) {
    secret = key32(unlock.vaultKey, 'vault key')
    ;[type, label] = [TYPE_VAULT, LABEL.wrapVault]
    id = (await sub(secret, LABEL.keyId)).subarray(0, 16)
    if (trace) trace.key_id = id
  } else {
    if ('recoveryKey' in unlock) {
      secret = await sub(key32(unlock.recoveryKey, 'recovery key'), LABEL.recoveryKek)
    } else {
      secret = key32(unlock.recoveryKek, 'recovery KEK')
    }
    ;[type, label] = [TYPE_RECOVERY, LABEL.wrapRecovery]
    id = (await sub(secret, LABEL.recoveryId)).subarray(0, 16)
    if (trace) Object.assign(trace, { recovery_kek: secret, recovery_id: id })
  }
  const matches = header.stanzas.filter((s) => s.type === type && equalPublic(s.id!, id))
  if (matches.length === 0) throw new SealedError('E_WRONG_KEY', 'no stanza for this key')
  for (const s of matches) {
    const fileKey = await unwrap(s, secret, label, trace)
    if (fileKey) return fileKey
  }
  // The id matched, so the key is right: the stanza itself was altered.
  throw new SealedError('E_AUTH', 'wrapped file key failed authentication')
}

// ---------------------------------------------------------------------------------------
// Whole file

/**
 * Opens a sealed file (all of its bytes) and returns the plaintext. Order: parse and
 * validate the header → unwrap the file key → verify the header MAC → derive the payload
 * key and context → check the Cobblestone commitment → decrypt chunk by chunk.
 * Throws `SealedError` with FORMAT.md's error codes.
 */
export async function openSealedWebCrypto(
  file: Uint8Array,
  unlock: Unlock,
  options: OpenOptions = {},
): Promise<Uint8Array> {
  const bytes = own(file)
  const header = parseHeader(bytes)
  const want = options.kind ?? 'file'
  if (header.kind !== want)
    throw new SealedError('E_FORMAT', `expected a ${want} but this is a ${header.kind}`)
  const trace = options.trace
  // The payload length is checked before unlocking (no Argon2 run for an impossible length).
  checkPayloadLength(bytes.length - header.length)

  const fileKey = await fileKeyFor(header, unlock, trace)

  const macKey = await sub(fileKey, LABEL.headerMac)
  const hmacKey = await subtle.importKey('raw', macKey, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])
  // subtle.verify compares in constant time (the MAC never leaves the crypto provider).
  if (!(await subtle.verify('HMAC', hmacKey, header.mac, header.authenticated))) {
    throw new SealedError('E_AUTH', 'header MAC mismatch')
  }

  const inputKey = await sub(fileKey, LABEL.payloadKey)
  const context = concat(LABEL.payloadContext, new Uint8Array([0]), header.mac)
  if (trace) {
    Object.assign(trace, {
      file_key: fileKey,
      header_mac_key: macKey,
      header_mac: header.mac,
      header_len: header.length,
      payload_input_key: inputKey,
      payload_context: context,
    })
  }
  return openCobblestone(inputKey, context, bytes.subarray(header.length), trace)
}

/** Opens a vault key file (kind 0x01) with its passphrase: 64 bytes = vault key ‖ recovery KEK. */
export async function openVaultKeyFile(
  file: Uint8Array,
  unlock: Unlock,
): Promise<{ vaultKey: Uint8Array; recoveryKek: Uint8Array }> {
  const plain = await openSealedWebCrypto(file, unlock, { kind: 'vault-key' })
  if (plain.length !== 2 * KEY_LEN)
    throw new SealedError('E_FORMAT', `vault key file holds ${plain.length} bytes, not 64`)
  return { vaultKey: plain.slice(0, KEY_LEN), recoveryKek: plain.slice(KEY_LEN) }
}

// ---------------------------------------------------------------------------------------
// Payload: Cobblestone-256

/** Decrypts a whole Cobblestone-256 ciphertext (salt ‖ commitment ‖ chunks). */
export async function openCobblestone(
  inputKey: Uint8Array,
  context: Uint8Array,
  payload: Uint8Array,
  trace?: Trace,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const plain of cobblestoneChunks(inputKey, context, payload, trace)) parts.push(plain)
  return concat(...parts)
}

/**
 * Yields each chunk's plaintext once that chunk has authenticated at its index. The key
 * commitment is checked before the first chunk; after the first failure nothing more is
 * yielded (the generator throws and is done).
 */
export async function* cobblestoneChunks(
  inputKey: Uint8Array,
  context: Uint8Array,
  payload: Uint8Array,
  trace?: Trace,
): AsyncGenerator<Uint8Array, void, undefined> {
  const prk = key32(inputKey, 'payload input key')
  const data = own(payload)
  const full = checkPayloadLength(data.length)

  const salt = data.subarray(0, CS_SALT_LEN)
  const stored = data.subarray(CS_SALT_LEN, CS_HEADER_LEN)
  const okm = await hkdfExpand(prk, concat(CS_INFO_PREFIX, salt, own(context)), 32 + 12 + 32)
  const aeadKey = okm.subarray(0, 32)
  const baseNonce = okm.subarray(32, 44)
  const commitment = okm.subarray(44, 76)
  if (trace)
    Object.assign(trace, {
      cobblestone_aead_key: aeadKey,
      cobblestone_base_nonce: baseNonce,
      cobblestone_commitment: commitment,
    })
  if (!equalConstantTime(commitment, stored)) throw new SealedError('E_AUTH', 'key commitment mismatch')

  const key = await subtle.importKey('raw', aeadKey, 'AES-GCM', false, ['decrypt'])
  for (let i = 0; i <= full; i++) {
    const start = CS_HEADER_LEN + i * SEALED_CHUNK
    const end = i < full ? start + SEALED_CHUNK : data.length
    let plain: ArrayBuffer
    try {
      plain = await subtle.decrypt(
        { name: 'AES-GCM', iv: chunkNonce(baseNonce, i), tagLength: 128 },
        key,
        data.subarray(start, end),
      )
    } catch {
      throw new SealedError('E_AUTH', `chunk ${i} failed authentication`)
    }
    yield new Uint8Array(plain)
  }
}

/** FORMAT.md "Sizes": the number of full chunks, or a refusal (chunk count first, then the final chunk). */
function checkPayloadLength(length: number): number {
  if (length < CS_HEADER_LEN) throw new SealedError('E_TRUNCATED', 'payload shorter than salt + commitment')
  const body = length - CS_HEADER_LEN
  const full = Math.floor(body / SEALED_CHUNK)
  const rest = body % SEALED_CHUNK
  if (full + 1 > MAX_CHUNKS) throw new SealedError('E_FORMAT', 'more than 2^38 chunks')
  if (rest < TAG) throw new SealedError('E_TRUNCATED', 'final chunk missing or shorter than a tag')
  return full
}

/** nonce = base nonce XOR be96(i); i < 2^38, so only the last 5 bytes change. */
function chunkNonce(base: Bytes, i: number): Bytes {
  const nonce = base.slice()
  for (let j = 11, n = i; j >= 7 && n > 0; j--, n = Math.floor(n / 256)) nonce[j]! ^= n % 256
  return nonce
}

// ---------------------------------------------------------------------------------------
// Primitives

/** HKDF-SHA-512, Extract and Expand (an empty salt is HashLen zeros in RFC 5869 and WebCrypto alike). */
async function hkdf(salt: Bytes, ikm: Bytes, info: Bytes, length: number): Promise<Bytes> {
  const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits'])
  return new Uint8Array(
    await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-512', salt, info }, key, 8 * length),
  )
}

/** sub(ikm, label) = HKDF(salt = "", ikm, info = label, 32). */
function sub(ikm: Bytes, label: Bytes): Promise<Bytes> {
  return hkdf(new Uint8Array(0), ikm, label, KEY_LEN)
}

/** HKDF-Expand alone (RFC 5869 §2.3) with HMAC-SHA-512; WebCrypto's HKDF always extracts first. */
async function hkdfExpand(prk: Bytes, info: Bytes, length: number): Promise<Bytes> {
  const key = await subtle.importKey('raw', prk, { name: 'HMAC', hash: 'SHA-512' }, false, ['sign'])
  const out = new Uint8Array(length)
  let t: Bytes = new Uint8Array(0)
  for (let filled = 0, n = 1; filled < length; n++) {
    t = new Uint8Array(await subtle.sign('HMAC', key, concat(t, info, new Uint8Array([n]))))
    out.set(t.subarray(0, length - filled), filled)
    filled += t.length
  }
  return out
}

/** Compares secrets-derived values without an early exit (JS gives no hard guarantee; this is the usual best effort). */
function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!
  return diff === 0
}

/** Compares public values (magic, key ids). */
function equalPublic(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function key32(key: Uint8Array, what: string): Bytes {
  if (key.length !== KEY_LEN)
    throw new SealedError('E_WRONG_KEY', `${what} must be 32 bytes, got ${key.length}`)
  return own(key)
}

/** A view backed by a plain ArrayBuffer (what WebCrypto's BufferSource wants), copying only if needed. */
function own(bytes: Uint8Array): Bytes {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Bytes) : new Uint8Array(bytes)
}

function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** ASCII labels; with `utf8`, any string as its UTF-8 bytes (passphrases, unnormalized). */
function ascii(text: string, utf8 = false): Bytes {
  if (!utf8 && !/^[\x00-\x7f]*$/.test(text)) throw new Error('label is not ASCII')
  return new TextEncoder().encode(text) as Bytes
}
