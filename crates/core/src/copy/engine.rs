//! `copy_files`: sets up the threads and, on the calling thread, gathers their results
//! into the report and the throttled progress events.
//!
//! Threads: one reader (reads + hashes each source once), and per destination one writer
//! (temp file, write; with one or two lanes for its direct writes, `lanes.rs`), one
//! finisher (fsync, rename, folder fsync) and one verifier (read-back), so that the next
//! files are written and synced while earlier ones are read back.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use super::jobs::Jobs;
use super::pool::BufferPool;
use super::results::{FileResults, SourceRecord};
use super::shared::{DestShared, Shared, ToCoordinator};
use super::types::*;
use super::{finisher, lanes, preflight, reader, verifier, writer};
use crate::control::{Control, PROGRESS_EVENTS_PER_SECOND};
use crate::error::{ErrorCode, Result};

/// Files a writer may hand to its finisher before it waits: bounds open descriptors.
const FINISH_QUEUE: usize = 256;
/// Files the finisher may have made durable ahead of its verifier before it waits. Enough
/// for the disk to read one file back while later ones are synced; small, so that a
/// cancelled copy leaves few files renamed but unchecked (`copied`), the rest `aborted`.
const VERIFY_QUEUE: usize = 8;

/// Copies every job to every destination root (`root/relative`), verifies as
/// `options.verify` says, and reports per file and per destination.
///
/// Returns `Err` only for a refused setup (bad options or paths, a destination that is
/// read-only, unwritable or inside the source) — then nothing was copied. Everything that
/// goes wrong during the copy, including cancellation, is in the report.
///
/// `events` runs on the calling thread; progress events are throttled to
/// `PROGRESS_EVENTS_PER_SECOND`, besides one at the start, one when the card is read and
/// one at the end. `control.progress` receives the bytes read, throttled.
pub fn copy_files<J: Jobs + ?Sized>(
    jobs: &J,
    destinations: &[PathBuf],
    options: &CopyOptions,
    control: &mut Control,
    events: &mut dyn FnMut(CopyEvent),
) -> Result<CopyReport> {
    // One body for every kind of job list.
    copy_jobs(&jobs, destinations, options, control, events)
}

fn copy_jobs(
    jobs: &dyn Jobs,
    destinations: &[PathBuf],
    options: &CopyOptions,
    control: &mut Control,
    events: &mut dyn FnMut(CopyEvent),
) -> Result<CopyReport> {
    control.cancel.check()?;
    let roots = preflight::check(jobs, destinations, options)?;
    let shared = Shared {
        options,
        cancel: control.cancel.clone(),
        pool: BufferPool::new(options.buffer_bytes, options.buffer_count),
        dests: roots.iter().cloned().map(DestShared::new).collect(),
        bytes_read: AtomicU64::new(0),
        reading: AtomicUsize::new(usize::MAX),
    };
    let mut tally = Tally::new(jobs, destinations.len());
    shared
        .pool
        .reserve(tally.bytes_total.div_ceil(options.buffer_bytes as u64) as usize);
    let devices: Vec<Option<u64>> = roots
        .iter()
        .map(|r| fs::metadata(r).ok().map(|m| m.dev()))
        .collect();
    let lanes = lanes::lanes_per_writer(&devices);
    let (to_coord, from_workers) = mpsc::channel();
    thread::scope(|s| {
        let mut to_writers = Vec::with_capacity(roots.len());
        for d in 0..roots.len() {
            let (wtx, wrx) = mpsc::channel();
            let (ftx, frx) = mpsc::sync_channel(FINISH_QUEUE);
            let (vtx, vrx) = mpsc::sync_channel(VERIFY_QUEUE);
            let (shared, tc1, tc2, tc3) = (&shared, to_coord.clone(), to_coord.clone(), to_coord.clone());
            let lanes = lanes[d];
            s.spawn(move || writer::run_writer(shared, d, lanes, wrx, ftx, tc1));
            s.spawn(move || finisher::run_finisher(shared, d, frx, vtx, tc2));
            s.spawn(move || verifier::run_verifier(shared, d, vrx, tc3));
            to_writers.push(wtx);
        }
        let (shared_ref, tc) = (&shared, to_coord);
        s.spawn(move || reader::run_reader(shared_ref, jobs, to_writers, tc));
        tally.gather(&shared, &from_workers, control, events);
    });
    let sizes = std::mem::take(&mut tally.sizes);
    let report = tally.into_report(jobs, &shared);
    events(CopyEvent::Progress(progress_of(
        &report_progress(&report, &sizes),
        &shared,
    )));
    control.progress.finish(report.bytes_read);
    Ok(report)
}

