//! Per destination: a writer that streams buffers into a temporary file, a finisher that
//! makes finished files durable (fsync → rename → folder fsync), and a verifier that reads
//! them back. Splitting them keeps thousands of small files from queueing behind each
//! fsync (the writer is already on the next files while the finisher syncs a batch, and
//! each folder is synced once per batch rather than once per file), and lets the disk
//! read file N back while it writes file N + 1 instead of doing one after the other.

use std::collections::{BTreeSet, HashSet};
use std::ffi::CString;
use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::{self, Write};
use std::mem;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::Arc;

use super::engine::{Shared, ToCoordinator};
use super::partial::partial_path;
use super::pool::Chunk;
use super::reader::{FileMeta, ToWriter};
use super::types::{DestinationResult, Failure, FileStatus, VerifyMethod, VerifyMode};
use super::verify::{digests_match, read_back, ReadBack, ReadBackBuffers};
use crate::error::{Error, ErrorCode, Result};
use crate::hash::Digests;

/// Files the finisher takes at once: their folders are synced once for the whole batch.
const FINISH_BATCH: usize = 64;

/// A file being written under its temporary name.
pub(crate) struct Temp {
    file: File,
    temp: PathBuf,
    final_path: PathBuf,
    /// Folders whose entries changed because we created sub-folders for this file.
    new_dir_parents: Vec<PathBuf>,
    meta: Arc<FileMeta>,
    written: u64,
}

impl Temp {
    fn discard(self) {
        drop(self.file);
        let _ = fs::remove_file(&self.temp);
    }
}

pub(crate) struct Finish {
    temp: Temp,
    digests: Arc<Digests>,
}

/// Where the current file's bytes go.
enum Sink {
    Nothing,
    Temp(Temp),
    /// The final name exists with the same size; its hash is compared at the end.
    Existing {
        final_path: PathBuf,
        index: usize,
        back: Result<ReadBack>,
    },
    /// This file cannot go here (name taken, invalid name); the destination lives on.
    Refused {
        index: usize,
        failure: Failure,
    },
}

impl Sink {
    fn discard(&mut self) {
        if let Sink::Temp(t) = mem::replace(self, Sink::Nothing) {
            t.discard();
        }
    }
}

struct Writer<'a, 's> {
    shared: &'a Shared<'s>,
    d: usize,
    known_dirs: HashSet<PathBuf>,
    to_coord: Sender<ToCoordinator>,
}

pub(crate) fn run_writer(
    shared: &Shared,
    d: usize,
    rx: Receiver<ToWriter>,
    finisher: SyncSender<Finish>,
    to_coord: Sender<ToCoordinator>,
) {
    let mut w = Writer {
        shared,
        d,
        known_dirs: HashSet::new(),
        to_coord,
    };
    let mut sink = Sink::Nothing;
    // Keep receiving even once dead: dropping the buffers is what frees the pool.
    for msg in rx {
        if shared.is_dead(d) {
            sink.discard();
            continue;
        }
        match msg {
            ToWriter::Begin(meta) => {
                sink.discard();
                sink = w.begin(meta);
            }
            ToWriter::Data(chunk) => {
                if let Sink::Temp(t) = &mut sink {
                    if let Err(e) = w.write(t, &chunk) {
                        sink.discard();
                        w.fail(e);
                    }
                }
            }
            ToWriter::End(digests) => w.end(mem::replace(&mut sink, Sink::Nothing), digests, &finisher),
        }
    }
    sink.discard();
}

impl Writer<'_, '_> {
    fn fail(&self, e: Error) {
        self.shared
            .fail_destination(self.d, Failure::from(e), &self.to_coord);
    }

    fn report(&self, index: usize, result: DestinationResult) {
        let _ = self.to_coord.send(ToCoordinator::Destination {
            file: index,
            dest: self.d,
            result,
        });
    }

    fn begin(&mut self, meta: Arc<FileMeta>) -> Sink {
        let final_path = self.shared.dests[self.d].root.join(&meta.relative);
        let index = meta.index;
        let dir = final_path.parent().unwrap_or(Path::new("/")).to_path_buf();
        let new_dir_parents = match self.ensure_dir(&dir) {
            Ok(v) => v,
            Err(e) => return self.refuse_or_fail(index, e, &dir),
        };
        match fs::symlink_metadata(&final_path) {
            Ok(existing) => return self.existing(meta, final_path, existing),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return self.refuse_or_fail(index, e, &final_path),
        }
        let temp = partial_path(&final_path);
        match OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
        {
            Ok(file) => Sink::Temp(Temp {
                file,
                temp,
                final_path,
                new_dir_parents,
                meta,
                written: 0,
            }),
            Err(e) => self.refuse_or_fail(index, e, &final_path),
        }
    }

