/**
 * ASC MHL v2.0 histories: `ascmhl/` folders with one manifest per generation and a chain
 * file of their C4 IDs, written and read by Shutterproof, accepted by the reference
 * `ascmhl` tool.
 * @module
 */
export {
  writeGeneration,
  DEFAULT_MHL_IGNORE,
  type WriteGenerationOptions,
  type WrittenGeneration,
} from './write'
export { readHistory, type ReadHistoryOptions, type ReadHistoryResult } from './read'
export { latestHashes, type LatestHash, type LatestFileHashes, type LatestHashesOptions } from './latest'
export { c4Id, c4IdOfFile, c4FromSha512Hex, isC4Id } from './c4'
export type { ChainEntry } from './chain'
export {
  MHL_HASH_FORMATS,
  type MhlProcess,
  type MhlAction,
  type MhlHashFormat,
  type MhlHashes,
  type MhlAuthor,
  type MhlCreator,
  type MhlFileInput,
  type MhlHashRecord,
  type MhlFileEntry,
  type MhlDirectoryEntry,
  type MhlChainStatus,
  type MhlGeneration,
  type MhlHistory,
} from './types'
