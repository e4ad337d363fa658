//! What the kernel's page cache holds of a file: the one question both the hasher (is a
//! file cold, so it should be read in order?) and the copy engine (did the eviction work?)
//! ask.

use std::io;

/// `(resident, total)` pages of a mapped region, via `mincore`. An empty region is `(0, 0)`.
pub fn resident_pages(region: &[u8]) -> io::Result<(u64, u64)> {
    if region.is_empty() {
        return Ok((0, 0));
    }
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let mut vec = vec![0u8; region.len().div_ceil(page)];
    // SAFETY: `region` is (the start of) a page-aligned mapping of `region.len()` bytes
    // and `vec` has one byte per page of it; mincore only reads the page tables.
    let rc = unsafe {
        libc::mincore(
            region.as_ptr() as *mut libc::c_void,
            region.len(),
            vec.as_mut_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    let resident = vec.iter().filter(|&&b| b & 1 != 0).count() as u64;
    Ok((resident, vec.len() as u64))
}

/// `(resident, total)` pages of `samples` evenly spread spans of `span` bytes of a mapped
/// region: an estimate that costs the same for any file size. mincore over a whole fresh
/// map looks up every page in the page cache (about 25 ms per GiB here), which is what
/// a hash of a cached file must not pay (bench/RESULTS.md, case A).
pub fn sampled_resident_pages(region: &[u8], samples: usize, span: usize) -> io::Result<(u64, u64)> {
    if samples == 0 || region.len() <= samples.saturating_mul(span) {
        return resident_pages(region);
    }
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize;
    let (mut resident, mut total) = (0, 0);
    for i in 0..samples {
        // Page-aligned starts (the region itself starts on a page): mincore needs them.
        let start = (region.len() / samples * i) / page * page;
        let end = (start + span).min(region.len());
        let (r, t) = resident_pages(&region[start..end])?;
        resident += r;
        total += t;
    }
    Ok((resident, total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;

    #[test]
    fn samples_agree_with_the_whole_count_on_a_cached_and_an_evicted_file() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(&vec![9u8; 16 * 1024 * 1024 + 5]).unwrap();
        f.as_file().sync_all().unwrap();
        std::fs::read(f.path()).unwrap();
        // SAFETY: read-only map of a file this test owns; only passed to mincore.
        let map = unsafe { memmap2::Mmap::map(f.as_file()) }.unwrap();
        let (r, t) = sampled_resident_pages(&map, 16, 64 * 1024).unwrap();
        assert_eq!(
            (r, t),
            (t, 16 * 16),
            "every sampled page of a file just read is cached"
        );
        assert_eq!(resident_pages(&map).unwrap().1, 4097);
        // SAFETY: plain advice on a valid descriptor.
        unsafe { libc::posix_fadvise(f.as_file().as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        if crate::copy::verify::is_memory_backed(f.path()) {
            eprintln!(
                "SKIPPED (eviction half): {} is on a memory-backed file system",
                f.path().display()
            );
            return;
        }
        assert_eq!(sampled_resident_pages(&map, 16, 64 * 1024).unwrap().0, 0);
        // A small region is counted whole.
        assert_eq!(
            sampled_resident_pages(&map[..8192], 16, 64 * 1024).unwrap(),
            (0, 2)
        );
    }
}
