/**
 * A delivery link's list of files: what the page shows (names, sizes), sealed with the
 * delivery key like the files themselves, so the server never learns the names either.
 * It is the share's item 0; the files are items 1…n.
 * @module
 */
import type { ShareInfo } from '../types'

/** The recorded path of the sealed list: the mark of a delivery link. */
export const DELIVERY_LIST = 'delivery-list.json.sealed'

/**
 * With a passphrase instead of a key in the link: the delivery key, sealed for that
 * passphrase (one Argon2id run in the browser opens it, whatever the number of files).
 */
export const DELIVERY_KEY = 'delivery-key.sealed'

/** One file as the page lists it. */
export interface DeliveryListFile {
  /** Its item index in the share (`f/<n>`). */
  n: number
  /** The name it is saved under (relative, `/`-separated). */
  name: string
  /** Plaintext bytes. */
  size: number
  /** ISO 8601 modification time of the original. */
  mtime: string
}

/** The plaintext of the sealed list. */
export interface DeliveryList {
  version: 1
  title: string
  files: DeliveryListFile[]
}

/** Whether a share is a delivery link (its items are sealed files behind the sealed list). */
export function isDeliveryShare(share: ShareInfo): boolean {
  return share.scope === 'full' && share.items[0]?.path === DELIVERY_LIST
}
