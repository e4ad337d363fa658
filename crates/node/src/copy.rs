//! The verified copy engine for JavaScript: `copy_files` runs on its own thread (the
//! core adds a reader and per-destination writer/finisher threads) and settles a
//! deferred promise, so neither the event loop nor libuv's small pool is held for the
//! length of a card. Results cross as plain objects: enums by their `as_str()` names,
//! sizes as numbers (safe to 2^53), digests as hex.

use std::path::{Path, PathBuf};
use std::thread;
use std::time::UNIX_EPOCH;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use shutterproof_core::copy::{
    self, CardJobs, CopyEvent, CopyJob, CopyOptions, CopyProgress, CopyReport, DestinationResult,
    DestinationSummary, Failure, FileReport, Jobs, VerifyMode,
};
use shutterproof_core::{CancelFlag, Control, ErrorCode, Progress};

use crate::cancel::CancelToken;
use crate::copy_columns::card_report;
use crate::errors::{guard, napi_error, to_napi};
use crate::hash::{hex_digests, parse_algorithms, NativeDigests};
use crate::task::{task, WorkTask};

#[napi(object)]
pub struct NativeCopyJob {
    pub source: String,
    /// Relative path under every destination root (plain components only).
    pub relative: String,
}

#[napi(object)]
pub struct NativeCopyOptions {
    /// Algorithms computed from the single read; default `['blake3', 'xxh128']`.
    pub algorithms: Option<Vec<String>>,
    /// `'destination'` (default), `'source'` or `'size'`.
    pub verify: Option<String>,
    pub buffer_bytes: Option<u32>,
    pub buffer_count: Option<u32>,
    pub direct_io: Option<bool>,
    pub skip_identical: Option<bool>,
    /// The card: destinations inside it are refused.
    pub source_root: Option<String>,
}

#[napi(object)]
pub struct NativeFailure {
    /// Stable code (`E_NO_SPACE`, `E_EXISTS`, …).
    pub code: String,
    pub message: String,
}

#[napi(object)]
pub struct NativeDestinationResult {
    /// `verified` | `copied` | `skipped-identical` | `failed` | `aborted`
    pub status: String,
    /// `disk-direct` | `disk-evicted` | `cache` | `size` | `none`
    pub method: String,
    pub failure: Option<NativeFailure>,
}

#[napi(object)]
pub struct NativeFileReport {
    pub source: String,
    pub relative: String,
    pub size: f64,
    /// Milliseconds since the epoch (fractional), when known.
    pub mtime_ms: Option<f64>,
    /// `read` | `source-changed` | `failed` | `not-read`
    pub source_state: String,
    pub source_failure: Option<NativeFailure>,
    pub digests: Option<NativeDigests>,
    pub destinations: Vec<NativeDestinationResult>,
}

#[napi(object)]
pub struct NativeDestinationSummary {
    pub root: String,
    pub failure: Option<NativeFailure>,
    pub verified: u32,
    pub copied: u32,
    pub skipped_identical: u32,
    pub failed: u32,
    pub aborted: u32,
    pub bytes_written: f64,
}

#[napi(object)]
pub struct NativePoolStats {
    pub buffer_bytes: u32,
    pub buffer_count: u32,
    pub allocations: u32,
    pub peak_in_use: u32,
}

#[napi(object)]
pub struct NativeCopyReport {
    /// `completed` | `completed-with-failures` | `aborted`
    pub status: String,
    pub files: Vec<NativeFileReport>,
    pub destinations: Vec<NativeDestinationSummary>,
    pub bytes_read: f64,
    pub pool: NativePoolStats,
    /// The core's verdict for this run alone (`CopyReport::safe_to_format`).
    pub safe_to_format: bool,
}

#[napi(object)]
pub struct NativeDestinationProgress {
    pub bytes_written: f64,
    /// Files with a final result there (not aborted).
    pub files_done: u32,
    /// Source bytes of those files.
    pub bytes_done: f64,
    /// `copying` | `failed` | `finished` | `aborted`
    pub state: String,
}

