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

use super::pool::BufferPool;
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

/// Copies every job to every destination root (`root/job.relative`), verifies as
/// `options.verify` says, and reports per file and per destination.
///
/// Returns `Err` only for a refused setup (bad options or paths, a destination that is
/// read-only, unwritable or inside the source) — then nothing was copied. Everything that
/// goes wrong during the copy, including cancellation, is in the report.
///
/// `events` runs on the calling thread; progress events are throttled to
/// `PROGRESS_EVENTS_PER_SECOND`. `control.progress` receives the bytes read, throttled.
pub fn copy_files(
    jobs: &[CopyJob],
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
    let mut tally = Tally::new(jobs, destinations);
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
    let sizes = tally.sizes.clone();
    let report = tally.into_report(&shared);
    events(CopyEvent::Progress(progress_of(
        &report_progress(&report, &sizes),
        &shared,
    )));
    control.progress.finish(report.bytes_read);
    Ok(report)
}

/// Results as they arrive, indexed by file and destination.
struct Tally {
    files: Vec<FileReport>,
    results: Vec<Vec<Option<DestinationResult>>>,
    dest_files_done: Vec<usize>,
    dest_bytes_done: Vec<u64>,
    /// Each job's size when the copy started (for progress only).
    sizes: Vec<u64>,
    bytes_total: u64,
}

impl Tally {
    fn new(jobs: &[CopyJob], destinations: &[PathBuf]) -> Self {
        let n = destinations.len();
        // Only for progress: a file that changes size later is caught anyway.
        let sizes: Vec<u64> = jobs
            .iter()
            .map(|j| fs::metadata(&j.source).map_or(0, |m| m.len()))
            .collect();
        Tally {
            files: jobs
                .iter()
                .map(|j| FileReport {
                    source: j.source.clone(),
                    relative: j.relative.clone(),
                    size: 0,
                    mtime: None,
                    source_state: SourceState::NotRead,
                    source_failure: None,
                    digests: None,
                    destinations: Vec::new(),
                })
                .collect(),
            results: vec![vec![None; n]; jobs.len()],
            dest_files_done: vec![0; n],
            dest_bytes_done: vec![0; n],
            bytes_total: sizes.iter().sum(),
            sizes,
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
        let mut last = Instant::now();
        loop {
            match rx.recv_timeout(interval) {
                Ok(msg) => self.apply(msg, events),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if last.elapsed() >= interval {
                last = Instant::now();
                events(CopyEvent::Progress(progress_of(&self.progress(shared), shared)));
                control.progress.report(shared.bytes_read.load(Ordering::Relaxed));
            }
        }
    }

    fn apply(&mut self, msg: ToCoordinator, events: &mut dyn FnMut(CopyEvent)) {
        match msg {
            ToCoordinator::Source {
                file,
                size,
                mtime,
                outcome,
            } => {
                let f = &mut self.files[file];
                f.size = size;
                f.mtime = mtime;
                match outcome {
                    Ok(digests) => {
                        f.source_state = SourceState::Read;
                        f.digests = Some(digests);
                    }
                    Err((state, failure)) => {
                        f.source_state = state;
                        f.source_failure = Some(failure);
                    }
                }
            }
            ToCoordinator::Destination { file, dest, result } => {
                let counts = result.status != FileStatus::Aborted;
                if self.results[file][dest].replace(result).is_none() && counts {
                    self.dest_files_done[dest] += 1;
                    self.dest_bytes_done[dest] += self.sizes[file];
                }
            }
            ToCoordinator::DestinationFailed { dest, failure } => {
                events(CopyEvent::DestinationFailed { index: dest, failure });
            }
        }
    }

    fn progress(&self, shared: &Shared) -> Counts {
        let files_done = self
            .files
            .iter()
            .zip(&self.results)
            .filter(|(f, r)| {
                matches!(f.source_state, SourceState::Changed | SourceState::Failed)
                    || r.iter()
                        .enumerate()
                        .all(|(d, x)| x.is_some() || shared.is_dead(d))
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

    fn into_report(mut self, shared: &Shared) -> CopyReport {
        let cancelled = shared.cancel.is_cancelled();
        let dest_failures: Vec<Option<Failure>> = shared
            .dests
            .iter()
            .map(|d| d.failure.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .collect();
        for (f, results) in self.files.iter_mut().zip(self.results) {
            f.destinations = results
                .into_iter()
                .enumerate()
                .map(|(d, r)| r.unwrap_or_else(|| missing_result(f, dest_failures[d].as_ref(), cancelled)))
                .collect();
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
fn missing_result(f: &FileReport, dest_failure: Option<&Failure>, cancelled: bool) -> DestinationResult {
    if cancelled && f.source_state == SourceState::NotRead {
        return DestinationResult::aborted();
    }
    if let Some(df) = dest_failure {
        return DestinationResult::failed(Failure::new(
            df.code,
            format!("not copied: this destination failed ({})", df.message),
        ));
    }
    if let Some(src) = &f.source_failure {
        return DestinationResult::failed(src.clone());
    }
    if cancelled {
        return DestinationResult::aborted();
    }
    DestinationResult::failed(Failure::new(
        ErrorCode::Internal,
        format!(
            "{}: no result was recorded; please report this",
            f.relative.display()
        ),
    ))
}

fn summarize(files: &[FileReport], shared: &Shared, failures: &[Option<Failure>]) -> Vec<DestinationSummary> {
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
            for f in files {
                match f.destinations[d].status {
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

fn overall_status(files: &[FileReport], cancelled: bool) -> CopyStatus {
    let statuses = || files.iter().flat_map(|f| f.destinations.iter().map(|d| d.status));
    if cancelled && statuses().any(|s| s == FileStatus::Aborted) {
        return CopyStatus::Aborted;
    }
    let all_there = statuses().all(|s| {
        matches!(
            s,
            FileStatus::Verified | FileStatus::Copied | FileStatus::SkippedIdentical
        )
    });
    if all_there && files.iter().all(|f| f.source_state == SourceState::Read) {
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
    let n = report.destinations.len();
    let mut dest_files_done = vec![0; n];
    let mut dest_bytes_done = vec![0; n];
    for (f, &size) in report.files.iter().zip(sizes) {
        for (d, r) in f.destinations.iter().enumerate() {
            if done(r.status) {
                dest_files_done[d] += 1;
                dest_bytes_done[d] += if f.source_state == SourceState::NotRead {
                    size
                } else {
                    f.size
                };
            }
        }
    }
    let aborted = report.status == CopyStatus::Aborted;
    Counts {
        files_done: report
            .files
            .iter()
            .filter(|f| f.destinations.iter().all(|r| done(r.status)))
            .count(),
        files_total: report.files.len(),
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
