/**
 * `shutterproof report SESSION [-o FILE] [--json]`: re-renders the HTML offload report.
 * @module
 */
import type { Command } from 'commander'

import { writeOffloadReport } from '../report/write'
import type { CliContext } from './context'
import { EXIT } from './exit-codes'

export function registerReport(program: Command, ctx: CliContext): void {
  program
    .command('report')
    .description('Re-render the HTML offload report of a session folder from its newest ingest JSON report')
    .argument('<session>', 'a session folder written by ingest (holds .shutterproof/ingest-<time>.json)')
    .option(
      '-o, --output <file>',
      'where to write the HTML (default: beside the JSON report, same name with .html)',
    )
    .option('--json', 'print { "html", "json", "siblings" } (where it wrote, from what) as JSON')
    .addHelpText(
      'after',
      '\nExit codes: 0 written, 1 no readable ingest report or the HTML could not be written, 2 usage.\n\nExamples:\n  shutterproof report "/Volumes/SSD1/2026-04-26_Ada Lovelace_Wedding"\n  shutterproof report /mnt/a/2026-04-26_Ada_Portraits -o ~/Desktop/offload.html --json',
    )
    .action(async (session: string, opts: { output?: string; json?: boolean }) => {
      const w = await writeOffloadReport(session, opts.output ? { output: opts.output } : {})
      if (opts.json)
        ctx.stdout(JSON.stringify({ html: w.path, json: w.jsonPath, siblings: w.siblings }, null, 2) + '\n')
      else
        ctx.stdout(
          `wrote ${w.path}\n  from ${w.jsonPath}${w.siblings.length ? ` (+ ${w.siblings.length} other destination report${w.siblings.length === 1 ? '' : 's'} of the same run)` : ''}\n`,
        )
      ctx.exitCode = EXIT.OK
    })
}
