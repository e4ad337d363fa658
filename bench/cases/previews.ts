/**
 * Case G: client previews. 24-megapixel camera JPEGs → 2048 px previews, ours (makePreviews
 * in process, and the CLI) against vipsthumbnail (one process, and one per core) and
 * ImageMagick (one convert per file, one per core); RAW embedded-preview extraction from
 * DNGs (48 MB sensor data, a 1620 px embedded JPEG) against ExifTool and exiv2 extracting
 * the same JPEG and `cat` reading the whole files from disk; peak RSS of each.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'

import { ExifTool } from 'exiftool-vendored'

import { scene, writeSampleDng, writeSampleJpeg } from '../../lib/demo/pictures'
import { rawContents } from '../../lib/previews/raw'
import { makePreviews } from '../../lib/previews/run'
import type { BenchContext } from '../lib/context'
import { evict, WORK } from '../lib/files'
import { command, inProcess, interleave, median, type Contender } from '../lib/measure'
import { atLeast, atMost, find, reference, type CaseResult, type Row, type Table } from '../lib/report'
import { peakAnonRss } from '../lib/rss'

const CORES = availableParallelism()
/** Debian's ImageMagick (a stand-in named convert may come first on PATH). */
const CONVERT = ['/usr/bin/convert-im6.q16', '/usr/bin/convert', '/usr/bin/magick'].find(existsSync)
const VIPSTHUMBNAIL = '/usr/bin/vipsthumbnail'
const EXIFTOOL = '/usr/bin/exiftool'
const EXIV2 = '/usr/bin/exiv2'

/** Camera-like inputs, made once and kept under bench/.work. */
async function inputs(
  kind: 'jpeg' | 'dng',
  count: number,
): Promise<{ dir: string; files: string[]; bytes: number }> {
  const dir = join(WORK, `previews-${kind}-${count}`)
  const done = join(dir, '.complete')
  if (!existsSync(done)) {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const et = new ExifTool({ maxProcs: 1 })
    try {
      for (let i = 1; i <= count; i++) {
        const name = join(dir, `IMG_${String(i).padStart(4, '0')}.${kind === 'jpeg' ? 'JPG' : 'DNG'}`)
        const orientation = i % 2 === 0 ? 6 : 1
        if (kind === 'jpeg') {
          // 6000 × 4000 (24 MP) with film grain, quality 92: about 8–10 MB, like a camera JPEG.
          const picture = await scene(i, orientation === 6 ? 4000 : 6000, orientation === 6 ? 6000 : 4000)
          await writeSampleJpeg(et, name, {
            index: i,
            width: picture.width,
            height: picture.height,
            orientation,
            quality: 92,
            scene: picture,
          })
        } else {
          await writeSampleDng(et, name, {
            index: i,
            width: 3000,
            height: 2000,
            orientation,
            mosaicWidth: 6000,
            mosaicHeight: 4000,
            previewLongEdge: 1620,
          })
        }
      }
    } finally {
      await et.end()
    }
    spawnSync('touch', [done])
  }
  const files = readdirSync(dir)
    .filter((f) => !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f))
  const bytes = files.reduce(
    (n, f) => n + Number(spawnSync('stat', ['-c', '%s', f], { encoding: 'utf8' }).stdout),
    0,
  )
  return { dir, files, bytes }
}

/** What makePreviews does to find and read each RAW file's preview, without making the preview. */
async function extractAll(files: readonly string[], procs: number): Promise<void> {
  const et = new ExifTool({ maxProcs: procs })
  try {
    let next = 0
    const worker = async () => {
      while (next < files.length) {
        const contents = await rawContents(et, files[next++]!)
        await contents.images[0]!.jpeg()
      }
    }
    await Promise.all(Array.from({ length: procs }, worker))
  } finally {
    await et.end()
  }
}

