/**
 * `shutterproof share create|list|audit|revoke|purge|serve`: client links that expire.
 * @module
 */
import { realpathSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, relative, resolve, sep } from 'node:path'

import type { Command } from 'commander'

import { InvalidArgumentError, ShareNotFoundError } from '../errors'
import { formatDuration, parseDuration } from '../share/duration'
import { createShareHandler } from '../share/handler'
import { isScope, type ShareScope } from '../share/items'
import { openShareRegistry, type ShareInfo, type ShareRegistry } from '../share/registry'
import { isInside } from '../share/resolve'
import { sharePhotos } from '../share/share-photos'
import { previewOptionsFrom, withPreviewOptions } from './previews-command'
import type { CliContext } from './context'
import { EXIT } from './exit-codes'
import { firstLineOf as passwordFromFile, promptHidden } from './secret-input'
import { ensureHome, loadServerKey, shareHome } from './share-home'

const DEFAULT_PORT = 8765
/** How long `share purge` keeps access-log entries unless told otherwise. */
const DEFAULT_LOG_AGE = '90d'

interface HomeOptions {
  home?: string
  json?: boolean
  baseUrl?: string
}

function openState(opts: HomeOptions): { registry: ShareRegistry; serverKey: Buffer; home: string } {
  const paths = ensureHome(shareHome(opts.home))
  const serverKey = loadServerKey(paths.key)
  const baseUrl = opts.baseUrl ?? process.env.SHUTTERPROOF_SHARE_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`
  return { registry: openShareRegistry({ path: paths.db, serverKey, baseUrl }), serverKey, home: paths.home }
}

function withHome(cmd: Command): Command {
  return cmd.option('--home <dir>', 'state folder (default $SHUTTERPROOF_HOME or ~/.shutterproof)').option('--json', 'print JSON')
}

function shareLine(s: ShareInfo): string {
  const limit = s.maxDownloads === undefined ? `${s.downloads}` : `${s.downloads}/${s.maxDownloads}`
  return [s.id, s.status.padEnd(7), s.scope.padEnd(7), s.expiresAt.toISOString(), `dl ${limit}`.padEnd(8), s.hasPassword ? 'password' : 'no-pass ', s.label || '-'].join('  ')
}

export function registerShare(program: Command, ctx: CliContext): void {
  const share = program.command('share').description('Client links that expire, can be revoked, and are never indexed')
    .addHelpText('after', '\nExamples:\n  shutterproof share create ~/Photos/2026-04-26_Smith ~/Photos/2026-04-26_Smith/DCIM/100CANON/*.JPG --password generate\n  shutterproof share audit')

  withPreviewOptions(withHome(share.command('create')))
    .description('Create a link to some files of a session folder (under --scope preview, their previews: made now, or reused)')
    .argument('<session-dir>', 'the session folder')
    .argument('<files...>', 'files inside the session folder')
    .option('--scope <scope>', 'preview | full', 'preview')
    .option('--expires <duration>', 'lifetime, e.g. 7d, 36h (at most 14d)', '7d')
    .option('--password [generate]', "protect with a password: 'generate' makes one of random words; without a value it is read from SHUTTERPROOF_SHARE_PASSWORD or typed (hidden)")
    .option('--password-file <file>', 'read the password from the first line of a file')
    .option('--max-downloads <n>', 'refuse downloads after n')
    .option('--label <label>', 'a name for the link (shown to the client)')
    .option('--recipient <who>', 'who the link is for (not shown to the client)')
    .option('--base-url <url>', `where links point (default $SHUTTERPROOF_SHARE_URL or http://127.0.0.1:${DEFAULT_PORT})`)
    .addHelpText('after', '\nUnder --scope preview (the default) the link serves only previews: originals given (JPEG, RAW, …) are\nreplaced by their previews, made now or reused; the preview options below say how they are made.\n\nExamples:\n  shutterproof share create ~/Photos/2026-04-26_Smith ~/Photos/2026-04-26_Smith/DCIM/100CANON/*.CR3 --expires 7d --password generate --label "Smith selects"\n  shutterproof share create ~/Photos/2026-04-26_Smith raw/IMG_0001.CR3 --scope full --password-file pw.txt --max-downloads 3')
    .action(async (sessionDir: string, files: string[], opts: HomeOptions & Record<string, string | boolean | undefined>) => {
      const scope = opts.scope as ShareScope
      if (!isScope(scope)) ctx.usageError(`--scope must be preview or full, not ${String(opts.scope)}`)
      const password = await choosePassword(opts.password, opts.passwordFile as string | undefined, ctx)
      let maxDownloads: number | undefined
      if (opts.maxDownloads !== undefined) {
        maxDownloads = Number(opts.maxDownloads)
        if (!Number.isSafeInteger(maxDownloads) || maxDownloads < 1) ctx.usageError(`--max-downloads must be a whole number ≥ 1, not ${String(opts.maxDownloads)}`)
      }
      let session: string
      try {
        session = realpathSync(sessionDir)
        if (!statSync(session).isDirectory()) ctx.usageError(`${sessionDir} is not a folder; give the session folder first`)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') ctx.usageError(`session folder ${sessionDir} does not exist`)
        throw err
      }
      const items = files.map((f) => {
        let real: string
        try {
          real = realpathSync(f)
        } catch {
          return ctx.usageError(`${f} does not exist`)
        }
        if (!isInside(session, real) || real === session) ctx.usageError(`${f} is not inside the session folder ${sessionDir}; only files of that session can be shared`)
        if (!statSync(real).isFile()) ctx.usageError(`${f} is not a regular file`)
        return relative(session, real).split(sep).join('/')
      })
      const previews = previewOptionsFrom(ctx, opts as Parameters<typeof previewOptionsFrom>[1])
      const { registry } = openState(opts)
      try {
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
        })
        if (opts.json) {
          const { id, url, token, expiresAt, password } = created
          ctx.stdout(JSON.stringify({ id, url, token, expiresAt, ...(password ? { password } : {}), items: created.items, previews: created.previews }, null, 2) + '\n')
        } else {
          ctx.stdout(`${created.url}\n`)
          const made = created.previews.made + created.previews.reused > 0 ? ` (previews: ${created.previews.made} made, ${created.previews.reused} reused)` : ''
          ctx.stderr(`share ${created.id}: ${items.length} file(s), ${scope}${made}, expires ${created.expiresAt.toISOString()}\n`)
          if (created.password) ctx.stderr(`password: ${created.password}\n  (send it by another channel than the link; it is not shown again)\n`)
        }
      } finally {
        registry.close()
      }
    })

  withHome(share.command('list'))
    .description('List share links')
    .addHelpText('after', '\nExamples:\n  shutterproof share list\n  shutterproof share list --json --home /Volumes/Studio/.shutterproof')
    .action((opts: HomeOptions) => {
      const { registry } = openState(opts)
      try {
        const shares = registry.listShares()
        if (opts.json) ctx.stdout(JSON.stringify({ shares }, null, 2) + '\n')
        else ctx.stdout(shares.length === 0 ? 'no shares\n' : shares.map(shareLine).join('\n') + '\n')
      } finally {
        registry.close()
      }
    })

  withHome(share.command('audit'))
    .description('The monthly audit: active, expiring soon, full without password, never opened, limit reached, expired not purged')
    .addHelpText('after', '\nExamples:\n  shutterproof share audit\n  shutterproof share audit --json')
    .action((opts: HomeOptions) => {
      const { registry } = openState(opts)
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
        const total = audit.exposure.reduce((t, e) => ({ previews: t.previews + e.previews, originals: t.originals + e.originals, raw: t.raw + e.raw }), { previews: 0, originals: 0, raw: 0 })
        ctx.stdout(`what active links expose: ${total.previews} previews, ${total.originals} full-resolution originals (${total.raw} RAW)\n`)
        for (const e of audit.exposure) ctx.stdout(`  ${e.id}  ${e.scope.padEnd(7)}  ${e.previews} previews, ${e.originals} originals (${e.raw} RAW)  ${e.label || '-'}\n`)
      } finally {
        registry.close()
      }
    })

  withHome(share.command('revoke'))
    .description('Revoke a link now, or every link of a session (their pages answer 410 Gone)')
    .argument('[id]', 'the share id (see share list)')
    .option('--session <dir>', 'revoke every link of this session folder instead (its path, or its folder name when that is unique)')
    .option('--reason <reason>', 'why, for the audit')
    .addHelpText(
      'after',
      '\nExamples:\n  shutterproof share revoke k3v7qzp2m4x6b5ta --reason "sent to the wrong client"\n  shutterproof share revoke --session ~/Photos/2026-04-26_Smith --reason "client asked to take the photos down"',
    )
    .action((id: string | undefined, opts: HomeOptions & { reason?: string; session?: string }) => {
      if (id !== undefined && opts.session !== undefined) ctx.usageError('give a share id or --session DIR, not both')
      if (id === undefined && opts.session === undefined) ctx.usageError('give the share id to revoke (see share list), or --session DIR to revoke every link of a session')
      const { registry } = openState(opts)
      try {
        if (opts.session !== undefined) {
          const session = findSession(registry, opts.session)
          const before = registry.listShares({ session }).filter((s) => s.status !== 'revoked').map((s) => s.id)
          const revoked = opts.reason === undefined ? registry.revokeSession(session) : registry.revokeSession(session, opts.reason)
          const ids = before.filter((x) => registry.getShare(x)?.status === 'revoked')
          const reason = ids.length > 0 ? (registry.getShare(ids[0]!)!.revokeReason ?? '') : (opts.reason ?? '')
          if (opts.json) ctx.stdout(JSON.stringify({ session, revoked, ids, reason }, null, 2) + '\n')
          else ctx.stdout(revoked === 0 ? `no active links left for ${session}; nothing to revoke\n` : `revoked ${revoked} link(s) of ${session}: ${ids.join(', ')}\n`)
          return
        }
        const s = registry.revokeShare(id!, opts.reason ?? '')
        if (opts.json) ctx.stdout(JSON.stringify({ id: s.id, revokedAt: s.revokedAt, reason: s.revokeReason ?? '' }, null, 2) + '\n')
        else ctx.stdout(`revoked ${s.id} at ${s.revokedAt!.toISOString()}\n`)
      } finally {
        registry.close()
      }
    })

  withHome(share.command('purge'))
    .description(`Delete expired links (revoked ones too, once expired) and access-log entries older than --older-than (default ${DEFAULT_LOG_AGE})`)
    .option('--older-than <age>', `remove access-log entries older than this, e.g. 30d, 12w (default ${DEFAULT_LOG_AGE}; the last 15 minutes are always kept)`)
    .option('--dry-run', 'count what would be removed, and remove nothing')
    .addHelpText('after', '\nExamples:\n  shutterproof share purge\n  shutterproof share purge --older-than 30d --dry-run\n  shutterproof share purge --older-than 30d --json')
    .action((opts: HomeOptions & { olderThan?: string; dryRun?: boolean }) => {
      const olderThan = opts.olderThan ?? DEFAULT_LOG_AGE
      const dryRun = opts.dryRun === true
      // Checked before anything is opened: a bad value changes nothing.
      const age = parseDuration(olderThan, '--older-than')
      const { registry } = openState(opts)
      try {
        const purgedShares = registry.purgeExpired({ dryRun })
        const prunedLogEntries = registry.pruneAccessLog({ olderThan: age, dryRun })
        const entries = `access-log entr${prunedLogEntries === 1 ? 'y' : 'ies'} older than ${formatDuration(age)}`
        if (opts.json) ctx.stdout(JSON.stringify({ purgedShares, prunedLogEntries, olderThan: formatDuration(age), dryRun }, null, 2) + '\n')
        else if (dryRun) ctx.stdout(`dry run, nothing removed: would purge ${purgedShares} expired link(s) and remove ${prunedLogEntries} ${entries}\n`)
        else ctx.stdout(`purged ${purgedShares} expired link(s); removed ${prunedLogEntries} ${entries}\n`)
      } finally {
        registry.close()
      }
    })

  withHome(share.command('serve'))
    .description('Serve share links over HTTP (put TLS in front of it for the internet)')
    .option('--port <port>', `port (default ${DEFAULT_PORT}; 0 picks a free one)`)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--root <dir>', 'only serve sessions inside this folder (default: any session recorded by share create)', '/')
    .option('--photographer <name>', 'your name or studio, shown above each gallery (default $SHUTTERPROOF_PHOTOGRAPHER)')
    .addHelpText('after', '\nExamples:\n  shutterproof share serve\n  shutterproof share serve --port 8080 --root ~/Photos --photographer "Ada Lovelace Studio"')
    .action(async (opts: HomeOptions & { port?: string; host: string; root: string; photographer?: string }) => {
      const port = opts.port === undefined ? DEFAULT_PORT : Number(opts.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535) ctx.usageError(`--port must be 0 to 65535, not ${opts.port}`)
      const { registry, serverKey } = openState(opts)
      const photographer = opts.photographer ?? process.env.SHUTTERPROOF_PHOTOGRAPHER
      const server = createServer(createShareHandler({ registry, serverKey, root: opts.root, ...(photographer ? { gallery: { photographer } } : {}) }))
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(port, opts.host, resolve)
        })
        const address = server.address() as AddressInfo
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
        const url = `http://${host}:${address.port}/`
        if (opts.json) ctx.stdout(JSON.stringify({ url }) + '\n')
        else ctx.stdout(`serving share links at ${url} (Ctrl-C to stop)\n`)
        ctx.interruptIsStop = true
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) resolve()
          ctx.signal.addEventListener('abort', () => resolve(), { once: true })
        })
      } finally {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
        registry.close()
      }
      ctx.stderr('stopped\n')
      ctx.exitCode = EXIT.OK
    })
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
      throw new InvalidArgumentError(`${named.length} sessions are named ${given}: ${named.join(', ')}; give the full path with --session`)
    }
  }
  throw new ShareNotFoundError(`No share was ever created for session ${JSON.stringify(given)}; \`shutterproof share list --json\` shows each link's session`)
}

async function choosePassword(option: string | boolean | undefined, file: string | undefined, ctx: CliContext): Promise<string | undefined> {
  if (typeof option === 'string' && option !== 'generate') {
    ctx.usageError(
      'a password is never taken from the command line (it would land in shell history and ps); use --password generate, --password-file FILE, SHUTTERPROOF_SHARE_PASSWORD, or --password alone to type it',
    )
  }
  if (option === 'generate') {
    if (file !== undefined) ctx.usageError('give --password generate or --password-file, not both')
    return 'generate'
  }
  if (file !== undefined) return passwordFromFile(file)
  const env = process.env.SHUTTERPROOF_SHARE_PASSWORD
  if (env) return env
  if (option === true) {
    const noTerminal = 'no terminal to type the password on; use --password-file FILE or SHUTTERPROOF_SHARE_PASSWORD, or --password generate'
    const first = await promptHidden('Password for the link: ', noTerminal)
    const second = await promptHidden('Again: ', noTerminal)
    if (first !== second) ctx.usageError('the two passwords differ')
    return first
  }
  return undefined
}
