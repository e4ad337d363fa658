#!/usr/bin/env node
/**
 * The `shutterproof` executable. Loading the CLI loads the native addon; on a machine
 * without a usable one (E_UNSUPPORTED_PLATFORM, E_NATIVE_LOAD) the user gets that error's
 * message, which says what to do, rather than a stack trace.
 * @module
 */
import { EXIT } from './exit-codes'
import type * as Main from './main'

const PLATFORM_CODES = new Set(['E_UNSUPPORTED_PLATFORM', 'E_NATIVE_LOAD'])

let cli: typeof Main
try {
  cli = require('./main') as typeof Main
} catch (err) {
  const code = (err as { code?: unknown })?.code
  if (typeof code !== 'string' || !PLATFORM_CODES.has(code)) throw err
  process.stderr.write(`shutterproof: ${(err as Error).message} [${code}]\n`)
  process.exit(EXIT.INTEGRITY)
}
cli.run()
