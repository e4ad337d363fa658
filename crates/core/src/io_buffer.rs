//! Large I/O buffers that give their memory back to the operating system when dropped,
//! a memory question like `huge_pages.rs` and `freed_memory.rs`.
//!
//! Why not a `Vec`: glibc serves a large allocation with its own mapping only until the
//! first such block is freed; then it raises its mmap threshold to that block's size, and
//! every later buffer of a few MiB comes from the calling thread's malloc arena, which
//! keeps it after `free`. A backup names, seals and checks its files on up to four libuv
//! worker threads, so after the first few MiB-sized files (a session's records, reports
//! and manifests are 1–7 MB at 20,000 files) each worker kept its own read and output
//! buffers for the rest of the run: ~30 MiB held at 20,000 files against none at 2,000
//! (issue #18, bench case H). A buffer mapped here is unmapped on drop, whatever the
//! allocator's state, so memory held is only what is in use.

use std::mem::MaybeUninit;
use std::ops::{Deref, DerefMut};

/// Buffers this large or larger get their own mapping: glibc's initial mmap threshold,
/// below which a heap block is cheap to keep and to reuse.
const MAP_MIN: usize = 128 * 1024;

/// Size and alignment of a transparent huge page on x86-64 and (with 4 KiB pages) arm64.
const HUGE_PAGE: usize = 2 * 1024 * 1024;

/// A zero-filled byte buffer of fixed length; see the module documentation.
pub struct IoBuffer {
    memory: Memory,
}

enum Memory {
    Heap(Vec<u8>),
    /// The buffer is `map[start..start + len]`; `huge`: advised to be backed by huge pages.
    Mapped {
        map: memmap2::MmapMut,
        start: usize,
        len: usize,
        huge: bool,
    },
}

impl IoBuffer {
    /// `len` zero bytes: a private anonymous mapping from [`MAP_MIN`] bytes up (its pages
    /// are only faulted in as they are first written), a heap block below.
    /// From [`HUGE_PAGE`] up, advised to be backed by huge pages (see [`mapped`]).
    pub fn zeroed(len: usize) -> Self {
        Self::zeroed_with(len, true)
    }

    /// [`IoBuffer::zeroed`] without huge pages: for a buffer that may hold only a few bytes,
    /// where a huge page would make its first written byte cost 2 MiB.
    pub fn zeroed_small_pages(len: usize) -> Self {
        Self::zeroed_with(len, false)
    }

    fn zeroed_with(len: usize, huge: bool) -> Self {
        if len >= MAP_MIN {
            // A failed mapping (address space exhausted) falls back to the heap, which
            // then fails the way any allocation does.
            if let Some(memory) = mapped(len, huge) {
                return IoBuffer { memory };
            }
        }
        IoBuffer {
            memory: Memory::Heap(vec![0u8; len]),
        }
    }

    /// Whether the memory is a mapping of its own (returned to the OS on drop).
    pub fn is_mapped(&self) -> bool {
        matches!(self.memory, Memory::Mapped { .. })
    }

    /// Whether (part of) the buffer was advised to be backed by huge pages.
    pub fn is_huge_advised(&self) -> bool {
        matches!(self.memory, Memory::Mapped { huge: true, .. })
    }

    /// The whole buffer as output space for the `*_into` functions of the payload layer.
    pub fn as_uninit_mut(&mut self) -> &mut [MaybeUninit<u8>] {
        let bytes: &mut [u8] = self;
        // SAFETY: `MaybeUninit<u8>` has the layout of `u8`, and every byte here is
        // initialised. The one way to break that through the returned slice, storing
        // `MaybeUninit::uninit()`, is never taken: the payload layer's `*_into`
        // functions, the only users, write plain bytes.
        unsafe { std::slice::from_raw_parts_mut(bytes.as_mut_ptr().cast(), bytes.len()) }
    }
}

/// An empty buffer (what a buffer handed on leaves behind).
impl Default for IoBuffer {
    fn default() -> Self {
        IoBuffer {
            memory: Memory::Heap(Vec::new()),
        }
    }
}

impl Deref for IoBuffer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.memory {
            Memory::Heap(v) => v,
            Memory::Mapped { map, start, len, .. } => &map[*start..*start + *len],
        }
    }
}

impl DerefMut for IoBuffer {
    fn deref_mut(&mut self) -> &mut [u8] {
        match &mut self.memory {
            Memory::Heap(v) => v,
            Memory::Mapped { map, start, len, .. } => &mut map[*start..*start + *len],
        }
    }
}

/// A mapping for `len` bytes. From [`HUGE_PAGE`] up it starts on a huge-page boundary and
/// asks to be backed by huge pages: every file sealed now gets fresh buffers, and
/// faulting them in 4 KiB at a time cost 13–15 % more CPU per GB sealing, opening and
/// checking 25 MiB files than the reused malloc memory it replaced; aligned and advised,
/// 2–6 % (one run on a loaded machine; issue #8 found the same for fresh output buffers).
/// The rounding up is address space only; pages are resident once written. `huge: false`
/// (or below [`HUGE_PAGE`]): a plain mapping, faulted in 4 KiB at a time.
fn mapped(len: usize, huge: bool) -> Option<Memory> {
    if len < HUGE_PAGE || !huge {
        let map = memmap2::MmapMut::map_anon(len).ok()?;
        return Some(Memory::Mapped {
            map,
            start: 0,
            len,
            huge: false,
        });
    }
    let huge_len = len.next_multiple_of(HUGE_PAGE);
    let map = memmap2::MmapMut::map_anon(huge_len + HUGE_PAGE).ok()?;
    let start = map.as_ptr().align_offset(HUGE_PAGE);
    #[cfg(target_os = "linux")]
    // Advice only: nothing changes where THP is off. Only the huge pages the buffer fills:
    // a 4 MiB + 4 KiB buffer written to its end would otherwise fault in a third 2 MiB page.
    let _ = map.advise_range(memmap2::Advice::HugePage, start, len - len % HUGE_PAGE);
    Some(Memory::Mapped {
        map,
        start,
        len,
        huge: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_buffers_are_mapped_small_ones_are_not_and_all_start_zeroed() {
        for (len, mapped) in [
            (0, false),
            (1, false),
            (MAP_MIN - 1, false),
            (MAP_MIN, true),
            (HUGE_PAGE, true),
            (5 << 20, true),
        ] {
            let mut b = IoBuffer::zeroed(len);
            assert_eq!(b.len(), len);
            assert_eq!(b.is_mapped(), mapped, "{len}");
            assert!(b.iter().all(|&x| x == 0));
            if len > 0 {
                b[len - 1] = 7;
                assert_eq!(b[len - 1], 7);
            }
            if len >= HUGE_PAGE {
                assert_eq!(b.as_ptr() as usize % HUGE_PAGE, 0, "{len}");
            }
            assert_eq!(b.is_huge_advised(), len >= HUGE_PAGE, "{len}");
        }
    }

    #[test]
    fn small_page_buffers_are_mapped_but_never_advised_huge() {
        for len in [MAP_MIN, HUGE_PAGE, 5 << 20] {
            let mut b = IoBuffer::zeroed_small_pages(len);
            assert_eq!(b.len(), len);
            assert!(b.is_mapped() && !b.is_huge_advised(), "{len}");
            assert!(b.iter().all(|&x| x == 0));
            b[len - 1] = 7;
            assert_eq!(b[len - 1], 7);
        }
    }
}
