//! The copy engine's public vocabulary: what to copy, how, and what happened.
//!
//! Every enum has a stable kebab-case name (`as_str`) so the napi layer can hand it to
//! TypeScript without a mapping table of its own.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::results::FileResults;
use crate::error::{Error, ErrorCode};
use crate::hash::Algorithm;

/// Size of one pool buffer. Large enough that a read() or write() call costs little next
/// to the bytes it moves and that BLAKE3 gets whole chunks for its tree parallelism.
pub const DEFAULT_BUFFER_BYTES: usize = 4 * 1024 * 1024;
/// Number of pool buffers: enough to keep reader, hasher and writers busy at once while
/// memory stays at `DEFAULT_BUFFER_BYTES * DEFAULT_BUFFER_COUNT` whatever the file size.
pub const DEFAULT_BUFFER_COUNT: usize = 6;

/// One file to copy: `source` is read once and written to `root/relative` under every
/// destination root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyJob {
    pub source: PathBuf,
    /// Relative path under each destination root: plain components only (no `..`, no root).
    pub relative: PathBuf,
}

impl CopyJob {
    pub fn new(source: impl Into<PathBuf>, relative: impl Into<PathBuf>) -> Self {
        CopyJob {
            source: source.into(),
            relative: relative.into(),
        }
    }
}

/// How a finished copy is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerifyMode {
    /// Read every destination back from the disk (not the page cache) and re-hash it.
    #[default]
    Destination,
    /// Re-read the source after it was copied and compare with the first read. Catches a
    /// flaky card or reader; the destinations are not read back, so they end `copied`.
    Source,
    /// Only compare the destination's size with the source's. Destinations end `copied`.
    Size,
}

impl VerifyMode {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyMode::Destination => "destination",
            VerifyMode::Source => "source",
            VerifyMode::Size => "size",
        }
    }
}

impl std::str::FromStr for VerifyMode {
    type Err = Error;

    /// Parses the `as_str` name (`destination`, `source`, `size`).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s {
            "destination" => Ok(VerifyMode::Destination),
            "source" => Ok(VerifyMode::Source),
            "size" => Ok(VerifyMode::Size),
            other => Err(Error::invalid(format!(
                "unknown verify mode {other:?}; use destination, source or size"
            ))),
        }
    }
}

/// Called by the reader after each buffer of a source file: `(source, bytes read so far)`.
pub type ReadHook = Arc<dyn Fn(&Path, u64) + Send + Sync>;
/// Called by a writer before each buffer: `(destination index, final path, offset)`;
/// an error is treated exactly as if write() had returned it.
pub type WriteHook = Arc<dyn Fn(usize, &Path, u64) -> io::Result<()> + Send + Sync>;
/// Called just before a read-back starts: `(destination index, final path, method)`.
pub type VerifyHook = Arc<dyn Fn(usize, &Path, VerifyMethod) + Send + Sync>;

/// Seams for tests and diagnostics. Production callers leave them empty.
#[derive(Clone, Default)]
pub struct CopyHooks {
    pub after_read: Option<ReadHook>,
    pub before_write: Option<WriteHook>,
    pub before_verify_read: Option<VerifyHook>,
}

impl fmt::Debug for CopyHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CopyHooks")
            .field("after_read", &self.after_read.is_some())
            .field("before_write", &self.before_write.is_some())
            .field("before_verify_read", &self.before_verify_read.is_some())
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct CopyOptions {
    /// Computed inline from the single read of each source; default BLAKE3 + XXH128
    /// (XXH128 because ASC MHL cannot carry BLAKE3).
    pub algorithms: Vec<Algorithm>,
    pub verify: VerifyMode,
    pub buffer_bytes: usize,
    pub buffer_count: usize,
    /// Use O_DIRECT where the file system allows it: for the read-back (before falling back
    /// to evicting the page cache) and for writing files of 1 MiB or more (so nothing is
    /// cached twice before it is read back). False keeps every write and read buffered.
    pub direct_io: bool,
    /// An existing destination file with the same size and hash is reported
    /// `skipped-identical`; when false any existing file is refused with `E_EXISTS`.
    pub skip_identical: bool,
    /// The card or folder the jobs come from. Destinations inside it are refused (so are
    /// destinations inside any source file's own folder, with or without this).
    pub source_root: Option<PathBuf>,
    pub hooks: CopyHooks,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            algorithms: vec![Algorithm::Blake3, Algorithm::Xxh128],
            verify: VerifyMode::Destination,
            buffer_bytes: DEFAULT_BUFFER_BYTES,
            buffer_count: DEFAULT_BUFFER_COUNT,
            direct_io: true,
            skip_identical: true,
            source_root: None,
            hooks: CopyHooks::default(),
        }
    }
}

/// Why something failed: a stable code and a message naming the file and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: ErrorCode,
    pub message: String,
}

impl Failure {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

impl From<&Error> for Failure {
    fn from(e: &Error) -> Self {
        Failure::new(e.code, e.message.clone())
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::new(e.code, e.message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// The outcome of one file at one destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Written, made durable, read back and matched the source hash.
    Verified,
    /// Written and made durable under its final name, but not read back.
    Copied,
    /// An identical file (same size and hash) was already there; nothing was written.
    SkippedIdentical,
    Failed,
    /// Stopped by cancellation; no file under the final name.
    Aborted,
}

impl FileStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Verified => "verified",
            FileStatus::Copied => "copied",
            FileStatus::SkippedIdentical => "skipped-identical",
            FileStatus::Failed => "failed",
            FileStatus::Aborted => "aborted",
        }
    }
}

