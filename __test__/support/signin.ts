/** Sign-in test support: a browser-like client with its own cookies, and the code read from a mail. */
import { http, type Reply } from './share-server'
import type { SunkMail } from './smtp-sink'

/** A client with its own cookie jar (one per person in a test). */
export class Client {
  readonly cookies = new Map<string, string>()
  constructor(readonly base: string) {}

  #remember(r: Reply): Reply {
    const set = r.headers['set-cookie']
    for (const c of Array.isArray(set) ? set : set ? [set] : []) {
      const [pair] = c.split(';')
      const eq = pair!.indexOf('=')
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1))
    }
    return r
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
    return { ...(cookie ? { Cookie: cookie } : {}), ...extra }
  }

  async get(path: string): Promise<Reply> {
    return this.#remember(await http(this.base, path, { headers: this.#headers() }))
  }

  async post(path: string, fields: Record<string, string>): Promise<Reply> {
    return this.#remember(
      await http(this.base, path, {
        method: 'POST',
        headers: this.#headers({ 'Content-Type': 'application/x-www-form-urlencoded' }),
        body: new URLSearchParams(fields).toString(),
      }),
    )
  }

  /** Asks for a code for `email` on the link at `path`. */
  askCode(path: string, email: string): Promise<Reply> {
    return this.post(`${path}/signin`, { email })
  }

  /** Types a code for `email` on the link at `path`. */
  typeCode(path: string, email: string, code: string): Promise<Reply> {
    return this.post(`${path}/code`, { email, code })
  }
}

/** The 8-digit code in a sign-in mail's plain text (written `1234 5678`). */
export function codeIn(mail: SunkMail): string {
  const m = /\b(\d{4}) (\d{4})\b/.exec(mail.text ?? '')
  if (!m) throw new Error(`no code in the mail: ${mail.text}`)
  return m[1]! + m[2]!
}

/** A code that is not `code` (the next one, wrapping). */
export function otherCode(code: string): string {
  return String((Number(code) + 1) % 1e8).padStart(8, '0')
}

/** Waits until `check` holds (polling), up to `timeoutMs`. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}
