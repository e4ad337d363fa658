/**
 * What a photographer sees in a terminal: the CLI runs in a real pseudo-terminal
 * (`script` from util-linux/bsdutils) at 80 and 100 columns. Progress bars and the summary
 * fit the width, bars are labelled by drive, the read-back phase is shown, Ctrl-C leaves
 * the bars at what was really done; safe-to-format groups its reasons and says its
 * verdict last; status without a catalog explains and creates nothing; messages escape
 * control and bidi characters; ingest comes first in the help.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { escapeControls } from '../lib/text/escape'
import { cli, hasTool, REPO, tempDir, TSX, writeRandomFile } from './support/fixtures'
import { MB } from './support/ingest-fixtures'

const HAVE_SCRIPT = hasTool('script')
if (!HAVE_SCRIPT)
  console.warn(
    '\n!!! SKIPPED: `script` (util-linux / bsdutils) is missing: the terminal screen tests are skipped, not passed\n',
  )
const pty = HAVE_SCRIPT ? test : test.skip

const ESC_SEQ = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][0-9A-Za-z]|\u001b[=>]/g
const CLI = `${process.execPath} --import ${TSX} ${join(REPO, 'lib/cli/main.ts')}`

/** Shell-quotes one argument. */
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

/** Runs the CLI in a pseudo-terminal of `columns` × 30; resolves with the raw screen output and exit code. */
function inTerminal(
  args: string[],
  columns: number,
  options: { interruptWhen?: (out: string) => boolean } = {},
): Promise<{ out: string; status: number | null }> {
  const cmd = `stty cols ${columns} rows 30; exec ${CLI} ${args.map(q).join(' ')}`
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', TERM: 'xterm' },
  })
  let out = ''
  let interrupted = false
  return new Promise((resolve) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (!interrupted && options.interruptWhen?.(out)) {
        interrupted = true
        child.stdin.write('\u0003') // Ctrl-C, turned into SIGINT by the terminal
      }
    })
    child.on('exit', (status) => resolve({ out, status }))
  })
}

/** Every line the terminal was asked to draw, without escape sequences. */
function drawnLines(out: string): string[] {
  return out
    .replace(ESC_SEQ, '\n')
    .split(/\r|\n/)
    .map((l) => l.replace(/[\u0000-\u001f]/g, ''))
    .filter((l) => l.trim() !== '')
}

const dir = tempDir('sp-screen-')
const card = join(dir, 'EOS_DIGITAL')
test.before(() => {
  mkdirSync(join(card, 'DCIM', '100CANON'), { recursive: true })
  for (let i = 1; i <= 6; i++) writeRandomFile(join(card, 'DCIM', '100CANON', `IMG_000${i}.CR3`), 24 * MB + i)
})
// The machine's disk is shared: the copies go once each test has checked them.
test.after.each(() => {
  for (const n of readdirSync(dir))
    if (n !== 'EOS_DIGITAL') rmSync(join(dir, n), { recursive: true, force: true })
})
test.after(() => rmSync(dir, { recursive: true, force: true }))