/// How a destination was read back. Only `disk-direct` and `disk-evicted` mean the bytes
/// came from the device; `cache` says plainly that we could not prove that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyMethod {
    /// Read with O_DIRECT, bypassing the page cache.
    DiskDirect,
    /// Page cache evicted (fdatasync + POSIX_FADV_DONTNEED) and mincore showed no page
    /// of the file resident before reading.
    DiskEvicted,
    /// Read back, but possibly from memory (tmpfs, or pages that would not leave).
    Cache,
    /// Only the size was compared.
    Size,
    /// Not read back at all.
    None,
}

impl VerifyMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            VerifyMethod::DiskDirect => "disk-direct",
            VerifyMethod::DiskEvicted => "disk-evicted",
            VerifyMethod::Cache => "cache",
            VerifyMethod::Size => "size",
            VerifyMethod::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationResult {
    pub status: FileStatus,
    pub method: VerifyMethod,
    pub failure: Option<Failure>,
}

impl DestinationResult {
    pub fn ok(status: FileStatus, method: VerifyMethod) -> Self {
        DestinationResult {
            status,
            method,
            failure: None,
        }
    }

    pub fn failed(failure: Failure) -> Self {
        DestinationResult {
            status: FileStatus::Failed,
            method: VerifyMethod::None,
            failure: Some(failure),
        }
    }

    pub fn aborted() -> Self {
        DestinationResult::ok(FileStatus::Aborted, VerifyMethod::None)
    }
}

/// What happened when the source was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceState {
    Read,
    /// Size, mtime, inode or length changed during the copy: never verified.
    Changed,
    Failed,
    /// Not reached (cancelled, or every destination had failed).
    NotRead,
}

impl SourceState {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceState::Read => "read",
            SourceState::Changed => "source-changed",
            SourceState::Failed => "failed",
            SourceState::NotRead => "not-read",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationSummary {
    pub root: PathBuf,
    /// Set when the whole destination failed (full, read-only, removed…).
    pub failure: Option<Failure>,
    pub verified: usize,
    pub copied: usize,
    pub skipped_identical: usize,
    pub failed: usize,
    pub aborted: usize,
    pub bytes_written: u64,
}

impl DestinationSummary {
    /// Every file is at this destination and was read back (or found identical).
    pub fn is_verified(&self) -> bool {
        self.failure.is_none() && self.failed == 0 && self.aborted == 0 && self.copied == 0
    }
}

/// How many buffers the pool ever allocated: the memory bound, made checkable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolStats {
    pub buffer_bytes: usize,
    pub buffer_count: usize,
    pub allocations: usize,
    pub peak_in_use: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyStatus {
    /// Every file reached every destination (verified, copied or skipped-identical).
    Completed,
    CompletedWithFailures,
    Aborted,
}

impl CopyStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CopyStatus::Completed => "completed",
            CopyStatus::CompletedWithFailures => "completed-with-failures",
            CopyStatus::Aborted => "aborted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    pub status: CopyStatus,
    /// Per file, in job order (`files.get(i)` for one file as a value).
    pub files: FileResults,
    pub destinations: Vec<DestinationSummary>,
    pub bytes_read: u64,
    pub pool: PoolStats,
}

impl CopyReport {
    /// The verdict the card may be formatted on: every file read cleanly and every
    /// destination read back from disk (or already held an identical file). A `cache`
    /// read-back counts as verified content but not as proof from the device, so it
    /// does not make a card safe to format.
    pub fn safe_to_format(&self) -> bool {
        let files = &self.files;
        self.status == CopyStatus::Completed
            && (0..files.len()).all(|i| files.source(i).state == SourceState::Read)
            && files.outcomes().iter().all(|o| {
                matches!(o.status, FileStatus::Verified | FileStatus::SkippedIdentical)
                    && matches!(o.method, VerifyMethod::DiskDirect | VerifyMethod::DiskEvicted)
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationState {
    Copying,
    Failed,
    Finished,
    /// The copy was cancelled before every file had its final result here.
    Aborted,
}

impl DestinationState {
    pub fn as_str(self) -> &'static str {
        match self {
            DestinationState::Copying => "copying",
            DestinationState::Failed => "failed",
            DestinationState::Finished => "finished",
            DestinationState::Aborted => "aborted",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationProgress {
    pub bytes_written: u64,
    /// Files with a final result here (verified, copied, skipped or failed; not aborted).
    pub files_done: usize,
    /// Source bytes of those files: what is finished here, read back when the mode says so.
    pub bytes_done: u64,
    pub state: DestinationState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyProgress {
    pub bytes_read: u64,
    /// Sum of the source sizes seen before the copy started.
    pub bytes_total: u64,
    /// Files with a final result at every destination still alive.
    pub files_done: usize,
    pub files_total: usize,
    /// The job the reader is on (its index), while it reads.
    pub current: Option<usize>,
    pub destinations: Vec<DestinationProgress>,
}

/// Events delivered on the calling thread. `Progress` comes when the copy starts, at most
/// `PROGRESS_EVENTS_PER_SECOND` times a second while it runs, at once when the last
/// source has been read, and once at the end;
/// `DestinationFailed` at most once per destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyEvent {
    Progress(CopyProgress),
    DestinationFailed { index: usize, failure: Failure },
}
