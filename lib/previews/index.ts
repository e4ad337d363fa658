/**
 * Client previews: downscaled, metadata-stripped, optionally watermarked JPEGs (and
 * thumbnails) of a session's pictures and RAW files, which preview shares serve instead
 * of the originals.
 * @module
 */
export { makePreviews } from './run'
export type { MakePreviewsOptions, PreviewItem, PreviewProgress, PreviewsReport } from './types'
export type { WatermarkOptions, WatermarkPosition } from './watermark'
export type { PreviewSkipReason, SourceKind } from './formats'
export { PREVIEWS_FOLDER } from './layout'
export { PREVIEW_MARK } from './mark'
