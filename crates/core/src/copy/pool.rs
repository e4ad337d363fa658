//! A bounded pool of large buffers shared by the reader and every writer.
//!
//! The reader fills a buffer, wraps it in an `Arc` and hands a clone to each writer; the
//! last writer to drop it gives it back. A slow destination therefore holds buffers and
//! slows the reader (bounded), but memory never exceeds `count * bytes`, whatever the
//! file sizes. Buffers are allocated lazily and counted, so tests can check the bound.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use super::types::PoolStats;
use crate::control::CancelFlag;

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
    free: Vec<Vec<u8>>,
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
                None if inner.allocations < self.buffer_count => {
                    inner.allocations += 1;
                    Some(vec![0u8; self.buffer_bytes])
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

    fn give_back(&self, buf: Vec<u8>) {
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
    buf: Vec<u8>,
    len: usize,
    pool: Arc<BufferPool>,
}

impl Chunk {
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The whole buffer, to be filled by read(); call `set_len` afterwards.
    pub(crate) fn space(&mut self) -> &mut [u8] {
        &mut self.buf
    }

    pub(crate) fn set_len(&mut self, len: usize) {
        assert!(len <= self.buf.len());
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
