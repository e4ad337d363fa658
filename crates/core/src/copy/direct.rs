//! Writing a copy with O_DIRECT where the file system allows it.
//!
//! A buffered write copies every byte into the page cache (the profile in
//! docs/COPY-ENGINE.md found that copy to be the largest CPU cost of a verified copy on a
//! loaded 2-core machine), leaves it for fsync to write out, and the read-back then has to
//! bypass or evict those same pages. O_DIRECT hands the pool's aligned buffers to the
//! device as they are: no copy, no dirty pages, nothing cached twice. fsync is still
//! called afterwards (it commits the size and block allocation and flushes the device's
//! write cache), so durability is unchanged.
//!
//! O_DIRECT needs the buffer address, the length and the file offset aligned. Pool buffers
//! are aligned and full buffers are a multiple of 4 KiB in the default setup; the first
//! write that is not (a file's tail, or an odd `buffer_bytes`) writes its aligned part
//! directly, then turns O_DIRECT off on that descriptor (`fcntl`) and finishes buffered.
//! A file system that refuses O_DIRECT (at open or at the first write: tmpfs on older
//! kernels, some FUSE and FAT drivers) simply gets buffered writes.
//!
//! Direct writes are positional and run on the destination's lanes (`lanes.rs`), up to
//! two at a time, into a file preallocated to the source's size; the writer cuts the file back
//! if fewer bytes arrived.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Arc;

use super::lanes::{Done, Job, Lanes};
use super::pool::{Chunk, BUFFER_ALIGN};

/// Files smaller than this are written buffered: their bytes are mostly one tail, and a
/// synchronous direct write would make the writer wait for the device on every file.
pub(crate) const DIRECT_WRITE_MIN: u64 = 1024 * 1024;

/// Creates (or truncates) `path` for writing, with O_DIRECT when `direct` and the file
/// system accepts it. Returns the file and whether it is in direct mode.
pub(crate) fn create(path: &Path, direct: bool) -> io::Result<(File, bool)> {
    let open = |flags: i32| {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .custom_flags(flags)
            .open(path)
    };
    if direct {
        match open(libc::O_DIRECT) {
            Ok(f) => return Ok((f, true)),
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {}
            Err(e) => return Err(e),
        }
    }
    open(0).map(|f| (f, false))
}

/// Reserves `size` bytes for a file about to be written with O_DIRECT, so that its writes
/// fall below the file's size and may run side by side (`lanes.rs`). Returns whether it
/// did; a file system without `fallocate` just gets writes one at a time. A full disk is
/// an error: the copy could not fit anyway.
pub(crate) fn preallocate(file: &File, size: u64) -> io::Result<bool> {
    let Ok(len) = libc::off_t::try_from(size) else {
        return Ok(false);
    };
    if len == 0 {
        return Ok(false);
    }
    // SAFETY: fallocate on a valid descriptor with integer arguments only.
    if unsafe { libc::fallocate(file.as_raw_fd(), 0, 0, len) } == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::ENOSPC | libc::EDQUOT | libc::EIO) => Err(e),
        _ => Ok(false),
    }
}

/// Writes `chunk` at `offset` (the bytes written so far). In direct mode its aligned part
/// goes to the lanes and this returns while it is in flight; the rest, or everything
/// once the file system refuses O_DIRECT, is written buffered here and `direct` becomes
/// false for this file. An error may belong to an earlier chunk still in flight.
pub(crate) fn write(
    lanes: &mut Lanes,
    file: &Arc<File>,
    direct: &mut bool,
    offset: u64,
    chunk: &Arc<Chunk>,
) -> io::Result<()> {
    let data = chunk.data();
    let mut done = 0;
    if *direct {
        let aligned_start = offset.is_multiple_of(BUFFER_ALIGN as u64)
            && (data.as_ptr() as usize).is_multiple_of(BUFFER_ALIGN);
        if aligned_start {
            done = data.len() / BUFFER_ALIGN * BUFFER_ALIGN;
        }
        if done > 0 {
            let job = Job {
                file: Arc::clone(file),
                offset,
                chunk: Arc::clone(chunk),
                len: done,
            };
            if let Some(oldest) = lanes.submit(job) {
                settle(lanes, file, direct, oldest)?;
            }
        }
        if done < data.len() {
            go_buffered(lanes, file, direct)?;
        }
    }
    file.write_all_at(&data[done..], offset + done as u64)
}

