//! A bounded pool of large buffers shared by the reader and every writer.
//!
//! The reader fills a buffer, wraps it in an `Arc` and hands a clone to each writer; the
//! last writer to drop it gives it back. A slow destination therefore holds buffers and
//! slows the reader (bounded), but memory never exceeds `count * bytes`, whatever the
//! file sizes. Buffers are allocated lazily and counted, so tests can check the bound.
//! Each buffer starts on a 4 KiB boundary, so a writer may hand it to the disk with
//! O_DIRECT as it is (`direct.rs`). Buffers are [`IoBuffer`]s, unmapped when the pool
//! goes: freed through malloc, a few MiB-sized blocks raised glibc's mmap threshold for
//! the rest of the host process, and later blocks below that size stayed in per-thread
//! arenas after `free` (issue #18).

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::types::PoolStats;
use crate::control::CancelFlag;
use crate::io_buffer::IoBuffer;

/// Alignment of every buffer's first byte: what O_DIRECT asks of 512-byte and 4 KiB devices.
pub(crate) const BUFFER_ALIGN: usize = 4096;
/// How long `take` sleeps between cancellation checks while every buffer is in use.
const CANCEL_POLL: Duration = Duration::from_millis(20);

pub(crate) struct BufferPool {
    inner: Mutex<Inner>,
    returned: Condvar,
    buffer_bytes: usize,
    buffer_count: usize,
}

#[derive(Default)]
struct Inner {
    free: Vec<IoBuffer>,
    allocations: usize,
    in_use: usize,
    peak_in_use: usize,
}

impl BufferPool {
    pub(crate) fn new(buffer_bytes: usize, buffer_count: usize) -> Arc<Self> {
        Arc::new(BufferPool {
            inner: Mutex::new(Inner::default()),
            returned: Condvar::new(),
            buffer_bytes,
            buffer_count,
        })
    }