#[napi(object)]
pub struct NativeCopyProgress {
    pub bytes_read: f64,
    pub bytes_total: f64,
    pub files_done: u32,
    pub files_total: u32,
    /// The job the reader is on (its relative path), while it reads.
    pub current_file: Option<String>,
    pub destinations: Vec<NativeDestinationProgress>,
}

/// One event of a running copy: `progress` (one at the start, ≤ 20/s, one when the card
/// is read, one at the end) or
/// `destination-failed` (at most once per destination).
#[napi(object)]
pub struct NativeCopyEvent {
    pub kind: String,
    pub progress: Option<NativeCopyProgress>,
    pub index: Option<u32>,
    pub failure: Option<NativeFailure>,
}

/// A weak callback receiving copy events (never keeps the event loop alive by itself).
pub type CopyEventCallback =
    ThreadsafeFunction<NativeCopyEvent, (), NativeCopyEvent, napi::Status, false, true>;

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

pub(crate) fn failure(f: &Failure) -> NativeFailure {
    NativeFailure {
        code: f.code.as_str().to_string(),
        message: f.message.clone(),
    }
}

fn dest_result(r: &DestinationResult) -> NativeDestinationResult {
    NativeDestinationResult {
        status: r.status.as_str().to_string(),
        method: r.method.as_str().to_string(),
        failure: r.failure.as_ref().map(failure),
    }
}

fn file_report(f: &FileReport, jobs: &[CopyJob]) -> NativeFileReport {
    let job = &jobs[f.index];
    NativeFileReport {
        source: path_str(&job.source),
        relative: path_str(&job.relative),
        size: f.size as f64,
        mtime_ms: f
            .mtime
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_secs_f64() * 1000.0),
        source_state: f.source_state.as_str().to_string(),
        source_failure: f.source_failure.as_ref().map(failure),
        digests: f.digests.as_ref().map(|d| NativeDigests::from((f.size, d))),
        destinations: f.destinations.iter().map(dest_result).collect(),
    }
}

pub(crate) fn summary(s: &DestinationSummary) -> NativeDestinationSummary {
    NativeDestinationSummary {
        root: path_str(&s.root),
        failure: s.failure.as_ref().map(failure),
        verified: s.verified as u32,
        copied: s.copied as u32,
        skipped_identical: s.skipped_identical as u32,
        failed: s.failed as u32,
        aborted: s.aborted as u32,
        bytes_written: s.bytes_written as f64,
    }
}

fn report(r: CopyReport, jobs: &[CopyJob]) -> NativeCopyReport {
    NativeCopyReport {
        status: r.status.as_str().to_string(),
        files: r.files.iter().map(|f| file_report(&f, jobs)).collect(),
        destinations: r.destinations.iter().map(summary).collect(),
        bytes_read: r.bytes_read as f64,
        pool: pool_stats(&r),
        safe_to_format: r.safe_to_format(),
    }
}

pub(crate) fn pool_stats(r: &CopyReport) -> NativePoolStats {
    NativePoolStats {
        buffer_bytes: r.pool.buffer_bytes as u32,
        buffer_count: r.pool.buffer_count as u32,
        allocations: r.pool.allocations as u32,
        peak_in_use: r.pool.peak_in_use as u32,
    }
}

fn progress(p: &CopyProgress, jobs: &dyn Jobs) -> NativeCopyProgress {
    NativeCopyProgress {
        bytes_read: p.bytes_read as f64,
        bytes_total: p.bytes_total as f64,
        files_done: p.files_done as u32,
        files_total: p.files_total as u32,
        current_file: p
            .current
            .filter(|&i| i < jobs.len())
            .map(|i| path_str(jobs.relative(i))),
        destinations: p
            .destinations
            .iter()
            .map(|d| NativeDestinationProgress {
                bytes_written: d.bytes_written as f64,
                files_done: d.files_done as u32,
                bytes_done: d.bytes_done as f64,
                state: d.state.as_str().to_string(),
            })
            .collect(),
    }
}

