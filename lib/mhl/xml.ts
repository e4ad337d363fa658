/**
 * XML text for ASC MHL files: escaping, dates, and a parser configured for them.
 * @internal
 * @module
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser'

import { InvalidArgumentError, MhlError } from '../errors'

// Characters XML 1.0 cannot carry at all (even escaped), and lone surrogates.
const FORBIDDEN =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Whether an XML 1.0 document can represent `value` (no control characters, no lone surrogates). */
export function xmlCanHold(value: string): boolean {
  return !FORBIDDEN.test(value)
}

/** Throws when `value` holds characters no XML 1.0 document can represent. */
export function checkXmlText(value: string, what: string): void {
  if (!xmlCanHold(value))
    throw new InvalidArgumentError(
      `${what} holds a control character XML cannot carry: ${JSON.stringify(value)}`,
    )
}

// What escapeText and escapeAttribute replace: most names hold none of it, and are then
// returned as they are rather than copied four or seven times (issue #18: a 2,000-file
// ingest escaped ~10,000 paths).
const TEXT_SPECIAL = /[&<>\r]/
const ATTRIBUTE_SPECIAL = /[&<>\r"\t\n]/

/** Escapes element text; CR is kept as a reference so parsers do not fold it into LF. */
export function escapeText(value: string): string {
  if (!TEXT_SPECIAL.test(value)) return value
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;')
}

/** Escapes an attribute value in double quotes (whitespace kept as references). */
export function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIAL.test(value)) return value
  return escapeText(value).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;')
}

/** `2020-01-16T09:15:00+00:00`: xs:dateTime in UTC, to the second, as the reference tool writes. */
export function xmlDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}+00:00`
}

/** Parses an xs:dateTime; undefined when absent or not a date. */
export function parseXmlDate(value: unknown): Date | undefined {
  if (typeof value !== 'string') return undefined
  const d = new Date(value.trim())
  return Number.isNaN(d.getTime()) ? undefined : d
}

/** Elements always given as arrays, even when there is one. @internal */
export const ARRAYS: ReadonlySet<string> = new Set([
  'hash',
  'directoryhash',
  'pattern',
  'author',
  'hashlist',
  'hashlistreference',
])

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  // Also decodes numeric references such as `&#13;` (which the XML ones alone leave as they are).
  htmlEntities: true,
  ignoreDeclaration: true,
  isArray: (name) => ARRAYS.has(name),
})

/** A parsed XML node: attributes as `@_name`, text as `#text`, children by name. */
export type XmlNode = Record<string, unknown>

/**
 * Parses and checks well-formedness; throws `E_MHL_INVALID` naming the file and line.
 * `whole`, when given, is the document checked for well-formedness (`xml` being a part
 * of it that is parsed).
 */
export function parseXml(xml: string, path: string, whole: string = xml): XmlNode {
  const valid = XMLValidator.validate(whole)
  if (valid !== true) {
    throw new MhlError(
      'E_MHL_INVALID',
      `${path} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`,
      { path },
    )
  }
  return parseValidXml(xml, path)
}

/** Whether `xml` is well-formed (no message: {@link parseXml} gives it). */
export function isWellFormed(xml: string): boolean {
  return XMLValidator.validate(xml) === true
}

/** Parses XML already checked for well-formedness (a part of a checked document). */
export function parseValidXml(xml: string, path: string): XmlNode {
  try {
    return parser.parse(xml) as XmlNode
  } catch (cause) {
    throw new MhlError('E_MHL_INVALID', `${path} could not be parsed as XML: ${String(cause)}`, {
      path,
      cause,
    })
  }
}

/** Text content of an element parsed by {@link parseXml} (a string or an object with `#text`). */
export function textOf(node: unknown): string | undefined {
  if (typeof node === 'string') return node
  if (node && typeof node === 'object' && '#text' in node) {
    const t = (node as XmlNode)['#text']
    return typeof t === 'string' ? t : t == null ? undefined : String(t)
  }
  if (node && typeof node === 'object') return ''
  return undefined
}

/** An attribute of an element parsed by {@link parseXml}. */
export function attrOf(node: unknown, name: string): string | undefined {
  if (!node || typeof node !== 'object') return undefined
  const v = (node as XmlNode)[`@_${name}`]
  return typeof v === 'string' ? v : undefined
}

/** A child element (the first if repeated). */
export function childOf(node: unknown, name: string): unknown {
  if (!node || typeof node !== 'object') return undefined
  const v = (node as XmlNode)[name]
  return Array.isArray(v) ? v[0] : v
}

/** Repeated child elements as an array (empty when absent). */
export function childrenOf(node: unknown, name: string): unknown[] {
  if (!node || typeof node !== 'object') return []
  const v = (node as XmlNode)[name]
  return v === undefined ? [] : Array.isArray(v) ? v : [v]
}

/**
 * A copy of `text` that holds none of the document it was cut from. The parser's strings
 * are slices of the piece of XML they come from, and keep it all in memory as long as
 * one of them is kept (a path in a set keeps its ~100 KB piece). V8 flattens a
 * concatenation before slicing it, so the slice holds only the copy.
 */
export function detached(text: string): string {
  return (' ' + text).slice(1)
}
