/**
 * commander, as the CLI loads it. Run from source this re-exports the package; the build
 * (`npm run build:ts`) replaces the compiled file with commander bundled into one file
 * whose `node:child_process` loads only if commander spawns an executable subcommand
 * (scripts/bundle-commander.mjs; docs/CLI.md, "Start-up"). Every value the CLI takes from
 * commander comes through here: the same classes whichever way the CLI runs.
 * @module
 */
export { Command, CommanderError } from 'commander'
