/*
 * Shutterproof delivery: the browser's decryptor for sealed files (docs/FORMAT.md,
 * version 1), opened with a delivery key (the 32-byte key of the recovery stanza). Plain
 * WebCrypto only; loaded by the delivery page (<script integrity>) and by its service
 * worker (importScripts). Defines `self.ShutterproofSealed`.
 */
;(function (scope) {
  'use strict'
  const subtle = scope.crypto.subtle
  const enc = (s) => new TextEncoder().encode(s)
  const MAGIC = enc('SPSEALED')
  const BODY = { 1: 80, 2: 80, 3: 76 }
  const TYPE_RECOVERY = 2
  const TYPE_PASSPHRASE = 3
  const MAC = 32
  const CHUNK = 16384
  const SEALED_CHUNK = CHUNK + 16
  const PAYLOAD_HEAD = 56
  const MAX_CHUNKS = 2 ** 38
  const LABEL = {
    kek: enc('shutterproof.v1 recovery kek'),
    id: enc('shutterproof.v1 recovery id'),
    wrap: enc('shutterproof.v1 wrap recovery'),
    wrapPassphrase: enc('shutterproof.v1 wrap passphrase'),
    mac: enc('shutterproof.v1 header mac'),
    payload: enc('shutterproof.v1 payload key'),
    context: enc('shutterproof.v1 payload\0'),
    cobblestone: enc('c2sp.org/chunked-encryption@v1+AEAD_AES_256_GCM\0'),
  }
  /** How many 16 KiB chunks are handed to WebCrypto at once (its per-call cost is high). */
  const BATCH = 64

  class SealedError extends Error {
    constructor(code, message) {
      super(message)
      this.code = code
    }
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }

  function sameBytes(a, b) {
    if (a.length !== b.length) return false
    let d = 0
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i]
    return d === 0
  }

  async function hkdf(salt, ikm, info, length) {
    const key = await subtle.importKey('raw', ikm, 'HKDF', false, ['deriveBits'])
    const bits = await subtle.deriveBits(
      { name: 'HKDF', hash: 'SHA-512', salt: salt.length ? salt : new Uint8Array(64), info },
      key,
      8 * length,
    )
    return new Uint8Array(bits)
  }

  async function hmac(hash, key, message) {
    const k = await subtle.importKey('raw', key, { name: 'HMAC', hash }, false, ['sign'])
    return new Uint8Array(await subtle.sign('HMAC', k, message))
  }

  /** The delivery key from a link's fragment: 43 base64url characters, 32 bytes. */
  function keyFromFragment(fragment) {
    const text = String(fragment || '').replace(/^#/, '')
    if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return undefined
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '=')
    return Uint8Array.from(bin, (c) => c.charCodeAt(0))
  }

  /**
   * Parses the header (FORMAT.md "Header") from the first bytes of a file; returns
   * undefined while more bytes are needed, throws on the first bad field.
   */
  function parseHeader(bytes) {
    const magic = bytes.subarray(0, 8)
    if (!sameBytes(magic, MAGIC.subarray(0, magic.length)))
      throw new SealedError('E_FORMAT', 'not a sealed file')
    if (bytes.length < 11) return undefined
    if (bytes[8] !== 1) throw new SealedError('E_FORMAT', 'unsupported version ' + bytes[8])
    if (bytes[9] !== 0) throw new SealedError('E_FORMAT', 'not a sealed file (kind ' + bytes[9] + ')')
    const count = bytes[10]
    if (count < 1 || count > 8) throw new SealedError('E_FORMAT', 'bad stanza count')
    const stanzas = []
    let at = 11
    for (let i = 0; i < count; i++) {
      if (at >= bytes.length) return undefined
      const type = bytes[at]
      const len = BODY[type]
      if (len === undefined) throw new SealedError('E_FORMAT', 'unknown stanza type ' + type)
      let costs
      if (type === TYPE_PASSPHRASE) {
        if (stanzas.some((s) => s.type === TYPE_PASSPHRASE))
          throw new SealedError('E_FORMAT', 'two passphrase stanzas')
        if (at + 13 > bytes.length) return undefined
        const v = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 12)
        const m = v.getUint32(0)
        const t = v.getUint32(4)
        const p = v.getUint32(8)
        if (m > 2097152 || t > 10 || p > 16) throw new SealedError('E_KDF_LIMIT', 'Argon2id costs over the caps')
        if (t === 0 || p === 0 || m < 8 * p) throw new SealedError('E_FORMAT', 'malformed Argon2id costs')
        costs = { m, t, p }
      }
      const end = at + 1 + len
      if (end > bytes.length) return undefined
      stanzas.push({
        type,
        costs,
        aad: bytes.slice(at, end - 48),
        id: bytes.slice(at + 1, at + 17),
        salt: bytes.slice(end - 64, end - 48),
        wrapped: bytes.slice(end - 48, end),
      })
      at = end
    }
    if (at + MAC > bytes.length) return undefined
    return { stanzas, authenticated: bytes.slice(0, at), mac: bytes.slice(at, at + MAC), length: at + MAC }
  }

  async function checkMac(header, fileKey) {
    const macKey = await hkdf(new Uint8Array(0), fileKey, LABEL.mac, 32)
    if (!sameBytes(await hmac('SHA-256', macKey, header.authenticated), header.mac))
      throw new SealedError('E_AUTH', 'the header was modified')
    return fileKey
  }

  /**
   * The file key through the passphrase stanza: one Argon2id run (`argon2id` is hash-wasm's,
   * loaded by the page) with the header's costs, which parseHeader already held to the caps.
   */
  async function unlockPassphrase(header, { passphrase, argon2id }) {
    const password = enc(passphrase)
    if (password.length === 0) throw new SealedError('E_INVALID_ARGUMENT', 'the passphrase is empty')
    const s = header.stanzas.find((x) => x.type === TYPE_PASSPHRASE)
    if (!s) throw new SealedError('E_WRONG_KEY', 'no passphrase stanza')
    const secret = await argon2id({
      password,
      salt: s.salt,
      parallelism: s.costs.p,
      iterations: s.costs.t,
      memorySize: s.costs.m,
      hashLength: 32,
      outputType: 'binary',
    })
    const wrapKey = await hkdf(s.salt, secret, LABEL.wrapPassphrase, 32)
    const k = await subtle.importKey('raw', wrapKey, 'AES-GCM', false, ['decrypt'])
    let fileKey
    try {
      fileKey = new Uint8Array(
        await subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: s.aad }, k, s.wrapped),
      )
    } catch {
      throw new SealedError('E_BAD_PASSPHRASE', 'wrong passphrase')
    }
    return checkMac(header, fileKey)
  }

  /** The file key through the recovery stanza whose id matches the delivery key (or the passphrase stanza, given `{ passphrase, argon2id }`). */
  async function unlock(header, deliveryKey) {
    if (!(deliveryKey instanceof Uint8Array)) return unlockPassphrase(header, deliveryKey)
    const kek = await hkdf(new Uint8Array(0), deliveryKey, LABEL.kek, 32)
    const id = (await hkdf(new Uint8Array(0), kek, LABEL.id, 32)).subarray(0, 16)
    const mine = header.stanzas.filter((s) => s.type === TYPE_RECOVERY && sameBytes(s.id, id))
    if (mine.length === 0) throw new SealedError('E_WRONG_KEY', 'not sealed for this key')
    for (const s of mine) {
      const wrapKey = await hkdf(s.salt, kek, LABEL.wrap, 32)
      const k = await subtle.importKey('raw', wrapKey, 'AES-GCM', false, ['decrypt'])
      try {
        const fileKey = new Uint8Array(
          await subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(12), additionalData: s.aad }, k, s.wrapped),
        )
        return await checkMac(header, fileKey)
      } catch (err) {
        if (err instanceof SealedError) throw err
      }
    }
    throw new SealedError('E_AUTH', 'the key stanza was modified')
  }

  /** Cobblestone-256 key, base nonce and commitment (FORMAT.md "Payload"). */
  async function payloadKeys(fileKey, mac, salt) {
    const prk = await hkdf(new Uint8Array(0), fileKey, LABEL.payload, 32)
    const info = concat(LABEL.cobblestone, salt, LABEL.context, mac)
    const t1 = await hmac('SHA-512', prk, concat(info, Uint8Array.of(1)))
    const t2 = await hmac('SHA-512', prk, concat(t1, info, Uint8Array.of(2)))
    const okm = concat(t1, t2).subarray(0, 76)
    return {
      key: await subtle.importKey('raw', okm.slice(0, 32), 'AES-GCM', false, ['decrypt']),
      nonce: okm.slice(32, 44),
      commitment: okm.slice(44, 76),
    }
  }

  function nonceFor(base, index) {
    const n = base.slice()
    let i = index
    for (let at = 11; at >= 7 && i > 0; at--) {
      n[at] ^= i % 256
      i = Math.floor(i / 256)
    }
    return n
  }

  /**
   * FORMAT.md "Sizes": when the whole length is known (Content-Length), a payload that
   * cannot be whole is refused before unlocking and before any chunk.
   */
  function checkLength(payload) {
    const body = payload - PAYLOAD_HEAD
    if (body < 0) throw new SealedError('E_TRUNCATED', 'the file is cut short')
    const full = Math.floor(body / SEALED_CHUNK)
    if (full >= MAX_CHUNKS) throw new SealedError('E_FORMAT', 'too many chunks')
    if (body % SEALED_CHUNK < 16) throw new SealedError('E_TRUNCATED', 'the file is cut short (final chunk missing)')
  }

  /** Buffered reading from a stream of Uint8Arrays, one contiguous window at a time. */
  class Reader {
    constructor(stream) {
      this.reader = stream.getReader()
      this.buf = new Uint8Array(0)
      this.done = false
    }
    /** Reads until at least `n` bytes are buffered or the input ended. */
    async fill(n) {
      const parts = [this.buf]
      let have = this.buf.length
      while (have < n && !this.done) {
        const { value, done } = await this.reader.read()
        if (done) this.done = true
        else {
          parts.push(value)
          have += value.length
        }
      }
      if (parts.length > 1) this.buf = concat(...parts)
      return this.buf.length
    }
    take(n) {
      const out = this.buf.subarray(0, n)
      this.buf = this.buf.subarray(n)
      return out
    }
    cancel(reason) {
      return this.reader.cancel(reason).catch(() => undefined)
    }
  }

  /**
   * Opens a sealed file arriving as `stream`: checks the header, the key stanza, the
   * header MAC and the key commitment before any chunk, then returns a ReadableStream of
   * plaintext that releases only authenticated chunks and errors (never ends) on a
   * modified or truncated file. Memory: about BATCH chunks (1 MiB) at a time.
   */
  async function openStream(stream, deliveryKey, totalLength) {
    const input = new Reader(stream)
    let header
    for (let want = 11; !(header = parseHeader(input.buf)); want += 64) {
      if ((await input.fill(want)) < want && input.done && !parseHeader(input.buf))
        throw new SealedError('E_TRUNCATED', 'the file ends inside its header')
    }
    if (totalLength !== undefined) checkLength(totalLength - header.length)
    const fileKey = await unlock(header, deliveryKey)
    input.take(header.length)
    if ((await input.fill(PAYLOAD_HEAD)) < PAYLOAD_HEAD) throw new SealedError('E_TRUNCATED', 'the file is cut short')
    const head = input.take(PAYLOAD_HEAD).slice()
    const keys = await payloadKeys(fileKey, header.mac, head.subarray(0, 24))
    if (!sameBytes(keys.commitment, head.subarray(24, 56))) throw new SealedError('E_AUTH', 'key commitment mismatch')
    let index = 0
    let finished = false
    const decrypt = (bytes, i) =>
      subtle.decrypt({ name: 'AES-GCM', iv: nonceFor(keys.nonce, i) }, keys.key, bytes).catch(() => {
        throw new SealedError('E_AUTH', 'chunk ' + i + ' was modified')
      })
    return new ReadableStream(
      {
        async pull(controller) {
          if (finished) return
          // Keep one byte beyond the batch buffered: only then is a full chunk known not to be the final one.
          await input.fill(BATCH * SEALED_CHUNK + 1)
          const full = Math.min(BATCH, Math.floor((input.buf.length - (input.done ? 0 : 1)) / SEALED_CHUNK))
          const atEnd = input.done && input.buf.length - full * SEALED_CHUNK < SEALED_CHUNK
          const jobs = []
          for (let c = 0; c < full; c++) {
            if (index >= MAX_CHUNKS - 1) throw new SealedError('E_FORMAT', 'too many chunks')
            jobs.push(decrypt(input.take(SEALED_CHUNK).slice(), index++))
          }
          if (atEnd) {
            const rest = input.take(input.buf.length)
            if (rest.length < 16) throw new SealedError('E_TRUNCATED', 'the file is cut short (final chunk missing)')
            jobs.push(decrypt(rest.slice(), index++))
          }
          const plain = await Promise.all(jobs)
          const out = concat(...plain.map((p) => new Uint8Array(p)))
          if (out.length) controller.enqueue(out)
          if (atEnd) {
            finished = true
            controller.close()
          }
        },
        cancel(reason) {
          return input.cancel(reason)
        },
      },
      { highWaterMark: 0 },
    )
  }

  /** A whole small sealed file (the delivery's list of files) → its plaintext. */
  async function openBytes(bytes, deliveryKey) {
    const plain = await openStream(new Blob([bytes]).stream(), deliveryKey, bytes.length)
    return new Uint8Array(await new Response(plain).arrayBuffer())
  }

  scope.ShutterproofSealed = { SealedError, keyFromFragment, openStream, openBytes }
})(self)
