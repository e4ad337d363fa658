//! Reading a file back from the disk rather than from the page cache.
//!
//! Right after a copy every byte of the destination sits in the page cache, so a naive
//! read-back only proves that memory holds what we wrote. Two ways around that, in order:
//! 1. O_DIRECT: the kernel reads from the device. Needs aligned buffers; tmpfs refuses
//!    it at open(), some file systems (exFAT/FAT via FUSE, …) at read().
//! 2. fdatasync + POSIX_FADV_DONTNEED, then mincore on a fresh map to check that no page
//!    of the file is still resident. Only then is the method `disk-evicted`.
//!
//! If neither can be shown (tmpfs keeps files only in memory) the method is `cache`: the
//! report says so instead of pretending.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use super::types::VerifyMethod;
use crate::control::CancelFlag;
use crate::error::{Error, Result};
use crate::hash::{Algorithm, Digests, MultiHasher};
use crate::io_buffer::IoBuffer;
use crate::page_cache;
use crate::read_ahead::read_ahead;

/// O_DIRECT needs buffer address, length and file offset aligned to the logical block
/// size; 4 KiB satisfies both 512-byte and 4 KiB devices.
const DIRECT_ALIGN: usize = 4096;
/// Read-back block: one read() each; large enough that the kernel sends the device
/// several requests at once, a multiple of the alignment.
const READ_BACK_BYTES: usize = 2 * 1024 * 1024;
/// Blocks of one O_DIRECT read-back: one is read from the device while the other is hashed.
const READ_BACK_BLOCKS: usize = 2;
/// statfs magic numbers of file systems that live only in memory.
const TMPFS_MAGIC: i64 = 0x0102_1994;
const RAMFS_MAGIC: i64 = 0x8584_58f6;

pub(crate) struct ReadBack {
    pub(crate) digests: Digests,
    pub(crate) method: VerifyMethod,
}

/// Aligned read-back blocks, allocated on first use. A thread that reads many files back
/// (a destination's verifier) keeps one, so files do not each allocate and fault in fresh
/// buffers; memory stays at most `READ_BACK_BLOCKS × READ_BACK_BYTES` whatever the file
/// sizes.
///
/// Blocks are sized to the file (in whole `DIRECT_ALIGN` units, up to `READ_BACK_BYTES`)
/// and are [`IoBuffer`]s: `is_identical` reads back one file per call, and a 2 MiB block
/// per one-byte file, freed at once, either faulted in 2 MiB per file (where malloc maps
/// it) or raised glibc's mmap threshold and stayed in the thread's arena (issue #18:
/// `shutterproof verify` of 20,000 files).
#[derive(Default)]
pub(crate) struct ReadBackBuffers {
    raw: Vec<IoBuffer>,
}

impl ReadBackBuffers {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// `count` blocks for reading a file of `len` bytes, each aligned for O_DIRECT.
    fn blocks(&mut self, count: usize, len: u64) -> Vec<&mut [u8]> {
        let block = block_len(len);
        for i in 0..count {
            match self.raw.get(i) {
                Some(raw) if raw.len() >= block + DIRECT_ALIGN => {}
                Some(_) => self.raw[i] = IoBuffer::zeroed(block + DIRECT_ALIGN),
                None => self.raw.push(IoBuffer::zeroed(block + DIRECT_ALIGN)),
            }
        }
        self.raw
            .iter_mut()
            .take(count)
            .map(|raw| {
                let start = raw.as_ptr().align_offset(DIRECT_ALIGN);
                &mut raw[start..start + block]
            })
            .collect()
    }
}

/// A read-back block for a file of `len` bytes: the file rounded up to whole
/// `DIRECT_ALIGN` units (at least one), at most `READ_BACK_BYTES`.
fn block_len(len: u64) -> usize {
    // READ_BACK_BYTES is a multiple of DIRECT_ALIGN: capping first keeps the rounding in range.
    let len = len.min(READ_BACK_BYTES as u64) as usize;
    len.next_multiple_of(DIRECT_ALIGN).max(DIRECT_ALIGN)
}

/// `(resident, total)` pages of `path` in the page cache, via mincore on a fresh map.
/// An empty file has `(0, 0)`.
pub fn resident_pages(path: &Path) -> Result<(u64, u64)> {
    let file = File::open(path).map_err(|e| Error::io(e, path))?;
    let len = file.metadata().map_err(|e| Error::io(e, path))?.len();
    resident_pages_of(&file, len).map_err(|e| Error::io(e, path))
}

pub(crate) fn resident_pages_of(file: &File, len: u64) -> io::Result<(u64, u64)> {
    if len == 0 {
        return Ok((0, 0));
    }
    // SAFETY: the map is never dereferenced, only passed to mincore, so a file truncated
    // underneath cannot raise SIGBUS here.
    let map = unsafe { memmap2::Mmap::map(file) }?;
    page_cache::resident_pages(&map)
}

