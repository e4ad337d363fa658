/**
 * `shutterproof deliver` and `unpack`: encrypted delivery archives for clients.
 * @module
 */
import { realpathSync } from 'node:fs'
import { dirname, relative, sep } from 'node:path'

import type { Command } from 'commander'

import { createDelivery } from '../delivery/create'
import { createDeliveryLink } from '../share/delivery/create'
import { isInside } from '../share/resolve'
import { openState, realRoot, warnIfLoopback } from './share-command'
import { openDelivery } from '../delivery/open'
import { formatBytes } from '../text/units'
import type { CliContext } from './context'
import { readPassphrase } from './secret-input'

export function registerDelivery(program: Command, ctx: CliContext): void {
  program
    .command('deliver')
    .description(
      'Pack files into one encrypted archive for a client (never overwrites); prints a new passphrase unless you give one',
    )
    .argument('<files...>')
    .requiredOption('-o, --output <file>', 'the archive to write, e.g. ada-wedding.sealed')
    .option(
      '--passphrase-file <file>',
      'seal with the passphrase in this file (first line) instead of a generated one',
    )
    .option(
      '--public-url <url>',
      'also make a browser link (an end-to-end encrypted delivery link served by share serve at this address): the client opens it in any browser, no tool to install',
    )
    .option('--expires <duration>', 'lifetime of the browser link (with --public-url), at most 14d', '7d')
    .option(
      '--home <dir>',
      'share state folder for the browser link (default $SHUTTERPROOF_HOME or ~/.shutterproof)',
    )
    .option('--json', 'print { path, passphrase?, files: [{ name, size }], bytes, link? }')
    .addHelpText(
      'after',
      [
        '',
        'Without --passphrase-file a 6-word passphrase is generated and printed once; it is stored nowhere.',
        'Send it to the client another way than the archive (phone, SMS), never in the same message or link.',
        'SHUTTERPROOF_PASSPHRASE is not used here, so your own vault passphrase never ends up on a client archive.',
        '',
        'Examples:',
        '  shutterproof deliver selects/*.jpg -o ada-wedding.sealed',
        '  shutterproof deliver final.tif -o final.sealed --passphrase-file agreed.txt',
        '  shutterproof deliver ~/Photos/2026-04-26_Smith/selects/*.jpg -o smith.sealed --public-url https://photos.example.com',
      ].join('\n'),
    )
    .action(async (files: string[], opts: DeliverOptions) => {
      const passphrase = opts.passphraseFile
        ? await readPassphrase({ passphraseFile: opts.passphraseFile })
        : undefined
      const d = await createDelivery(files, opts.output, {
        ...(passphrase === undefined ? {} : { passphrase }),
        signal: ctx.signal,
      })
      const link = opts.publicUrl === undefined ? undefined : await browserLink(files, opts, ctx)
      if (opts.json) {
        ctx.stdout(JSON.stringify(link ? { ...d, link } : d, null, 2) + '\n')
        return
      }
      ctx.stdout(
        `Wrote ${d.path}: ${d.files.length} file${d.files.length === 1 ? '' : 's'}, ${formatBytes(d.bytes)} sealed.\n`,
      )
      if (d.passphrase !== undefined) {
        ctx.stdout(
          [
            '',
            `Passphrase (shown once, stored nowhere):  ${d.passphrase}`,
            '',
            'Send it to your client another way than the archive: by phone or text message,',
            'never in the same e-mail, message or link. They open it with:',
            `  shutterproof unpack ${d.path} FOLDER`,
            '',
          ].join('\n'),
        )
      }
      if (link) {
        ctx.stdout(
          [
            `Browser link (expires ${link.expiresAt}; the key is the part after #, the server never sees it):`,
            `  ${link.url}`,
            'The client opens it in a browser and saves the files; no passphrase, nothing to install.',
            '',
          ].join('\n'),
        )
      }
    })

  program
    .command('unpack')
    .description(
      'Open an encrypted delivery into a folder: only regular files, only inside it, never over existing files',
    )
    .argument('<file>', 'the .sealed delivery')
    .argument('<into>', 'the folder to unpack into (created if missing)')
    .option(
      '--passphrase-file <file>',
      'read the passphrase from a file (else SHUTTERPROOF_PASSPHRASE, else asked)',
    )
    .option('--json', 'print { dir, files: [{ name, size }] }')
    .addHelpText(
      'after',
      [
        '',
        'Nothing is written under a final name until the whole archive authenticated: a wrong passphrase,',
        'a damaged archive or a refused entry (links, devices, absolute or ../ names) leaves the folder as it was.',
        '',
        'Examples:',
        '  shutterproof unpack ada-wedding.sealed ~/Pictures/ada-wedding',
      ].join('\n'),
    )
    .action(async (file: string, into: string, opts: { passphraseFile?: string; json?: boolean }) => {
      const passphrase = await readPassphrase(opts, `Passphrase for ${file}: `)
      const r = await openDelivery(file, into, { passphrase, signal: ctx.signal })
      if (opts.json) {
        ctx.stdout(JSON.stringify(r, null, 2) + '\n')
        return
      }
      for (const f of r.files) ctx.stdout(`${f.name}  (${formatBytes(f.size)})\n`)
      ctx.stdout(`Unpacked ${r.files.length} file${r.files.length === 1 ? '' : 's'} into ${r.dir}\n`)
    })
}

interface DeliverOptions {
  output: string
  passphraseFile?: string
  json?: boolean
  publicUrl?: string
  expires: string
  home?: string
}

/** The folder every file is in (their closest common ancestor). */
function commonFolder(paths: string[]): string {
  let folder = dirname(paths[0]!)
  while (!paths.every((p) => p.startsWith(folder + sep))) folder = dirname(folder)
  return folder
}

/** `deliver --public-url`: the same files as an encrypted delivery link, served by `share serve`. */
async function browserLink(
  files: string[],
  opts: DeliverOptions,
  ctx: CliContext,
): Promise<{ id: string; url: string; expiresAt: string; folder: string }> {
  const real = files.map((f) => realpathSync(f))
  const session = commonFolder(real)
  const { registry, config } = await openState(
    { publicUrl: opts.publicUrl!, ...(opts.home ? { home: opts.home } : {}) },
    ctx,
  )
  try {
    warnIfLoopback(registry, ctx)
    if (config.root !== undefined && !isInside(realRoot(config.root), session))
      ctx.stderr(
        `warning: ${session} is outside root ${config.root} (share.json): share serve will not serve this link\n`,
      )
    const d = await createDeliveryLink(registry, {
      session,
      files: real.map((f) => relative(session, f)),
      ttl: opts.expires,
      signal: ctx.signal,
    })
    return { id: d.id, url: d.url, expiresAt: d.expiresAt, folder: d.folder }
  } finally {
    registry.close()
  }
}
