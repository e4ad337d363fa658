/**
 * Demo step: an encrypted delivery of the JPEGs, its passphrase generated (to travel by
 * another channel), then unpacked as the client would and compared.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

import { createDelivery } from '../../delivery/create'
import { openDelivery } from '../../delivery/open'
import type { DemoContext } from '../context'

export async function deliveryStep(ctx: DemoContext): Promise<string> {
  const session = ctx.sessionRoots[0]!
  const files = ctx.card!.jpegs.slice(0, 3).map((p) => join(session, p))
  const out = join(ctx.work, 'demo-client-selects.sealed')
  const made = await createDelivery(files, out)
  console.log(
    `  passphrase for the client (send it by phone or SMS, never with the archive): ${made.passphrase}`,
  )
  const into = join(ctx.work, 'client-inbox')
  const opened = await openDelivery(out, into, { passphrase: made.passphrase! })
  for (const f of files) {
    const name = f.split('/').pop()!
    if (!readFileSync(join(into, name)).equals(readFileSync(f)))
      throw new Error(`${name} differs after unpacking`)
  }
  return `${opened.files.length} JPEGs in one sealed archive (${(made.bytes / 1024 / 1024).toFixed(1)} MiB), 6-word passphrase generated; unpacked and compared`
}
