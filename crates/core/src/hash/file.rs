//! Hashing a file from a path: one pass over the bytes, every algorithm at once.
//!
//! Files of 16 KiB and more are memory-mapped and hashed in windows, like `b3sum` does,
//! so BLAKE3 can spread over all cores without a copy into a buffer. The windows give us
//! points to check for cancellation and to report progress.
//!
//! A map suits a file already in the page cache. A cold file is different: BLAKE3's
//! threads touch each window out of order, which defeats the kernel's readahead, and
//! hashing a cold 1 GiB map ran at half the speed of `cat` (bench/RESULTS.md, case A,
//! before this path existed). So a file mostly absent from the page cache is read in
//! order by one reader thread into a few large blocks while the calling thread hashes the
//! previous block: reading and hashing overlap, and the disk sees one sequential stream.
//!
//! A memory map has one known hazard: if another process truncates the file while we
//! hash it, the kernel raises SIGBUS. The copy engine, which reads removable cards, uses
//! `read()` for that reason; `hash_file` serves files already on local storage.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use super::{Algorithm, Digests, MultiHasher};
use crate::control::Control;
use crate::error::{Error, Result};
use crate::page_cache;
use crate::read_ahead::read_ahead;

/// Below this size a plain read beats setting up a map (b3sum uses the same cut-off).
const MMAP_MIN_BYTES: u64 = 16 * 1024;
/// The largest slice hashed between two cancellation checks / progress reports. A power
/// of two, so each slice is a whole number of BLAKE3 chunks and keeps its tree
/// parallelism. Each slice ends with a join of BLAKE3's threads: 16 MiB slices cost 7 %
/// against one call over the whole map (`examples/window_probe.rs`), 64 MiB ones nothing
/// measurable.
const WINDOW_BYTES: usize = 64 * 1024 * 1024;
/// The smallest slice: still worth spreading BLAKE3 over every core (≥ 128 KiB).
const MIN_SLICE_BYTES: usize = 256 * 1024;
/// How long one slice should take. Slices grow (up to [`WINDOW_BYTES`]) while they take
/// less than half of it and shrink (down to [`MIN_SLICE_BYTES`]) while they take more, so
/// an abort is seen within a few tens of milliseconds whatever the algorithms (MD5 and
/// SHA-256 run at a fifth of BLAKE3's speed or less), the build and the machine's load —
/// a fixed 64 MiB window let an MD5 of a 96 MiB file run 3 s past its abort.
const SLICE_TARGET: Duration = Duration::from_millis(25);
/// Buffer for the read() path (files that cannot be mapped, and small files).
const READ_BUFFER_BYTES: usize = 1024 * 1024;
/// A mapped file with at least this share (in percent) of its pages cached is hashed from
/// the map; below it, the file is cold and read in order (see the module note).
const WARM_PERCENT: u64 = 90;
/// Block of the cold path: large enough that one BLAKE3 update still spreads over every
/// core, small enough that the blocks in flight stay a few MiB of memory.
const COLD_BLOCK_BYTES: usize = 4 * 1024 * 1024;
/// Residency is estimated from this many evenly spread spans of [`RESIDENCY_SPAN_BYTES`].
const RESIDENCY_SAMPLES: usize = 64;
const RESIDENCY_SPAN_BYTES: usize = 64 * 1024;
/// Blocks in rotation on the cold path: one being hashed, one being read, one spare so
/// the reader never waits for the hasher to hand a block back.
const COLD_BLOCKS: usize = 3;

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
        Some(map) if is_warm(&map) => hash_windows(&map, &mut hasher, control)?,
        Some(map) => {
            drop(map);
            hash_cold(file, path, &mut hasher, control)?
        }
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

/// True when most of the file is in the page cache, judged from samples (or when mincore
/// cannot tell: the map path is always correct, only its speed on a cold file is at stake).
fn is_warm(map: &memmap2::Mmap) -> bool {
    match page_cache::sampled_resident_pages(map, RESIDENCY_SAMPLES, RESIDENCY_SPAN_BYTES) {
        Ok((resident, total)) => resident * 100 >= total * WARM_PERCENT,
        Err(_) => true,
    }
}

fn hash_windows(map: &memmap2::Mmap, hasher: &mut MultiHasher, control: &mut Control) -> Result<()> {
    Pacer::new().feed(map, hasher, control)
}

/// Feeds bytes to a hasher in slices sized to take about [`SLICE_TARGET`] each, checking
/// for cancellation and reporting progress between slices.
struct Pacer {
    slice: usize,
}

impl Pacer {
    fn new() -> Self {
        Pacer {
            slice: MIN_SLICE_BYTES,
        }
    }

    fn feed(&mut self, mut data: &[u8], hasher: &mut MultiHasher, control: &mut Control) -> Result<()> {
        while !data.is_empty() {
            control.cancel.check()?;
            let (now, rest) = data.split_at(self.slice.min(data.len()));
            let started = Instant::now();
            hasher.update(now);
            self.adapt(now.len(), started.elapsed());
            control.progress.report(hasher.bytes());
            data = rest;
        }
        Ok(())
    }

