/**
 * Which item a path names, and whether a share may serve it.
 * @module
 */
import type { ShareItem } from '../items'
import type { ShareInfo } from '../types'

/** A preview share never serves a full-resolution item, whatever the database says. */
export function servable(share: ShareInfo, item: ShareItem): boolean {
  return share.scope === 'full' || item.kind === 'preview'
}

/** An item and its index, by index (`f/3`) or by its exact recorded path (`p/<percent-encoded path>`, decoded once). */
export function findItem(share: ShareInfo, rest: string): { item: ShareItem; index: number } | undefined {
  const byIndex = /^f\/(0|[1-9]\d{0,6})$/.exec(rest)
  if (byIndex) {
    const index = Number(byIndex[1])
    const item = share.items[index]
    return item && { item, index }
  }
  if (!rest.startsWith('p/')) return undefined
  let path: string
  try {
    path = decodeURIComponent(rest.slice(2))
  } catch {
    return undefined
  }
  const index = share.items.findIndex((i) => i.path === path)
  return index < 0 ? undefined : { item: share.items[index]!, index }
}
