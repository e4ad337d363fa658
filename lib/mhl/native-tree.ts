/**
 * A `<hashes>` piece of a manifest parsed in Rust (`crates/core/src/xml_tree`) into the
 * tree {@link saxTree} builds, handed over as JSON. After a 2,000-file ingest the verdict
 * re-reads each destination's manifest, and saxes spent ~100 ms of a cold JIT plus garbage
 * on its pieces (issue #18). The Rust side accepts a subset of what saxes accepts and
 * declines anything unusual, so whenever it answers, saxes would have given an equal tree
 * (mhl-native-tree.spec checks the two side by side).
 * @internal
 * @module
 */
import { nativeXmlTree } from '../native'
import type { saxTree } from './sax-tree'
import { ARRAYS, type XmlNode } from './xml'

const arrays = [...ARRAYS]

/**
 * `xml` as {@link saxTree} parses it, or undefined when the native parser declines it
 * (or fails in any way): the caller then goes on with saxes, whose verdict stands.
 */
export function nativeTree(xml: string): XmlNode | undefined {
  try {
    const json = nativeXmlTree(xml, arrays)
    return json == null ? undefined : (JSON.parse(json) as XmlNode)
  } catch {
    return undefined
  }
}
