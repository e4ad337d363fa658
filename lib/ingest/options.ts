/**
 * An ingest's options, checked before anything on the card or the destinations is read
 * or written: every refusal that needs no card happens here.
 * @module
 */
import { stat } from 'node:fs/promises'

import { fromNative, InvalidArgumentError } from '../errors'
import { HASH_ALGORITHMS, type HashAlgorithm } from '../hash'
import { MHL_HASH_FORMATS } from '../mhl/types'
import { nodeError } from './plan'
import { DEFAULT_FOLDER_TEMPLATE, sessionFolderName } from './session'
import type { IngestOptions, IngestReport, VerifyMode } from './types'

const VERIFY_MODES: readonly VerifyMode[] = ['destination', 'source', 'size']

/** What a run needs from its options, checked and with the defaults filled in. */
export interface CheckedIngest {
  source: string
  destinations: readonly string[]
  verify: VerifyMode
  algorithms: HashAlgorithm[]
  /** The session folder's name and the fields it was made from. */
  session: IngestReport['session']
  minCopies: number
}

/** Checks `options` (throws {@link InvalidArgumentError}) and fills in the defaults. */
export function checkIngestOptions(options: IngestOptions): CheckedIngest {
  if (!options || typeof options !== 'object')
    throw new InvalidArgumentError('ingest needs options { source, destinations, session }')
  const { source, destinations, session } = options
  const verify = options.verify ?? 'destination'
  if (!VERIFY_MODES.includes(verify))
    throw new InvalidArgumentError(`verify must be one of ${VERIFY_MODES.join(', ')}`)
  if (
    !Array.isArray(destinations) ||
    destinations.length === 0 ||
    destinations.some((d) => typeof d !== 'string' || d === '')
  ) {
    throw new InvalidArgumentError('destinations must be a non-empty array of folders')
  }
  const algorithms = checkAlgorithms(options.algorithms)
  const folder = sessionFolderName(session, options.folderTemplate ?? DEFAULT_FOLDER_TEMPLATE)
  const date = folder.match(/\d{4}-\d{2}-\d{2}/)?.[0] ?? ''
  const minCopies = options.minCopies ?? 2
  return {
    source,
    destinations,
    verify,
    algorithms,
    session: { folder, client: session.client, shoot: session.shoot, date },
    minCopies,
  }
}

/** The hashes to compute: BLAKE3 always (our reports key on it), and XXH128 when no ASC MHL format is asked for. */
function checkAlgorithms(list: readonly HashAlgorithm[] | undefined): HashAlgorithm[] {
  const asked = list ?? ['blake3', 'xxh128']
  if (!Array.isArray(asked))
    throw new InvalidArgumentError(`algorithms must be an array of ${HASH_ALGORITHMS.join(', ')}`)
  for (const a of asked)
    if (!HASH_ALGORITHMS.includes(a))
      throw new InvalidArgumentError(
        `Unknown hash algorithm ${JSON.stringify(a)}; use one of ${HASH_ALGORITHMS.join(', ')}`,
      )
  const out = new Set<HashAlgorithm>(['blake3', ...asked])
  if (![...out].some((a) => (MHL_HASH_FORMATS as readonly string[]).includes(a))) out.add('xxh128')
  return [...out]
}

/**
 * A destination drive must exist: creating /Volumes/SSD1 on the system disk because the
 * drive is not mounted would be a silent disaster.
 */
export async function checkDestinations(destinations: readonly string[]): Promise<void> {
  for (const d of destinations) {
    const st = await stat(d).catch((err: unknown) => {
      throw fromNative(nodeError(err, d, 'destination'), d)
    })
    if (!st.isDirectory())
      throw new InvalidArgumentError(`${d}: is not a folder; give the destination drive or folder`)
  }
}
