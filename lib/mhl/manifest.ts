/**
 * One ASC MHL v2.0 manifest (`.mhl` file): written from a generation's files, read back
 * into plain objects. Files only, no directory hashes (see {@link writeGeneration}).
 * @internal
 * @module
 */
import { InvalidArgumentError, MhlError } from '../errors'
import { c4FromSha512Hex, isC4Id } from './c4'
import { nativeTree } from './native-tree'
import { saxTree } from './sax-tree'
import {
  MHL_HASH_FORMATS,
  type MhlAction,
  type MhlAuthor,
  type MhlCreator,
  type MhlDirectoryEntry,
  type MhlFileEntry,
  type MhlFileInput,
  type MhlGeneration,
  type MhlHashFormat,
  type MhlHashRecord,
  type MhlProcess,
} from './types'
import {
  attrOf,
  checkXmlText,
  childOf,
  childrenOf,
  escapeAttribute,
  escapeText,
  parseXml,
  parseXmlDate,
  textOf,
  xmlDate,
  type XmlNode,
} from './xml'

const PROCESSES: readonly MhlProcess[] = ['in-place', 'transfer', 'flatten']
const ACTIONS: readonly MhlAction[] = ['original', 'verified', 'failed']
const HEX_LENGTH: Record<Exclude<MhlHashFormat, 'c4'>, number> = {
  md5: 32,
  sha1: 40,
  xxh128: 32,
  xxh3: 16,
  xxh64: 16,
}
/** Each hex format's whole-value pattern, made once (not per hash of every file). */
const HEX_PATTERN = Object.fromEntries(
  Object.entries(HEX_LENGTH).map(([format, n]) => [format, new RegExp(`^[0-9a-fA-F]{${n}}$`)]),
) as Record<Exclude<MhlHashFormat, 'c4'>, RegExp>

/** What a manifest says, apart from where it lives and how it chains. */
export type ManifestContent = Pick<
  MhlGeneration,
  'creator' | 'process' | 'ignore' | 'files' | 'directories' | 'rootHash'
>

/** A generation to write, already checked by {@link checkFiles}. */
export interface ManifestInput {
  process: MhlProcess
  /** Sorted by path; read once, as the text is laid out. */
  files: Iterable<MhlFileInput>
  creator: MhlCreator & { hostName: string }
  creationDate: Date
  ignore: readonly string[]
}

/**
 * Checks one relative path: `/` separators, no empty, `.` or `..` segments. A backslash is a
 * legal byte of a POSIX name and is kept as is, as the reference tool writes it on
 * Linux and macOS (`Path(p).as_posix()` leaves it alone); only `/` separates folders.
 */
export function checkRelativePath(path: unknown, what = 'path'): string {
  if (typeof path !== 'string' || path === '')
    throw new InvalidArgumentError(`${what} must be a non-empty string`)
  checkXmlText(path, what)
  if (path.startsWith('/'))
    throw new InvalidArgumentError(`${what} ${JSON.stringify(path)} must be relative to the history's root`)
  if (ODD_SEGMENT.test(path))
    throw new InvalidArgumentError(`${what} ${JSON.stringify(path)} has an empty, "." or ".." segment`)
  return path
}

/** An empty, `.` or `..` segment of a `/`-separated path (tested, not split: issue #18). */
const ODD_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/
/** A `..` segment. */
const PARENT_SEGMENT = /(?:^|\/)\.\.(?:\/|$)/