/// True on tmpfs/ramfs, where "the disk" is the page cache and eviction is impossible.
pub(crate) fn is_memory_backed(path: &Path) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: statfs fills a plain C struct; zeroed is a valid initial value.
    let mut s: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `s` a valid out pointer.
    if unsafe { libc::statfs(c.as_ptr(), &mut s) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)] // f_type's type differs between targets
    let kind = s.f_type as i64;
    kind == TMPFS_MAGIC || kind == RAMFS_MAGIC
}

/// Opens for reading without updating atime (the copy preserved it); O_NOATIME is only
/// allowed to the file's owner, so retry without it on EPERM.
pub(crate) fn open_read(path: &Path, flags: i32) -> io::Result<File> {
    let open = |f: i32| OpenOptions::new().read(true).custom_flags(f).open(path);
    match open(flags | libc::O_NOATIME) {
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => open(flags),
        other => other,
    }
}

/// Asks the kernel to drop the file's clean pages; errors only cost honesty, which the
/// mincore check afterwards catches.
pub(crate) fn evict(file: &File) {
    // SAFETY: plain syscall on a valid descriptor; (0, 0) means the whole file.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
    }
}

/// Hashes `path` as stored on its device. `before_read` learns the method just before
/// the bytes are read (it may be called twice if O_DIRECT is refused only at read()).
/// `buffers` may be fresh (`ReadBackBuffers::new()`) or kept across calls.
pub(crate) fn read_back(
    path: &Path,
    algorithms: &[Algorithm],
    allow_direct: bool,
    cancel: &CancelFlag,
    before_read: &mut dyn FnMut(VerifyMethod),
    buffers: &mut ReadBackBuffers,
) -> Result<ReadBack> {
    let memory = is_memory_backed(path);
    if allow_direct && !memory {
        if let Some(done) = read_direct(path, algorithms, cancel, before_read, buffers)? {
            return Ok(done);
        }
    }
    read_evicted(path, algorithms, memory, cancel, before_read, buffers)
}

/// `Ok(None)` when the file system refuses O_DIRECT, so the caller can fall back.
///
/// A file larger than one block is read ahead on a helper thread while this one hashes
/// ([`read_ahead`]); a small file is read and hashed here.
fn read_direct(
    path: &Path,
    algorithms: &[Algorithm],
    cancel: &CancelFlag,
    before_read: &mut dyn FnMut(VerifyMethod),
    buffers: &mut ReadBackBuffers,
) -> Result<Option<ReadBack>> {
    let file = match open_read(path, libc::O_DIRECT) {
        Ok(f) => f,
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => return Ok(None),
        Err(e) => return Err(Error::io(e, path)),
    };
    let len = file.metadata().map_err(|e| Error::io(e, path))?.len();
    let mut hasher = MultiHasher::new(algorithms);
    before_read(VerifyMethod::DiskDirect);
    let count = if len <= READ_BACK_BYTES as u64 {
        1
    } else {
        READ_BACK_BLOCKS
    };
    let mut reader = DirectReader {
        file: &file,
        path,
        cancel,
        read: 0,
        saw_tail: false,
    };
    let outcome = read_ahead(
        buffers.blocks(count, len),
        |b| reader.next(b),
        |b| {
            hasher.update_serial(b);
            Ok(())
        },
    );
    match outcome {
        Ok(()) => Ok(Some(ReadBack {
            digests: hasher.finalize(),
            method: VerifyMethod::DiskDirect,
        })),
        Err(DirectError::Refused) => Ok(None),
        Err(DirectError::Failed(e)) => Err(e),
    }
}

enum DirectError {
    /// The file system refused O_DIRECT at the first read.
    Refused,
    Failed(Error),
}

impl From<Error> for DirectError {
    fn from(e: Error) -> Self {
        DirectError::Failed(e)
    }
}

/// One O_DIRECT read per block, checking what O_DIRECT demands of the offsets.
struct DirectReader<'a> {
    file: &'a File,
    path: &'a Path,
    cancel: &'a CancelFlag,
    read: u64,
    saw_tail: bool,
}

impl DirectReader<'_> {
    /// Bytes read into `buf`; `0` at the end of the file.
    fn next(&mut self, buf: &mut [u8]) -> std::result::Result<usize, DirectError> {
        let mut file = self.file;
        loop {
            self.cancel.check()?;
            let n = match file.read(buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) && self.read == 0 => {
                    return Err(DirectError::Refused)
                }
                Err(e) => return Err(Error::io(e, self.path).into()),
            };
            // Offsets must stay aligned, so only the last read may end off a block boundary.
            if n > 0 && self.saw_tail {
                return Err(Error::io(
                    io::Error::other("O_DIRECT returned a short read before the end of the file"),
                    self.path,
                )
                .into());
            }
            self.saw_tail = n % DIRECT_ALIGN != 0;
            self.read += n as u64;
            return Ok(n);
        }
    }
}

