//! The finisher (one per destination): makes the files its writer finished durable —
//! times, fsync, rename to the final name, then one fsync per folder for a whole batch —
//! and hands them to the verifier. Batching syncs each folder once per batch rather than
//! once per file, and where `batch_sync.rs` allows it a batch of files once with
//! `syncfs`, so 2,000 small files do not serialize behind fsync.

use std::collections::BTreeSet;
use std::ffi::CString;
use std::fs::{self, File, FileTimes};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender, SyncSender};

use super::batch_sync::FsSync;
use super::shared::{report, Committed, Finish, Shared, Temp, ToCoordinator};
use super::types::{DestinationResult, Failure, FileStatus, VerifyMethod};
use crate::error::{Error, ErrorCode, Result};

/// Files the finisher takes at once: their folders are synced once for the whole batch.
const FINISH_BATCH: usize = 64;
/// Batches at least this large are made durable with one `syncfs` where allowed
/// (`batch_sync.rs`); smaller ones, typically one large file, fsync each file.
const SYNCFS_MIN_BATCH: usize = 4;

pub(crate) fn run_finisher(
    shared: &Shared,
    d: usize,
    rx: Receiver<Finish>,
    verifier: SyncSender<Committed>,
    to_coord: Sender<ToCoordinator>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < FINISH_BATCH {
            match rx.try_recv() {
                Ok(f) => batch.push(f),
                Err(_) => break,
            }
        }
        finish_batch(shared, d, batch, &verifier, &to_coord);
    }
}

fn finish_batch(
    shared: &Shared,
    d: usize,
    batch: Vec<Finish>,
    verifier: &SyncSender<Committed>,
    to_coord: &Sender<ToCoordinator>,
) {
    let report = |index: usize, result: DestinationResult| report(to_coord, index, d, result);
    let fs_sync = shared.dests[d]
        .fs_sync
        .as_ref()
        .filter(|_| batch.len() >= SYNCFS_MIN_BATCH);
    if let Some(fs_sync) = fs_sync {
        if let Err(e) = sync_batch(&batch, fs_sync, &shared.dests[d].root) {
            shared.fail_destination(d, Failure::from(e), to_coord);
        }
    }
    let mut committed = Vec::with_capacity(batch.len());
    let mut dirs = BTreeSet::new();
    for Finish { temp, digests } in batch {
        // Cancelled or dead: the temporary file goes, nothing appears under a final name.
        if shared.is_dead(d) || shared.cancel.is_cancelled() {
            temp.discard();
            continue;
        }
        match commit(&temp, fs_sync.is_some()) {
            Ok(()) => {
                dirs.extend(temp.final_path.parent().map(Path::to_path_buf));
                dirs.extend(temp.new_dir_parents.iter().cloned());
                let Temp { final_path, meta, .. } = temp;
                committed.push(Committed {
                    final_path,
                    meta,
                    digests,
                });
            }
            Err(e) if e.code == ErrorCode::Exists => {
                report(temp.meta.index, DestinationResult::failed(Failure::from(e)));
                temp.discard();
            }
            Err(e) => {
                temp.discard();
                shared.fail_destination(d, Failure::from(e), to_coord);
            }
        }
    }
    for dir in &dirs {
        if let Err(e) = sync_dir(dir) {
            shared.fail_destination(d, Failure::from(e), to_coord);
            return;
        }
    }
    for c in committed {
        if let Err(unsent) = verifier.send(c) {
            // The verifier is gone (it panicked): the file is durable but unchecked.
            report(
                unsent.0.meta.index,
                DestinationResult::ok(FileStatus::Copied, VerifyMethod::None),
            );
        }
    }
}

/// Times, then fsync (data, size and times durable), then the name: in that order, so a
/// final name never points at bytes the disk does not hold yet. `synced`: the batch was
/// already made durable by `sync_batch`.
fn commit(t: &Temp, synced: bool) -> Result<()> {
    if !synced {
        set_times(t)?;
        t.file.sync_all().map_err(|e| Error::io(e, &t.final_path))?;
    }
    rename_noreplace(&t.temp, &t.final_path).map_err(|e| Error::io(e, &t.final_path))
}

fn set_times(t: &Temp) -> Result<()> {
    let times = FileTimes::new()
        .set_accessed(t.meta.atime)
        .set_modified(t.meta.mtime);
    t.file.set_times(times).map_err(|e| Error::io(e, &t.final_path))
}

/// The batch's times, then one `syncfs` for all of its temporary files: the same state
/// as `set_times` + `fsync` of each, with one journal commit instead of one per file.
fn sync_batch(batch: &[Finish], fs_sync: &FsSync, root: &Path) -> Result<()> {
    for f in batch {
        set_times(&f.temp)?;
    }
    fs_sync.sync().map_err(|e| Error::io(e, root))
}

/// rename() that refuses to replace a file that appeared meanwhile (another program, a
/// second copy into the same folder): we never overwrite what we did not check.
fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other);
    let (cf, ct) = (c(from)?, c(to)?);
    // The system call itself (Linux 3.15+), not libc's renameat2() wrapper: that needs
    // glibc 2.28 or musl 1.2.4, and the published addon promises glibc 2.17 (a missing
    // wrapper fails the addon's load on musl, and the first copy on older glibc).
    // SAFETY: both are valid NUL-terminated paths; the other arguments are plain integers.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            cf.as_ptr(),
            libc::AT_FDCWD,
            ct.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    // Some file systems (FAT, exFAT, network mounts) do not support the flag.
    if !matches!(err.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) {
        return Err(err);
    }
    if fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::from(io::ErrorKind::AlreadyExists));
    }
    fs::rename(from, to)
}

fn sync_dir(dir: &Path) -> Result<()> {
    let f = File::open(dir).map_err(|e| Error::io(e, dir))?;
    match f.sync_all() {
        Ok(()) => Ok(()),
        // Some file systems cannot fsync a folder; their entries are written with the data.
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(()),
        Err(e) => Err(Error::io(e, dir)),
    }
}
