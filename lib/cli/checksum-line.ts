/**
 * Checksum lines in exactly `b3sum`'s format (`HEX␠␠PATH`), which `xxhsum -H2` and the
 * `*sum -c` tools share. A path holding a backslash, CR or LF is escaped and the line
 * starts with a backslash, as b3sum does, so that every line stays one line.
 * @module
 */
export function checksumLine(hex: string, path: string): string {
  if (!/[\\\n\r]/.test(path)) return `${hex}  ${path}`
  const escaped = path.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r')
  return `\\${hex}  ${escaped}`
}
