//! Giving the C heap's free pages back to the operating system once a large piece of
//! native work is over, a memory question like `page_cache.rs` and `huge_pages.rs`.
//!
//! glibc keeps memory freed by a thread in that thread's arena for later reuse. The copy
//! engine runs a reader, a writer, a verifier and a finisher per destination, each with
//! per-file state, so after a card of 20,000 files tens of MiB stay resident, unused,
//! while the run goes on to write its records and reports (issue #18, bench case H).
//! `malloc_trim(0)` returns the free pages of every arena; it frees nothing in use.

/// Returns the free pages of every malloc arena to the OS. A no-op where the C library
/// has no `malloc_trim` (musl, macOS, Windows): those allocators keep less back anyway.
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases pages malloc itself holds free; no pointer is involved.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Largest block glibc may serve from a thread's arena once the CLI has pinned its limits;
/// larger ones get their own mapping, unmapped on `free`. glibc's own initial value.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const PINNED_MMAP_THRESHOLD: libc::c_int = 128 * 1024;

/// Free memory an arena may keep at its top before giving it back: glibc's initial value.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const PINNED_TRIM_THRESHOLD: libc::c_int = 128 * 1024;

/// Pins glibc's mmap and trim thresholds at their initial values for the rest of the
/// process. For an application, not a library: the CLI calls it for the commands whose
/// work grows with the card (ingest, verify, safe-to-format, backup); an app embedding
/// the library keeps its own allocator settings.
///
/// Why: glibc raises both limits to the size of the largest block it has unmapped (up to
/// 32 MiB, and twice that for trimming). A few MiB-sized blocks freed by the copy engine
/// or a large `Vec` of per-file state were enough for every later block below that size,
/// on any thread (V8's compiler threads allocate the most), to come from a per-thread
/// arena that keeps up to twice as much at its top, unused: ~20 MiB more for 20,000 files
/// than for 2,000, which `malloc_trim` does not give back (issue #18, bench case H).
/// Returns whether both settings were accepted; a no-op returning `false` off glibc.
pub fn pin_allocator_thresholds() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes malloc's tuning parameters; no pointer is involved.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, PINNED_MMAP_THRESHOLD) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, PINNED_TRIM_THRESHOLD) == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_accepts_the_pinned_thresholds() {
        // Changes this test process's malloc tuning only; every value is glibc's default.
        let pinned = pin_allocator_thresholds();
        assert_eq!(pinned, cfg!(all(target_os = "linux", target_env = "gnu")));
        return_freed_memory();
    }
}
