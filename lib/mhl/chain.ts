/**
 * `ascmhl/ascmhl_chain.xml`: the list of a history's manifests with the C4 ID of each,
 * so a changed or missing manifest is noticed.
 * @internal
 * @module
 */
import { MhlError } from '../errors'
import { attrOf, childOf, childrenOf, escapeText, parseXml, textOf } from './xml'

/** The chain file's name inside `ascmhl/`. */
export const CHAIN_FILE = 'ascmhl_chain.xml'

/** One `<hashlist>` of the chain. */
export interface ChainEntry {
  generation: number
  /** Manifest file name, relative to `ascmhl/`. */
  path: string
  /** C4 ID of the manifest. */
  c4: string
}

/** The chain file's XML text, laid out like the reference tool's. */
export function renderChain(entries: readonly ChainEntry[]): string {
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<ascmhldirectory xmlns="urn:ASC:MHL:DIRECTORY:v2.0">',
  ]
  for (const e of entries) {
    out.push(`  <hashlist sequencenr="${e.generation}">`)
    out.push(`    <path>${escapeText(e.path)}</path>`)
    out.push(`    <c4>${e.c4}</c4>`)
    out.push('  </hashlist>')
  }
  out.push('</ascmhldirectory>', '')
  return out.join('\n')
}

/** Parses a chain file; throws `E_MHL_INVALID` (naming `path`) when it is not one. */
export function parseChain(xml: string, path: string): ChainEntry[] {
  const doc = parseXml(xml, path)
  const root = childOf(doc, 'ascmhldirectory')
  if (root === undefined)
    throw new MhlError('E_MHL_INVALID', `${path}: the root element is not <ascmhldirectory>`, { path })
  return childrenOf(root, 'hashlist').map((h) => {
    const seq = attrOf(h, 'sequencenr')
    const file = textOf(childOf(h, 'path'))?.trim()
    const c4 = textOf(childOf(h, 'c4'))?.trim()
    if (!seq || !/^\d+$/.test(seq) || !file || !c4) {
      throw new MhlError(
        'E_MHL_INVALID',
        `${path}: each <hashlist> needs a sequencenr, a <path> and a <c4>`,
        { path },
      )
    }
    return { generation: Number(seq), path: file, c4 }
  })
}
