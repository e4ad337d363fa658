//! What the copy's threads share and what they pass each other. Every stage (reader,
//! writer, finisher, verifier) and the engine that wires them import this file; no stage
//! imports another, so each reads from top to bottom on its own.
//!
//! ```text
//! reader ──ToWriter──▶ writer ──Finish──▶ finisher ──Committed──▶ verifier
//!    └──────────────────────┴──── ToCoordinator ────┴────────────────┘──▶ engine
//! ```

use std::fs::{self, File};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::batch_sync::FsSync;
use super::pool::{BufferPool, Chunk};
use super::types::{CopyOptions, DestinationResult, Failure, SourceState};
use crate::control::CancelFlag;
use crate::hash::Digests;

/// State shared by every thread of one copy.
pub(crate) struct Shared<'o> {
    pub(crate) options: &'o CopyOptions,
    pub(crate) cancel: CancelFlag,
    pub(crate) pool: Arc<BufferPool>,
    pub(crate) dests: Vec<DestShared>,
    pub(crate) bytes_read: AtomicU64,
    /// Index of the job the reader is on; `usize::MAX` before it starts.
    pub(crate) reading: AtomicUsize,
}

pub(crate) struct DestShared {
    pub(crate) root: PathBuf,
    pub(crate) dead: AtomicBool,
    pub(crate) failure: Mutex<Option<Failure>>,
    pub(crate) bytes_written: AtomicU64,
    /// Opened before any file is written: lets the finisher sync a batch with one
    /// `syncfs` where that is as safe as `fsync` per file (`batch_sync.rs`).
    pub(crate) fs_sync: Option<FsSync>,
}

impl DestShared {
    pub(crate) fn new(root: PathBuf) -> Self {
        DestShared {
            fs_sync: FsSync::open(&root),
            root,
            dead: AtomicBool::new(false),
            failure: Mutex::new(None),
            bytes_written: AtomicU64::new(0),
        }
    }
}

impl Shared<'_> {
    pub(crate) fn is_dead(&self, d: usize) -> bool {
        self.dests[d].dead.load(Ordering::Acquire)
    }

    pub(crate) fn all_dead(&self) -> bool {
        (0..self.dests.len()).all(|d| self.is_dead(d))
    }

    /// Marks destination `d` failed (first reason wins) and tells the coordinator once.
    pub(crate) fn fail_destination(&self, d: usize, failure: Failure, to_coord: &Sender<ToCoordinator>) {
        if self.dests[d].dead.swap(true, Ordering::AcqRel) {
            return;
        }
        *self.dests[d].failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure.clone());
        let _ = to_coord.send(ToCoordinator::DestinationFailed { dest: d, failure });
    }
}

/// What the worker threads tell the calling thread.
pub(crate) enum ToCoordinator {
    Source {
        file: usize,
        size: u64,
        mtime: Option<SystemTime>,
        outcome: std::result::Result<Digests, (SourceState, Failure)>,
    },
    Destination {
        file: usize,
        dest: usize,
        result: DestinationResult,
    },
    DestinationFailed {
        dest: usize,
        failure: Failure,
    },
}

/// Sends the final result of file `file` at destination `dest` (a closed channel means
/// the copy is over; there is nobody left to tell).
pub(crate) fn report(to_coord: &Sender<ToCoordinator>, file: usize, dest: usize, result: DestinationResult) {
    let _ = to_coord.send(ToCoordinator::Destination { file, dest, result });
}

/// What a writer needs to know about the file it is about to receive.
pub(crate) struct FileMeta {
    pub(crate) index: usize,
    pub(crate) relative: PathBuf,
    pub(crate) size: u64,
    pub(crate) mtime: SystemTime,
    pub(crate) atime: SystemTime,
    pub(crate) dev: u64,
    pub(crate) ino: u64,
}

/// Reader → writer, the same message to every live destination.
#[derive(Clone)]
pub(crate) enum ToWriter {
    Begin(Arc<FileMeta>),
    Data(Arc<Chunk>),
    /// `Some` carries the source digests: the file was read whole and unchanged. `None`
    /// means the source changed, failed or the copy was cancelled: remove the temporary file.
    End(Option<Arc<Digests>>),
}

/// A file being written under its temporary name.
pub(crate) struct Temp {
    /// Shared with the destination's lanes while direct writes are in flight.
    pub(crate) file: Arc<File>,
    /// Still writing with O_DIRECT (`direct.rs`); false once buffered.
    pub(crate) direct: bool,
    pub(crate) temp: PathBuf,
    pub(crate) final_path: PathBuf,
    /// Folders whose entries changed because we created sub-folders for this file.
    pub(crate) new_dir_parents: Vec<PathBuf>,
    pub(crate) meta: Arc<FileMeta>,
    pub(crate) written: u64,
    /// Bytes reserved with `fallocate` before the first write (0 if none).
    pub(crate) preallocated: u64,
}

impl Temp {
    /// Closes and removes the temporary file: nothing appears under a final name.
    pub(crate) fn discard(self) {
        drop(self.file);
        let _ = fs::remove_file(&self.temp);
    }
}

/// Writer → finisher: a completely written temporary file and the source's digests.
pub(crate) struct Finish {
    pub(crate) temp: Temp,
    pub(crate) digests: Arc<Digests>,
}

/// Finisher → verifier: a file renamed into place and its folder synced, waiting for its
/// read-back.
pub(crate) struct Committed {
    pub(crate) final_path: PathBuf,
    pub(crate) meta: Arc<FileMeta>,
    pub(crate) digests: Arc<Digests>,
}
