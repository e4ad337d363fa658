//! The reader: one read() pass over each source (never mmap: a card pulled out mid-copy
//! would raise SIGBUS), hashing inline and handing each filled buffer to every writer.

use std::fs::{self, File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::SystemTime;

use super::jobs::Jobs;
use super::shared::{FileMeta, Shared, ToCoordinator, ToWriter};
use super::types::{Failure, SourceState, VerifyMode};
use super::verify::{digests_match, open_read, read_back, ReadBackBuffers};
use crate::error::{Error, ErrorCode, Result};
use crate::hash::{Digests, MultiHasher};

pub(crate) fn run_reader(
    shared: &Shared,
    jobs: &dyn Jobs,
    writers: Vec<Sender<ToWriter>>,
    to_coord: Sender<ToCoordinator>,
) {
    let fanout = Fanout {
        shared,
        writers: &writers,
    };
    for index in 0..jobs.len() {
        // Files not reached are reported by the coordinator (aborted / destination failed).
        if shared.cancel.is_cancelled() || shared.all_dead() {
            break;
        }
        shared.reading.store(index, Ordering::Relaxed);
        let _ = to_coord.send(read_one(shared, index, jobs, &fanout));
    }
}

/// Sends to every destination still alive; a dead one is draining and needs nothing.
struct Fanout<'a> {
    shared: &'a Shared<'a>,
    writers: &'a [Sender<ToWriter>],
}

impl Fanout<'_> {
    fn send(&self, msg: ToWriter) {
        for (d, w) in self.writers.iter().enumerate() {
            if !self.shared.is_dead(d) {
                let _ = w.send(msg.clone());
            }
        }
    }
}

fn read_one(shared: &Shared, index: usize, jobs: &dyn Jobs, fanout: &Fanout) -> ToCoordinator {
    let source = &*jobs.source(index);
    let opened = open_read(source, 0)
        .and_then(|f| f.metadata().map(|m| (f, m)))
        .map_err(|e| Error::io(e, source));
    let (file, before) = match opened {
        Ok(ok) => ok,
        Err(e) => return source_result(index, None, Err(e)),
    };
    if !before.is_file() {
        let e = Error::invalid(format!(
            "{}: not a regular file; only files can be copied",
            source.display()
        ));
        return source_result(index, Some(&before), Err(e));
    }
    let meta = Arc::new(FileMeta {
        index,
        relative: jobs.relative(index).to_path_buf(),
        size: before.len(),
        mtime: before.modified().unwrap_or(SystemTime::UNIX_EPOCH),
        atime: before.accessed().unwrap_or(SystemTime::UNIX_EPOCH),
        dev: before.dev(),
        ino: before.ino(),
    });
    fanout.send(ToWriter::Begin(Arc::clone(&meta)));
    let outcome = read_and_hash(shared, &file, source, &meta, fanout)
        .and_then(|digests| check_unchanged(&file, &before, source).map(|()| digests))
        .and_then(|digests| recheck_source(shared, source, digests));
    fanout.send(ToWriter::End(outcome.as_ref().ok().map(|&d| Arc::new(d))));
    source_result(index, Some(&before), outcome)
}

fn source_result(index: usize, before: Option<&Metadata>, outcome: Result<Digests>) -> ToCoordinator {
    ToCoordinator::Source {
        file: index,
        size: before.map_or(0, |m| m.len()),
        mtime: before.and_then(|m| m.modified().ok()),
        outcome: outcome.map_err(|e| {
            let state = match e.code {
                ErrorCode::SourceChanged => SourceState::Changed,
                ErrorCode::Aborted => SourceState::NotRead,
                _ => SourceState::Failed,
            };
            (state, Failure::from(e))
        }),
    }
}

fn read_and_hash(
    shared: &Shared,
    file: &File,
    source: &Path,
    meta: &FileMeta,
    fanout: &Fanout,
) -> Result<Digests> {
    let mut hasher = MultiHasher::new(&shared.options.algorithms);
    let mut offset = 0u64;
    while offset < meta.size {
        shared.cancel.check()?;
        if shared.all_dead() {
            return Err(Error::aborted());
        }
        let mut chunk = shared.pool.take(&shared.cancel).ok_or_else(Error::aborted)?;
        let want = (meta.size - offset).min(chunk.space().len() as u64) as usize;
        let n = fill(file, &mut chunk.space()[..want]).map_err(|e| Error::io(e, source))?;
        if n < want {
            return Err(changed(
                source,
                &format!(
                    "it shrank while being read ({} of {} bytes)",
                    offset + n as u64,
                    meta.size
                ),
            ));
        }
        chunk.set_len(n);
        hasher.update(chunk.data());
        offset += n as u64;
        shared.bytes_read.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(hook) = &shared.options.hooks.after_read {
            hook(source, offset);
        }
        fanout.send(ToWriter::Data(Arc::new(chunk)));
    }
    // A file still being written has bytes past the size we saw when we opened it.
    let mut probe = [0u8; 1];
    if fill(file, &mut probe).map_err(|e| Error::io(e, source))? > 0 {
        return Err(changed(source, "it grew while being read"));
    }
    Ok(hasher.finalize())
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn fill(mut file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Size and mtime of the open file, and the inode behind the path, as at the start.
fn check_unchanged(file: &File, before: &Metadata, source: &Path) -> Result<()> {
    let after = file.metadata().map_err(|e| Error::io(e, source))?;
    if after.len() != before.len() || after.modified().ok() != before.modified().ok() {
        return Err(changed(
            source,
            "its size or modification time changed during the copy",
        ));
    }
    let now = fs::metadata(source).map_err(|e| Error::io(e, source))?;
    if (now.dev(), now.ino()) != (before.dev(), before.ino()) {
        return Err(changed(source, "it was replaced by another file during the copy"));
    }
    Ok(())
}

/// `VerifyMode::Source`: read the source a second time, from its device, and demand the
/// same hash. Catches a card or reader that returns different bytes on each read.
fn recheck_source(shared: &Shared, source: &Path, digests: Digests) -> Result<Digests> {
    if shared.options.verify != VerifyMode::Source {
        return Ok(digests);
    }
    let opts = shared.options;
    let again = read_back(
        source,
        &opts.algorithms,
        opts.direct_io,
        &shared.cancel,
        &mut |_| {},
        &mut ReadBackBuffers::new(),
    )?;
    if !digests_match(&again.digests, &digests) {
        return Err(Error::new(
            ErrorCode::VerifyMismatch,
            format!(
                "{}: a second read of the source gave different bytes; the card or reader may be \
                 failing, copy it again and check the card",
                source.display()
            ),
        )
        .with_path(source));
    }
    Ok(digests)
}

fn changed(source: &Path, why: &str) -> Error {
    Error::new(
        ErrorCode::SourceChanged,
        format!(
            "{}: {why}; make sure nothing writes to the card, then copy it again",
            source.display()
        ),
    )
    .with_path(source)
}