for (const columns of [80, 100]) {
  pty(
    `ingest at ${columns} columns: every line fits, bars labelled by drive, speed and ETA kept, a read-back phase, a fitted summary`,
    async () => {
      const base = join(dir, `w${columns}`)
      const [ssd, hdd] = [join(base, 'SSD1'), join(base, 'HDD2')]
      mkdirSync(ssd, { recursive: true })
      mkdirSync(hdd, { recursive: true })
      const { out, status } = await inTerminal(
        [
          'ingest',
          card,
          ssd,
          hdd,
          '--client',
          'Ada Lovelace',
          '--shoot',
          'Wedding reception and party',
          '--date',
          '2026-04-26',
        ],
        columns,
      )
      assert.is(status, 0, out)
      const lines = drawnLines(out)
      // Bars, the table and the verdict fit; only lines naming a path may be longer.
      for (const l of lines.filter((x) => !x.includes(base)))
        assert.ok([...l].length <= columns, `${[...l].length} > ${columns}: ${JSON.stringify(l)}`)
      // These frames do not depend on the copy's speed: the engine tells the copy's start
      // and the card's last read at once, and the screen draws a change of words at once.
      assert.ok(
        lines.some((l) => /^card +\[/.test(l) && /\/s\b/.test(l) && /ETA/.test(l)),
        'the card bar keeps speed and ETA',
      )
      assert.ok(
        lines.some((l) => /^SSD1 +\[/.test(l)) && lines.some((l) => /^HDD2 +\[/.test(l)),
        'bars labelled SSD1 and HDD2',
      )
      assert.ok(
        lines.some((l) => /reading back/.test(l)),
        'the read-back phase is shown',
      )
      assert.ok(
        lines.some((l) => /^drive +status +checked/.test(l)),
        'the summary table',
      )
      assert.match(lines.at(-1)!, /^safe to format the card: yes/, 'the verdict comes last')
    },
  )
}

pty(
  'Ctrl-C mid-ingest in a terminal: exit 130; the bars stop at what was done, never "6/6 files"; it says what is left',
  async () => {
    const [ssd, hdd] = [join(dir, 'c', 'SSD1'), join(dir, 'c', 'HDD2')]
    mkdirSync(ssd, { recursive: true })
    mkdirSync(hdd, { recursive: true })
    const { out, status } = await inTerminal(
      ['ingest', card, ssd, hdd, '--client', 'Ada', '--shoot', 'Cancel', '--date', '2026-04-26'],
      100,
      {
        interruptWhen: (o) => /card +\[[#-]+\] +[1-9]\d?%/.test(o.replace(ESC_SEQ, '\n')),
      },
    )
    assert.is(status, 130, out)
    const lines = drawnLines(out)
    const after = lines.slice(lines.findIndex((l) => /cancelled/.test(l)))
    assert.ok(
      after.length > 0 && after.some((l) => /^SSD1 .*cancelled/.test(l)),
      `the bars say cancelled:\n${lines.slice(-12).join('\n')}`,
    )
    assert.not.ok(
      after.some((l) => /6\/6 files/.test(l) || /\bdone\b  6/.test(l)),
      'no bar jumps to every file done',
    )
    assert.ok(lines.some((l) => /aborted by Ctrl-C: \d of 6 files were copied and checked/.test(l)))
    assert.match(lines.at(-1)!, /^safe to format the card: NO \(the ingest was cancelled/)
  },
)

test('ingest --verify size, then safe-to-format: reasons grouped, verdict last with counts, why size is not enough', () => {
  const many = join(dir, 'many')
  mkdirSync(join(many, 'DCIM'), { recursive: true })
  for (let i = 0; i < 60; i++)
    writeFileSync(join(many, 'DCIM', `IMG_${String(i).padStart(4, '0')}.JPG`), `photo ${i}`)
  const [a, b, c, d] = ['SSD1', 'HDD2', 'SSD3', 'HDD4'].map((n) => join(dir, 'size', n))
  for (const x of [a, b, c, d]) mkdirSync(x!, { recursive: true })
  const r = cli([
    'ingest',
    many,
    a!,
    b!,
    '--client',
    'Ada',
    '--shoot',
    'Size',
    '--date',
    '2026-04-26',
    '--verify',
    'size',
    '--quiet',
  ])
  assert.is(r.status, 0, r.stderr)
  const ing = cli([
    'ingest',
    many,
    c!,
    d!,
    '--client',
    'Ada',
    '--shoot',
    'Size',
    '--date',
    '2026-04-26',
    '--verify',
    'size',
  ])
  const ingLines = ing.stdout.trimEnd().split('\n')
  assert.match(
    ingLines.at(-1)!,
    /^safe to format the card: NO \(60 of 60 files have fewer than 2 verified copies; keep the card\)$/,
  )
  assert.match(ing.stdout, /A size check cannot see a damaged byte/)
  const sessions = [join(a!, '2026-04-26_Ada_Size'), join(b!, '2026-04-26_Ada_Size')]
  const v = cli(['safe-to-format', many, ...sessions])
  assert.is(v.status, 1)
  const lines = v.stdout.trimEnd().split('\n')
  assert.ok(lines.length < 25, `${lines.length} lines for 60 files:\n${v.stdout}`)
  assert.match(lines[0]!, /^Why not \(180 reasons, in 3 groups\):$/)
  assert.ok(
    lines.some((l) => /checked by size only \(--verify size\) at SSD1: 60 files/.test(l)),
    v.stdout,
  )
  assert.ok(lines.some((l) => /and 57 more/.test(l)))
  assert.match(v.stdout, /A size check cannot see a damaged byte/)
  assert.match(
    lines.at(-1)!,
    /^safe to format the card: NO \(60 of 60 files have fewer than 2 verified copies; keep the card\)$/,
  )
})

test('status without a catalog: explains how to build one, exit 2, creates no file here or at home', () => {
  const cwd = tempDir('sp-status-cwd-')
  const home = join(tempDir('sp-status-home-'), 'home')
  const r = cli(['status'], { cwd, env: { SHUTTERPROOF_HOME: home } })
  assert.is(r.status, 2, r.stderr)
  assert.is(r.stdout, '')
  assert.match(r.stderr, /no catalog yet at .*catalog\.db\. Build it by naming where your copies are/)
  assert.match(r.stderr, /--folder SSD1:ssd:onsite:/)
  assert.equal(readdirSync(cwd), [])
  assert.not.ok(existsSync(home))
})

test('messages escape control and bidi characters from hostile names, with and without NO_COLOR', () => {
  const hostile = join(dir, 'evil\u001b[31mRED\r\u202egnp.exe\u0000x'.replace('\u0000', ''))
  for (const env of [{ NO_COLOR: '1' }, {}]) {
    const r = cli(['hash', hostile], { env })
    assert.is(r.status, 3)
    assert.not.match(r.stderr, /[\u001b\r\u202e]/, JSON.stringify(r.stderr))
    assert.match(r.stderr, /evil\\u001b\[31mRED\\u000d\\u202egnp\.exe/)
    const i = cli(
      ['ingest', join(dir, 'card\u001b]0;owned\u0007'), join(dir, 'x'), '--client', 'A', '--shoot', 'B'],
      { env },
    )
    assert.not.match(i.stderr, /[\u001b\u0007]/, JSON.stringify(i.stderr))
  }
})

test('a missing destination is not called a card; missing options read the same whatever the command', () => {
  const r = cli(['ingest', card, join(dir, 'no-such-drive'), '--client', 'A', '--shoot', 'B'])
  assert.is(r.status, 1)
  assert.match(
    r.stderr,
    /no-such-drive: no such file or folder; check the path \(is the destination drive connected and mounted\?\)/,
  )
  assert.not.match(r.stderr, /card mounted/)
  const a = cli(['seal', join(card, 'DCIM', '100CANON', 'IMG_0001.CR3')])
  const b = cli(['backup', card, join(dir, 'store')])
  for (const x of [a, b]) {
    assert.is(x.status, 2)
    assert.match(x.stderr, /^shutterproof: required option '--vault <file>' not specified/)
  }
})

test('the escape keeps JSON valid and equal once parsed, and leaves line feeds and tabs', () => {
  const doc = { name: 'a\u001b[2Jb\u202ec\u0085d\u2066e', n: 1 }
  const text = escapeControls(JSON.stringify(doc, null, 2))
  assert.not.match(text, /[\u001b\u202e\u0085\u2066]/)
  assert.equal(JSON.parse(text), doc)
  assert.is(escapeControls('a\tb\nc'), 'a\tb\nc')
  assert.is(escapeControls('x\ry\u0000'), 'x\\u000dy\\u0000')
})

test('the main help lists ingest first', () => {
  const r = cli(['--help'])
  const commands = r.stdout
    .split('Commands:')[1]!
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
  assert.is(commands[0], 'ingest')
  assert.ok(commands.indexOf('hash') > commands.indexOf('backup'))
})

test('the summary table fits the width even with a very long drive name', () => {
  const long = join(
    dir,
    'a-destination-drive-with-an-extremely-long-name-for-testing-the-summary-table-width',
  )
  mkdirSync(long, { recursive: true })
  const r = cli(['ingest', card, long, '--client', 'A', '--shoot', 'Long', '--min-copies', '1'])
  assert.is(r.status, 0, r.stderr)
  const lines = r.stdout.split('\n')
  const table = lines.slice(
    lines.findIndex((l) => l.startsWith('drive ')),
    lines.findIndex((l) => l.startsWith('  ')),
  )
  assert.is(table.length, 2, r.stdout)
  for (const l of table) assert.ok(l.length <= 99, `${l.length}: ${l}`)
  assert.match(table[1]!, /^a-destination-drive-with.*…  completed/)
})

test.run()
