/**
 * The napi-generated loader (`index.js` at the package root) with its generated types.
 * Internal: the public surface is `lib/index.ts`.
 * @internal
 * @module
 */
import native = require('../index.js')

export = native
