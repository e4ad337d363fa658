/**
 * Share passwords go through the core's Argon2id (capped, counted, on libuv's pool) and
 * are stored as PHC strings; hashes written by the hash-wasm code path that came before
 * still verify.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

import { argon2id } from 'hash-wasm'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { nativeArgon2Runs } from '../lib/native'
import { hashPassword, verifyPassword } from '../lib/share/password'

/** Written by hash-wasm 4.13 (`argon2id({ …, outputType: 'encoded' })`), as registries hold them. */
const OLD_DEFAULT =
  '$argon2id$v=19$m=19456,t=2,p=1$c2h1dHRlcnByb29mLXNhbHQ$sWDxX4HEB5FUpjedgc9n44o21W9WFDFYX3Ju/xaBj3I'
const OLD_SMALL = '$argon2id$v=19$m=64,t=1,p=2$MDEyMzQ1Njc4OWFiY2RlZg$Q+kpANc31snhzJvis4+Osg'

/** Argon2 runs in the core during `work`. */
async function runsDuring(work: () => Promise<unknown>): Promise<number> {
  const before = nativeArgon2Runs()
  await work()
  return nativeArgon2Runs() - before
}

test('a new share password is a PHC string at OWASP costs, checked by one Argon2 run in the core', async () => {
  let stored = ''
  assert.is(
    await runsDuring(
      async () => (stored = await hashPassword('orbit-fancy-walnut-ritual', { generated: true })),
    ),
    1,
  )
  assert.match(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
  let ok = false
  assert.is(await runsDuring(async () => (ok = await verifyPassword('orbit-fancy-walnut-ritual', stored))), 1)
  assert.ok(ok)
  assert.not.ok(await verifyPassword('orbit-fancy-walnut-ritua1', stored))
  assert.is.not(
    await hashPassword('orbit-fancy-walnut-ritual', { generated: true }),
    stored,
    'a fresh salt each time',
  )
})

test('hashes written by hash-wasm (the code path before the core did it) still verify', async () => {
  assert.ok(await verifyPassword('correct horse battery staple', OLD_DEFAULT))
  assert.not.ok(await verifyPassword('correct horse battery stapler', OLD_DEFAULT))
  assert.ok(await verifyPassword('Grüße aus Köln', OLD_SMALL))
  assert.ok(
    await verifyPassword('Grüße aus Köln'.normalize('NFD'), OLD_SMALL),
    'typed decomposed, checked as NFC',
  )
  // And one made now by hash-wasm, with a random salt and other costs.
  const fresh = await argon2id({
    password: 'a long enough password',
    salt: Buffer.from('any salt at all!'),
    memorySize: 1024,
    iterations: 3,
    parallelism: 4,
    hashLength: 24,
    outputType: 'encoded',
  })
  assert.ok(await verifyPassword('a long enough password', fresh))
  assert.not.ok(await verifyPassword('a long enough passwore', fresh))
})

test('a stored hash above the caps, or not an Argon2id PHC string, never verifies and runs no Argon2', async () => {
  const refused = [
    OLD_DEFAULT.replace('m=19456', 'm=262145'),
    OLD_DEFAULT.replace('t=2', 't=11'),
    OLD_DEFAULT.replace('p=1$', 'p=9$'),
    OLD_DEFAULT.replace('m=19456', 'm=4294967295'),
    OLD_DEFAULT.replace('argon2id', 'argon2i'),
    OLD_DEFAULT.replace('v=19', 'v=16'),
    OLD_DEFAULT.replace(/\$[^$]*$/, ''),
    '',
    'correct horse battery staple',
  ]
  for (const stored of refused) {
    let ok = true
    assert.is(
      await runsDuring(async () => (ok = await verifyPassword('correct horse battery staple', stored))),
      0,
      stored,
    )
    assert.not.ok(ok, stored)
  }
})

// hash-wasm ships only as a file the delivery page loads in the browser (Argon2id for
// passphrase links, docs/DELIVERY.md); no Node code hashes passwords with it.
test('hash-wasm is never imported by Node code: passwords are hashed in Rust', () => {
  const importers: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (path.endsWith('.ts') && readFileSync(path, 'utf8').includes("from 'hash-wasm'"))
        importers.push(path)
    }
  }
  walk('lib')
  assert.equal(importers, [])
})

test.run()