/** A fresh output folder for a contender. */
function outFolder(name: string): string {
  const dir = join(WORK, 'previews-out', name)
  rmSync(dir, { recursive: true, force: true })
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Rows in seconds with "previews per second" carried in the name. */
function rows(timings: Awaited<ReturnType<typeof interleave>>, count: number): Row[] {
  return timings.map((t) => ({
    name: `${t.name} — ${(count / t.median).toFixed(2)} pictures/s`,
    median: t.median,
    min: t.min,
    unit: 's' as const,
  }))
}

function byPrefix(list: Row[], prefix: string): Row {
  return find(list, list.find((r) => r.name.startsWith(prefix))?.name ?? prefix)
}

export async function previewsCase(ctx: BenchContext): Promise<CaseResult> {
  const count = ctx.quick ? 2 : 12
  const node = process.execPath
  const notes: string[] = []
  const jpegs = await inputs('jpeg', count)
  const dngs = await inputs('dng', count)
  const session = (name: string, src: { files: string[] }) => {
    // Ours works on a session folder: hard links to the inputs, previews into .shutterproof/previews.
    const dir = outFolder(name)
    for (const f of src.files) spawnSync('ln', [f, join(dir, f.split('/').pop()!)])
    return dir
  }
  const oursJpeg = session('ours-jpeg', jpegs)
  const oursCliJpeg = session('ours-cli-jpeg', jpegs)
  const fresh = (dir: string) => () => rmSync(join(dir, '.shutterproof'), { recursive: true, force: true })
  /** `cmd` (a shell command on "$1") for every JPEG, CORES at once. */
  const xargs = (cmd: string): [string, string[]] => [
    'sh',
    ['-c', `printf '%s\\n' "$@" | xargs -P ${CORES} -I{} sh -c '${cmd}' _ {}`, 'sh', ...jpegs.files],
  ]
  const jpegOut = outFolder('peers-jpeg')
  const contenders: Contender[] = [
    {
      ...inProcess(`ours makePreviews (in process, ${CORES} at once; preview + thumbnail)`, () =>
        makePreviews(oursJpeg, { concurrency: CORES }),
      ),
      before: fresh(oursJpeg),
    },
    {
      ...command('ours CLI previews (node start-up included)', node, [
        ctx.cli,
        'previews',
        oursCliJpeg,
        '--quiet',
      ]),
      before: fresh(oursCliJpeg),
    },
  ]
  if (existsSync(VIPSTHUMBNAIL)) {
    contenders.push(
      command('vipsthumbnail, one process for all files', VIPSTHUMBNAIL, [
        '-s',
        '2048',
        '-o',
        `${jpegOut}/%s-a.jpg[Q=82,strip]`,
        ...jpegs.files,
      ]),
    )
    contenders.push(
      command(
        `vipsthumbnail, ${CORES} processes (xargs -P ${CORES})`,
        ...xargs(`${VIPSTHUMBNAIL} -s 2048 -o "${jpegOut}/%s-b.jpg[Q=82,strip]" "$1"`),
      ),
    )
  } else notes.push('vipsthumbnail was not found (Debian package libvips-tools): its rows are missing.')
  if (CONVERT) {
    contenders.push(
      command(
        `ImageMagick convert, ${CORES} processes (xargs -P ${CORES})`,
        ...xargs(
          `${CONVERT} "$1" -auto-orient -define jpeg:size=4096x4096 -thumbnail 2048x2048 -quality 82 "${jpegOut}/im-$(basename "$1")"`,
        ),
      ),
    )
  } else notes.push('ImageMagick was not found (Debian package imagemagick): its row is missing.')
  const jpegTimings = await interleave(contenders, Math.min(ctx.reps, 3))
  const jpegRows = rows(jpegTimings, count)
  const ours = byPrefix(jpegRows, 'ours makePreviews')
  const oursCli = byPrefix(jpegRows, 'ours CLI')
  const jpegRatios = []
  const vipsRows = jpegRows.filter((r) => r.name.startsWith('vipsthumbnail'))
  if (vipsRows.length) {
    const bestVips = vipsRows.reduce((a, b) => (a.median <= b.median ? a : b))
    jpegRatios.push(
      atLeast('speed: ours (makePreviews) / fastest vipsthumbnail', bestVips.median / ours.median, 1),
    )
    jpegRatios.push(
      reference(
        'speed: ours (CLI, with node start-up) / fastest vipsthumbnail',
        bestVips.median / oursCli.median,
        'the CLI pays node\u2019s and the libraries\u2019 start-up once per run',
      ),
    )
  }
  const im = jpegRows.find((r) => r.name.startsWith('ImageMagick'))
  if (im) jpegRatios.push(atLeast('speed: ours (makePreviews) / ImageMagick', im.median / ours.median, 1))

  // RAW: embedded-preview extraction, read from disk (the page cache is emptied before each run).
  const oursDng = session('ours-dng', dngs)
  const rawOut = outFolder('peers-dng')
  const evictAll = () => dngs.files.forEach(evict)
  const rawContenders: Contender[] = [
    {
      ...inProcess('ours makePreviews of the DNGs (extract + preview + thumbnail)', () =>
        makePreviews(oursDng, { concurrency: CORES }),
      ),
      before: () => (fresh(oursDng)(), evictAll()),
    },
    {
      ...inProcess(
        `ours extraction only (the largest embedded JPEG of each, ${CORES} at once; ExifTool start-up included)`,
        () => extractAll(dngs.files, CORES),
      ),
      before: evictAll,
    },
    {
      ...command('cat: read every whole file (the floor)', 'sh', [
        '-c',
        'cat "$@" > /dev/null',
        'sh',
        ...dngs.files,
      ]),
      before: evictAll,
    },
  ]
  if (existsSync(EXIFTOOL)) {
    rawContenders.push({
      ...command('exiftool -b -PreviewImage -w (extraction only)', EXIFTOOL, [
        '-q',
        '-b',
        '-PreviewImage',
        '-w',
        `${rawOut}/%f.jpg`,
        ...dngs.files,
      ]),
      before: () => (rmSync(rawOut, { recursive: true, force: true }), mkdirSync(rawOut), evictAll()),
    })
  } else notes.push('Debian exiftool was not found (libimage-exiftool-perl): its row is missing.')
  if (existsSync(EXIV2)) {
    rawContenders.push({
      ...command('exiv2 -ep (extraction only)', EXIV2, ['-f', '-ep', '-l', rawOut, ...dngs.files]),
      before: evictAll,
    })
  } else notes.push('exiv2 was not found: its row is missing.')
  const rawTimings = await interleave(rawContenders, Math.min(ctx.reps, 3), false)
  const rawRows = rows(rawTimings, count)
  const oursRaw = byPrefix(rawRows, 'ours makePreviews of the DNGs')
  const cat = byPrefix(rawRows, 'cat:')
  const oursExtract = byPrefix(rawRows, 'ours extraction only')
  const rawRatios = [
    atMost('time: ours extraction / reading the whole files (cat)', oursExtract.median / cat.median, 1),
    atMost('time: ours RAW previews / reading the whole files (cat)', oursRaw.median / cat.median, 1.5),
  ]
  const et = rawRows.find((r) => r.name.startsWith('exiftool'))
  if (et)
    rawRatios.push(
      reference(
        'time: ours / exiftool extraction alone',
        oursRaw.median / et.median,
        'ours also decodes, resizes and encodes two JPEGs per file',
      ),
    )

  // Peak anonymous RSS: one process per contender over the same JPEGs.
  const runs = Math.min(ctx.reps, 3)
  const peak = async (name: string, cmd: string, args: string[], before?: () => void): Promise<Row> => {
    const xs: number[] = []
    for (let r = 0; r < runs; r++) {
      before?.()
      xs.push(await peakAnonRss(cmd, args))
    }
    return { name: `${name} (peak RssAnon)`, median: median(xs), min: Math.min(...xs), unit: 'bytes' }
  }
  const rssRows: Row[] = [
    await peak(
      `ours CLI previews, ${count} JPEGs`,
      node,
      [ctx.cli, 'previews', oursCliJpeg, '--quiet'],
      fresh(oursCliJpeg),
    ),
  ]
  if (existsSync(VIPSTHUMBNAIL))
    rssRows.push(
      await peak(`vipsthumbnail, ${count} JPEGs`, VIPSTHUMBNAIL, [
        '-s',
        '2048',
        '-o',
        `${jpegOut}/%s-r.jpg[Q=82,strip]`,
        ...jpegs.files,
      ]),
    )
  if (CONVERT)
    rssRows.push(
      await peak('ImageMagick convert, 1 JPEG', CONVERT, [
        jpegs.files[0]!,
        '-auto-orient',
        '-define',
        'jpeg:size=4096x4096',
        '-thumbnail',
        '2048x2048',
        '-quality',
        '82',
        `${jpegOut}/rss.jpg`,
      ]),
    )
  rssRows.push(
    await peak(
      `ours CLI previews, ${count} DNGs`,
      node,
      [ctx.cli, 'previews', oursDng, '--quiet'],
      fresh(oursDng),
    ),
  )

  const tables: Table[] = [
    {
      title: `${count} camera JPEGs of 24 MP (${(jpegs.bytes / count / 1e6).toFixed(1)} MB each, in the page cache) → 2048 px`,
      rows: jpegRows,
      ratios: jpegRatios,
    },
    {
      title: `${count} DNGs (${(dngs.bytes / count / 1e6).toFixed(0)} MB each: 24 MP sensor data + a 1620 px embedded JPEG), read from disk`,
      rows: rawRows,
      ratios: rawRatios,
    },
    { title: 'memory', rows: rssRows, ratios: [] },
  ]
  return {
    id: 'G',
    title: 'Client previews (vs vipsthumbnail, ImageMagick; RAW vs exiftool, exiv2, cat)',
    tables,
    notes: [
      `Ours makes a 2048 px preview and a 400 px thumbnail per picture (sRGB profile attached, metadata stripped, marked), ${CORES} pictures at once; the peers make the 2048 px picture only. vipsthumbnail's second row runs ${CORES} processes at once (xargs -P), as does ImageMagick.`,
      'Inputs are made by the project (lib/demo/pictures.ts): a drawn landscape with film grain, EXIF with GPS and serial numbers, every other one stored sideways with orientation 6.',
      'The RAW rows evict the DNGs from the page cache before every run (no warm-up); ExifTool and exiv2 only extract the embedded JPEG, as does the "ours extraction only" row (the issue\u2019s goal: extraction bounded by reading the file); makePreviews extracts it and then makes the preview and thumbnail from it.',
      'Memory rows are single processes: the xargs rows would measure xargs, not its children.',
      ...notes,
    ],
  }
}