/// Waits for every write in flight for `file`: once this returns `Ok`, all its bytes
/// so far are written.
pub(crate) fn finish(lanes: &mut Lanes, file: &File, direct: &mut bool) -> io::Result<()> {
    for done in lanes.drain() {
        settle(lanes, file, direct, done)?;
    }
    Ok(())
}

fn settle(lanes: &mut Lanes, file: &File, direct: &mut bool, done: Done) -> io::Result<()> {
    match done {
        Done::Written => Ok(()),
        Done::Failed(e) => Err(e),
        Done::Refused { job, written } => {
            go_buffered(lanes, file, direct)?;
            let rest = &job.chunk.data()[written..job.len];
            file.write_all_at(rest, job.offset + written as u64)
        }
    }
}

/// Ends direct mode for this file: waits for the writes in flight (finishing any the file
/// system refused), then turns O_DIRECT off on the descriptor.
fn go_buffered(lanes: &mut Lanes, file: &File, direct: &mut bool) -> io::Result<()> {
    if *direct {
        *direct = false;
        set_buffered(file)?;
    }
    finish(lanes, file, direct)
}

/// Turns O_DIRECT off on an open descriptor (Linux allows changing it with F_SETFL).
fn set_buffered(file: &File) -> io::Result<()> {
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a valid descriptor with integer arguments only.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_DIRECT) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::CancelFlag;
    use crate::copy::pool::BufferPool;

    /// `piece` in a pool buffer, as the reader hands it over.
    fn chunk(pool: &Arc<BufferPool>, piece: &[u8]) -> Arc<Chunk> {
        let mut c = pool.take(&CancelFlag::new()).unwrap();
        c.space()[..piece.len()].copy_from_slice(piece);
        c.set_len(piece.len());
        Arc::new(c)
    }

    fn write_all(path: &Path, want: &[u8], try_direct: bool, piece_len: usize) -> bool {
        let pool = BufferPool::new(piece_len, 4);
        let mut lanes = Lanes::new(2);
        let (file, mut direct) = create(path, try_direct).unwrap();
        let file = Arc::new(file);
        if direct {
            preallocate(&file, want.len() as u64).unwrap();
        }
        let mut offset = 0u64;
        for piece in want.chunks(piece_len) {
            write(&mut lanes, &file, &mut direct, offset, &chunk(&pool, piece)).unwrap();
            offset += piece.len() as u64;
        }
        finish(&mut lanes, &file, &mut direct).unwrap();
        file.sync_all().unwrap();
        direct
    }

    #[test]
    fn aligned_blocks_then_a_tail_arrive_whole_whatever_the_file_system_allows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let want: Vec<u8> = (0..9 * 65_536 + 1234).map(|i| (i * 7 % 251) as u8).collect();
        for try_direct in [true, false] {
            // The tail turned direct mode off, if it was ever on.
            assert!(!write_all(&path, &want, try_direct, 65_536));
            assert_eq!(std::fs::read(&path).unwrap(), want, "direct={try_direct}");
        }
    }

    #[test]
    fn an_unaligned_buffer_size_finishes_buffered_with_every_byte_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let want: Vec<u8> = (0..5 * 10_000).map(|i| (i * 13 % 253) as u8).collect();
        assert!(!write_all(&path, &want, true, 10_000));
        assert_eq!(std::fs::read(&path).unwrap(), want);
    }

    #[test]
    fn a_whole_number_of_blocks_stays_direct_where_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let want: Vec<u8> = (0..8 * 65_536).map(|i| (i * 31 % 257) as u8).collect();
        write_all(&path, &want, true, 65_536);
        assert_eq!(std::fs::read(&path).unwrap(), want);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), want.len() as u64);
    }
}
