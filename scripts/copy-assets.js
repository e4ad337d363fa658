// Copies the static files the compiled API reads at run time (the share gallery's CSS and
// script) from lib/ to dist/, beside their modules. `npm run build:ts` runs it after tsc.
'use strict'
const { cpSync, mkdirSync } = require('node:fs')
const { join } = require('node:path')

const root = join(__dirname, '..')
const ASSETS = ['share/gallery/gallery.css', 'share/gallery/gallery.js']
for (const rel of ASSETS) {
  mkdirSync(join(root, 'dist', rel, '..'), { recursive: true })
  cpSync(join(root, 'lib', rel), join(root, 'dist', rel))
}
