/**
 * The napi-generated loader (`index.js` at the package root) with its generated types.
 * Internal: the public surface is `lib/index.ts`.
 * @internal
 * @module
 */
import { requireNativeBinding } from './platform'

// Load through the typed guard first: on a machine without a usable addon this throws
// E_UNSUPPORTED_PLATFORM / E_NATIVE_LOAD instead of the generated loader's plain Error.
// The require below then returns the module the guard already loaded.
requireNativeBinding()

import native = require('../index.js')

export = native
