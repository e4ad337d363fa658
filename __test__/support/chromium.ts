/**
 * Debian's Chromium for the browser suites, driven through playwright-core: where it is,
 * the flags every suite launches it with, and why it cannot run here.
 */
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

import type { Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]

let installTried = false

/**
 * Why the browser suites cannot run here, or undefined. As root, a missing Chromium is
 * installed with apt-get first (scripts/install-test-tools.sh does that too), once per
 * process.
 */
export function chromiumMissing(): string | undefined {
  if (!existsSync(CHROMIUM) && process.getuid?.() === 0 && !installTried) {
    installTried = true
    console.warn(
      `\n${CHROMIUM} is missing: installing Debian's chromium with apt-get (scripts/install-test-tools.sh does this too)\n`,
    )
    spawnSync(
      'sh',
      ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium'],
      { stdio: 'inherit', timeout: 15 * 60_000 },
    )
  }
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} is absent and could not be installed (run as root, or apt-get install chromium)`
}

/** Headless Chromium; downloads land in `downloadsPath` when given. */
export async function launchChromium(downloadsPath?: string): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ARGS,
    ...(downloadsPath ? { downloadsPath } : {}),
  })
}
