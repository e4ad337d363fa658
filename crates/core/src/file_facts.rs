//! `lstat` of many paths in one call, packed as numbers: what the card walks, the
//! verdict's copy checks and the re-run's resume check need of each entry (kind, size,
//! modification time). From JS one batch per call instead of one libuv request, promise
//! and `Stats` object per path (issue #18: a 2,000-file ingest made ~6,000 of them, ~80
//! ms of its main thread and a good part of its garbage).

use std::fs::{self, FileType, Metadata};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// Numbers per path in [`lstat_many`]'s output: kind, size, mtime in ms, errno.
pub const FACTS_PER_PATH: usize = 4;

/// The path could not be looked at; its errno is the fourth number.
pub const KIND_ERROR: f64 = 0.0;
/// A regular file.
pub const KIND_FILE: f64 = 1.0;
/// A folder.
pub const KIND_DIRECTORY: f64 = 2.0;
/// A symbolic link (not followed).
pub const KIND_SYMLINK: f64 = 3.0;
/// Anything else: a device, a FIFO, a socket.
pub const KIND_OTHER: f64 = 4.0;

/// For each path, in order: kind, size in bytes, modification time in ms since the epoch,
/// and the errno when the kind is [`KIND_ERROR`] (0 otherwise).
pub fn lstat_many<P: AsRef<Path>>(paths: &[P]) -> Vec<f64> {
    let mut out = Vec::with_capacity(paths.len() * FACTS_PER_PATH);
    for p in paths {
        out.extend_from_slice(&facts_of(p.as_ref()));
    }
    out
}

fn facts_of(path: &Path) -> [f64; FACTS_PER_PATH] {
    match fs::symlink_metadata(path) {
        Ok(m) => [kind_of(m.file_type()), m.len() as f64, mtime_ms(&m), 0.0],
        Err(e) => [KIND_ERROR, 0.0, 0.0, f64::from(errno_of(&e))],
    }
}

/// The system's errno; a path the kernel never saw (a NUL byte in it) is EINVAL, as Node says.
fn errno_of(e: &std::io::Error) -> i32 {
    match (e.raw_os_error(), e.kind()) {
        (Some(n), _) => n,
        (None, std::io::ErrorKind::InvalidInput) => libc::EINVAL,
        (None, _) => libc::EIO,
    }
}

fn kind_of(t: FileType) -> f64 {
    if t.is_symlink() {
        KIND_SYMLINK
    } else if t.is_dir() {
        KIND_DIRECTORY
    } else if t.is_file() {
        KIND_FILE
    } else {
        debug_assert!(t.is_block_device() || t.is_char_device() || t.is_fifo() || t.is_socket());
        KIND_OTHER
    }
}

/// Computed as Node computes `Stats.mtimeMs` (seconds × 1000 + nanoseconds / 10⁶, in
/// doubles), so that a time recorded from either compares equal to the other's.
fn mtime_ms(m: &Metadata) -> f64 {
    m.mtime() as f64 * 1000.0 + m.mtime_nsec() as f64 / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn facts(paths: &[&Path]) -> Vec<[f64; FACTS_PER_PATH]> {
        lstat_many(paths)
            .chunks(FACTS_PER_PATH)
            .map(|c| c.try_into().unwrap())
            .collect()
    }

    #[test]
    fn each_kind_size_time_and_error_in_the_order_given() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("IMG_0001.CR3");
        fs::write(&file, b"raw bytes").unwrap();
        let link = dir.path().join("link");
        symlink(&file, &link).unwrap();
        let gone = dir.path().join("gone");
        let under_file = file.join("x");
        let nul = Path::new("IMG\0.CR3");
        let got = facts(&[
            &file,
            dir.path(),
            &link,
            &gone,
            &under_file,
            Path::new("/dev/null"),
            nul,
        ]);
        let m = fs::symlink_metadata(&file).unwrap();
        let ms = m.mtime() as f64 * 1000.0 + m.mtime_nsec() as f64 / 1e6;
        assert_eq!(got[0], [KIND_FILE, 9.0, ms, 0.0]);
        assert_eq!(got[1][0], KIND_DIRECTORY);
        assert_eq!(got[2][0], KIND_SYMLINK, "a link is not followed");
        assert_eq!(got[3], [KIND_ERROR, 0.0, 0.0, f64::from(libc::ENOENT)]);
        assert_eq!(got[4], [KIND_ERROR, 0.0, 0.0, f64::from(libc::ENOTDIR)]);
        assert_eq!(got[5][0], KIND_OTHER);
        assert_eq!(got[6], [KIND_ERROR, 0.0, 0.0, f64::from(libc::EINVAL)]);
    }

    #[test]
    fn no_paths_no_numbers() {
        assert!(lstat_many::<&Path>(&[]).is_empty());
    }
}