fn read_evicted(
    path: &Path,
    algorithms: &[Algorithm],
    memory: bool,
    cancel: &CancelFlag,
    before_read: &mut dyn FnMut(VerifyMethod),
    buffers: &mut ReadBackBuffers,
) -> Result<ReadBack> {
    let mut file = open_read(path, 0).map_err(|e| Error::io(e, path))?;
    let len = file.metadata().map_err(|e| Error::io(e, path))?.len();
    // Dirty pages cannot be dropped; the copy already synced, an existing file may not be.
    let _ = file.sync_data();
    evict(&file);
    let evicted = matches!(resident_pages_of(&file, len), Ok((0, _)));
    let method = if evicted && !memory {
        VerifyMethod::DiskEvicted
    } else {
        VerifyMethod::Cache
    };
    before_read(method);
    let mut hasher = MultiHasher::new(algorithms);
    let buf = buffers.blocks(1, len).pop().expect("one block");
    loop {
        cancel.check()?;
        match file.read(buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(e, path)),
        }
    }
    // Leave nothing behind: the next check must find the cache empty again.
    evict(&file);
    Ok(ReadBack {
        digests: hasher.finalize(),
        method,
    })
}

/// True when every algorithm present in both sets agrees, and there is at least one.
pub(crate) fn digests_match(a: &Digests, b: &Digests) -> bool {
    let mut compared = 0;
    for alg in Algorithm::ALL {
        if let (Some(x), Some(y)) = (a.get(alg), b.get(alg)) {
            if x != y {
                return false;
            }
            compared += 1;
        }
    }
    compared > 0
}

/// Whether `path` already holds exactly these bytes: same size, then the same hash for
/// every algorithm in `digests`, read back from the disk (as a verification would).
/// A missing file is simply not identical.
pub fn is_identical(path: &Path, size: u64, digests: &Digests, cancel: &CancelFlag) -> Result<bool> {
    let meta = match fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io(e, path)),
    };
    if !meta.is_file() || meta.len() != size {
        return Ok(false);
    }
    let algorithms: Vec<Algorithm> = Algorithm::ALL
        .into_iter()
        .filter(|&a| digests.get(a).is_some())
        .collect();
    if algorithms.is_empty() {
        return Err(Error::invalid(
            "is_identical needs at least one digest to compare",
        ));
    }
    let back = read_back(
        path,
        &algorithms,
        true,
        cancel,
        &mut |_| {},
        &mut ReadBackBuffers::new(),
    )?;
    Ok(digests_match(&back.digests, digests))
}

/// [`is_identical`] against digests given as hex, as a record or manifest holds them.
/// Text that is no digest of its algorithm (wrong length, not hex) cannot match any file:
/// the answer is "not identical", as for any other wrong digest, not an error.
pub fn is_identical_hex(
    path: &Path,
    size: u64,
    hex: &[(Algorithm, String)],
    cancel: &CancelFlag,
) -> Result<bool> {
    match Digests::from_hex(hex.iter().map(|(a, h)| (*a, h.as_str()))) {
        Ok(digests) => is_identical(path, size, &digests, cancel),
        Err(_) => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_back_blocks_are_sized_to_the_file_in_aligned_units() {
        assert_eq!(block_len(0), DIRECT_ALIGN);
        assert_eq!(block_len(1), DIRECT_ALIGN);
        assert_eq!(block_len(DIRECT_ALIGN as u64), DIRECT_ALIGN);
        assert_eq!(block_len(DIRECT_ALIGN as u64 + 1), 2 * DIRECT_ALIGN);
        assert_eq!(block_len(READ_BACK_BYTES as u64 + 1), READ_BACK_BYTES);
        assert_eq!(block_len(u64::MAX), READ_BACK_BYTES);
    }

    #[test]
    fn a_thread_keeps_its_blocks_and_grows_them_only_for_larger_files() {
        let mut buffers = ReadBackBuffers::new();
        let small = buffers.blocks(1, 10);
        assert_eq!(small.len(), 1);
        assert_eq!(small[0].len(), DIRECT_ALIGN);
        assert!((small[0].as_ptr() as usize).is_multiple_of(DIRECT_ALIGN));
        let large = buffers.blocks(2, 10 << 20);
        assert!(large.iter().all(|b| b.len() == READ_BACK_BYTES));
        assert!(large
            .iter()
            .all(|b| (b.as_ptr() as usize).is_multiple_of(DIRECT_ALIGN)));
        let first = buffers.raw[0].as_ptr();
        // A smaller file after a large one reuses the large block.
        let again = buffers.blocks(1, 100);
        assert_eq!(again[0].len(), DIRECT_ALIGN);
        assert_eq!(buffers.raw[0].as_ptr(), first);
    }
}
