#!/usr/bin/env node
/**
 * The `shutterproof` executable. Loading the CLI loads the native addon; on a machine
 * without a usable one (E_UNSUPPORTED_PLATFORM, E_NATIVE_LOAD) the user gets that error's
 * message, which says what to do, rather than a stack trace.
 * @module
 */
import type * as ExitCodes from './exit-codes'
import type * as Main from './main'

// Node ≥ 22.1 keeps the compiled code of every module it loads in a cache on disk
// (os.tmpdir()/node-compile-cache, or $NODE_COMPILE_CACHE): later runs skip compiling.
// Node 20 has no such cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off. Before any other
// module, so that the CLI's own modules are cached too.
const { enableCompileCache } = require('node:module') as { enableCompileCache?: () => unknown }
enableCompileCache?.()

const PLATFORM_CODES = new Set(['E_UNSUPPORTED_PLATFORM', 'E_NATIVE_LOAD'])

let cli: typeof Main
try {
  cli = require('./main') as typeof Main
} catch (err) {
  const code = (err as { code?: unknown })?.code
  if (typeof code !== 'string' || !PLATFORM_CODES.has(code)) throw err
  process.stderr.write(`shutterproof: ${(err as Error).message} [${code}]\n`)
  process.exit((require('./exit-codes') as typeof ExitCodes).EXIT.INTEGRITY)
}
cli.run()
