/**
 * `keys init` as a new user meets it: weak passphrases refused with advice (unless
 * --allow-weak), files owner-only whatever the umask, an existing vault refused before
 * anything is asked, a mismatched confirmation asked again alone (on a real terminal),
 * where the kit page went; and a 0644 vault from an older version warned about.
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

import { passphraseStrength } from '../lib/index'
import { cli, hasTool, REPO, tempDir, TSX } from './support/fixtures'

const STRONG = 'lunar-pocket-ripple-fabric-orbit'
const mode = (p: string) => statSync(p).mode & 0o777

/** The CLI under a shell with umask 000, so any mode it does not set itself shows. */
function cliUmask0(args: string[], env: NodeJS.ProcessEnv = {}) {
  const quoted = ['--import', TSX, join(REPO, 'lib/cli/main.ts'), ...args]
    .map((a) => `'${a.replace(/'/g, `'\\''`)}'`)
    .join(' ')
  const r = spawnSync('sh', ['-c', `umask 000; exec '${process.execPath}' ${quoted}`], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return { status: r.status, stdout: r.stdout, stderr: r.stderr }
}

test('the estimator: a, 1, abc and common passwords are weak; random words are strong', () => {
  for (const p of ['a', '1', 'abc', 'password1', 'P@ssw0rd!', 'photographer'])
    assert.is(passphraseStrength(p).strong, false, p)
  for (const p of [STRONG, 'correct horse battery staple']) assert.is(passphraseStrength(p).strong, true, p)
  assert.match(passphraseStrength('abc').warning ?? '', /sequence/i)
})

test('weak passphrases are refused with what a strong one looks like; --allow-weak takes one; nothing written on refusal', () => {
  const dir = tempDir('sp-keys-')
  for (const weak of ['a', '1', 'abc']) {
    const pass = join(dir, 'pass.txt')
    writeFileSync(pass, `${weak}\n`)
    const vault = join(dir, `weak-${weak}.vault`)
    const r = cli(['keys', 'init', '--vault', vault, '--passphrase-file', pass])
    assert.is(r.status, 2, r.stderr)
    assert.match(r.stderr, 'too weak')
    assert.match(r.stderr, '4 to 6 random words')
    assert.match(r.stderr, 'shutterproof passphrase')
    assert.match(r.stderr, '--allow-weak')
    assert.not.ok(existsSync(vault))
  }
  const env = cli(['keys', 'init', '--vault', join(dir, 'env.vault')], {
    env: { SHUTTERPROOF_PASSPHRASE: 'abc' },
  })
  assert.is(env.status, 2)
  const ok = cli(['keys', 'init', '--vault', join(dir, 'allowed.vault'), '--allow-weak', '--json'], {
    env: { SHUTTERPROOF_PASSPHRASE: 'abc' },
  })
  assert.is(ok.status, 0, ok.stderr)
})

test('the vault and the kit page are created 0600 even with umask 000; the output says where the kit page is', () => {
  const dir = tempDir('sp-keys-')
  const vault = join(dir, 'studio.vault')
  const kit = join(dir, 'kit.html')
  const r = cliUmask0(['keys', 'init', '--vault', vault, '--kit-html', kit], {
    SHUTTERPROOF_PASSPHRASE: STRONG,
  })
  assert.is(r.status, 0, r.stderr)
  assert.is(mode(vault), 0o600)
  assert.is(mode(kit), 0o600)
  assert.match(r.stdout, `Recovery kit page written to ${kit}`)
  const json = cliUmask0(
    ['keys', 'init', '--vault', join(dir, 'b.vault'), '--kit-html', join(dir, 'b.html'), '--json'],
    { SHUTTERPROOF_PASSPHRASE: STRONG },
  )
  assert.is(JSON.parse(json.stdout).kitHtml, join(dir, 'b.html'))
})

test('an existing vault (or kit page) fails before anything is asked, and a 0644 vault is warned about when used', () => {
  const dir = tempDir('sp-keys-')
  const vault = join(dir, 'studio.vault')
  assert.is(cli(['keys', 'init', '--vault', vault], { env: { SHUTTERPROOF_PASSPHRASE: STRONG } }).status, 0)
  // No passphrase source and no terminal: asking would stop with "no terminal" (exit 2).
  const again = cli(['keys', 'init', '--vault', vault], { env: { SHUTTERPROOF_PASSPHRASE: '' } })
  assert.is(again.status, 1, again.stderr)
  assert.match(again.stderr, 'E_EXISTS')
  assert.not.match(again.stderr, 'terminal')
  const kit = join(dir, 'kit.html')
  writeFileSync(kit, 'mine')
  const k = cli(['keys', 'init', '--vault', join(dir, 'new.vault'), '--kit-html', kit], {
    env: { SHUTTERPROOF_PASSPHRASE: '' },
  })
  assert.is(k.status, 1, k.stderr)
  assert.match(k.stderr, kit)
  assert.not.ok(existsSync(join(dir, 'new.vault')))
  assert.is(readFileSync(kit, 'utf8'), 'mine')

  chmodSync(vault, 0o644)
  const file = join(dir, 'IMG.CR3')
  writeFileSync(file, 'raw')
  const sealed = cli(['seal', file, '--vault', vault], { env: { SHUTTERPROOF_PASSPHRASE: STRONG } })
  assert.is(sealed.status, 0, sealed.stderr)
  assert.match(sealed.stderr, `${vault} can be read by other users (mode 644); run: chmod 600 ${vault}`)
  chmodSync(vault, 0o600)
  assert.not.match(
    cli(['seal', file, '--vault', vault, '-o', join(dir, 'x.sealed')], {
      env: { SHUTTERPROOF_PASSPHRASE: STRONG },
    }).stderr,
    'other users',
  )
})

/** Drives `keys init` on a pseudo-terminal (util-linux `script`): answers each prompt as it appears. */
function onTerminal(
  vault: string,
  answers: Array<[prompt: string, answer: string]>,
): Promise<{ status: number | null; output: string }> {
  const cmd = [
    process.execPath,
    '--import',
    TSX,
    join(REPO, 'lib/cli/main.ts'),
    'keys',
    'init',
    '--vault',
    vault,
  ]
    .map((a) => `'${a}'`)
    .join(' ')
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, SHUTTERPROOF_PASSPHRASE: '' },
  })
  let output = ''
  let next = 0
  const onData = (c: Buffer) => {
    output += c.toString()
    // Answer the next prompt once it appears (count occurrences, since prompts repeat).
    while (next < answers.length) {
      const [prompt, answer] = answers[next]!
      const count = output.split(prompt).length - 1
      const earlier = answers.slice(0, next).filter(([p]) => p === prompt).length
      if (count <= earlier) break
      next++
      setTimeout(() => child.stdin.write(`${answer}\r`), 50)
    }
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, output })))
}

const TTY =
  'on a terminal: a weak passphrase is asked again; a differing confirmation asks only for the confirmation again'
if (!hasTool('script')) {
  console.warn(`\n  !!! SKIPPED: ${TTY} — needs util-linux script (npm test installs it as root)\n`)
  test.skip(TTY, () => {})
} else {
  test(TTY, async () => {
    const dir = tempDir('sp-keys-tty-')
    const vault = join(dir, 'studio.vault')
    const r = await onTerminal(vault, [
      ['New passphrase:', 'abc'],
      ['New passphrase:', STRONG],
      ['Repeat it:', 'lunar-pocket-ripple-fabric-orbiT'],
      ['Repeat it:', STRONG],
    ])
    assert.is(r.status, 0, r.output)
    assert.match(r.output, 'too weak')
    assert.match(r.output, 'type the confirmation again')
    assert.is(r.output.split('New passphrase:').length - 1, 2, r.output)
    assert.is(r.output.split('Repeat it:').length - 1, 2, r.output)
    assert.ok(existsSync(vault))
    assert.is(mode(vault), 0o600)
  })
}

test.run()
