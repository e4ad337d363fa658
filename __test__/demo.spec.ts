/**
 * `DEMO_SIZE=64MiB npm run demo`: the whole workflow on the built-in sample. Runs the
 * built demo (dist/, made by `npm test` before the suites) and reads its summary.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { findVersitygw } from '../lib/demo/local-s3'
import { REPO } from './support/fixtures'

const STEPS = ['sample card', 'vault and recovery kit', 'ingest to 2 destinations', 'safe to format?', 'encrypted off-site backup', 'restore test', 'preview share link', 'encrypted delivery', '3-2-1 status']

test('DEMO_SIZE=64MiB demo: every step completed, exit 0, nothing left behind', () => {
  const demo = join(REPO, 'dist/demo/main.js')
  assert.ok(existsSync(demo), 'dist/ is missing: run `npm run build` first (npm test does)')
  const r = spawnSync(process.execPath, [demo], { encoding: 'utf8', env: { ...process.env, DEMO_SIZE: '64MiB' }, maxBuffer: 16 * 1024 * 1024 })
  assert.is(r.status, 0, r.stdout.slice(-3000) + r.stderr)
  const summary = r.stdout.slice(r.stdout.indexOf('── Summary ──'))
  for (const step of STEPS) {
    const line = summary.split('\n').find((l) => l.startsWith(step))
    assert.ok(line, `summary has a line for "${step}"`)
    assert.match(line!, /^\S.*\s{2}completed\s{2}/, line)
  }
  assert.match(summary, /\ndemo: completed\n/)
  // The off-site copy goes to a local S3 bucket when versitygw can be had, and says so.
  const offsite = summary.split('\n').find((l) => l.startsWith('encrypted off-site backup'))!
  if (findVersitygw()) assert.match(offsite, /into the S3 bucket s3:\/\/demo-offsite\/studio of a local versitygw server at http:\/\/127\.0\.0\.1:\d+/)
  else assert.match(offsite, /into a folder store .*Go is not installed here/)
  assert.match(summary.split('\n').find((l) => l.startsWith('restore test'))!, findVersitygw() ? /downloaded from the bucket/ : /decrypted/)
  const work = /Shutterproof demo in (\S+)/.exec(r.stdout)![1]!
  assert.not.ok(existsSync(work), 'the demo cleans up after itself')
})

test.run()