fn event(e: &CopyEvent, jobs: &dyn Jobs) -> NativeCopyEvent {
    match e {
        CopyEvent::Progress(p) => NativeCopyEvent {
            kind: "progress".into(),
            progress: Some(progress(p, jobs)),
            index: None,
            failure: None,
        },
        CopyEvent::DestinationFailed { index, failure: f } => NativeCopyEvent {
            kind: "destination-failed".into(),
            progress: None,
            index: Some(*index as u32),
            failure: Some(failure(f)),
        },
    }
}

fn options(o: NativeCopyOptions) -> Result<CopyOptions> {
    let mut out = CopyOptions::default();
    if let Some(a) = o.algorithms {
        out.algorithms = parse_algorithms(&a)?;
    }
    if let Some(v) = o.verify {
        out.verify = v.parse::<VerifyMode>().map_err(to_napi)?;
    }
    if let Some(b) = o.buffer_bytes {
        out.buffer_bytes = b as usize;
    }
    if let Some(c) = o.buffer_count {
        out.buffer_count = c as usize;
    }
    if let Some(d) = o.direct_io {
        out.direct_io = d;
    }
    if let Some(s) = o.skip_identical {
        out.skip_identical = s;
    }
    out.source_root = o.source_root.map(PathBuf::from);
    Ok(out)
}

// The two entry points below end in the same four parameters (destinations, options,
// cancel token, event callback) on purpose: napi reads each exported function's
// JavaScript parameters from that function's own signature, so the tail cannot be one
// Rust value spread over several JS arguments, and the callback's TypeScript type must
// be a `ts_arg_type` literal on each (napi cannot see through the `CopyEventCallback`
// alias). Generating both from one `macro_rules!` was tried: napi then copies the doc
// comments into index.d.ts as raw-string tokens (`r" …`). Everything after the
// parameters is shared in `spawn_copy`.

/// Copies every job to every destination root and verifies the copies (see
/// docs/COPY-ENGINE.md). Resolves with the full report; rejects only when the setup is
/// refused (`E_INVALID_ARGUMENT`, `E_READ_ONLY`, …), in which case nothing was copied.
#[napi(ts_return_type = "Promise<NativeCopyReport>")]
pub fn native_copy_files<'env>(
    env: &'env Env,
    jobs: Vec<NativeCopyJob>,
    destinations: Vec<String>,
    options_in: NativeCopyOptions,
    cancel: &CancelToken,
    #[napi(ts_arg_type = "((event: NativeCopyEvent) => void) | undefined | null")] on_event: Option<
        CopyEventCallback,
    >,
) -> Result<Object<'env>> {
    let jobs: Vec<CopyJob> = jobs
        .into_iter()
        .map(|j| CopyJob::new(j.source, j.relative))
        .collect();
    let shape = |r, jobs: &Vec<CopyJob>| report(r, jobs);
    spawn_copy(env, jobs, destinations, options_in, cancel, on_event, shape)
}

/// `nativeCopyFiles` for a whole card, shaped for thousands of files: the jobs are
/// `sourceRoot/relative` for each of `relatives` (joined by NUL, which no file name holds;
/// empty for none), and the report's files come back as columns in that order
/// (`NativeCardReport`), never one object per file.
#[napi(ts_return_type = "Promise<NativeCardReport>")]
pub fn native_copy_card<'env>(
    env: &'env Env,
    source_root: String,
    relatives: String,
    destinations: Vec<String>,
    options_in: NativeCopyOptions,
    cancel: &CancelToken,
    #[napi(ts_arg_type = "((event: NativeCopyEvent) => void) | undefined | null")] on_event: Option<
        CopyEventCallback,
    >,
) -> Result<Object<'env>> {
    // The names stay in the string they came in: no two paths per file for the whole copy.
    let jobs = CardJobs::new(source_root, relatives);
    spawn_copy(env, jobs, destinations, options_in, cancel, on_event, card_report)
}