function checkHashes(file: MhlFileInput): Array<[MhlHashFormat, string]> {
  const hashes = file.hashes as Record<string, unknown> | undefined
  if (!hashes || typeof hashes !== 'object')
    throw new InvalidArgumentError(`${file.path}: hashes must be an object`)
  const out: Array<[MhlHashFormat, string]> = []
  for (const [key, value] of Object.entries(hashes)) {
    if (value === undefined) continue
    if (key === 'size') {
      if (value !== file.size)
        throw new InvalidArgumentError(
          `${file.path}: hashes.size ${String(value)} differs from size ${file.size}`,
        )
      continue
    }
    if (!(MHL_HASH_FORMATS as readonly string[]).includes(key)) {
      throw new InvalidArgumentError(
        `${file.path}: ASC MHL cannot carry a ${key} hash (only ${MHL_HASH_FORMATS.join(', ')}); keep it in Shutterproof's own report`,
      )
    }
    if (typeof value !== 'string')
      throw new InvalidArgumentError(`${file.path}: the ${key} hash must be a string`)
    const format = key as MhlHashFormat
    if (format === 'c4') {
      if (isC4Id(value)) out.push([format, value])
      else if (/^[0-9a-fA-F]{128}$/.test(value)) out.push([format, c4FromSha512Hex(value)])
      else
        throw new InvalidArgumentError(`${file.path}: c4 must be a C4 ID or the 128 hex digits of a SHA-512`)
      continue
    }
    if (!HEX_PATTERN[format].test(value)) {
      throw new InvalidArgumentError(
        `${file.path}: ${format} must be ${HEX_LENGTH[format]} hex digits, got ${JSON.stringify(value)}`,
      )
    }
    out.push([format, value.toLowerCase()])
  }
  if (out.length === 0)
    throw new InvalidArgumentError(`${file.path}: at least one of ${MHL_HASH_FORMATS.join(', ')} is needed`)
  return out.sort((a, b) => MHL_HASH_FORMATS.indexOf(a[0]) - MHL_HASH_FORMATS.indexOf(b[0]))
}

