/**
 * The image libraries, loaded on first use: sharp (libvips) and exiftool-vendored cost
 * about half a second to load, which every CLI command and every program importing
 * Shutterproof would otherwise pay, previews or not.
 * @internal
 * @module
 */
import type * as ExifToolModule from 'exiftool-vendored'
import type SharpModule from 'sharp'

let sharpModule: typeof SharpModule | undefined
let exiftoolModule: typeof ExifToolModule | undefined

/** sharp's default export (`sharp(input, options)`). */
export function vips(): typeof SharpModule {
  sharpModule ??= require('sharp') as typeof SharpModule
  return sharpModule
}

/** The exiftool-vendored module. */
export function exiftoolVendored(): typeof ExifToolModule {
  exiftoolModule ??= require('exiftool-vendored') as typeof ExifToolModule
  return exiftoolModule
}
