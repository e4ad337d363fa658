/**
 * `DEMO_SIZE=64MiB npm run demo`: the whole workflow on the built-in sample. Runs the
 * built demo (dist/, made by `npm test` before the suites) and reads its summary.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { findVersitygw } from '../lib/demo/local-s3'
import { REPO, tempDir } from './support/fixtures'

const STEPS = [
  'sample card',
  'vault and recovery kit',
  'ingest to 2 destinations',
  'safe to format?',
  'encrypted off-site backup',
  'restore test',
  'client previews',
  'preview share link',
  'encrypted delivery',
  '3-2-1 status',
]

test('DEMO_SIZE=64MiB demo: every step completed, exit 0, nothing left behind', () => {
  const demo = join(REPO, 'dist/demo/main.js')
  assert.ok(existsSync(demo), 'dist/ is missing: run `npm run build` first (npm test does)')
  const r = spawnSync(process.execPath, [demo], {
    encoding: 'utf8',
    env: { ...process.env, DEMO_SIZE: '64MiB' },
    maxBuffer: 16 * 1024 * 1024,
  })
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
  if (findVersitygw())
    assert.match(
      offsite,
      /into the S3 bucket s3:\/\/demo-offsite\/studio of a local versitygw server at http:\/\/127\.0\.0\.1:\d+/,
    )
  else assert.match(offsite, /into a folder store .*Go is not installed here/)
  assert.match(
    summary.split('\n').find((l) => l.startsWith('restore test'))!,
    findVersitygw() ? /downloaded from the bucket/ : /decrypted/,
  )
  // The preview step proved what the link served: a different, downscaled picture without GPS or serial.
  assert.match(
    r.stdout,
    /IMG_0001\.JPG → the link served:\n\s+original sha256 [0-9a-f]{16}….*GPSLatitude=48\.85.*\n\s+served\s+sha256 [0-9a-f]{16}….*2048×1365; no GPS, serial, owner or location/,
  )
  assert.match(
    r.stdout,
    /IMG_0004\.DNG → the link served:\n\s+original .*RAW \(DNG\), orientation 6; GPSLatitude=.*\n\s+served .*1080×1620; no GPS, serial, owner or location/,
  )
  assert.match(
    summary,
    /client previews\s+completed\s+12 watermarked previews \+ thumbnails .*\(6 from RAW embedded previews/,
  )
  const work = /Shutterproof demo in (\S+)/.exec(r.stdout)![1]!
  assert.not.ok(existsSync(work), 'the demo cleans up after itself')
})

const chromiumOk = existsSync('/usr/bin/chromium')
if (!chromiumOk)
  console.warn(
    '\n!!! SKIPPED: /usr/bin/chromium is absent: the demo takes no gallery screenshot (scripts/install-test-tools.sh installs it)\n',
  )

;(chromiumOk ? test : test.skip)('demo --keep: a screenshot of the gallery beside the offload report', () => {
  const dir = tempDir('sp-demo-keep-')
  const r = spawnSync(process.execPath, [join(REPO, 'dist/demo/main.js'), '--keep'], {
    encoding: 'utf8',
    env: { ...process.env, DEMO_SIZE: '8MiB', DEMO_DIR: dir },
    maxBuffer: 16 * 1024 * 1024,
  })
  assert.is(r.status, 0, r.stdout.slice(-3000) + r.stderr)
  const shot = /gallery screenshot: (.+\.png)/.exec(r.stdout)?.[1]
  assert.ok(shot && existsSync(shot), r.stdout.slice(-2000))
  const beside = readdirSync(join(shot!, '..'))
  assert.ok(
    beside.some((f) => /^ingest-.*\.html$/.test(f)),
    `beside the offload report: ${beside}`,
  )
})

test.run()
