/**
 * Direct HTTPS: the certificate chain and private key, read from PEM files, with errors
 * that name the file and the fix.
 * @module
 */
import { readFileSync } from 'node:fs'
import { createSecureContext } from 'node:tls'

import { FileSystemError, InvalidArgumentError } from '../errors'

/** A certificate and key for `https.createServer`. */
export interface TlsFiles {
  cert: Buffer
  key: Buffer
}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new FileSystemError(
      code === 'EACCES' ? 'EACCES' : code === 'EISDIR' ? 'EISDIR' : 'ENOENT',
      `cannot read the TLS ${what} ${path} (${code}); give the PEM file`,
      {
        path,
        cause: err,
      },
    )
  }
}

/**
 * Reads and checks a PEM certificate (chain) and private key; throws
 * `E_INVALID_ARGUMENT` when they are not PEM or do not belong together.
 *
 * @example
 * ```ts
 * const tls = loadTlsFiles('/etc/letsencrypt/live/photos.example.com/fullchain.pem', '/etc/letsencrypt/live/photos.example.com/privkey.pem')
 * ```
 */
export function loadTlsFiles(certPath: string, keyPath: string): TlsFiles {
  const cert = readPem(certPath, 'certificate')
  const key = readPem(keyPath, 'key')
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    throw new InvalidArgumentError(
      `the TLS certificate ${certPath} and key ${keyPath} cannot be used together (${(err as Error).message}); give the PEM certificate chain and its private key`,
    )
  }
  return { cert, key }
}
