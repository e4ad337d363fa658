/** Demo step: a throwaway vault, and its recovery kit printed as a photographer would print it. */
import { generatePassphrase } from '../../keys/passphrase'
import { createVault } from '../../keys/vault'
import type { DemoContext } from '../context'

export async function vaultStep(ctx: DemoContext): Promise<string> {
  const { passphrase, entropyBits } = generatePassphrase({ words: 6 })
  const { vault, recoveryKit } = await createVault(ctx.vaultPath, { passphrase })
  ctx.vault = vault
  ctx.passphrase = passphrase
  console.log(`  passphrase (demo only; a real one is never printed): ${passphrase}`)
  console.log(recoveryKit.text.replace(/^/gm, '  │ '))
  return `vault ${vault.keyId} (Argon2id 64 MiB, t=3, p=4; passphrase of ${entropyBits} bits; 24-word recovery kit)`
}
