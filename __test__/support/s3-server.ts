/**
 * A real S3 server for the tests: versitygw (Apache-2.0; installed by
 * scripts/install-test-tools.sh) on a free loopback port over a temporary data folder,
 * with a second user that owns nothing. When it is missing, suites skip loudly.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import type { S3StoreOptions } from '../../lib/backup/s3-backend'
import { findVersitygw, LocalS3Server } from '../../lib/demo/local-s3'

export const ROOT_KEY = 'SPTESTROOTKEY'
export const ROOT_SECRET = 'sp-test-root-secret-0123456789'
/** A user of the server that owns no bucket (for "no permission" tests). */
export const OTHER_KEY = 'SPTESTOTHERKEY'
export const OTHER_SECRET = 'sp-test-other-secret-0123456789'

/** Prints the loud skip notice; returns whether S3 tests can run. */
export function s3Available(suite: string): boolean {
  if (findVersitygw()) return true
  console.log(
    `\n!!! SKIPPED: ${suite}: versitygw is not installed (scripts/install-test-tools.sh builds it with Go); these S3 tests are skipped, not passed\n`,
  )
  return false
}

/** Data folders need user xattrs: a disk-backed folder rather than a tmpfs /tmp. */
function baseDir(): string {
  for (const d of [process.env.SHUTTERPROOF_S3_TEST_DIR, '/var/tmp', tmpdir()])
    if (d && existsSync(d)) return d
  return tmpdir()
}

export class S3TestServer extends LocalS3Server {
  constructor() {
    super(findVersitygw()!, mkdtempSync(join(baseDir(), 'sp-s3-')), ROOT_KEY, ROOT_SECRET, [
      { access: OTHER_KEY, secret: OTHER_SECRET },
    ])
  }

  /** Environment for a CLI child (or an `aws` option) signing as `key` (default: the root user). */
  env(key = ROOT_KEY, secret = ROOT_SECRET): Record<string, string> {
    return { AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: 'us-east-1' }
  }

  /**
   * Store options for this server, signing as the root user with a home of the test's own
   * (no ~/.aws of the machine), staging under it, 5 MiB parts from 6 MiB up, and
   * `retry` — short, so that a failure shows in milliseconds.
   */
  storeOptions(home: string, retry: S3StoreOptions['retry'], extra: S3StoreOptions = {}): S3StoreOptions {
    return {
      endpoint: this.endpoint,
      aws: { env: this.env(), home },
      stagingDir: join(home, 'staging'),
      partSize: 5 * 1024 * 1024,
      multipartThreshold: 6 * 1024 * 1024,
      retry,
      ...extra,
    }
  }

  /** Stops the server and removes its data. */
  async close(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** Starts a server; the caller closes it. */
export async function startS3Server(): Promise<S3TestServer> {
  const s = new S3TestServer()
  await s.start()
  return s
}
