/**
 * The recovery kit: the 24 recovery words with the vault's key id and date, as text and
 * as a printable, self-contained HTML page.
 * @module
 */
import { escapeHtml } from '../text/html'

/** What to print and keep away from the data (a safe, a drawer at another place). */
export interface RecoveryKit {
  /** The 24 words (BIP39 English list, with a checksum that catches most typos). */
  words: string[]
  /** The vault's public key id, to match the kit with its vault. */
  keyId: string
  /** When the vault was created. */
  /** When the vault was created, ISO 8601 UTC (before 0.2: a `Date`). */
  createdAt: string
  /** Plain text, for a terminal or a text file to print. */
  text: string
  /** A printable HTML page with no external assets. */
  html: string
}

const ADVICE = [
  'These 24 words open your vault and every file sealed with it, on their own.',
  'Print this page. Keep it offline, away from your computer and your backups.',
  'Never store it beside the data it protects, in email, or in a photo.',
]

/** @internal */
export function recoveryKit(wordString: string, keyId: string, createdAt: Date): RecoveryKit {
  const words = wordString.trim().split(/\s+/)
  const numbered = words.map((w, i) => `${String(i + 1).padStart(2, ' ')}. ${w}`)
  const columns = [0, 8, 16].map((start) => numbered.slice(start, start + 8))
  const rows = columns[0]!.map((_, r) =>
    columns
      .map((col) => (col[r] ?? '').padEnd(18))
      .join('')
      .trimEnd(),
  )
  const date = createdAt.toISOString().slice(0, 10)
  const text = [
    'SHUTTERPROOF RECOVERY KIT',
    `Vault key id: ${keyId}`,
    `Created: ${date}`,
    '',
    ...rows,
    '',
    ...ADVICE,
    '',
  ].join('\n')
  const cells = words.map((w, i) => `<li><span>${i + 1}</span>${escapeHtml(w)}</li>`).join('')
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="robots" content="noindex">
<title>Shutterproof recovery kit ${escapeHtml(keyId)}</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;color:#111}
h1{font-size:1.4rem}ol{columns:3;list-style:none;padding:0;font:16px ui-monospace,monospace}
li{margin:.3rem 0}li span{display:inline-block;width:2rem;color:#666}
.meta{font-family:ui-monospace,monospace}.advice{border-top:1px solid #ccc;margin-top:1.5rem;padding-top:1rem}
</style></head><body>
<h1>Shutterproof recovery kit</h1>
<p class="meta">Vault key id: ${escapeHtml(keyId)}<br>Created: ${date}</p>
<ol>${cells}</ol>
<div class="advice">${ADVICE.map((a) => `<p>${escapeHtml(a)}</p>`).join('')}</div>
</body></html>
`
  return { words, keyId, createdAt: createdAt.toISOString(), text, html }
}
