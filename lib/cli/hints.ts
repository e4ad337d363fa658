/**
 * What to do next, said the CLI's way. Library messages name the API's fix (they are read
 * by embedders' users too); the CLI adds the command to run for the codes where one helps.
 * @module
 */
import type { ShutterproofError } from '../errors'

const BY_CODE: Partial<Record<string, string>> = {
  E_SHARE_NOT_FOUND: '`shutterproof share list` shows the ids',
  E_MHL_NO_HISTORY: 'give a session folder written by `shutterproof ingest`',
  E_BAD_PASSPHRASE:
    'check the passphrase, or unlock with --recovery-key-file FILE (the 24 words of the recovery kit)',
  E_NOT_A_PREVIEW:
    'give the originals to `shutterproof share create --scope preview` (it makes their previews), or run `shutterproof previews SESSION` first',
  E_SCHEMA_TOO_NEW:
    'this file was written by a newer Shutterproof: upgrade it (`npm install -g shutterproof`)',
}

/** A line of advice for the command line, or undefined. */
export function cliHint(err: ShutterproofError): string | undefined {
  return BY_CODE[err.code]
}
