/**
 * Text from outside (file names on a card, messages quoting them) made safe to print on a
 * terminal: control characters (ESC, CR, NUL, …, C1), bidirectional overrides (RTL
 * override, isolates, marks) and line/paragraph separators become visible `\uXXXX`
 * escapes, so a hostile name cannot move the cursor, recolour the screen, hide text or
 * reorder it. Line feeds and tabs are kept: they are the layout of our own output. The
 * escapes are JSON's own, so escaping a JSON document keeps it valid and equal once
 * parsed.
 * @module
 */

// C0 controls except TAB and LF, DEL, C1 controls; Arabic letter mark, LRM/RLM,
// LS/PS, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI.
const UNSAFE =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** `text` with every control and bidi character as a visible `\uXXXX` escape. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** Whether `text` holds a character {@link escapeControls} would escape. */
export function hasControls(text: string): boolean {
  UNSAFE.lastIndex = 0
  const found = UNSAFE.test(text)
  UNSAFE.lastIndex = 0
  return found
}
