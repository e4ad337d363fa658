/**
 * The delivery page's decryptor (web/delivery/sealed.js, the file browsers run) against
 * the format's test vectors, through the route a delivery uses: the recovery key. Every
 * valid vector opens to its plaintext; every invalid one gives the code FORMAT.md lists
 * for that route (the list the Rust tests and the WebCrypto test decryptor walk too).
 * Run here in Node, whose WebCrypto and streams are the web's.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { argon2id } from 'hash-wasm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { fragmentFromWords } from '../lib/share/delivery/key'
import { REPO } from './support/fixtures'

interface Sealed {
  keyFromFragment(fragment: string): Uint8Array | undefined
  openBytes(
    bytes: Uint8Array,
    key: Uint8Array | { passphrase: string; argon2id: typeof argon2id },
  ): Promise<Uint8Array>
}

/** Loads the shipped script as a browser would: a classic script that defines `self.ShutterproofSealed`. */
function loadDecryptor(): Sealed {
  const scope: { crypto: typeof globalThis.crypto; ShutterproofSealed?: Sealed } = {
    crypto: globalThis.crypto,
  }
  const code = readFileSync(join(REPO, 'web/delivery/sealed.js'), 'utf8')
  new Function('self', code)(scope)
  return scope.ShutterproofSealed!
}

const json = JSON.parse(readFileSync(join(REPO, 'docs/vectors/sealed_v1.json'), 'utf8'))
const sealed = loadDecryptor()
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'))

async function recoveryKey(): Promise<Uint8Array> {
  return sealed.keyFromFragment(await fragmentFromWords(json.unlock_routes.recovery_key))!
}

async function codeOf(
  bytes: Uint8Array,
  key: Uint8Array | { passphrase: string; argon2id: typeof argon2id },
): Promise<string> {
  try {
    await sealed.openBytes(bytes, key)
    return 'ok'
  } catch (err) {
    return (err as { code?: string }).code ?? String(err)
  }
}

test('valid vectors open with the recovery key (the delivery key route)', async () => {
  const key = await recoveryKey()
  for (const v of json.valid as Array<{
    name: string
    sealed: string
    unlock: Record<string, string>
    plaintext_sha256: string
  }>) {
    if (v.unlock.recovery_words === undefined) {
      assert.is(await codeOf(hex(v.sealed), key), 'E_WRONG_KEY', `${v.name}: no recovery stanza`)
      continue
    }
    const plain = await sealed.openBytes(hex(v.sealed), key)
    assert.is(createHash('sha256').update(plain).digest('hex'), v.plaintext_sha256, v.name)
  }
})

test("every invalid vector gives the recovery route's code", async () => {
  const key = await recoveryKey()
  assert.ok(json.invalid.length >= 40, 'the vectors list their invalid cases')
  const wrong: string[] = []
  for (const v of json.invalid as Array<{ name: string; sealed: string; errors: { recovery_key: string } }>) {
    const got = await codeOf(hex(v.sealed), key)
    if (got !== v.errors.recovery_key) wrong.push(`${v.name}: ${got}, expected ${v.errors.recovery_key}`)
  }
  assert.equal(wrong, [])
})

test('the passphrase route (a delivery sent without its key): vectors valid and invalid, Argon2id by hash-wasm', async () => {
  const unlock = { passphrase: json.unlock_routes.passphrase as string, argon2id }
  const v = json.valid.find((x: { name: string }) => x.name === 'passphrase-short')
  const plain = await sealed.openBytes(hex(v.sealed), { passphrase: v.unlock.passphrase, argon2id })
  assert.is(createHash('sha256').update(plain).digest('hex'), v.plaintext_sha256)
  assert.is(await codeOf(hex(v.sealed), { passphrase: 'not it', argon2id }), 'E_BAD_PASSPHRASE')
  const wrong: string[] = []
  for (const x of json.invalid as Array<{ name: string; sealed: string; errors: { passphrase: string } }>) {
    const got = await codeOf(hex(x.sealed), unlock)
    if (got !== x.errors.passphrase) wrong.push(`${x.name}: ${got}, expected ${x.errors.passphrase}`)
  }
  assert.equal(wrong, [])
})

test('a wrong key is E_WRONG_KEY; a fragment that is not 32 bytes of base64url is no key', async () => {
  const v = json.valid.find((x: { name: string }) => x.name === 'vault-short')
  assert.is(await codeOf(hex(v.sealed), new Uint8Array(32).fill(7)), 'E_WRONG_KEY')
  for (const f of ['', '#', 'abc', 'A'.repeat(42), 'A'.repeat(44), '#' + 'A'.repeat(42) + '!'])
    assert.is(sealed.keyFromFragment(f), undefined, JSON.stringify(f))
  assert.is(sealed.keyFromFragment('#' + 'A'.repeat(43))!.length, 32)
})

test.run()
