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
