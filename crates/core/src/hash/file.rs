//! Hashing a file from a path: one pass over the bytes, every algorithm at once.
//!
//! Files of 16 KiB and more are memory-mapped and hashed in windows, like `b3sum` does,
//! so BLAKE3 can spread over all cores without a copy into a buffer. The windows give us
//! points to check for cancellation and to report progress.
//!
//! A memory map has one known hazard: if another process truncates the file while we
//! hash it, the kernel raises SIGBUS. The copy engine, which reads removable cards, uses
//! `read()` for that reason; `hash_file` serves files already on local storage.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{Algorithm, Digests, MultiHasher};
use crate::control::Control;
use crate::error::{Error, Result};

/// Below this size a plain read beats setting up a map (b3sum uses the same cut-off).
const MMAP_MIN_BYTES: u64 = 16 * 1024;
/// Bytes hashed between two cancellation checks / progress reports. A power of two, so
/// each window is a whole number of BLAKE3 chunks and keeps its tree parallelism.
const WINDOW_BYTES: usize = 16 * 1024 * 1024;
/// Buffer for the read() path (files that cannot be mapped, and small files).
const READ_BUFFER_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigests {
    pub size: u64,
    pub digests: Digests,
}

pub fn hash_file(path: &Path, algorithms: &[Algorithm], control: &mut Control) -> Result<FileDigests> {
    control.cancel.check()?;
    let file = File::open(path).map_err(|e| Error::io(e, path))?;
    let meta = file.metadata().map_err(|e| Error::io(e, path))?;
    if meta.is_dir() {
        return Err(Error::io(
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
            path,
        ));
    }
    let mut hasher = MultiHasher::new(algorithms);
    let mapped = if meta.is_file() && meta.len() >= MMAP_MIN_BYTES {
        map(&file)
    } else {
        None
    };
    match mapped {
        Some(map) => hash_windows(&map, &mut hasher, control)?,
        None => hash_reads(file, path, &mut hasher, control)?,
    }
    control.progress.finish(hasher.bytes());
    Ok(FileDigests {
        size: hasher.bytes(),
        digests: hasher.finalize(),
    })
}

fn map(file: &File) -> Option<memmap2::Mmap> {
    // SAFETY: the map is read-only and lives only for this call; see the module note on
    // concurrent truncation.
    let map = unsafe { memmap2::Mmap::map(file) }.ok()?;
    let _ = map.advise(memmap2::Advice::Sequential);
    Some(map)
}

fn hash_windows(map: &memmap2::Mmap, hasher: &mut MultiHasher, control: &mut Control) -> Result<()> {
    let _ = map.advise_range(memmap2::Advice::WillNeed, 0, WINDOW_BYTES.min(map.len()));
    for (i, window) in map.chunks(WINDOW_BYTES).enumerate() {
        control.cancel.check()?;
        // Ask the kernel to start reading the next window while this one is hashed: BLAKE3's
        // threads touch a window out of order, which defeats ordinary readahead on a cold file.
        let next = (i + 1) * WINDOW_BYTES;
        if next < map.len() {
            let _ = map.advise_range(
                memmap2::Advice::WillNeed,
                next,
                WINDOW_BYTES.min(map.len() - next),
            );
        }
        hasher.update(window);
        control.progress.report(hasher.bytes());
    }
    Ok(())
}

fn hash_reads(mut file: File, path: &Path, hasher: &mut MultiHasher, control: &mut Control) -> Result<()> {
    let mut buf = vec![0u8; READ_BUFFER_BYTES];
    loop {
        control.cancel.check()?;
        let n = match file.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(e, path)),
        };
        hasher.update(&buf[..n]);
        control.progress.report(hasher.bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::{CancelFlag, Progress};
    use crate::ErrorCode;
    use std::io::Write;

    fn file_with(bytes: &[u8]) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        f.flush().unwrap();
        f
    }

    #[test]
    fn mapped_and_read_paths_agree_with_the_buffer_path() {
        for len in [0usize, 1, 16383, 16384, 16385, WINDOW_BYTES + 7] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let f = file_with(&data);
            let got = hash_file(f.path(), &Algorithm::ALL, &mut Control::none()).unwrap();
            let mut h = MultiHasher::new(&Algorithm::ALL);
            h.update(&data);
            assert_eq!(got.size, len as u64);
            assert_eq!(got.digests, h.finalize(), "len {len}");
        }
    }

    #[test]
    fn progress_ends_at_the_size_and_never_goes_back() {
        let data = vec![7u8; 3 * WINDOW_BYTES + 5];
        let f = file_with(&data);
        let mut seen = Vec::new();
        let mut control = Control {
            cancel: CancelFlag::new(),
            progress: Progress::new(|n| seen.push(n)),
        };
        hash_file(f.path(), &[], &mut control).unwrap();
        drop(control);
        assert_eq!(seen.last(), Some(&(data.len() as u64)));
        assert!(seen.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn errors_carry_codes_and_paths() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.cr3");
        let e = hash_file(&missing, &[], &mut Control::none()).unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert!(e.message.contains("missing.cr3"));
        let e = hash_file(dir.path(), &[], &mut Control::none()).unwrap_err();
        assert_eq!(e.code, ErrorCode::IsDirectory);
    }

    #[test]
    fn a_cancelled_control_stops_before_reading() {
        let f = file_with(&[1; 100_000]);
        let mut control = Control::none();
        control.cancel.cancel();
        assert_eq!(
            hash_file(f.path(), &[], &mut control).unwrap_err().code,
            ErrorCode::Aborted
        );
    }
}