    /// Allocates and touches `n` buffers (at most the count) now rather than as the reader
    /// gets ahead. The engine reserves what the card needs — `bytes / buffer_bytes`, so a
    /// small card stays small — and peak memory then no longer depends on how far the
    /// reader happened to run ahead of the writers (a 1 GiB and an 8 GiB card use the
    /// same pool).
    pub(crate) fn reserve(&self, n: usize) {
        let mut inner = self.lock();
        while inner.allocations < n.min(self.buffer_count) {
            let mut buf = IoBuffer::zeroed(self.buffer_bytes + BUFFER_ALIGN);
            // Zeroed allocations are mapped lazily; write every page so it is resident now.
            for page in buf.chunks_mut(4096) {
                // SAFETY: a valid, exclusively borrowed byte of `buf`.
                unsafe { std::ptr::write_volatile(&mut page[0], 0) };
            }
            inner.allocations += 1;
            inner.free.push(buf);
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking writer must not wedge the pool for everyone else.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a free buffer; `None` once `cancel` is set.
    pub(crate) fn take(self: &Arc<Self>, cancel: &CancelFlag) -> Option<Chunk> {
        let mut inner = self.lock();
        loop {
            if cancel.is_cancelled() {
                return None;
            }
            let buf = match inner.free.pop() {
                Some(buf) => Some(buf),
                // Past the reservation, which covers the card's bytes: the reader is ahead on
                // files smaller than a buffer. Small pages: a huge page would make a one-byte
                // file cost 2 MiB (14 MiB of huge pages at the peak of a 20,000-file card
                // of one-byte files; issue #18, bench case H).
                None if inner.allocations < self.buffer_count => {
                    inner.allocations += 1;
                    Some(IoBuffer::zeroed_small_pages(self.buffer_bytes + BUFFER_ALIGN))
                }
                None => None,
            };
            if let Some(buf) = buf {
                inner.in_use += 1;
                inner.peak_in_use = inner.peak_in_use.max(inner.in_use);
                return Some(Chunk {
                    buf,
                    len: 0,
                    pool: Arc::clone(self),
                });
            }
            inner = self
                .returned
                .wait_timeout(inner, CANCEL_POLL)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn give_back(&self, buf: IoBuffer) {
        let mut inner = self.lock();
        inner.in_use -= 1;
        inner.free.push(buf);
        drop(inner);
        self.returned.notify_one();
    }

    pub(crate) fn stats(&self) -> PoolStats {
        let inner = self.lock();
        PoolStats {
            buffer_bytes: self.buffer_bytes,
            buffer_count: self.buffer_count,
            allocations: inner.allocations,
            peak_in_use: inner.peak_in_use,
        }
    }
}

/// One pool buffer and how many of its bytes are filled. Returns itself on drop.
pub(crate) struct Chunk {
    /// `buffer_bytes + BUFFER_ALIGN` bytes; the usable part starts at the first aligned byte.
    buf: IoBuffer,
    len: usize,
    pool: Arc<BufferPool>,
}

impl Chunk {
    /// Where the aligned part starts (the heap block never moves while `buf` lives).
    fn start(&self) -> usize {
        self.buf.as_ptr().align_offset(BUFFER_ALIGN)
    }

    pub(crate) fn data(&self) -> &[u8] {
        let start = self.start();
        &self.buf[start..start + self.len]
    }

    /// The whole buffer (`buffer_bytes`, aligned), to be filled by read(); call `set_len`
    /// afterwards.
    pub(crate) fn space(&mut self) -> &mut [u8] {
        let (start, bytes) = (self.start(), self.pool.buffer_bytes);
        &mut self.buf[start..start + bytes]
    }

    pub(crate) fn set_len(&mut self, len: usize) {
        assert!(len <= self.pool.buffer_bytes);
        self.len = len;
    }
}

impl Drop for Chunk {
    fn drop(&mut self) {
        self.pool.give_back(std::mem::take(&mut self.buf));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_allocates_more_than_its_count_and_reuses_returned_buffers() {
        let pool = BufferPool::new(1024, 2);
        let cancel = CancelFlag::new();
        for _ in 0..10 {
            let a = pool.take(&cancel).unwrap();
            let b = pool.take(&cancel).unwrap();
            drop((a, b));
        }
        let s = pool.stats();
        assert_eq!((s.allocations, s.peak_in_use), (2, 2));
    }

    #[test]
    fn only_reserved_buffers_get_huge_pages() {
        let pool = BufferPool::new(4 << 20, 3);
        pool.reserve(1);
        let cancel = CancelFlag::new();
        let held: Vec<_> = (0..3).map(|_| pool.take(&cancel).unwrap()).collect();
        let huge: Vec<bool> = held.iter().map(|c| c.buf.is_huge_advised()).collect();
        assert_eq!(huge.iter().filter(|&&h| h).count(), 1, "{huge:?}");
        assert!(held.iter().all(|c| c.buf.is_mapped()));
    }

    #[test]
    fn reserved_buffers_are_counted_once_and_reused() {
        let pool = BufferPool::new(8192, 3);
        pool.reserve(2);
        pool.reserve(10);
        assert_eq!(pool.stats().allocations, 3);
        let cancel = CancelFlag::new();
        let held: Vec<_> = (0..3).map(|_| pool.take(&cancel).unwrap()).collect();
        assert_eq!(pool.stats().allocations, 3);
        drop(held);
    }

    #[test]
    fn buffers_are_aligned_for_direct_io_and_exactly_as_large_as_asked() {
        let pool = BufferPool::new(65_537, 3);
        let cancel = CancelFlag::new();
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut c = pool.take(&cancel).unwrap();
            assert_eq!(c.space().len(), 65_537);
            assert_eq!(c.space().as_ptr() as usize % BUFFER_ALIGN, 0);
            c.set_len(10);
            assert_eq!(c.data().as_ptr() as usize % BUFFER_ALIGN, 0);
            held.push(c);
        }
    }

    #[test]
    fn a_full_pool_waits_until_cancelled() {
        let pool = BufferPool::new(16, 1);
        let cancel = CancelFlag::new();
        let _held = pool.take(&cancel).unwrap();
        let c2 = cancel.clone();
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            c2.cancel();
        });
        assert!(pool.take(&cancel).is_none());
        t.join().unwrap();
    }
}
