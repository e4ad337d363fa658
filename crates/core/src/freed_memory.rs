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
