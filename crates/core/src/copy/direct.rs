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

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::pool::BUFFER_ALIGN;

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

/// Appends `data` at `offset` (the file's current position). In direct mode the aligned
/// part goes straight to the device; the rest, or everything once the file system
/// refuses O_DIRECT, is written buffered and `direct` becomes false for this file.
pub(crate) fn write(mut file: &File, direct: &mut bool, offset: u64, data: &[u8]) -> io::Result<()> {
    let mut done = 0;
    if *direct {
        let aligned_start = offset.is_multiple_of(BUFFER_ALIGN as u64)
            && (data.as_ptr() as usize).is_multiple_of(BUFFER_ALIGN);
        let aligned = if aligned_start {
            data.len() / BUFFER_ALIGN * BUFFER_ALIGN
        } else {
            0
        };
        while done < aligned {
            match file.write(&data[done..aligned]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Refused (or a short write left us unaligned): finish buffered.
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => break,
                Err(e) => return Err(e),
            }
        }
        if done < data.len() {
            set_buffered(file)?;
            *direct = false;
        }
    }
    file.write_all(&data[done..])
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

    /// An aligned copy of `data` (as pool buffers are).
    fn aligned(data: &[u8]) -> (Vec<u8>, usize) {
        let mut raw = vec![0u8; data.len() + BUFFER_ALIGN];
        let start = raw.as_ptr().align_offset(BUFFER_ALIGN);
        raw[start..start + data.len()].copy_from_slice(data);
        (raw, start)
    }

    #[test]
    fn aligned_blocks_then_a_tail_arrive_whole_whatever_the_file_system_allows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let want: Vec<u8> = (0..3 * 65_536 + 1234).map(|i| (i * 7 % 251) as u8).collect();
        for try_direct in [true, false] {
            let (file, mut direct) = create(&path, try_direct).unwrap();
            let mut offset = 0u64;
            for piece in want.chunks(65_536) {
                let (raw, start) = aligned(piece);
                write(&file, &mut direct, offset, &raw[start..start + piece.len()]).unwrap();
                offset += piece.len() as u64;
            }
            // The tail turned direct mode off, if it was ever on.
            assert!(!direct);
            file.sync_all().unwrap();
            drop(file);
            assert_eq!(std::fs::read(&path).unwrap(), want, "direct={try_direct}");
        }
    }
}
