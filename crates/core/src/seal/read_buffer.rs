//! Read buffers sized to the file they read: a whole parallel batch of chunks for a large
//! file, little more than the file for a small one.
//!
//! Why not always the full size: a backup names, seals and checks thousands of one-byte
//! files, one call per file on libuv's worker threads. A zeroed 4 MiB buffer per call,
//! freed at once, stayed in each worker's malloc arena (glibc raises its mmap threshold
//! after such a free), ~30 MiB held for the whole run whatever the files' size
//! (issue #18, found measuring `shutterproof backup` of 2,000 one-byte files).

use crate::io_buffer::IoBuffer;

/// Plaintext read per step of a large file: a whole parallel batch of chunks, and the
/// granularity of cancellation checks and progress reports.
const MAX_READ_BYTES: usize = 4 * 1024 * 1024;

/// The smallest buffer: one read of a small file, and the next read that finds its end
/// (or the bytes it grew by).
const MIN_READ_BYTES: usize = 64 * 1024;

/// A zeroed buffer for reading a file of `len` bytes: `len` rounded up to
/// [`MIN_READ_BYTES`], at most [`MAX_READ_BYTES`]. From 128 KiB up it is a mapping of its
/// own, returned to the OS when dropped (see `io_buffer.rs`).
pub(crate) fn read_buffer_for(len: u64) -> IoBuffer {
    let len = usize::try_from(len).unwrap_or(MAX_READ_BYTES);
    IoBuffer::zeroed(len.clamp(MIN_READ_BYTES, MAX_READ_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_get_a_small_buffer_large_ones_the_full_batch() {
        assert_eq!(read_buffer_for(0).len(), MIN_READ_BYTES);
        assert_eq!(read_buffer_for(1).len(), MIN_READ_BYTES);
        assert_eq!(read_buffer_for(300_000).len(), 300_000);
        assert_eq!(read_buffer_for(MAX_READ_BYTES as u64 + 1).len(), MAX_READ_BYTES);
        assert_eq!(read_buffer_for(u64::MAX).len(), MAX_READ_BYTES);
    }
}
