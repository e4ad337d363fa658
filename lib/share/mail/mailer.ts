/**
 * The share server's mailer: nodemailer over one pooled SMTP connection, with short
 * timeouts (a server that never answers fails the send, it does not hang it), and a
 * health state the sign-in pages read: after a send fails for a reason that is not about
 * one recipient (server down, login refused, TLS refused), every sign-in page says that
 * mail cannot be sent until a send or a re-check works again — the same for everyone,
 * so it says nothing about who is a recipient.
 * @module
 */
import { createTransport } from 'nodemailer'

import { resolveSmtp, type SmtpSettings, type SmtpTransportSettings } from './smtp-settings'
import type { MailMessage } from './signin-mail'

export type { MailMessage } from './signin-mail'

/** How often, at most, a failing server is checked again. */
const RECHECK_EVERY_MS = 15_000

/** Whether mail can be sent, as far as the last send or check knows. */
export type MailHealth = { ok: true } | { ok: false; reason: string; since: Date }

/** Sends the share server's mail. Create it with {@link createShareMailer}. */
export interface ShareMailer {
  /** The photographer's name (the sender's display name). */
  readonly photographer: string
  /** The server and how it is secured, e.g. `smtp.example.com:587 (STARTTLS)`; never the password. */
  readonly describe: string
  /** Sends one message; rejects with a readable reason (never the password). */
  send(message: MailMessage): Promise<void>
  /** Connects, secures and logs in without sending; rejects with a readable reason. */
  verify(): Promise<void>
  /** The last known state. */
  health(): MailHealth
  /** When mail is failing, checks the server again in the background (at most every 15 s). */
  recheck(): void
  /** Closes the pooled connection. */
  close(): void
}

/** A reason that concerns one recipient only (a refused mailbox), which says nothing about the server's health. */
function aboutOneRecipient(err: unknown): boolean {
  const e = err as { command?: string; responseCode?: number }
  return e?.command === 'RCPT TO' && typeof e.responseCode === 'number' && e.responseCode >= 500
}

function reasonOf(err: unknown, smtp: SmtpTransportSettings): string {
  const e = err as { message?: string; code?: string; responseCode?: number }
  const text = String(e?.message ?? err)
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300)
  const hint =
    e?.code === 'EAUTH'
      ? 'the server refused the user name or password'
      : e?.code === 'ETLS' || /certificate|STARTTLS|TLS/i.test(text)
        ? 'TLS could not be set up'
        : e?.code === 'ETIMEDOUT' || /timeout|timed out|greeting/i.test(text)
          ? 'the server did not answer in time'
          : e?.code === 'ECONNECTION' || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH/.test(text)
            ? 'the server cannot be reached'
            : 'the server refused the message'
  return `${hint} (${smtp.describe}: ${text})`
}

/**
 * Creates the mailer from SMTP settings (checked now: `E_INVALID_ARGUMENT` naming `where`).
 *
 * @example
 * ```ts
 * const mailer = createShareMailer({ url: process.env.SHUTTERPROOF_SMTP_URL!, from: 'Jane Doe Photography <studio@example.com>' })
 * await mailer.verify()
 * createShareServer({ registry, serverKey, root, mailer, requestLog: console.log })
 * ```
 */
export function createShareMailer(settings: SmtpSettings, where = 'SMTP settings'): ShareMailer {
  const smtp = resolveSmtp(settings, where)
  const transport = createTransport({
    pool: true,
    maxConnections: 2,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    requireTLS: smtp.requireTLS,
    ...(smtp.auth ? { auth: smtp.auth } : {}),
    tls: { minVersion: 'TLSv1.2', servername: smtp.host, ...(smtp.ca ? { ca: smtp.ca } : {}) },
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
    disableFileAccess: true,
    disableUrlAccess: true,
  })
  let health: MailHealth = { ok: true }
  let lastCheck = 0
  const failed = (err: unknown): Error => {
    const reason = reasonOf(err, smtp)
    if (!aboutOneRecipient(err)) health = { ok: false, reason, since: health.ok ? new Date() : health.since }
    return new Error(reason)
  }
  const mailer: ShareMailer = {
    photographer: smtp.photographer,
    describe: smtp.describe,
    async send(message) {
      try {
        await transport.sendMail({
          from: smtp.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          html: message.html,
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
        })
        health = { ok: true }
      } catch (err) {
        throw failed(err)
      }
    },
    async verify() {
      lastCheck = Date.now()
      try {
        await transport.verify()
        health = { ok: true }
      } catch (err) {
        throw failed(err)
      }
    },
    health: () => health,
    recheck() {
      if (health.ok || Date.now() - lastCheck < RECHECK_EVERY_MS) return
      mailer.verify().catch(() => undefined)
    },
    close: () => transport.close(),
  }
  return mailer
}