    /// A bad name or a file in the way concerns one file; anything else (full, read-only,
    /// gone, I/O error) means the destination itself is failing.
    fn refuse_or_fail(&self, index: usize, e: io::Error, path: &Path) -> Sink {
        let per_file = matches!(
            e.raw_os_error(),
            Some(
                libc::EEXIST
                    | libc::EISDIR
                    | libc::ENOTDIR
                    | libc::ENAMETOOLONG
                    | libc::EINVAL
                    | libc::EILSEQ
            )
        );
        let e = Error::io(e, path);
        if per_file {
            Sink::Refused {
                index,
                failure: Failure::from(e),
            }
        } else {
            self.fail(e);
            Sink::Nothing
        }
    }

    fn existing(&self, meta: Arc<FileMeta>, final_path: PathBuf, m: fs::Metadata) -> Sink {
        let opts = self.shared.options;
        let index = meta.index;
        let refuse = |why: &str| Sink::Refused {
            index,
            failure: Failure::new(
                ErrorCode::Exists,
                format!(
                    "{}: {why}; nothing was overwritten, move it away or choose another folder",
                    final_path.display()
                ),
            ),
        };
        if (m.dev(), m.ino()) == (meta.dev, meta.ino) {
            return refuse("this is the source file itself");
        }
        if !opts.skip_identical || !m.is_file() || m.len() != meta.size {
            return refuse("a different file already exists here");
        }
        let back = read_back(
            &final_path,
            &opts.algorithms,
            opts.direct_io,
            &self.shared.cancel,
            &mut |_| {},
            &mut ReadBackBuffers::new(),
        );
        Sink::Existing {
            final_path,
            index,
            back,
        }
    }

