/**
 * `shutterproof deliver` and `unpack`: encrypted delivery archives for clients.
 * @module
 */
import type { Command } from 'commander'

import { createDelivery } from '../delivery/create'
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
    .option('--json', 'print { path, passphrase?, files: [{ name, size }], bytes }')
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
      ].join('\n'),
    )
    .action(async (files: string[], opts: { output: string; passphraseFile?: string; json?: boolean }) => {
      const passphrase = opts.passphraseFile
        ? await readPassphrase({ passphraseFile: opts.passphraseFile })
        : undefined
      const d = await createDelivery(files, opts.output, {
        ...(passphrase === undefined ? {} : { passphrase }),
        signal: ctx.signal,
      })
      if (opts.json) {
        ctx.stdout(JSON.stringify(d, null, 2) + '\n')
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
