/** The machine a benchmark ran on, for RESULTS.md. */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'

function out(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim().split('\n')[0]! : 'not found'
}

export interface Machine {
  cpu: string
  flags: string
  cores: number
  memory: string
  filesystem: string
  kernel: string
  tools: Record<string, string>
}

const INTERESTING_FLAGS = ['avx2', 'avx512f', 'avx512vl', 'vaes', 'vpclmulqdq', 'aes', 'pclmulqdq', 'sha_ni']

export function describeMachine(workDir: string, tools: Record<string, [string, string[]]>): Machine {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? '').split(/\s+/))
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    flags: INTERESTING_FLAGS.filter((f) => flags.has(f)).join(' '),
    cores: cpus().length,
    memory: `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    filesystem: out('stat', ['-f', '-c', '%T', workDir]),
    kernel: out('uname', ['-sr']),
    tools: Object.fromEntries(Object.entries(tools).map(([k, [cmd, args]]) => [k, out(cmd, args)])),
  }
}
