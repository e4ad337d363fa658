/**
 * A demo step: a name, and an outcome that is `completed` or says exactly what failed.
 * @internal
 * @module
 */

export interface StepOutcome {
  name: string
  status: 'completed' | 'failed'
  /** One line: what was done, or what failed and why. */
  detail: string
  seconds: number
}

/** Runs a step, printing its header and result, and never throws. */
export async function runStep(name: string, work: () => Promise<string>): Promise<StepOutcome> {
  console.log(`\n▶ ${name}`)
  const t0 = performance.now()
  try {
    const detail = await work()
    const seconds = (performance.now() - t0) / 1000
    console.log(`  completed: ${detail} (${seconds.toFixed(1)} s)`)
    return { name, status: 'completed', detail, seconds }
  } catch (err) {
    const e = err as { code?: string; message?: string }
    const detail = `${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`
    const seconds = (performance.now() - t0) / 1000
    console.log(`  FAILED: ${detail}`)
    return { name, status: 'failed', detail, seconds }
  }
}

/** The final summary table; every step says `completed` or what failed. */
export function summary(outcomes: StepOutcome[]): string {
  const width = Math.max(...outcomes.map((o) => o.name.length))
  const lines = outcomes.map(
    (o) => `${o.name.padEnd(width)}  ${o.status === 'completed' ? 'completed' : 'FAILED   '}  ${o.detail}`,
  )
  const failed = outcomes.filter((o) => o.status === 'failed').length
  const verdict = failed === 0 ? 'demo: completed' : `demo: ${failed} step(s) failed`
  return ['', '── Summary ──', ...lines, '', verdict, ''].join('\n')
}