    fn write(&self, t: &mut Temp, chunk: &Chunk) -> Result<()> {
        if let Some(hook) = &self.shared.options.hooks.before_write {
            hook(self.d, &t.final_path, t.written).map_err(|e| Error::io(e, &t.final_path))?;
        }
        let data = chunk.data();
        t.file.write_all(data).map_err(|e| Error::io(e, &t.final_path))?;
        t.written += data.len() as u64;
        self.shared.dests[self.d]
            .bytes_written
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn end(&self, sink: Sink, digests: Option<Arc<Digests>>, finisher: &SyncSender<Finish>) {
        // No digests: the source changed, failed or we were cancelled. Drop everything.
        let Some(digests) = digests else {
            if let Sink::Temp(t) = sink {
                t.discard();
            }
            return;
        };
        match sink {
            Sink::Nothing => {}
            Sink::Temp(temp) => {
                if let Err(unsent) = finisher.send(Finish { temp, digests }) {
                    unsent.0.temp.discard();
                }
            }
            Sink::Refused { index, failure } => self.report(index, DestinationResult::failed(failure)),
            Sink::Existing {
                final_path,
                index,
                back,
            } => {
                let result = match back {
                    Ok(b) if digests_match(&b.digests, &digests) => {
                        DestinationResult::ok(FileStatus::SkippedIdentical, b.method)
                    }
                    Ok(_) => DestinationResult::failed(Failure::new(
                        ErrorCode::Exists,
                        format!(
                            "{}: a different file of the same size already exists here; nothing was \
                             overwritten, move it away or choose another folder",
                            final_path.display()
                        ),
                    )),
                    Err(e) if e.code == ErrorCode::Aborted => DestinationResult::aborted(),
                    Err(e) => DestinationResult::failed(Failure::from(e)),
                };
                self.report(index, result);
            }
        }
    }

    /// Creates `dir` and any missing parents; returns the folders whose entries changed
    /// (they need an fsync for the new sub-folders to survive a power cut).
    fn ensure_dir(&mut self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        if self.known_dirs.contains(dir) {
            return Ok(Vec::new());
        }
        let mut missing = Vec::new();
        let mut cur = dir;
        loop {
            match fs::metadata(cur) {
                Ok(m) if m.is_dir() => break,
                Ok(_) => return Err(io::Error::from_raw_os_error(libc::ENOTDIR)),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    missing.push(cur.to_path_buf());
                    cur = cur.parent().ok_or(e)?;
                }
                Err(e) => return Err(e),
            }
        }
        let mut parents = Vec::with_capacity(missing.len());
        for m in missing.iter().rev() {
            match fs::create_dir(m) {
                Ok(()) => parents.extend(m.parent().map(Path::to_path_buf)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        self.known_dirs.insert(dir.to_path_buf());
        Ok(parents)
    }
}

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

/// Reads back, in order, the files the finisher made durable (a bounded queue of names).
pub(crate) fn run_verifier(
    shared: &Shared,
    d: usize,
    rx: Receiver<Committed>,
    to_coord: Sender<ToCoordinator>,
) {
    let mut buffers = ReadBackBuffers::new();
    for c in rx {
        // Already complete and durable under its final name: cancelling only skips the check.
        let result = if shared.cancel.is_cancelled() {
            DestinationResult::ok(FileStatus::Copied, VerifyMethod::None)
        } else {
            verify(shared, d, &c, &mut buffers)
        };
        let _ = to_coord.send(ToCoordinator::Destination {
            file: c.meta.index,
            dest: d,
            result,
        });
    }
}

/// A file renamed into place and its folder synced, waiting for its read-back.
pub(crate) struct Committed {
    final_path: PathBuf,
    meta: Arc<FileMeta>,
    digests: Arc<Digests>,
}

fn finish_batch(
    shared: &Shared,
    d: usize,
    batch: Vec<Finish>,
    verifier: &SyncSender<Committed>,
    to_coord: &Sender<ToCoordinator>,
) {
    let report = |index: usize, result: DestinationResult| {
        let _ = to_coord.send(ToCoordinator::Destination {
            file: index,
            dest: d,
            result,
        });
    };
    let mut committed = Vec::with_capacity(batch.len());
    let mut dirs = BTreeSet::new();
    for Finish { temp, digests } in batch {
        // Cancelled or dead: the temporary file goes, nothing appears under a final name.
        if shared.is_dead(d) || shared.cancel.is_cancelled() {
            temp.discard();
            continue;
        }
        match commit(&temp) {
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
/// final name never points at bytes the disk does not hold yet.
fn commit(t: &Temp) -> Result<()> {
    let times = FileTimes::new()
        .set_accessed(t.meta.atime)
        .set_modified(t.meta.mtime);
    t.file.set_times(times).map_err(|e| Error::io(e, &t.final_path))?;
    t.file.sync_all().map_err(|e| Error::io(e, &t.final_path))?;
    rename_noreplace(&t.temp, &t.final_path).map_err(|e| Error::io(e, &t.final_path))
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

fn verify(shared: &Shared, d: usize, c: &Committed, buffers: &mut ReadBackBuffers) -> DestinationResult {
    let opts = shared.options;
    let path = &c.final_path;
    match opts.verify {
        VerifyMode::Source => DestinationResult::ok(FileStatus::Copied, VerifyMethod::None),
        VerifyMode::Size => match fs::metadata(path) {
            Ok(m) if m.len() == c.meta.size => DestinationResult::ok(FileStatus::Copied, VerifyMethod::Size),
            Ok(m) => mismatch(
                path,
                &format!("{} bytes on disk, {} expected", m.len(), c.meta.size),
            ),
            Err(e) => DestinationResult::failed(Failure::from(Error::io(e, path))),
        },
        VerifyMode::Destination => {
            let hook = opts.hooks.before_verify_read.clone();
            let mut before = |m| {
                if let Some(h) = &hook {
                    h(d, path, m);
                }
            };
            match read_back(
                path,
                &opts.algorithms,
                opts.direct_io,
                &shared.cancel,
                &mut before,
                buffers,
            ) {
                Ok(b) if digests_match(&b.digests, &c.digests) => {
                    DestinationResult::ok(FileStatus::Verified, b.method)
                }
                Ok(b) => mismatch(
                    path,
                    &format!(
                        "read back ({}) it does not match the source hash",
                        b.method.as_str()
                    ),
                ),
                Err(e) if e.code == ErrorCode::Aborted => {
                    DestinationResult::ok(FileStatus::Copied, VerifyMethod::None)
                }
                Err(e) => DestinationResult::failed(Failure::from(e)),
            }
        }
    }
}

/// A copy that does not match must not sit under a final name looking finished.
fn mismatch(path: &Path, why: &str) -> DestinationResult {
    let removed = fs::remove_file(path).is_ok();
    DestinationResult::failed(Failure::new(
        ErrorCode::VerifyMismatch,
        format!(
            "{}: {why}; the drive may be failing. {} copy again, preferably to another drive",
            path.display(),
            if removed {
                "The bad copy was removed;"
            } else {
                "Remove the bad copy and"
            }
        ),
    ))
}
