//! The writer (one per destination): streams the reader's buffers into a temporary file
//! beside the final name (with O_DIRECT for large files where the file system allows it,
//! see `direct.rs`) and, when the reader says the file ended cleanly, hands the open
//! file to its finisher. A file already there is compared, never overwritten. Handing off
//! keeps thousands of small files from queueing behind each fsync: the writer is already
//! on the next files while the finisher syncs a batch.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::mem;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender, SyncSender};
use std::sync::Arc;

use super::direct;
use super::lanes::Lanes;
use super::partial::partial_path;
use super::pool::Chunk;
use super::shared::{report, FileMeta, Finish, Shared, Temp, ToCoordinator, ToWriter};
use super::types::{DestinationResult, Failure, FileStatus};
use super::verify::{digests_match, read_back, ReadBack, ReadBackBuffers};
use crate::error::{Error, ErrorCode, Result};
use crate::hash::Digests;

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

struct Writer<'a, 's> {
    shared: &'a Shared<'s>,
    d: usize,
    known_dirs: HashSet<PathBuf>,
    to_coord: Sender<ToCoordinator>,
    /// Direct writes in flight, for the current file only.
    lanes: Lanes,
}

pub(crate) fn run_writer(
    shared: &Shared,
    d: usize,
    lanes: usize,
    rx: Receiver<ToWriter>,
    finisher: SyncSender<Finish>,
    to_coord: Sender<ToCoordinator>,
) {
    let mut w = Writer {
        shared,
        d,
        known_dirs: HashSet::new(),
        to_coord,
        lanes: Lanes::new(lanes),
    };
    let mut sink = Sink::Nothing;
    // Keep receiving even once dead: dropping the buffers is what frees the pool.
    for msg in rx {
        if shared.is_dead(d) {
            w.discard(&mut sink);
            continue;
        }
        match msg {
            ToWriter::Begin(meta) => {
                w.discard(&mut sink);
                sink = w.begin(meta);
            }
            ToWriter::Data(chunk) => {
                if let Sink::Temp(t) = &mut sink {
                    if let Err(e) = w.write(t, &chunk) {
                        w.discard(&mut sink);
                        w.fail(e);
                    }
                }
            }
            ToWriter::End(digests) => {
                let ended = mem::replace(&mut sink, Sink::Nothing);
                w.end(ended, digests, &finisher);
            }
        }
    }
    w.discard(&mut sink);
}

impl Writer<'_, '_> {
    fn fail(&self, e: Error) {
        self.shared
            .fail_destination(self.d, Failure::from(e), &self.to_coord);
    }

    /// Removes the current file's temporary file, once no write to it is in flight.
    fn discard(&mut self, sink: &mut Sink) {
        self.lanes.drain();
        if let Sink::Temp(t) = mem::replace(sink, Sink::Nothing) {
            t.discard();
        }
    }

    fn report(&self, index: usize, result: DestinationResult) {
        report(&self.to_coord, index, self.d, result);
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
        let try_direct = self.shared.options.direct_io && meta.size >= direct::DIRECT_WRITE_MIN;
        let (file, direct) = match direct::create(&temp, try_direct) {
            Ok(v) => v,
            Err(e) => return self.refuse_or_fail(index, e, &final_path),
        };
        let preallocated = match direct.then(|| direct::preallocate(&file, meta.size)) {
            None | Some(Ok(false)) => 0,
            Some(Ok(true)) => meta.size,
            Some(Err(e)) => {
                drop(file);
                let _ = fs::remove_file(&temp);
                return self.refuse_or_fail(index, e, &final_path);
            }
        };
        Sink::Temp(Temp {
            file: Arc::new(file),
            direct,
            temp,
            final_path,
            new_dir_parents,
            meta,
            written: 0,
            preallocated,
        })
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

    fn write(&mut self, t: &mut Temp, chunk: &Arc<Chunk>) -> Result<()> {
        if let Some(hook) = &self.shared.options.hooks.before_write {
            hook(self.d, &t.final_path, t.written).map_err(|e| Error::io(e, &t.final_path))?;
        }
        let len = chunk.data().len() as u64;
        direct::write(&mut self.lanes, &t.file, &mut t.direct, t.written, chunk)
            .map_err(|e| Error::io(e, &t.final_path))?;
        t.written += len;
        self.shared.dests[self.d]
            .bytes_written
            .fetch_add(len, Ordering::Relaxed);
        Ok(())
    }

    /// Waits for the writes in flight and cuts a preallocated file back to the bytes that
    /// arrived (the source may have ended sooner than its size said).
    fn complete(&mut self, t: &mut Temp) -> Result<()> {
        direct::finish(&mut self.lanes, &t.file, &mut t.direct).map_err(|e| Error::io(e, &t.final_path))?;
        if t.preallocated > t.written {
            t.file
                .set_len(t.written)
                .map_err(|e| Error::io(e, &t.final_path))?;
        }
        Ok(())
    }

    fn end(&mut self, mut sink: Sink, digests: Option<Arc<Digests>>, finisher: &SyncSender<Finish>) {
        // No digests: the source changed, failed or we were cancelled. Drop everything.
        let Some(digests) = digests else {
            self.discard(&mut sink);
            return;
        };
        match sink {
            Sink::Nothing => {}
            Sink::Temp(mut temp) => {
                if let Err(e) = self.complete(&mut temp) {
                    temp.discard();
                    self.fail(e);
                } else if let Err(unsent) = finisher.send(Finish { temp, digests }) {
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