    fn adapt(&mut self, hashed: usize, took: Duration) {
        if hashed < self.slice {
            return; // a short tail says nothing about the speed
        }
        if took < SLICE_TARGET / 2 && self.slice < WINDOW_BYTES {
            self.slice *= 2;
        } else if took > SLICE_TARGET && self.slice > MIN_SLICE_BYTES {
            self.slice /= 2;
        }
    }
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

/// The cold path: a reader thread fills blocks in file order; this thread hashes them.
fn hash_cold(mut file: File, path: &Path, hasher: &mut MultiHasher, control: &mut Control) -> Result<()> {
    // SAFETY: plain advice on a valid descriptor; it doubles the kernel's readahead window.
    unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_SEQUENTIAL) };
    let cancel = control.cancel.clone();
    let mut raw = vec![vec![0u8; COLD_BLOCK_BYTES]; COLD_BLOCKS];
    let mut at_end = false;
    let read = |block: &mut [u8]| -> Result<usize> {
        cancel.check()?;
        if at_end {
            return Ok(0);
        }
        let n = fill(&mut file, block).map_err(|e| Error::io(e, path))?;
        // A short fill is the end of the file: no need to ask again.
        at_end = n < block.len();
        Ok(n)
    };
    let blocks = raw.iter_mut().map(Vec::as_mut_slice).collect();
    let mut pacer = Pacer::new();
    read_ahead(blocks, read, |block| pacer.feed(block, hasher, control))?;
    control.cancel.check()
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn fill(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(n)
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

    /// Drops `f`'s pages from the page cache so that hash_file takes the cold path.
    fn evict(f: &tempfile::NamedTempFile) {
        let file = f.as_file();
        file.sync_all().unwrap();
        // SAFETY: plain advice on a valid descriptor.
        unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    }

    #[test]
    fn the_cold_path_agrees_with_the_buffer_path() {
        let sizes = [
            16384usize,
            COLD_BLOCK_BYTES,
            COLD_BLOCK_BYTES + 1,
            3 * COLD_BLOCK_BYTES + 4097,
        ];
        for len in sizes {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
            let f = file_with(&data);
            let mut hasher = MultiHasher::new(&Algorithm::ALL);
            let file = File::open(f.path()).unwrap();
            hash_cold(file, f.path(), &mut hasher, &mut Control::none()).unwrap();
            let mut h = MultiHasher::new(&Algorithm::ALL);
            h.update(&data);
            assert_eq!(hasher.bytes(), len as u64);
            assert_eq!(hasher.finalize(), h.finalize(), "len {len}");
        }
    }

    #[test]
    fn an_evicted_file_is_cold_and_a_read_one_is_warm() {
        let f = file_with(&vec![5u8; COLD_BLOCK_BYTES]);
        std::fs::read(f.path()).unwrap();
        assert!(is_warm(&map(f.as_file()).unwrap()));
        evict(&f);
        if crate::copy::verify::is_memory_backed(f.path()) {
            eprintln!(
                "SKIPPED: {} is on a memory-backed file system",
                f.path().display()
            );
            return;
        }
        assert!(!is_warm(&map(f.as_file()).unwrap()));
    }

    #[test]
    fn the_cold_path_stops_when_cancelled_mid_file() {
        let f = file_with(&vec![3u8; 4 * COLD_BLOCK_BYTES]);
        let cancel = CancelFlag::new();
        let stopper = cancel.clone();
        let mut control = Control {
            cancel,
            progress: Progress::new(move |_| stopper.cancel()),
        };
        let mut hasher = MultiHasher::new(&[]);
        let file = File::open(f.path()).unwrap();
        let e = hash_cold(file, f.path(), &mut hasher, &mut control).unwrap_err();
        assert_eq!(e.code, ErrorCode::Aborted);
        assert!(hasher.bytes() < 4 * COLD_BLOCK_BYTES as u64);
    }

    #[test]
    fn the_mapped_path_sees_a_cancel_within_one_small_slice() {
        // MD5 alone is the slowest case: the old fixed 64 MiB window hashed it for
        // seconds before looking at the flag.
        let f = file_with(&vec![9u8; 3 * WINDOW_BYTES]);
        std::fs::read(f.path()).unwrap();
        let cancel = CancelFlag::new();
        let stopper = cancel.clone();
        let mut control = Control {
            cancel,
            progress: Progress::new(move |_| stopper.cancel()),
        };
        let mut hasher = MultiHasher::new(&[Algorithm::Md5]);
        let map = map(&File::open(f.path()).unwrap()).unwrap();
        let e = hash_windows(&map, &mut hasher, &mut control).unwrap_err();
        assert_eq!(e.code, ErrorCode::Aborted);
        // Cancelled after the first slice: far less than one old 64 MiB window was hashed.
        assert!(
            hasher.bytes() <= (2 * MIN_SLICE_BYTES) as u64,
            "{} bytes",
            hasher.bytes()
        );
    }

    #[test]
    fn slices_grow_when_fast_and_shrink_when_slow() {
        let mut p = Pacer::new();
        p.adapt(MIN_SLICE_BYTES, Duration::ZERO);
        assert_eq!(p.slice, 2 * MIN_SLICE_BYTES);
        for _ in 0..20 {
            p.adapt(p.slice, Duration::ZERO);
        }
        assert_eq!(p.slice, WINDOW_BYTES);
        p.adapt(p.slice, SLICE_TARGET * 4);
        assert_eq!(p.slice, WINDOW_BYTES / 2);
        for _ in 0..20 {
            p.adapt(p.slice, SLICE_TARGET * 4);
        }
        assert_eq!(p.slice, MIN_SLICE_BYTES);
        p.adapt(10, Duration::ZERO);
        assert_eq!(p.slice, MIN_SLICE_BYTES, "a short tail changes nothing");
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
