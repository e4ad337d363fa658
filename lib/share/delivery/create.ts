/**
 * {@link createDeliveryLink}: an end-to-end encrypted delivery that opens in the client's
 * browser. Every file is sealed (docs/FORMAT.md, no new crypto) for a fresh delivery key
 * into a folder the share server serves; the link is `<public URL>/d/<token>#<key>`, and
 * the key lives only in the fragment, which browsers never send to a server. The server
 * holds ciphertext, the token's verifier and the usual share settings — never the key.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

import { InvalidArgumentError } from '../../errors'
import { toFsError } from '../../fs/errors'
import type { KdfOptions } from '../../keys/kdf'
import { generatePassphrase } from '../../keys/passphrase'
import { checkPassphraseStrength } from '../../keys/strength'
import { createVault } from '../../keys/vault'
import { parseDuration } from '../duration'
import { SHARE_PASSWORD_MIN_SCORE } from '../password'
import { sealFile } from '../../seal/files'
import { createSealStream } from '../../seal/streams'
import type { CreatedShare, CreateShareOptions } from '../types'
import type { ShareRegistry } from '../registry'
import { fragmentFromWords } from './key'
import { DELIVERY_KEY, DELIVERY_LIST, type DeliveryList, type DeliveryListFile } from './list'

/** Options of {@link createDeliveryLink}. */
export interface DeliveryLinkOptions extends Pick<
  CreateShareOptions,
  'ttl' | 'maxDownloads' | 'password' | 'label' | 'recipient'
> {
  /** The session folder the files are in; the sealed copies go to `<session>/.shutterproof/deliveries/<id>/`. */
  session: string
  /** Files of the session folder (absolute, or relative to it). */
  files: readonly string[]
  /** Aborting stops the sealing: nothing is left behind and no link is made. */
  signal?: AbortSignal
  /**
   * No key in the link: the client types this passphrase (send it another way, e.g. by
   * SMS), or `'generate'` for 6 random words (returned once as `passphrase`). The page
   * runs Argon2id once (64 MiB, t = 3, p = 4 unless `kdf` says otherwise) to unwrap the
   * delivery key. A chosen passphrase must be as strong as a share password.
   */
  passphrase?: string
  /** Argon2id costs of the passphrase (defaults 64 MiB, t = 3, p = 4). */
  kdf?: KdfOptions
}

/** A delivery link: the only time its key can be seen. */
export interface CreatedDeliveryLink extends CreatedShare {
  /** `<public URL>/d/<token>#<key>`: give it to the client whole. */
  url: string
  /** The delivery key (the part after `#`); {@link deliveryKeyWords} turns it into the words `openSealedFile` takes. */
  key: string
  /** The folder of sealed files the server serves (remove it after the link expired). */
  folder: string
  /** The files as the page lists them. */
  files: DeliveryListFile[]
  /** With `passphrase: 'generate'`: the passphrase, shown this once. */
  passphrase?: string
}

/**
 * Seals files for a browser delivery and creates its link.
 *
 * @example
 * ```ts
 * const d = await createDeliveryLink(registry, {
 *   session: '/photos/2026-04-26_Smith', files: ['selects/IMG_0001.CR3', 'film.mp4'], ttl: '7d',
 * })
 * console.log(d.url)   // https://photos.example.com/d/<token>#<key>
 * ```
 * @throws `E_INVALID_ARGUMENT` (no files, a file outside the session), `ENOENT`, `E_NO_SPACE`, `E_ABORTED`, `E_TTL_TOO_LONG`, `E_WEAK_PASSPHRASE`
 */
