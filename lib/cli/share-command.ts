/**
 * `shutterproof share create|list|audit|revoke|purge|serve`: client links that expire.
 * @module
 */
import { closeSync, createWriteStream, openSync, realpathSync, statSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { basename, relative, resolve, sep } from 'node:path'

import type { Command } from 'commander'

import { InvalidArgumentError, ShareNotFoundError } from '../errors'
import type { RecipientAudit } from '../share/audit'
import { formatDuration, parseDuration } from '../share/duration'
import { isScope, type ShareScope } from '../share/items'
import { createShareMailer, type ShareMailer } from '../share/mail/mailer'
import { smtpSettingsFrom } from '../share/mail/smtp-settings'
import { loopbackWarning } from '../share/public-url'
import { openShareRegistry, type ShareInfo, type ShareRegistry } from '../share/registry'
import { isInside } from '../share/resolve'
import { sharePhotos } from '../share/share-photos'
import { createDeliveryLink } from '../share/delivery/create'
import { previewOptionsFrom, withPreviewOptions } from './previews-command'
import { createShareServer } from '../share/server'
import { loadTlsFiles } from '../share/tls'
import type { CliContext } from './context'
import { EXIT } from './exit-codes'
import { firstLineOf as passwordFromFile, promptHidden } from './secret-input'
import { ensureHome, loadServerKey, readShareConfig, shareHome, type ShareConfig } from './share-home'

const DEFAULT_PORT = 8765
/** How long `share purge` keeps access-log entries unless told otherwise. */
const DEFAULT_LOG_AGE = '90d'

export interface HomeOptions {
  home?: string
  json?: boolean
  publicUrl?: string
  baseUrl?: string
}

interface State {
  registry: ShareRegistry
  serverKey: Buffer
  home: string
  config: ShareConfig
}

/**
 * Opens the share home: the registry, the server key and `share.json`. Links start with
 * `--public-url`, else `$SHUTTERPROOF_SHARE_URL`, else `publicUrl` in share.json, else
 * the loopback address (only this machine can open those: the caller warns).
 */
export async function openState(opts: HomeOptions, ctx: CliContext): Promise<State> {
  const paths = ensureHome(shareHome(opts.home))
  if (paths.tightened !== undefined)
    ctx.stderr(
      `note: ${paths.home} could be entered by other users (mode ${paths.tightened.toString(8)}); made it private (700)\n`,
    )
  const config = readShareConfig(paths.config)
  const serverKey = loadServerKey(paths.key)
  const publicUrl =
    opts.publicUrl ??
    opts.baseUrl ??
    process.env.SHUTTERPROOF_SHARE_URL ??
    config.publicUrl ??
    `http://127.0.0.1:${DEFAULT_PORT}`
  return {
    registry: await openShareRegistry({ path: paths.db, serverKey, publicUrl }),
    serverKey,
    home: paths.home,
    config,
  }
}

export function warnIfLoopback(registry: ShareRegistry, ctx: CliContext): void {
  const warning = loopbackWarning(registry.publicUrl)
  if (warning) ctx.stderr(`warning: ${warning}\n`)
}

/** Commander's way to take an option several times. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value]
}

/** Where sign-in mail would come from: `SHUTTERPROOF_SMTP_URL`, else `smtp` in share.json; `undefined` when neither is set. */
function smtpOf(config: ShareConfig, home: string) {
  const settings = smtpSettingsFrom(process.env, config.smtp)
  if (settings === undefined) return undefined
  return {
    settings,
    where: process.env.SHUTTERPROOF_SMTP_URL ? 'SHUTTERPROOF_SMTP_URL' : `${home}/share.json (smtp)`,
  }
}

const NO_SMTP =
  'no SMTP server is configured, so share serve cannot mail sign-in codes: set SHUTTERPROOF_SMTP_URL (and SHUTTERPROOF_SMTP_FROM), or "smtp" in share.json; see docs/SIGNIN.md'

/** One line of the audit's per-recipient section. */
function recipientLine(r: RecipientAudit): string {
  const files = r.downloads.map((d) => `${d.item} (${d.bytes} B)`)
  if (r.archives > 0) files.push(`all.tar ×${r.archives}`)
  return [
    r.shareId,
    r.address,
    r.status === 'revoked' ? `revoked ${r.revokedAt!}` : r.status,
    `codes ${r.codesSent}${r.sendFailures ? ` (${r.sendFailures} failed)` : ''}`,
    `sign-ins ${r.signIns}${r.wrongCodes ? ` (${r.wrongCodes} wrong codes)` : ''}`,
    `downloaded: ${files.length === 0 ? 'nothing' : files.join(', ')}`,
  ].join('  ')
}

function withHome(cmd: Command): Command {
  return cmd
    .option('--home <dir>', 'state folder (default $SHUTTERPROOF_HOME or ~/.shutterproof)')
    .option('--json', 'print JSON')
}

function shareLine(s: ShareInfo): string {
  const limit = s.maxDownloads === undefined ? `${s.downloads}` : `${s.downloads}/${s.maxDownloads}`
  return [
    s.id,
    s.status.padEnd(7),
    s.scope.padEnd(7),
    s.expiresAt,
    `dl ${limit}`.padEnd(8),
    s.hasPassword ? 'password' : 'no-pass ',
    s.label || '-',
  ].join('  ')
}

export function registerShare(program: Command, ctx: CliContext): void {
  const share = program
    .command('share')
    .description('Client links that expire, can be revoked, and are never indexed')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof share create ~/Photos/2026-04-26_Smith ~/Photos/2026-04-26_Smith/DCIM/100CANON/*.JPG --password generate\n  shutterproof share audit',
    )

  withPreviewOptions(withHome(share.command('create')))
    .description(
      'Create a link to some files of a session folder (under --scope preview, their previews: made now, or reused)',
    )
    .argument('<session-dir>', 'the session folder')
    .argument('<files...>', 'files inside the session folder')
    .option('--scope <scope>', 'preview | full', 'preview')
    .option('--expires <duration>', 'lifetime, e.g. 7d, 36h (at most 14d)', '7d')
    .option(
      '--password [generate]',
      "protect with a password: 'generate' makes one of random words; without a value it is read from SHUTTERPROOF_SHARE_PASSWORD or typed (hidden); a chosen one must be hard to guess",
    )
    .option('--password-file <file>', 'read the password from the first line of a file')
    .option('--max-downloads <n>', 'refuse downloads after n')
    .option('--label <label>', 'a name for the link (shown to the client)')
    .option(
      '--recipient <who>',
      'who the link is for, as a note (not shown to the client; see --to for sign-in)',
    )
    .option(
      '--to <address>',
      'bind the link to this e-mail address: opening it asks for the address and mails a one-time code; repeat for each person (needs SMTP, see docs/SIGNIN.md)',
      collect,
      [],
    )
    .option(
      '--public-url <url>',
      `where clients reach the server, e.g. https://photos.example.com (default $SHUTTERPROOF_SHARE_URL, publicUrl in share.json, or http://127.0.0.1:${DEFAULT_PORT})`,
    )
    .option('--base-url <url>', 'former name of --public-url')
    .option(
      '--encrypted',
      "end-to-end encrypted delivery (needs --scope full): the files are sealed for a new key that travels only in the link after its #, and decrypted in the client's browser (see docs/DELIVERY.md)",
    )
    .addHelpText(
      'after',
      '\nUnder --scope preview (the default) the link serves only previews: originals given (JPEG, RAW, …) are\nreplaced by their previews, made now or reused; the preview options below say how they are made.\n\nExamples:\n  shutterproof share create ~/Photos/2026-04-26_Smith ~/Photos/2026-04-26_Smith/DCIM/100CANON/*.CR3 --expires 7d --password generate --label "Smith selects"\n  shutterproof share create ~/Photos/2026-04-26_Smith ~/Photos/2026-04-26_Smith/DCIM/100CANON/*.CR3 --to ann@example.com --to bob@example.com --label "Smith selects"\n  shutterproof share create ~/Photos/2026-04-26_Smith raw/IMG_0001.CR3 --scope full --password-file pw.txt --max-downloads 3\n  shutterproof share create ~/Photos/2026-04-26_Smith raw/*.CR3 --scope full --encrypted --expires 7d',
    )
    .action(
      async (
        sessionDir: string,
        files: string[],
        opts: HomeOptions & Record<string, string | boolean | undefined>,
      ) => {
        const scope = opts.scope as ShareScope
        if (!isScope(scope)) ctx.usageError(`--scope must be preview or full, not ${String(opts.scope)}`)
        if (opts.encrypted && scope !== 'full')
          ctx.usageError(
            '--encrypted delivers the files themselves: add --scope full (previews are not encrypted)',
          )
        if (opts.encrypted && (opts.to as unknown as string[]).length > 0)
          ctx.usageError('--encrypted links cannot be bound to recipients (--to) yet; use --password')
        const password = await choosePassword(opts.password, opts.passwordFile as string | undefined, ctx)
        let maxDownloads: number | undefined
        if (opts.maxDownloads !== undefined) {
          maxDownloads = Number(opts.maxDownloads)
          if (!Number.isSafeInteger(maxDownloads) || maxDownloads < 1)
            ctx.usageError(`--max-downloads must be a whole number ≥ 1, not ${String(opts.maxDownloads)}`)
        }
        let session: string
        try {
          session = realpathSync(sessionDir)
          if (!statSync(session).isDirectory())
            ctx.usageError(`${sessionDir} is not a folder; give the session folder first`)
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT')
            ctx.usageError(`session folder ${sessionDir} does not exist`)
          throw err
        }
        const items = files.map((f) => {
          let real: string
          try {
            real = realpathSync(f)
          } catch {
            return ctx.usageError(`${f} does not exist`)
          }
          if (!isInside(session, real) || real === session)
            ctx.usageError(
              `${f} is not inside the session folder ${sessionDir}; only files of that session can be shared`,
            )
          if (!statSync(real).isFile()) ctx.usageError(`${f} is not a regular file`)
          return relative(session, real).split(sep).join('/')
        })
        const previews = previewOptionsFrom(ctx, opts as Parameters<typeof previewOptionsFrom>[1])
        const { registry, config, home } = await openState(opts, ctx)
        const to = opts.to as unknown as string[]
        try {
          warnIfLoopback(registry, ctx)
          if (config.root !== undefined && !isInside(realRoot(config.root), session)) {
            ctx.stderr(
              `warning: ${session} is outside root ${config.root} (share.json): share serve will not serve this link\n`,
            )
          }
          if (opts.encrypted) {
            const d = await createDeliveryLink(registry, {
              session,
              files: items,
              signal: ctx.signal,
              ttl: String(opts.expires),
              ...(password === undefined ? {} : { password }),
              ...(maxDownloads === undefined ? {} : { maxDownloads }),
              label: (opts.label as string | undefined) ?? '',
              recipient: (opts.recipient as string | undefined) ?? '',
            })
            if (opts.json) {
              const { id, url, token, expiresAt, password: generated } = d
              const out = {
                id,
                url,
                token,
                expiresAt,
                ...(generated ? { password: generated } : {}),
                items: items.map((path) => ({ path, kind: 'full' })),
                previews: { made: 0, reused: 0 },
                encrypted: true,
                folder: d.folder,
              }
              ctx.stdout(JSON.stringify(out, null, 2) + '\n')
            } else {
              ctx.stdout(`${d.url}\n`)
              ctx.stderr(
                `share ${d.id}: ${items.length} file(s), end-to-end encrypted (sealed copies in ${d.folder}), expires ${d.expiresAt}\n` +
                  'the key is the part of the link after #: the server never sees it; send the whole link\n',
              )
              if (d.password)
                ctx.stderr(
                  `password: ${d.password}\n  (send it by another channel than the link; it is not shown again)\n`,
                )
            }
            return
          }
          const created = await sharePhotos(registry, {
            session,
            scope,
            files: items,
            previews: { ...previews, signal: ctx.signal },
            ttl: String(opts.expires),
            ...(password === undefined ? {} : { password }),
            ...(maxDownloads === undefined ? {} : { maxDownloads }),
            label: (opts.label as string | undefined) ?? '',
            recipient: (opts.recipient as string | undefined) ?? '',
            ...(to.length > 0 ? { recipients: to } : {}),
          })
          if (created.recipients && smtpOf(config, home) === undefined) ctx.stderr(`warning: ${NO_SMTP}\n`)
          if (opts.json) {
            const { id, url, token, expiresAt, password, recipients } = created
            ctx.stdout(
              JSON.stringify(
                {
                  id,
                  url,
                  token,
                  expiresAt,
                  ...(password ? { password } : {}),
                  ...(recipients ? { recipients } : {}),
                  items: created.items,
                  previews: created.previews,
                },
                null,
                2,
              ) + '\n',
            )
          } else {
            ctx.stdout(`${created.url}\n`)
            const made =
              created.previews.made + created.previews.reused > 0
                ? ` (previews: ${created.previews.made} made, ${created.previews.reused} reused)`
                : ''
            ctx.stderr(
              `share ${created.id}: ${items.length} file(s), ${scope}${made}, expires ${created.expiresAt}\n`,
            )
            if (created.recipients)
              ctx.stderr(
                `only for: ${created.recipients.join(', ')} (each signs in with a code e-mailed to them; forwarding the link forwards nothing)\n`,
              )
            if (created.password)
              ctx.stderr(
                `password: ${created.password}\n  (send it by another channel than the link; it is not shown again)\n`,
              )
          }
        } finally {
          registry.close()
        }
      },
    )

  withHome(share.command('list'))
    .description('List share links')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof share list\n  shutterproof share list --json --home /Volumes/Studio/.shutterproof',
    )
    .action(async (opts: HomeOptions) => {
      const { registry } = await openState(opts, ctx)
      try {
        const shares = registry.listShares()
        if (opts.json) ctx.stdout(JSON.stringify({ shares }, null, 2) + '\n')
        else ctx.stdout(shares.length === 0 ? 'no shares\n' : shares.map(shareLine).join('\n') + '\n')
      } finally {
        registry.close()
      }
    })

  withHome(share.command('audit'))
    .description(
      'The monthly audit: active, expiring soon, full without password, never opened, limit reached, expired not purged, and what each recipient did',
    )
    .addHelpText('after', '\nExamples:\n  shutterproof share audit\n  shutterproof share audit --json')
    .action(async (opts: HomeOptions) => {
      const { registry } = await openState(opts, ctx)
      try {
        const audit = registry.auditShares()
        if (opts.json) {
          ctx.stdout(JSON.stringify(audit, null, 2) + '\n')
          return
        }
        const sections: Array<[string, ShareInfo[]]> = [
          ['active', audit.active],
          ['expiring within 48h', audit.expiringSoon],
          ['full resolution without a password', audit.fullWithoutPassword],
          ['never opened', audit.neverOpened],
          ['download limit reached', audit.limitReached],
          ['expired, not purged', audit.expiredNotPurged],
        ]
        for (const [title, list] of sections) {
          ctx.stdout(`${title}: ${list.length}\n`)
          for (const s of list) ctx.stdout(`  ${shareLine(s)}\n`)
        }
        const total = audit.exposure.reduce(
          (t, e) => ({
            previews: t.previews + e.previews,
            originals: t.originals + e.originals,
            raw: t.raw + e.raw,
          }),
          { previews: 0, originals: 0, raw: 0 },
        )
        ctx.stdout(
          `what active links expose: ${total.previews} previews, ${total.originals} full-resolution originals (${total.raw} RAW)\n`,
        )
        for (const e of audit.exposure)
          ctx.stdout(
            `  ${e.id}  ${e.scope.padEnd(7)}  ${e.previews} previews, ${e.originals} originals (${e.raw} RAW)  ${e.label || '-'}\n`,
          )
        ctx.stdout(`by recipient: ${audit.byRecipient.length}\n`)
        for (const r of audit.byRecipient) ctx.stdout(`  ${recipientLine(r)}\n`)
      } finally {
        registry.close()
      }
    })

  withHome(share.command('revoke'))
    .description(
      'Revoke a link now, or every link of a session (their pages answer 410 Gone), or one recipient of a link',
    )
    .argument('[id]', 'the share id (see share list)')
    .option(
      '--session <dir>',
      'revoke every link of this session folder instead (its path, or its folder name when that is unique)',
    )
    .option(
      '--to <address>',
      'revoke only this recipient of the link: their sign-in stops at once, the other recipients go on',
    )
    .option('--reason <reason>', 'why, for the audit')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof share revoke k3v7qzp2m4x6b5ta --reason "sent to the wrong client"\n  shutterproof share revoke k3v7qzp2m4x6b5ta --to assistant@example.com --reason "left the agency"\n  shutterproof share revoke --session ~/Photos/2026-04-26_Smith --reason "client asked to take the photos down"',
    )
    .action(
      async (
        id: string | undefined,
        opts: HomeOptions & { reason?: string; session?: string; to?: string },
      ) => {
        if (id !== undefined && opts.session !== undefined)
          ctx.usageError('give a share id or --session DIR, not both')
        if (opts.to !== undefined && id === undefined)
          ctx.usageError(
            '--to ADDRESS revokes one recipient of one link: give the share id too (see share list)',
          )
        if (id === undefined && opts.session === undefined)
          ctx.usageError(
            'give the share id to revoke (see share list), or --session DIR to revoke every link of a session',
          )
        const { registry } = await openState(opts, ctx)
        try {
          if (opts.session !== undefined) {
            const session = findSession(registry, opts.session)
            const before = registry
              .listShares({ session })
              .filter((s) => s.status !== 'revoked')
              .map((s) => s.id)
            const revoked =
              opts.reason === undefined
                ? registry.revokeSession(session)
                : registry.revokeSession(session, opts.reason)
            const ids = before.filter((x) => registry.getShare(x)?.status === 'revoked')
            const reason =
              ids.length > 0 ? (registry.getShare(ids[0]!)!.revokeReason ?? '') : (opts.reason ?? '')
            if (opts.json) ctx.stdout(JSON.stringify({ session, revoked, ids, reason }, null, 2) + '\n')
            else
              ctx.stdout(
                revoked === 0
                  ? `no active links left for ${session}; nothing to revoke\n`
                  : `revoked ${revoked} link(s) of ${session}: ${ids.join(', ')}\n`,
              )
            return
          }
          if (opts.to !== undefined) {
            const r = registry.revokeRecipient(id!, opts.to, opts.reason ?? '')
            if (opts.json)
              ctx.stdout(
                JSON.stringify(
                  { id, recipient: r.address, revokedAt: r.revokedAt, reason: r.revokeReason ?? '' },
                  null,
                  2,
                ) + '\n',
              )
            else
              ctx.stdout(
                `revoked ${r.address} on ${id} at ${r.revokedAt!}; the link's other recipients go on\n`,
              )
            return
          }
          const s = registry.revokeShare(id!, opts.reason ?? '')
          if (opts.json)
            ctx.stdout(
              JSON.stringify({ id: s.id, revokedAt: s.revokedAt, reason: s.revokeReason ?? '' }, null, 2) +
                '\n',
            )
          else ctx.stdout(`revoked ${s.id} at ${s.revokedAt!}\n`)
        } finally {
          registry.close()
        }
      },
    )

  withHome(share.command('purge'))
    .description(
      `Delete expired links (revoked ones too, once expired) and access-log entries older than --older-than (default ${DEFAULT_LOG_AGE})`,
    )
    .option(
      '--older-than <age>',
      `remove access-log entries older than this, e.g. 30d, 12w (default ${DEFAULT_LOG_AGE}; the last 15 minutes are always kept)`,
    )
    .option('--dry-run', 'count what would be removed, and remove nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof share purge\n  shutterproof share purge --older-than 30d --dry-run\n  shutterproof share purge --older-than 30d --json',
    )
    .action(async (opts: HomeOptions & { olderThan?: string; dryRun?: boolean }) => {
      const olderThan = opts.olderThan ?? DEFAULT_LOG_AGE
      const dryRun = opts.dryRun === true
      // Checked before anything is opened: a bad value changes nothing.
      const age = parseDuration(olderThan, '--older-than')
      const { registry } = await openState(opts, ctx)
      try {
        const purgedShares = registry.purgeExpired({ dryRun })
        const prunedLogEntries = registry.pruneAccessLog({ olderThan: age, dryRun })
        const entries = `access-log entr${prunedLogEntries === 1 ? 'y' : 'ies'} older than ${formatDuration(age)}`
        if (opts.json)
          ctx.stdout(
            JSON.stringify(
              { purgedShares, prunedLogEntries, olderThan: formatDuration(age), dryRun },
              null,
              2,
            ) + '\n',
          )
        else if (dryRun)
          ctx.stdout(
            `dry run, nothing removed: would purge ${purgedShares} expired link(s) and remove ${prunedLogEntries} ${entries}\n`,
          )
        else ctx.stdout(`purged ${purgedShares} expired link(s); removed ${prunedLogEntries} ${entries}\n`)
      } finally {
        registry.close()
      }
    })

  withHome(share.command('serve'))
    .description(
      'Serve share links (HTTPS with --tls-cert/--tls-key, or HTTP behind a reverse proxy that terminates TLS)',
    )
    .option('--port <port>', `port (default ${DEFAULT_PORT}; 0 picks a free one)`)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option(
      '--root <dir>',
      'the folder the session folders are in: nothing outside it is served (required here or as root in share.json)',
    )
    .option(
      '--public-url <url>',
      'where clients reach the server, e.g. https://photos.example.com (its path is the base path)',
    )
    .option(
      '--base-path <path>',
      "answer under this path prefix, e.g. /share (default: the public URL's path)",
    )
    .option(
      '--trust-proxy <addresses>',
      'comma-separated proxy addresses or CIDR ranges whose X-Forwarded-For/-Proto are believed, e.g. 127.0.0.1 or loopback',
    )
    .option('--tls-cert <file>', 'PEM certificate chain: serve HTTPS directly')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option(
      '--log-file <file>',
      'append one line per request to this file (default: stdout; stderr with --json)',
    )
    .option(
      '--photographer <name>',
      'your name or studio, shown above each gallery (default $SHUTTERPROOF_PHOTOGRAPHER)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof share serve --root ~/Photos --public-url https://photos.example.com --trust-proxy 127.0.0.1\n  shutterproof share serve --root ~/Photos --host 0.0.0.0 --port 443 --tls-cert fullchain.pem --tls-key privkey.pem --public-url https://photos.example.com\n\nSee docs/DEPLOY.md for the nginx configuration, a systemd unit and backups.',
    )
    .action(async (opts: HomeOptions & ServeOptions) => {
      const port = opts.port === undefined ? DEFAULT_PORT : Number(opts.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        ctx.usageError(`--port must be 0 to 65535, not ${opts.port}`)
      const { registry, serverKey, config, home } = await openState(opts, ctx)
      let server: ReturnType<typeof createShareServer> | undefined
      let log: ReturnType<typeof createWriteStream> | undefined
      let mailer: ShareMailer | undefined
      try {
        const settings = serveSettings(opts, config, ctx)
        const photographer = opts.photographer ?? process.env.SHUTTERPROOF_PHOTOGRAPHER
        const smtp = smtpOf(config, home)
        if (smtp) mailer = createShareMailer(smtp.settings, smtp.where)
        if (settings.logFile) {
          closeSync(openSync(settings.logFile, 'a', 0o600)) // created owner-only: it holds client addresses
          log = createWriteStream(settings.logFile, { flags: 'a' })
        }
        const writeLine = log
          ? (line: string) => log!.write(line + '\n')
          : opts.json
            ? (line: string) => ctx.stderr(line + '\n')
            : (line: string) => ctx.stdout(line + '\n')
        server = createShareServer({
          registry,
          serverKey,
          root: settings.root,
          ...(settings.trustProxy ? { trustProxy: settings.trustProxy } : {}),
          ...(photographer ? { gallery: { photographer } } : {}),
          ...(opts.basePath !== undefined ? { basePath: opts.basePath } : {}),
          ...(settings.tls ? { tls: settings.tls } : {}),
          ...(mailer ? { mailer } : {}),
          requestLog: writeLine,
          log: (line) => ctx.stderr(`${new Date().toISOString()} ${line}\n`),
        })
        await new Promise<void>((resolve, reject) => {
          server!.once('error', reject)
          server!.listen(port, opts.host, resolve)
        })
        const address = server.address() as AddressInfo
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
        const url = `${settings.tls ? 'https' : 'http'}://${host}:${address.port}/`
        if (opts.json)
          ctx.stdout(
            JSON.stringify({ url, publicUrl: registry.publicUrl, mail: mailer?.describe ?? null }) + '\n',
          )
        else
          ctx.stdout(
            `serving share links at ${url} (links start with ${registry.publicUrl}; Ctrl-C to stop)\n`,
          )
        warnIfLoopback(registry, ctx)
        void checkMail(mailer, registry, ctx) // in the background: a slow SMTP server must not delay serving or Ctrl-C
        ctx.interruptIsStop = true
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve()
          ctx.signal.addEventListener('abort', () => resolve(), { once: true })
        })
      } finally {
        if (server?.listening) {
          server.closeAllConnections()
          await new Promise<void>((resolve) => server!.close(() => resolve()))
        }
        mailer?.close()
        registry.close()
        if (log) await new Promise<void>((resolve) => log!.end(() => resolve()))
      }
      ctx.stderr('stopped\n')
      ctx.exitCode = EXIT.OK
    })
}

/**
 * Says at start whether sign-in mail can go out: connects and logs in to the SMTP server
 * (a failure is a warning, not a stop: the links without recipients still work, and the
 * sign-in pages say mail cannot be sent until the server answers again).
 */
async function checkMail(
  mailer: ShareMailer | undefined,
  registry: ShareRegistry,
  ctx: CliContext,
): Promise<void> {
  if (!mailer) {
    const bound = registry.listShares().filter((s) => s.status === 'active' && s.recipients.length > 0).length
    if (bound > 0) ctx.stderr(`warning: ${bound} active link(s) are bound to recipients, but ${NO_SMTP}\n`)
    return
  }
  try {
    await mailer.verify()
    ctx.stderr(`sign-in mail goes through ${mailer.describe}\n`)
  } catch (err) {
    ctx.stderr(
      `warning: cannot send sign-in mail: ${(err as Error).message}; clients are told to try again later until it works\n`,
    )
  }
}

interface ServeOptions {
  port?: string
  host: string
  root?: string
  basePath?: string
  trustProxy?: string
  tlsCert?: string
  tlsKey?: string
  logFile?: string
  photographer?: string
}

/** `share serve`'s settings: each option, else its field in share.json; checked before anything listens. */
function serveSettings(opts: ServeOptions, config: ShareConfig, ctx: CliContext) {
  const root = opts.root ?? config.root
  if (root === undefined) {
    ctx.usageError(
      'share serve needs --root DIR: the folder your session folders are in (or "root" in share.json in the share home); nothing outside it is served',
    )
  }
  let rootStat
  try {
    rootStat = statSync(root)
  } catch {
    return ctx.usageError(`--root ${root} does not exist; give the folder your session folders are in`)
  }
  if (!rootStat.isDirectory()) ctx.usageError(`--root ${root} is not a folder`)
  const trustProxy =
    opts.trustProxy !== undefined
      ? opts.trustProxy
          .split(',')
          .map((a) => a.trim())
          .filter(Boolean)
      : config.trustProxy
  const certPath = opts.tlsCert ?? config.tlsCert
  const keyPath = opts.tlsKey ?? config.tlsKey
  if ((certPath === undefined) !== (keyPath === undefined))
    ctx.usageError('give both --tls-cert and --tls-key (or neither, behind a proxy that terminates TLS)')
  const tls = certPath !== undefined ? loadTlsFiles(certPath, keyPath!) : undefined
  return { root, trustProxy, tls, logFile: opts.logFile ?? config.logFile }
}

/** The real path of the configured root, or the path as given when it does not exist. */
export function realRoot(root: string): string {
  try {
    return realpathSync(root)
  } catch {
    return resolve(root)
  }
}

/**
 * The session a `--session` value names: its real path when it exists, else the path as
 * given (a session folder moved or deleted since), else, for a bare folder name, the one
 * recorded session with that name.
 */
function findSession(registry: ShareRegistry, given: string): string {
  const sessions = [...new Set(registry.listShares().map((s) => s.session))]
  let path: string
  try {
    path = realpathSync(given)
  } catch {
    path = resolve(given)
  }
  if (sessions.includes(path)) return path
  if (!given.includes('/') && !given.includes(sep)) {
    const named = sessions.filter((s) => basename(s) === given)
    if (named.length === 1) return named[0]!
    if (named.length > 1) {
      throw new InvalidArgumentError(
        `${named.length} sessions are named ${given}: ${named.join(', ')}; give the full path with --session`,
      )
    }
  }
  throw new ShareNotFoundError(
    `No share was ever created for session ${JSON.stringify(given)}; \`shutterproof share list --json\` shows each link's session`,
  )
}

/**
 * The password a new link gets: generated, from a file, or, only when `--password` asks
 * for one, from SHUTTERPROOF_SHARE_PASSWORD or typed. The variable alone never protects
 * a link: a value left in the environment must not silently apply to every share.
 */
async function choosePassword(
  option: string | boolean | undefined,
  file: string | undefined,
  ctx: CliContext,
): Promise<string | undefined> {
  if (typeof option === 'string' && option !== 'generate') {
    ctx.usageError(
      'a password is never taken from the command line (it would land in shell history and ps); use --password generate, --password-file FILE, or --password alone (then SHUTTERPROOF_SHARE_PASSWORD, or typed)',
    )
  }
  if (option === 'generate') {
    if (file !== undefined) ctx.usageError('give --password generate or --password-file, not both')
    return 'generate'
  }
  if (file !== undefined) return passwordFromFile(file)
  if (option === true) {
    const env = process.env.SHUTTERPROOF_SHARE_PASSWORD
    if (env) return env
    const noTerminal =
      'no terminal to type the password on; use --password-file FILE, or --password with SHUTTERPROOF_SHARE_PASSWORD set, or --password generate'
    const first = await promptHidden('Password for the link: ', noTerminal)
    const second = await promptHidden('Again: ', noTerminal)
    if (first !== second) ctx.usageError('the two passwords differ')
    return first
  }
  return undefined
}