/// Runs the copy on its own thread and settles the promise with `shape(report, jobs)`;
/// the core's report and the jobs are dropped before the promise settles.
fn spawn_copy<'env, J: Jobs + Send + 'static, T: ToNapiValue + Send + 'static>(
    env: &'env Env,
    jobs: J,
    destinations: Vec<String>,
    options_in: NativeCopyOptions,
    cancel: &CancelToken,
    on_event: Option<CopyEventCallback>,
    shape: impl FnOnce(CopyReport, &J) -> T + Send + 'static,
) -> Result<Object<'env>> {
    let destinations: Vec<PathBuf> = destinations.into_iter().map(PathBuf::from).collect();
    let opts = options(options_in)?;
    let flag: CancelFlag = cancel.flag.clone();
    let (deferred, promise) = env.create_deferred()?;
    thread::Builder::new()
        .name("sp-copy".into())
        .spawn(move || {
            let result = guard(|| {
                let mut control = Control {
                    cancel: flag,
                    progress: Progress::none(),
                };
                let mut events = |e: CopyEvent| {
                    if let Some(tsfn) = on_event.as_ref() {
                        tsfn.call(event(&e, &jobs), ThreadsafeFunctionCallMode::NonBlocking);
                    }
                };
                copy::copy_files(&jobs, &destinations, &opts, &mut control, &mut events)
            });
            drop(on_event); // released before the promise settles
            match result {
                Ok(r) => {
                    let out = shape(r, &jobs);
                    drop(jobs);
                    deferred.resolve(move |_| Ok(out));
                }
                Err(e) => deferred.reject(e),
            }
        })
        .map_err(|e| {
            napi_error(
                ErrorCode::Internal,
                format!("could not start the copy thread: {e}"),
            )
        })?;
    Ok(promise)
}

/// Removes `.*.sp-partial` files left under `root` by an interrupted copy; resolves with
/// their paths.
#[napi(ts_return_type = "Promise<Array<string>>")]
pub fn native_remove_stale_partials(root: String) -> AsyncTask<WorkTask<Vec<String>>> {
    task(move || {
        copy::remove_stale_partials(Path::new(&root)).map(|v| v.iter().map(|p| path_str(p)).collect())
    })
}

/// Every `.*.sp-partial` file under `root`, removing nothing.
#[napi(ts_return_type = "Promise<Array<string>>")]
pub fn native_find_partials(root: String) -> AsyncTask<WorkTask<Vec<String>>> {
    task(move || copy::find_partials(Path::new(&root)).map(|v| v.iter().map(|p| path_str(p)).collect()))
}

/// Whether `path` holds exactly `size` bytes hashing to every digest given, read back
/// from the disk (O_DIRECT, or evicted page cache). A missing file is not identical.
#[napi(ts_return_type = "Promise<boolean>")]
pub fn native_is_identical(
    path: String,
    size: f64,
    digests: NativeDigests,
    cancel: &CancelToken,
) -> AsyncTask<WorkTask<bool>> {
    let flag = cancel.flag.clone();
    let hex = hex_digests(digests);
    task(move || copy::is_identical_hex(Path::new(&path), size as u64, &hex, &flag))
}

#[napi(object)]
pub struct NativeResidentPages {
    pub resident: f64,
    pub total: f64,
}

/// Pages of `path` resident in the page cache (mincore on a fresh map), for tests and
/// diagnostics.
#[napi]
pub fn native_resident_pages(path: String) -> Result<NativeResidentPages> {
    guard(|| copy::resident_pages(Path::new(&path))).map(|(r, t)| NativeResidentPages {
        resident: r as f64,
        total: t as f64,
    })
}

/// Gives the C heap's free pages back to the OS (glibc `malloc_trim`): called once a
/// copy's report has become JavaScript objects, so the engine's per-file state does not
/// stay resident through the rest of the run. Frees nothing in use.
#[napi]
pub fn native_return_freed_memory() {
    shutterproof_core::freed_memory::return_freed_memory();
}