export async function createDeliveryLink(
  registry: ShareRegistry,
  options: DeliveryLinkOptions,
): Promise<CreatedDeliveryLink> {
  const { session: given, files, signal, passphrase: asked, kdf, ...shareOptions } = options
  if (!Array.isArray(files) || files.length === 0)
    throw new InvalidArgumentError('createDeliveryLink needs files: at least one file of the session')
  const session = await realpath(given).catch((err: unknown) => {
    throw toFsError(err, given, 'open the session folder')
  })
  const rels = await Promise.all(files.map((f) => insideSession(session, f)))
  checkEarly(options)
  if (new Set(rels).size !== rels.length)
    throw new InvalidArgumentError('createDeliveryLink: a file is listed twice')
  const folder = join(session, '.shutterproof', 'deliveries', randomBytes(12).toString('hex'))
  await mkdir(folder, { recursive: true, mode: 0o700 })
  const keyDir = await mkdtemp(join(tmpdir(), 'sp-delivery-key-'))
  try {
    // A throwaway vault whose recovery key is the delivery key: its own passphrase and
    // vault key are never written down (the vault file is removed at once), so only the
    // recovery stanza can ever open these files.
    const { vault, recoveryKit } = await createVault(join(keyDir, 'delivery.vault'), {
      passphrase: randomBytes(32).toString('base64url'),
      kdf: { memoryKiB: 8, iterations: 1, parallelism: 1 },
      ...(signal ? { signal } : {}),
    })
    await rm(keyDir, { recursive: true, force: true })
    try {
      const listed: DeliveryListFile[] = []
      const items = [DELIVERY_LIST]
      for (const [i, rel] of rels.entries()) {
        const name = `${String(i + 1).padStart(4, '0')}.sealed`
        const st = await stat(join(session, rel))
        await sealFile(join(session, rel), join(folder, name), { vault, ...(signal ? { signal } : {}) })
        listed.push({ n: i + 1, name: rel, size: st.size, mtime: st.mtime.toISOString() })
        items.push(name)
      }
      const list: DeliveryList = { version: 1, title: options.label || basename(session), files: listed }
      await pipeline(
        Readable.from([Buffer.from(JSON.stringify(list))]),
        createSealStream({ vault }),
        createWriteStream(join(folder, DELIVERY_LIST), { mode: 0o600, flags: 'wx' }),
        ...(signal ? [{ signal }] : []),
      )
      const key = await fragmentFromWords(recoveryKit.words.join(' '))
      const passphrase =
        asked === undefined ? undefined : asked === 'generate' ? generatePassphrase().passphrase : asked
      if (passphrase !== undefined) {
        await pipeline(
          Readable.from([Buffer.from(key, 'base64url')]),
          createSealStream({ passphrase, ...(kdf ? { kdf } : {}) }),
          createWriteStream(join(folder, DELIVERY_KEY), { mode: 0o600, flags: 'wx' }),
          ...(signal ? [{ signal }] : []),
        )
      }
      const created = await registry.createShare({ ...shareOptions, session: folder, items, scope: 'full' })
      return {
        ...created,
        url: `${registry.publicUrl}/d/${created.token}${passphrase === undefined ? `#${key}` : ''}`,
        key,
        folder,
        files: listed,
        ...(asked === 'generate' ? { passphrase } : {}),
      }
    } finally {
      vault.close()
    }
  } catch (err) {
    await rm(folder, { recursive: true, force: true })
    throw err
  } finally {
    await rm(keyDir, { recursive: true, force: true })
  }
}

/**
 * What the registry would refuse only after every file was sealed (a 1 GB video takes a
 * while): the lifetime's form and a weak chosen password, checked first the same way.
 */
function checkEarly(options: DeliveryLinkOptions): void {
  if (options.ttl !== undefined) parseDuration(options.ttl, 'ttl')
  const { password, passphrase } = options
  if (passphrase !== undefined && passphrase !== 'generate') {
    if (typeof passphrase !== 'string' || passphrase === '')
      throw new InvalidArgumentError("passphrase must be a non-empty string, or 'generate'")
    checkPassphraseStrength(passphrase, {
      minScore: SHARE_PASSWORD_MIN_SCORE,
      what: 'The delivery passphrase',
      userInputs: [options.label, options.recipient].filter((x): x is string => !!x),
      generateHint: "Or let Shutterproof make one: passphrase: 'generate'.",
    })
  }
  if (typeof password === 'string' && password !== 'generate') {
    checkPassphraseStrength(password, {
      minScore: SHARE_PASSWORD_MIN_SCORE,
      what: 'The share password',
      userInputs: [options.label, options.recipient].filter((x): x is string => !!x),
      generateHint: "Or let Shutterproof make one: password: 'generate' (CLI: --password generate).",
    })
  }
}

async function insideSession(session: string, file: string): Promise<string> {
  if (typeof file !== 'string' || file === '')
    throw new InvalidArgumentError('createDeliveryLink files must be non-empty paths')
  const abs = isAbsolute(file) ? file : resolve(session, file)
  const real = await realpath(abs).catch((err: unknown) => {
    throw toFsError(err, abs, 'deliver')
  })
  const rel = relative(session, real)
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel))
    throw new InvalidArgumentError(
      `${file} is not inside the session folder ${session}; only files of that session can be delivered`,
    )
  return rel.split(sep).join('/')
}