/** Checks a generation's files and returns them sorted by path (code unit order). */
export function checkFiles(files: readonly MhlFileInput[]): MhlFileInput[] {
  if (!Array.isArray(files)) throw new InvalidArgumentError('files must be an array')
  const seen = new Set<string>()
  for (const file of files) {
    checkFile(file)
    if (seen.has(file.path)) throw new InvalidArgumentError(`${file.path} is listed twice`)
    seen.add(file.path)
  }
  return [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/** Checks one file of a generation (path, size, date, action, hashes). */
export function checkFile(file: MhlFileInput): void {
  if (!file || typeof file !== 'object') throw new InvalidArgumentError('each file must be an object')
  checkRelativePath(file.path, 'file path')
  if (!Number.isSafeInteger(file.size) || file.size < 0)
    throw new InvalidArgumentError(`${file.path}: size must be a whole number ≥ 0`)
  if (!(file.lastModified instanceof Date) || Number.isNaN(file.lastModified.getTime())) {
    throw new InvalidArgumentError(`${file.path}: lastModified must be a valid Date`)
  }
  if (!ACTIONS.includes(file.action))
    throw new InvalidArgumentError(`${file.path}: action must be one of ${ACTIONS.join(', ')}`)
  checkHashes(file)
}

function authorsOf(author: MhlCreator['author']): MhlAuthor[] {
  if (author === undefined) return []
  if (typeof author === 'string') return [{ name: author }]
  return Array.isArray(author) ? [...author] : [author as MhlAuthor]
}

/** The manifest's XML text, laid out like the reference tool's (two-space indents). */
export function renderManifest(input: ManifestInput): string {
  return [...renderManifestLines(input)].join('')
}

/**
 * {@link renderManifest}'s text line by line (each with its `\n`), one file at a time:
 * a generation of any size is written without ever being one string in memory.
 */
export function* renderManifestLines(input: ManifestInput): Generator<string> {
  const { creator, creationDate } = input
  const date = xmlDate(creationDate)
  yield '<?xml version="1.0" encoding="UTF-8"?>\n'
  yield '<hashlist version="2.0" xmlns="urn:ASC:MHL:v2.0">\n'
  yield '  <creatorinfo>\n'
  yield `    <creationdate>${date}</creationdate>\n`
  yield `    <hostname>${escapeText(creator.hostName)}</hostname>\n`
  const version = creator.version === undefined ? '' : ` version="${escapeAttribute(creator.version)}"`
  yield `    <tool${version}>${escapeText(creator.tool)}</tool>\n`
  for (const a of authorsOf(creator.author)) {
    let attrs = ''
    for (const key of ['email', 'phone', 'role'] as const) {
      const v = a[key]
      if (v !== undefined) attrs += ` ${key}="${escapeAttribute(v)}"`
    }
    yield `    <author${attrs}>${escapeText(a.name)}</author>\n`
  }
  if (creator.location !== undefined) yield `    <location>${escapeText(creator.location)}</location>\n`
  if (creator.comment !== undefined) yield `    <comment>${escapeText(creator.comment)}</comment>\n`
  yield `  </creatorinfo>\n  <processinfo>\n    <process>${input.process}</process>\n`
  if (input.ignore.length > 0) {
    yield '    <ignore>\n'
    for (const p of input.ignore) yield `      <pattern>${escapeText(p)}</pattern>\n`
    yield '    </ignore>\n'
  }
  yield '  </processinfo>\n'
  let any = false
  for (const file of input.files) {
    if (!any) yield '  <hashes>\n'
    any = true
    let text = `    <hash>\n      <path size="${file.size}" lastmodificationdate="${xmlDate(file.lastModified)}">${escapeText(file.path)}</path>\n`
    for (const [format, value] of checkHashes(file))
      text += `      <${format} action="${file.action}" hashdate="${date}">${value}</${format}>\n`
    yield text + '    </hash>\n'
  }
  if (any) yield '  </hashes>\n'
  yield '</hashlist>\n'
}

function invalid(path: string, message: string): MhlError {
  return new MhlError('E_MHL_INVALID', `${path}: ${message}`, { path })
}

function hashRecords(
  node: unknown,
  where: string,
  path: string,
): Partial<Record<MhlHashFormat, MhlHashRecord>> {
  const out: Partial<Record<MhlHashFormat, MhlHashRecord>> = {}
  for (const format of MHL_HASH_FORMATS) {
    const el = childOf(node, format)
    if (el === undefined) continue
    const value = textOf(el)?.trim()
    if (!value) throw invalid(path, `empty ${format} hash for ${where}`)
    if (format === 'c4' ? !isC4Id(value) : !HEX_PATTERN[format].test(value)) {
      const shape = format === 'c4' ? 'a C4 ID' : `${HEX_LENGTH[format]} hex digits`
      throw invalid(
        path,
        `the ${format} hash for ${where} is not ${shape}: ${JSON.stringify(value.slice(0, 140))}`,
      )
    }
    const record: MhlHashRecord = { value }
    const action = attrOf(el, 'action')
    if (action !== undefined) {
      if (!ACTIONS.includes(action as MhlAction))
        throw invalid(path, `unknown action ${JSON.stringify(action)} for ${where}`)
      record.action = action as MhlAction
    }
    const hashDate = parseXmlDate(attrOf(el, 'hashdate'))
    if (hashDate) record.hashDate = hashDate
    out[format] = record
  }
  return out
}

/**
 * Refuses a recorded path that would lead out of the history's root when joined to it
 * (absolute, a `..` segment, a NUL): verification reads and hashes the file it names.
 */
function checkRecordedPath(recorded: string, path: string): string {
  if (recorded.startsWith('/') || recorded.includes('\0') || PARENT_SEGMENT.test(recorded)) {
    throw invalid(
      path,
      `the path ${JSON.stringify(recorded)} leads out of the history's root; a manifest only names files under it`,
    )
  }
  return recorded
}

function directoryEntry(node: unknown, dirPath: string, path: string): MhlDirectoryEntry {
  const entry: MhlDirectoryEntry = {
    path: dirPath,
    content: hashRecords(childOf(node, 'content'), dirPath, path),
    structure: hashRecords(childOf(node, 'structure'), dirPath, path),
  }
  const lastModified = parseXmlDate(attrOf(childOf(node, 'path'), 'lastmodificationdate'))
  if (lastModified) entry.lastModified = lastModified
  return entry
}

/** The `<hash>` entries of a (piece of) `<hashes>`, checked. */
function fileEntries(hashes: unknown, path: string): MhlFileEntry[] {
  return childrenOf(hashes, 'hash').map((h) => {
    const p = childOf(h, 'path')
    const filePath = textOf(p)
    if (!filePath) throw invalid(path, 'a <hash> has no <path>')
    checkRecordedPath(filePath, path)
    const entry: MhlFileEntry = { path: filePath, hashes: hashRecords(h, filePath, path) }
    if (Object.keys(entry.hashes).length === 0) throw invalid(path, `no hash for ${filePath}`)
    const size = attrOf(p, 'size')
    if (size !== undefined) {
      if (!/^\d+$/.test(size))
        throw invalid(path, `size ${JSON.stringify(size)} of ${filePath} is not a whole number`)
      entry.size = Number(size)
    }
    const lastModified = parseXmlDate(attrOf(p, 'lastmodificationdate'))
    if (lastModified) entry.lastModified = lastModified
    const created = parseXmlDate(attrOf(p, 'creationdate'))
    if (created) entry.creationDate = created
    const previous = textOf(childOf(h, 'previousPath'))
    if (previous) entry.previousPath = previous
    return entry
  })
}

/** The `<directoryhash>` entries of a (piece of) `<hashes>`, checked. */
function directoryEntries(hashes: unknown, path: string): MhlDirectoryEntry[] {
  return childrenOf(hashes, 'directoryhash').map((d) => {
    const dirPath = textOf(childOf(d, 'path'))
    if (!dirPath) throw invalid(path, 'a <directoryhash> has no <path>')
    checkRecordedPath(dirPath, path)
    return directoryEntry(d, dirPath, path)
  })
}

/** `<hash>` elements per piece of {@link splitHashes}. @internal */
export const PIECE = 500

/**
 * The `<hashes>` element holding `body`, a piece of a manifest's `<hashes>` content;
 * throws `E_MHL_INVALID` when the piece is not well-formed. The native parser first
 * ({@link nativeTree}): it does without the JS parser's cold JIT and garbage, which cost
 * the verdict after a 2,000-file ingest ~100 ms per drive (issue #18). It accepts only
 * plain XML that saxes accepts too, and declines the rest rather than mimic saxes's
 * corners (attribute-value normalization, CR folding, comments, CDATA…), so what it
 * answers is what saxes would have answered. Then saxes (checks and builds in one pass);
 * a piece it declines (e.g. an HTML entity, which fast-xml-parser decodes) takes
 * fast-xml-parser's validator and parser, whose message names the line. @internal
 */
export function hashesOfPiece(body: string, path: string): unknown {
  const xml = `<hashes>${body}</hashes>`
  return childOf(nativeTree(xml) ?? saxTree(xml) ?? parseXml(xml, path), 'hashes')
}

/**
 * A manifest cut into its skeleton (the `<hashes>` element left empty) and the content of
 * `<hashes>` in pieces that end after a `</hash>` or `</directoryhash>` followed by the
 * next entry; undefined when the text has anything that makes a cut unsafe (comments,
 * CDATA, processing instructions or a DOCTYPE, a prefixed `<hashes>`), which is then
 * parsed whole. Well-formed XML has no raw `<` in text or attributes, so every tag found
 * is a tag. @internal
 */
export function splitHashes(xml: string): { skeleton: string; bodies: string[] } | undefined {
  const open = /<hashes\s*>/.exec(xml)
  const close = xml.lastIndexOf('</hashes>')
  if (!open || close < open.index) return undefined
  const start = open.index + open[0].length
  // Anywhere in the text (a comment before <hashes> could hold a fake one); only the XML declaration may be there.
  if (/<!|<\?(?!xml\s)/.test(xml)) return undefined
  const bodies: string[] = []
  const end = /<\/(?:hash|directoryhash)>(?=\s*(?:<hash>|<directoryhash>|$))/g
  let from = start
  let count = 0
  const body = xml.slice(0, close)
  end.lastIndex = start
  for (let m = end.exec(body); m; m = end.exec(body)) {
    if (++count < PIECE) continue
    bodies.push(body.slice(from, end.lastIndex))
    from = end.lastIndex
    count = 0
  }
  bodies.push(body.slice(from))
  return { skeleton: xml.slice(0, start) + xml.slice(close), bodies }
}

/**
 * Parses a manifest's XML; throws `E_MHL_INVALID` (naming `path`) when it is not ASC MHL
 * v2.0. With `onFiles`, the file entries are handed to it a piece of a few hundred at a
 * time, in order, and not kept (`files` is then empty): a caller that folds them keeps
 * only what it needs. A manifest found invalid after some pieces were handed over still
 * throws.
 */
export function parseManifest(
  xml: string,
  path: string,
  onFiles?: (files: MhlFileEntry[]) => void,
): ManifestContent {
  const pieces = splitHashes(xml)
  const doc = parseXml(pieces ? pieces.skeleton : xml, path, pieces ? xml : undefined)
  const head = headerOf(doc, path)
  // The <hashes> element in pieces of a few hundred entries, each parsed when its turn
  // comes: parsing a whole manifest at once takes ~20 × its size in objects; a piece at a
  // time (and, with `onFiles`, nothing kept), memory stays flat in the file count.
  const hashesNodes: Iterable<unknown> = pieces
    ? (function* () {
        for (const b of pieces.bodies) yield hashesOfPiece(b, path)
      })()
    : [childOf(head.root, 'hashes')]
  const files: MhlFileEntry[] = []
  const directories: MhlDirectoryEntry[] = []
  for (const hashes of hashesNodes)
    addEntries(hashes, path, onFiles ?? ((piece) => files.push(...piece)), directories)
  return contentOf(head, files, directories, path)
}

/** What a manifest says outside `<hashes>`, checked. @internal */
export interface Header {
  root: unknown
  processInfo: unknown
  creator: ManifestContent['creator']
  process: MhlProcess
  ignore: string[]
}

/** The entries of one (piece of) `<hashes>`: files to `onFiles`, directories to `directories`. @internal */
export function addEntries(
  hashes: unknown,
  path: string,
  onFiles: (files: MhlFileEntry[]) => void,
  directories: MhlDirectoryEntry[],
): void {
  onFiles(fileEntries(hashes, path))
  for (const d of directoryEntries(hashes, path)) directories.push(d)
}

/** A manifest's content from its header and entries. @internal */
export function contentOf(
  head: Header,
  files: MhlFileEntry[],
  directories: MhlDirectoryEntry[],
  path: string,
): ManifestContent {
  const { creator, process, ignore } = head
  const content: ManifestContent = { creator, process, ignore, files, directories }
  const rootHash = childOf(head.processInfo, 'roothash')
  if (rootHash) content.rootHash = directoryEntry(rootHash, '.', path)
  return content
}

/** {@link Header} of a parsed manifest (or of its skeleton). @internal */
export function headerOf(doc: XmlNode, path: string): Header {
  const root = childOf(doc, 'hashlist')
  if (!root || typeof root !== 'object') throw invalid(path, 'the root element is not <hashlist>')
  if (attrOf(root, 'version') !== '2.0')
    throw invalid(path, 'not an ASC MHL v2.0 manifest (<hashlist version="2.0">)')

  const info = childOf(root, 'creatorinfo')
  if (!info) throw invalid(path, '<creatorinfo> is missing')
  const creationDate = parseXmlDate(textOf(childOf(info, 'creationdate')))
  if (!creationDate) throw invalid(path, '<creationdate> is missing or not a date')
  const toolNode = childOf(info, 'tool')
  const tool = textOf(toolNode)?.trim()
  if (!tool) throw invalid(path, '<tool> is missing')
  const authors: MhlAuthor[] = childrenOf(info, 'author').map((a) => {
    const author: MhlAuthor = { name: textOf(a)?.trim() ?? '' }
    for (const key of ['email', 'phone', 'role'] as const) {
      const v = attrOf(a, key)
      if (v !== undefined) author[key] = v
    }
    return author
  })
  const creator: ManifestContent['creator'] = {
    tool,
    hostName: textOf(childOf(info, 'hostname'))?.trim() ?? '',
    authors,
    creationDate,
  }
  const version = attrOf(toolNode, 'version')
  if (version !== undefined) creator.version = version
  if (authors.length > 0) creator.author = authors.length === 1 ? authors[0]! : authors
  const location = textOf(childOf(info, 'location'))
  if (location !== undefined) creator.location = location
  const comment = textOf(childOf(info, 'comment'))
  if (comment !== undefined) creator.comment = comment

  const processInfo = childOf(root, 'processinfo')
  const process = textOf(childOf(processInfo, 'process'))?.trim()
  if (!PROCESSES.includes(process as MhlProcess))
    throw invalid(path, `<process> must be one of ${PROCESSES.join(', ')}`)
  const ignore = childrenOf(childOf(processInfo, 'ignore'), 'pattern').map((p) => textOf(p) ?? '')

  return { root, processInfo, creator, process: process as MhlProcess, ignore }
}
