/**
 * An ingest's progress events: the copy engine's counts (this run's files only) turned
 * into {@link IngestProgress} over the whole card, the throughput samples of the
 * report's chart, and the last event — what is finished where — right before the
 * promise resolves.
 * @module
 */
import { basename, resolve } from 'node:path'

import type { ReportedError } from '../errors'
import type { NativeCopyEvent } from '../native'
import type { ProgressPhase } from '../progress'
import type { FileTable } from './file-table'
import type { CardFiles } from './plan'
import type { ThroughputSample } from './records'
import type { ResumeEvidence } from './resume'
import { finishedStatuses } from './summary'
import type { DestinationProgress, DestinationReport, IngestProgress, VerifyMode } from './types'

type NativeProgress = NonNullable<NativeCopyEvent['progress']>
/** The copy engine's counts (none at all when it sent no event). */
type Counts = Pick<NativeProgress, 'bytesRead' | 'filesDone' | 'destinations'> & {
  currentFile?: string | null
}

/** What the events of one run are computed over. */
export interface ProgressScope {
  destinations: readonly string[]
  card: CardFiles
  resume: ResumeEvidence
  verify: VerifyMode
  /** `performance.now()` when the run started: the samples' zero. */
  startedClock: number
}

/** One run's progress: its events, its throughput samples, and which destinations failed. */
export class RunProgress {
  /** Throughput samples for the report's chart: one when the copy starts, then at most one per 0.5 s, and one at its end. */
  readonly samples: ThroughputSample[] = []
  /** Per destination, why it failed during the copy: its events then say `failed`. */
  readonly failures: Array<ReportedError | undefined>
  #last: IngestProgress | undefined
  readonly #scope: ProgressScope
  readonly #labels: string[]
  readonly #toCopyBytes: number
  readonly #rate = new Rate()
  #lastSampleAt = -Infinity

  constructor(scope: ProgressScope) {
    this.#scope = scope
    this.failures = scope.destinations.map(() => undefined)
    this.#labels = scope.destinations.map(destinationLabel)
    this.#toCopyBytes = scope.resume.toCopyBytes
  }

  /** Takes a sample of the card read, unless the last is under 0.5 s old (`force`) or was further on. */
  sample(bytesRead: number, force = false): void {
    const now = performance.now()
    if (!force && now - this.#lastSampleAt < 500) return
    const prev = this.samples.at(-1)
    if (prev && bytesRead < prev.bytes) return
    this.#lastSampleAt = now
    this.samples.push({ t: Math.round(now - this.#scope.startedClock) / 1000, bytes: bytesRead })
  }

  /** The event for an engine event's counts; remembered as the last one. */
  event(p: Counts): IngestProgress {
    this.#last = this.#make(p)
    return this.#last
  }

  /** An event over the whole card: files verified by an earlier run count as done. */
  #make(p: Counts): IngestProgress {
    const { card, resume } = this.#scope
    const cardRead = p.bytesRead >= this.#toCopyBytes
    const dests = this.#scope.destinations.map((_, i) => this.#destination(p, i, cardRead))
    const alive = dests.filter((d) => d.state !== 'failed')
    const bytes =
      alive.length > 0 ? Math.min(...alive.map((d) => d.bytesDone)) : resume.previousBytes + p.bytesRead
    const throughput = this.#rate.add(bytes)
    const left = card.bytes - bytes
    const out: IngestProgress = {
      phase: cardRead ? this.#checking() : 'read',
      bytes,
      bytesTotal: card.bytes,
      files: resume.previousCount + p.filesDone,
      filesTotal: card.count,
      bytesRead: resume.previousBytes + p.bytesRead,
      throughput,
      etaSeconds: throughput > 0 ? left / throughput : left === 0 ? 0 : undefined,
      destinations: dests,
    }
    if (p.currentFile) out.currentFile = p.currentFile
    return out
  }

  /** Once the card is read, only checks remain: read-backs, or the last writes in the other modes. */
  #checking(): ProgressPhase {
    return this.#scope.verify === 'destination' ? 'read-back' : 'write'
  }

  #destination(p: Counts, i: number, cardRead: boolean): DestinationProgress {
    const { resume } = this.#scope
    const n = p.destinations[i]
    const failure = this.failures[i]
    const out: DestinationProgress = {
      root: this.#scope.destinations[i]!,
      label: this.#labels[i]!,
      phase: cardRead ? this.#checking() : 'write',
      bytesWritten: n?.bytesWritten ?? 0,
      bytesDone: resume.previousBytes + (n?.bytesDone ?? 0),
      filesDone: resume.previousCount + (n?.filesDone ?? 0),
      state: (failure ? 'failed' : (n?.state ?? 'copying')) as DestinationProgress['state'],
    }
    if (failure) out.error = failure
    return out
  }

  /** What the `records` events start from: the last event, or one from the copy's end when none was made; no current file. */
  settled(bytesRead: number): Omit<IngestProgress, 'currentFile'> {
    const { currentFile: _current, ...last } =
      this.#last ?? this.#make({ bytesRead, filesDone: 0, destinations: [] })
    return last
  }

  /** The last event, right before the promise resolves: what is finished where. */
  final(
    last: Omit<IngestProgress, 'currentFile'>,
    files: FileTable,
    perDestination: readonly DestinationReport[],
    bytesRead: number,
  ): IngestProgress {
    const finished = finishedStatuses(this.#scope.verify)
    const alive = perDestination.map((x, d) => (x.status === 'failed' ? -1 : d)).filter((d) => d >= 0)
    const done = perDestination.map(() => ({ files: 0, bytes: 0 }))
    let everywhereFiles = 0
    let everywhereBytes = 0
    for (let i = 0; i < files.count; i++) {
      let all = alive.length > 0
      for (let d = 0; d < files.width; d++) {
        const at = finished.has(files.status(i, d))
        if (at) {
          done[d]!.files++
          done[d]!.bytes += files.size(i)
        } else if (alive.includes(d)) all = false
      }
      if (all) {
        everywhereFiles++
        everywhereBytes += files.size(i)
      }
    }
    const dests = last.destinations.map((x, d): DestinationProgress => {
      const state = perDestination[d]!.status === 'failed' ? 'failed' : 'finished'
      return { ...x, phase: 'records', state, bytesDone: done[d]!.bytes, filesDone: done[d]!.files }
    })
    return {
      ...last,
      phase: 'records',
      bytes: everywhereBytes,
      bytesRead: this.#scope.resume.previousBytes + bytesRead,
      files: everywhereFiles,
      etaSeconds: 0,
      destinations: dests,
    }
  }
}

/** A short name for a destination: the drive's or folder's last component. */
function destinationLabel(root: string): string {
  return basename(resolve(root)) || resolve(root)
}

/** Rolling throughput over the last few seconds. */
class Rate {
  #samples: Array<[number, number]> = []
  add(bytes: number): number {
    const now = performance.now()
    this.#samples.push([now, bytes])
    while (this.#samples.length > 2 && now - this.#samples[0]![0] > 3000) this.#samples.shift()
    const [t0, b0] = this.#samples[0]!
    return now - t0 > 0 ? ((bytes - b0) * 1000) / (now - t0) : 0
  }
}
