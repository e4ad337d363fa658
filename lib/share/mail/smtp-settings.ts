/**
 * Where sign-in codes are mailed from: one SMTP server, configured once, in the
 * environment (`SHUTTERPROOF_SMTP_URL`, `SHUTTERPROOF_SMTP_FROM`) or in the `smtp` field
 * of `share.json` — never on the command line, where a password would land in shell
 * history and `ps`. `smtps://` speaks TLS from the first byte (port 465); `smtp://` must
 * upgrade with STARTTLS (port 587) before any password or message is sent, unless the
 * server is on this machine (a local relay on port 25).
 * @module
 */
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { rootCertificates } from 'node:tls'

import { InvalidArgumentError } from '../../errors'
import { parseDuration } from '../duration'

/** The SMTP server sign-in codes go through. */
export interface SmtpSettings {
  /**
   * `smtps://USER:PASSWORD@HOST[:465]` (TLS from the start) or
   * `smtp://USER:PASSWORD@HOST[:587]` (STARTTLS, required unless HOST is this machine).
   * Percent-encode `@`, `:` and `/` in the user name and password (`%40`, `%3A`, `%2F`).
   */
  url: string
  /**
   * The sender, e.g. `Jane Doe Photography <studio@example.com>`; its display name is the
   * photographer's name in the mail. Default: the URL's user name when it is an address.
   */
  from?: string
  /** A PEM file of certificate authorities to trust for this server, besides the system's (a private relay). */
  caFile?: string
  /** How long to wait for the server at each step before the send fails (default `'20s'`). */
  timeout?: string | number
}

/** {@link SmtpSettings} checked and turned into what the mail transport needs. */
export interface SmtpTransportSettings {
  host: string
  port: number
  /** TLS from the first byte (`smtps:`). */
  secure: boolean
  /** STARTTLS must succeed before anything else (`smtp:` to another machine). */
  requireTLS: boolean
  auth?: { user: string; pass: string }
  from: string
  /** The photographer's name, as the mail says it. */
  photographer: string
  ca?: string[]
  timeoutMs: number
  /** `host:port (TLS|STARTTLS|STARTTLS if offered)`, for logs and messages (never the password). */
  describe: string
}

/** The `smtp` field of share.json, as read (see ../../cli/share-home.ts). */
export type SmtpConfigField = Partial<Record<keyof SmtpSettings, unknown>>

/**
 * The SMTP settings in force: `SHUTTERPROOF_SMTP_URL` / `SHUTTERPROOF_SMTP_FROM` win over
 * share.json's `smtp`; `undefined` when no URL is set anywhere.
 */
export function smtpSettingsFrom(
  env: NodeJS.ProcessEnv,
  field: SmtpConfigField | undefined,
): SmtpSettings | undefined {
  const url = env.SHUTTERPROOF_SMTP_URL || (field?.url as string | undefined)
  if (!url) return undefined
  const from = env.SHUTTERPROOF_SMTP_FROM || (field?.from as string | undefined)
  const settings: SmtpSettings = { url }
  if (from) settings.from = from
  if (field?.caFile !== undefined) settings.caFile = field.caFile as string
  if (field?.timeout !== undefined) settings.timeout = field.timeout as string | number
  return settings
}

/** The URL with its password replaced by `***`, for messages. */
export function redactSmtpUrl(url: string): string {
  return url.replace(/^(smtps?:\/\/[^:@/]*:)[^@/]*@/i, '$1***@')
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'))
}

/**
 * Checks SMTP settings (`E_INVALID_ARGUMENT` naming `where` and the fix) and resolves
 * them for the transport. The CA file is read now, so a wrong path fails at start.
 *
 * @example
 * ```ts
 * resolveSmtp({ url: 'smtp://studio%40example.com:app-password@smtp.example.com:587', from: 'Jane Doe Photography <studio@example.com>' }, 'share.json')
 * ```
 */
export function resolveSmtp(settings: SmtpSettings, where: string): SmtpTransportSettings {
  const bad = (why: string) =>
    new InvalidArgumentError(`${where}: ${why}; see docs/SIGNIN.md for SMTP settings`)
  let url: URL
  try {
    url = new URL(settings.url)
  } catch {
    throw bad(
      'the SMTP URL is not a URL (smtp://USER:PASSWORD@HOST:587 or smtps://USER:PASSWORD@HOST:465); it is not repeated here since it may hold the password',
    )
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw bad(`the SMTP URL must start with smtp:// (STARTTLS) or smtps:// (TLS), not ${url.protocol}//`)
  if (!url.hostname) throw bad('the SMTP URL names no server')
  if (url.pathname !== '' && url.pathname !== '/')
    throw bad('the SMTP URL has a path; percent-encode a "/" in the password as %2F')
  if (url.search !== '' || url.hash !== '')
    throw bad('the SMTP URL takes no ?options; percent-encode "?" and "#" in the password (%3F, %23)')
  const secure = url.protocol === 'smtps:'
  const port = url.port === '' ? (secure ? 465 : 587) : Number(url.port)
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const requireTLS = !secure && !isLoopback(host)
  const user = decodeURIComponent(url.username)
  const pass = decodeURIComponent(url.password)
  if (pass !== '' && user === '') throw bad('the SMTP URL has a password but no user name')
  const from = settings.from ?? (user.includes('@') ? user : undefined)
  if (from === undefined)
    throw bad(
      'no sender address: set "from" in smtp (or SHUTTERPROOF_SMTP_FROM), e.g. "Jane Doe Photography <studio@example.com>"',
    )
  const parsed = /^\s*(?:"?([^"<]*?)"?\s*<([^<>\s]+@[^<>\s]+)>|([^<>\s]+@[^<>\s]+))\s*$/.exec(from)
  if (!parsed)
    throw bad(
      `the sender ${JSON.stringify(from)} is not an address (e.g. "Jane Doe Photography <studio@example.com>")`,
    )
  const photographer = (parsed[1] ?? '').trim() || (parsed[2] ?? parsed[3])!
  let ca: string[] | undefined
  if (settings.caFile !== undefined) {
    if (typeof settings.caFile !== 'string' || settings.caFile === '')
      throw bad('smtp.caFile must be the path of a PEM file')
    try {
      ca = [...rootCertificates, readFileSync(settings.caFile, 'utf8')]
    } catch (err) {
      throw bad(
        `cannot read smtp.caFile ${settings.caFile} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      )
    }
  }
  const timeoutMs = parseDuration(settings.timeout ?? '20s', 'smtp.timeout')
  const mode = secure ? 'TLS' : requireTLS ? 'STARTTLS' : 'STARTTLS if offered'
  const resolved: SmtpTransportSettings = {
    host,
    port,
    secure,
    requireTLS,
    from: from.trim(),
    photographer,
    timeoutMs,
    describe: `${host}:${port} (${mode})`,
  }
  if (user !== '') resolved.auth = { user, pass }
  if (ca) resolved.ca = ca
  return resolved
}
