/**
 * The sRGB profile every preview carries, attached without a colour transform: the pixels
 * are sRGB already (converted with the source's own profile when they were decoded), so
 * libvips' `withIccProfile('srgb')` would only run an identity transform through lcms,
 * which cost about 14 ms of a 1620 px preview's 75 (bench case G). The profile's APP2
 * segment is taken once from libvips' own sRGB profile and spliced into each JPEG.
 * @internal
 * @module
 */
import { vips } from './libs'
import { afterAppSegments } from './mark'

const ICC_SIGNATURE = Buffer.from('ICC_PROFILE\0', 'latin1')
let segment: Promise<Buffer> | undefined

/** The whole APP2 segment (marker, length, `ICC_PROFILE` chunk) of libvips' sRGB profile. */
export function srgbProfileSegment(): Promise<Buffer> {
  segment ??= (async () => {
    const jpeg = await vips()({ create: { width: 1, height: 1, channels: 3, background: '#000' } })
      .withIccProfile('srgb')
      .jpeg()
      .toBuffer()
    let found: Buffer | undefined
    afterAppSegments(jpeg, (marker, start, end) => {
      const data = jpeg.subarray(start, end)
      // A profile over 64 KiB would span several APP2 chunks; libvips' compact sRGB is a few hundred bytes.
      if (
        marker === 0xe2 &&
        data.subarray(0, ICC_SIGNATURE.length).equals(ICC_SIGNATURE) &&
        data[12] === 1 &&
        data[13] === 1
      )
        found = Buffer.from(jpeg.subarray(start - 4, end))
      return found !== undefined
    })
    if (!found) throw new Error('libvips wrote no single-chunk sRGB profile')
    return found
  })()
  return segment
}
