//! Read buffers sized to the file they read: a whole parallel batch of chunks for a large
//! file, an eighth of the file for a middling one, one small read for a small one.
//!
//! Why not always the full size: a backup names, seals and checks thousands of one-byte
//! files, one call per file on libuv's worker threads. A zeroed 4 MiB buffer per call,
//! freed at once, stayed in each worker's malloc arena (glibc raises its mmap threshold
//! after such a free), ~30 MiB held for the whole run whatever the files' size
//! (issue #18, found measuring `shutterproof backup` of 2,000 one-byte files).
//!
//! Why an eighth: the same backup at 20,000 files also seals the session's own records
//! (a 7 MB JSON report, a 5 MB ASC MHL manifest), two files at a time. With full 4 MiB
//! batches, read and output buffers of two such files came to ~16 MiB at once, where
//! the 2,000-file session's records (ten times smaller) needed ~3 MiB: the backup's peak
//! memory grew with the session (issue #18: at most 10 % from 2,000 to 20,000 files).
//! Eight reads per file keep each batch well above the size where handing chunks to the
//! thread pool pays (128 KiB from a 1 MiB file), while files of 32 MiB and more — RAW
//! photos and videos, what issue #8 tuned the 4 MiB batch for — keep it.

use super::cobblestone::CHUNK_SIZE;
use crate::io_buffer::IoBuffer;

/// Plaintext read per step of a large file: a whole parallel batch of chunks, and the
/// granularity of cancellation checks and progress reports.
const MAX_READ_BYTES: usize = 4 * 1024 * 1024;

/// The smallest buffer: the few reads of a small file, and the next read that finds its
/// end (or the bytes it grew by).
const MIN_READ_BYTES: usize = 64 * 1024;

/// A file below `MAX_READ_BYTES * READS_PER_FILE` bytes is read in about this many steps.
const READS_PER_FILE: u64 = 8;

/// A zeroed buffer for reading a file of `len` bytes: an eighth of it in whole 16 KiB
/// chunks, at least [`MIN_READ_BYTES`], at most [`MAX_READ_BYTES`]. From 128 KiB up it is
/// a mapping of its own, returned to the OS when dropped (see `io_buffer.rs`).
pub(crate) fn read_buffer_for(len: u64) -> IoBuffer {
    IoBuffer::zeroed(read_len_for(len))
}

fn read_len_for(len: u64) -> usize {
    let step = len.div_ceil(READS_PER_FILE).next_multiple_of(CHUNK_SIZE as u64);
    usize::try_from(step)
        .unwrap_or(MAX_READ_BYTES)
        .clamp(MIN_READ_BYTES, MAX_READ_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_files_get_a_small_buffer_middling_ones_an_eighth_large_ones_the_full_batch() {
        const MIB: u64 = 1 << 20;
        for len in [0, 1, 300_000, MIN_READ_BYTES as u64 * 8] {
            assert_eq!(read_len_for(len), MIN_READ_BYTES, "{len}");
        }
        assert_eq!(read_len_for(7 * MIB), 896 * 1024);
        assert_eq!(
            read_len_for(7 * MIB + 1),
            912 * 1024,
            "rounded up to whole chunks"
        );
        assert_eq!(read_len_for(32 * MIB - 1), MAX_READ_BYTES);
        for len in [32 * MIB, 10 << 30, u64::MAX] {
            assert_eq!(read_len_for(len), MAX_READ_BYTES, "{len}");
        }
        let buf = read_buffer_for(7 * MIB);
        assert_eq!(buf.len(), 896 * 1024);
        assert!(buf.is_mapped());
    }
}
