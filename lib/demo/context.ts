/**
 * What the demo's steps share: folders, the throwaway vault, the ingested session.
 * @internal
 * @module
 */
import type { Vault } from '../keys/vault'
import type { MakePreviewsOptions, PreviewsReport } from '../previews/types'
import type { SampleCard } from './sample-card'

export interface DemoContext {
  /** Everything the demo writes lives under here. */
  work: string
  card?: SampleCard
  /** Two on-site destinations (think: an SSD and a hard disk). */
  destinations: string[]
  /** Where the off-site store lives (think: a drive kept at another address). */
  offsite: string
  vaultPath: string
  passphrase?: string
  vault?: Vault
  /** The session folder at each destination, after ingest. */
  sessionRoots: string[]
  /** The session folder's name, e.g. 2026-04-26_Demo Client_Portraits. */
  sessionName?: string
  /** `--keep`: the files stay, and the gallery gets a screenshot. */
  keep: boolean
  /** How the demo makes previews (the share step reuses them, so the same settings). */
  previewOptions: MakePreviewsOptions
  /** After the previews step: what was made. */
  previews?: PreviewsReport
}
