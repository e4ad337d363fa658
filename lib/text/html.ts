/**
 * Escaping text for the HTML pages Shutterproof writes (the offload report, the share
 * landing pages, the printed recovery kit).
 * @module
 */

/** Control and bidi-override characters, which could hide or reorder a file name. */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * Escapes text for element content and double- or single-quoted attributes; control and
 * bidi-override characters become visible `\u{…}`.
 */
export function escapeHtml(text: string): string {
  return String(text)
    .replace(CONTROL, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`)
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
