//! Fresh output memory backed by transparent huge pages: a memory question, like
//! `page_cache.rs`, not a cryptographic one. Sealing and opening write their output into
//! buffers of several MiB that nothing has touched yet; this module asks Linux to back
//! them with 2 MiB pages before the first write.

/// Reserves room for `additional` more bytes in `out`. When that needs a fresh
/// allocation of several MiB, asks Linux to back it with transparent huge pages: the
/// first touch of fresh 4 KiB pages (fault + zeroing, 512 times per 2 MiB) costs more
/// than encrypting them on this project's machines (issue #8: ~8 ms per fresh 16 MiB
/// against ~2 ms with huge pages). Advice only; nothing changes if THP is off.
pub fn reserve_output(out: &mut Vec<u8>, additional: usize) {
    let before = out.capacity();
    out.reserve(additional);
    if out.capacity() != before {
        advise_huge_pages(out.spare_capacity_mut());
    }
}

/// Asks Linux to back the untouched pages of `fresh` (memory just allocated, not yet
/// written) with transparent huge pages, if it is large enough for that to pay (4 MiB or
/// more); see [`reserve_output`]. For output buffers allocated elsewhere, such as Node's.
pub fn advise_huge_pages(fresh: &mut [std::mem::MaybeUninit<u8>]) {
    if fresh.len() >= HUGE_PAGE_ADVICE_MIN {
        madvise_huge(fresh);
    }
}

/// Fresh allocations below this are left alone.
const HUGE_PAGE_ADVICE_MIN: usize = 4 << 20;

#[cfg(target_os = "linux")]
fn madvise_huge(spare: &mut [std::mem::MaybeUninit<u8>]) {
    const PAGE: usize = 4096;
    let start = (spare.as_ptr() as usize).next_multiple_of(PAGE);
    let end = (spare.as_ptr() as usize + spare.len()) & !(PAGE - 1);
    if end > start {
        // SAFETY: madvise(MADV_HUGEPAGE) changes no contents and no mapping, only how
        // not-yet-touched pages of this range (memory we own: the Vec's spare capacity,
        // page-aligned inwards) are backed. A failure (THP off, old kernel) is ignored.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn madvise_huge(_spare: &mut [std::mem::MaybeUninit<u8>]) {}