/// Results as they arrive, indexed by file and destination.
struct Tally {
    files: FileResults,
    /// Per file and destination (`file * destinations + d`): a final result has arrived.
    arrived: Vec<bool>,
    dest_files_done: Vec<usize>,
    dest_bytes_done: Vec<u64>,
    /// Each job's size when the copy started (for progress only).
    sizes: Vec<u64>,
    bytes_total: u64,
    /// Sources whose read has not yet ended (in success or failure).
    sources_left: usize,
}

impl Tally {
    fn new(jobs: &dyn Jobs, destinations: usize) -> Self {
        // Only for progress: a file that changes size later is caught anyway.
        let sizes: Vec<u64> = (0..jobs.len())
            .map(|i| fs::metadata(jobs.source(i)).map_or(0, |m| m.len()))
            .collect();
        Tally {
            files: FileResults::new(jobs.len(), destinations),
            arrived: vec![false; jobs.len() * destinations],
            dest_files_done: vec![0; destinations],
            dest_bytes_done: vec![0; destinations],
            bytes_total: sizes.iter().sum(),
            sizes,
            sources_left: jobs.len(),
        }
    }

    fn gather(
        &mut self,
        shared: &Shared,
        rx: &mpsc::Receiver<ToCoordinator>,
        control: &mut Control,
        events: &mut dyn FnMut(CopyEvent),
    ) {
        let interval = Duration::from_secs(1) / PROGRESS_EVENTS_PER_SECOND;
        // The copy's start and the card's last read are told at once, not up to an interval
        // later: a screen then shows the reading and the checking phase however short they
        // are (a card read from the page cache in 40 ms was never drawn "reading back").
        events(CopyEvent::Progress(progress_of(&self.progress(shared), shared)));
        let mut last = Instant::now();
        loop {
            let card_read = match rx.recv_timeout(interval) {
                Ok(msg) => self.apply(msg, events),
                Err(RecvTimeoutError::Timeout) => false,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            if card_read || last.elapsed() >= interval {
                last = Instant::now();
                events(CopyEvent::Progress(progress_of(&self.progress(shared), shared)));
                control.progress.report(shared.bytes_read.load(Ordering::Relaxed));
            }
        }
    }

    /// Records one worker's message; true when it ends the read of the card's last source.
    fn apply(&mut self, msg: ToCoordinator, events: &mut dyn FnMut(CopyEvent)) -> bool {
        match msg {
            ToCoordinator::Source {
                file,
                size,
                mtime,
                outcome,
            } => {
                let state = match outcome {
                    Ok(digests) => {
                        self.files.set_digests(file, &digests);
                        SourceState::Read
                    }
                    Err((state, failure)) => {
                        self.files.set_source_failure(file, failure);
                        state
                    }
                };
                self.files.set_source(file, SourceRecord { size, mtime, state });
                self.sources_left = self.sources_left.saturating_sub(1);
                self.sources_left == 0
            }
            ToCoordinator::Destination { file, dest, result } => {
                let counts = result.status != FileStatus::Aborted;
                let first =
                    !std::mem::replace(&mut self.arrived[file * self.dest_files_done.len() + dest], true);
                self.files.set_result(file, dest, result);
                if first && counts {
                    self.dest_files_done[dest] += 1;
                    self.dest_bytes_done[dest] += self.sizes[file];
                }
                false
            }
            ToCoordinator::DestinationFailed { dest, failure } => {
                events(CopyEvent::DestinationFailed { index: dest, failure });
                false
            }
        }
    }

    fn progress(&self, shared: &Shared) -> Counts {
        let n = self.dest_files_done.len();
        let files_done = (0..self.files.len())
            .filter(|&i| {
                matches!(
                    self.files.source(i).state,
                    SourceState::Changed | SourceState::Failed
                ) || (0..n).all(|d| self.arrived[i * n + d] || shared.is_dead(d))
            })
            .count();
        let reading = shared.reading.load(Ordering::Relaxed);
        Counts {
            files_done,
            files_total: self.files.len(),
            bytes_total: self.bytes_total,
            current: (reading < self.files.len()).then_some(reading),
            dest_files_done: self.dest_files_done.clone(),
            dest_bytes_done: self.dest_bytes_done.clone(),
            state: DestinationState::Copying,
        }
    }

    fn into_report(mut self, jobs: &dyn Jobs, shared: &Shared) -> CopyReport {
        let cancelled = shared.cancel.is_cancelled();
        let dest_failures: Vec<Option<Failure>> = shared
            .dests
            .iter()
            .map(|d| d.failure.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect();
        let n = dest_failures.len();
        for i in 0..self.files.len() {
            for (d, df) in dest_failures.iter().enumerate() {
                if !self.arrived[i * n + d] {
                    let r = missing_result(&self.files, i, jobs, df.as_ref(), cancelled);
                    self.files.set_result(i, d, r);
                }
            }
        }
        let destinations = summarize(&self.files, shared, &dest_failures);
        let status = overall_status(&self.files, cancelled);
        CopyReport {
            status,
            files: self.files,
            destinations,
            bytes_read: shared.bytes_read.load(Ordering::Relaxed),
            pool: shared.pool.stats(),
        }
    }
}

/// A file/destination pair no thread reported on: explain why from what we know.
fn missing_result(
    files: &FileResults,
    file: usize,
    jobs: &dyn Jobs,
    dest_failure: Option<&Failure>,
    cancelled: bool,
) -> DestinationResult {
    if cancelled && files.source(file).state == SourceState::NotRead {
        return DestinationResult::aborted();
    }
    if let Some(df) = dest_failure {
        return DestinationResult::failed(Failure::new(
            df.code,
            format!("not copied: this destination failed ({})", df.message),
        ));
    }
    if let Some(src) = files.failure(file, None) {
        return DestinationResult::failed(src.clone());
    }
    if cancelled {
        return DestinationResult::aborted();
    }
    DestinationResult::failed(Failure::new(
        ErrorCode::Internal,
        format!(
            "{}: no result was recorded; please report this",
            jobs.relative(file).display()
        ),
    ))
}

fn summarize(files: &FileResults, shared: &Shared, failures: &[Option<Failure>]) -> Vec<DestinationSummary> {
    (0..shared.dests.len())
        .map(|d| {
            let mut s = DestinationSummary {
                root: shared.dests[d].root.clone(),
                failure: failures[d].clone(),
                verified: 0,
                copied: 0,
                skipped_identical: 0,
                failed: 0,
                aborted: 0,
                bytes_written: shared.dests[d].bytes_written.load(Ordering::Relaxed),
            };
            for i in 0..files.len() {
                match files.outcome(i, d).status {
                    FileStatus::Verified => s.verified += 1,
                    FileStatus::Copied => s.copied += 1,
                    FileStatus::SkippedIdentical => s.skipped_identical += 1,
                    FileStatus::Failed => s.failed += 1,
                    FileStatus::Aborted => s.aborted += 1,
                }
            }
            s
        })
        .collect()
}

fn overall_status(files: &FileResults, cancelled: bool) -> CopyStatus {
    let statuses = || files.outcomes().iter().map(|o| o.status);
    if cancelled && statuses().any(|s| s == FileStatus::Aborted) {
        return CopyStatus::Aborted;
    }
    let all_there = statuses().all(|s| {
        matches!(
            s,
            FileStatus::Verified | FileStatus::Copied | FileStatus::SkippedIdentical
        )
    });
    if all_there && (0..files.len()).all(|i| files.source(i).state == SourceState::Read) {
        CopyStatus::Completed
    } else {
        CopyStatus::CompletedWithFailures
    }
}

struct Counts {
    files_done: usize,
    files_total: usize,
    bytes_total: u64,
    current: Option<usize>,
    dest_files_done: Vec<usize>,
    dest_bytes_done: Vec<u64>,
    /// The state of every destination still alive.
    state: DestinationState,
}

/// The last event, from the report: what was actually done. After a cancel, files that
/// never got a final result are not counted as done, and no destination says `finished`.
fn report_progress(report: &CopyReport, sizes: &[u64]) -> Counts {
    let done = |s: FileStatus| s != FileStatus::Aborted;
    let files = &report.files;
    let n = report.destinations.len();
    let mut dest_files_done = vec![0; n];
    let mut dest_bytes_done = vec![0; n];
    let mut files_done = 0;
    for (i, &size) in sizes.iter().enumerate().take(files.len()) {
        let source = files.source(i);
        let mut all = true;
        for d in 0..n {
            if done(files.outcome(i, d).status) {
                dest_files_done[d] += 1;
                dest_bytes_done[d] += if source.state == SourceState::NotRead {
                    size
                } else {
                    source.size
                };
            } else {
                all = false;
            }
        }
        files_done += usize::from(all);
    }
    let aborted = report.status == CopyStatus::Aborted;
    Counts {
        files_done,
        files_total: files.len(),
        bytes_total: sizes.iter().sum::<u64>().max(report.bytes_read),
        current: None,
        dest_files_done,
        dest_bytes_done,
        state: if aborted {
            DestinationState::Aborted
        } else {
            DestinationState::Finished
        },
    }
}

fn progress_of(c: &Counts, shared: &Shared) -> CopyProgress {
    CopyProgress {
        bytes_read: shared.bytes_read.load(Ordering::Relaxed),
        bytes_total: c.bytes_total,
        files_done: c.files_done,
        files_total: c.files_total,
        current: c.current,
        destinations: shared
            .dests
            .iter()
            .zip(c.dest_files_done.iter().zip(&c.dest_bytes_done))
            .map(|(d, (&files_done, &bytes_done))| DestinationProgress {
                bytes_written: d.bytes_written.load(Ordering::Relaxed),
                files_done,
                bytes_done,
                state: if d.dead.load(Ordering::Acquire) {
                    DestinationState::Failed
                } else {
                    c.state
                },
            })
            .collect(),
    }
}
