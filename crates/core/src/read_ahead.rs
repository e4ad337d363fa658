//! Reading ahead on a helper thread while the caller consumes: the device always has the
//! next block to fill instead of waiting for the hash of the previous one (as `dd` or
//! `cat` keep it busy). Used by `hash_file` for cold files and by the copy engine's
//! O_DIRECT read-back; both were the same hand-made pipeline before.
//!
//! The blocks are the caller's (plain or aligned memory, kept across calls or not): they
//! rotate between the reader and the consumer over two channels, so memory stays the
//! blocks given, whatever the file size.

use std::sync::mpsc;
use std::thread;

/// Fills blocks with `read` (bytes read; `0` at the end) and hands the filled part of
/// each to `consume`, in order. With two blocks or more, reading runs on a scoped helper
/// thread; with one, both run here, one after the other.
///
/// The first error of either side ends both and is returned: a read error after the
/// blocks read before it are consumed; a consumer error at once (the reader stops at its
/// next hand-over). Cancellation is an error of either closure.
pub(crate) fn read_ahead<'b, E: Send>(
    mut blocks: Vec<&'b mut [u8]>,
    mut read: impl FnMut(&mut [u8]) -> Result<usize, E> + Send,
    mut consume: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    if blocks.len() < 2 {
        let block = blocks.pop().expect("read_ahead needs a block");
        loop {
            match read(block)? {
                0 => return Ok(()),
                n => consume(&block[..n])?,
            }
        }
    }
    let count = blocks.len();
    thread::scope(|scope| {
        // Both channel ends of this thread live in this closure: an early return drops
        // them, which ends the reader before the scope joins it.
        let (full_tx, full_rx) = mpsc::sync_channel::<Result<(&'b mut [u8], usize), E>>(count);
        let (free_tx, free_rx) = mpsc::channel::<&'b mut [u8]>();
        for block in blocks {
            let _ = free_tx.send(block);
        }
        scope.spawn(move || {
            while let Ok(block) = free_rx.recv() {
                match read(block) {
                    Ok(0) => return,
                    Ok(n) => {
                        if full_tx.send(Ok((block, n))).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = full_tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        // Ends when the reader does (it owns the sending side).
        for filled in full_rx {
            let (block, n) = filled?;
            consume(&block[..n])?;
            let _ = free_tx.send(block);
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source of `len` bytes (0, 1, 2, … mod 251) read in pieces of at most `piece`.
    fn source(len: usize, piece: usize) -> impl FnMut(&mut [u8]) -> Result<usize, String> + Send {
        let mut at = 0;
        move |buf: &mut [u8]| {
            let n = buf.len().min(piece).min(len - at);
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = ((at + i) % 251) as u8;
            }
            at += n;
            Ok(n)
        }
    }

    fn run(blocks: usize, block: usize, len: usize, piece: usize) -> Vec<u8> {
        let mut raw = vec![vec![0u8; block]; blocks];
        let mut out = Vec::new();
        read_ahead(
            raw.iter_mut().map(|b| b.as_mut_slice()).collect(),
            source(len, piece),
            |b| {
                out.extend_from_slice(b);
                Ok::<_, String>(())
            },
        )
        .unwrap();
        out
    }

    #[test]
    fn every_byte_arrives_once_in_order_with_one_block_or_several() {
        let want: Vec<u8> = (0..100_003).map(|i| (i % 251) as u8).collect();
        for blocks in [1, 2, 3] {
            for (block, piece) in [(4096, 4096), (4096, 1000), (65536, 65536)] {
                assert_eq!(
                    run(blocks, block, want.len(), piece),
                    want,
                    "{blocks} blocks of {block}, reads of {piece}"
                );
            }
        }
        assert!(run(2, 4096, 0, 4096).is_empty());
    }

    #[test]
    fn a_read_error_arrives_after_the_blocks_read_before_it() {
        let mut raw = vec![vec![0u8; 8]; 3];
        let mut reads = 0;
        let mut consumed = 0;
        let r = read_ahead(
            raw.iter_mut().map(|b| b.as_mut_slice()).collect(),
            |b| {
                reads += 1;
                if reads == 4 {
                    return Err("device gone".to_string());
                }
                b.fill(1);
                Ok(b.len())
            },
            |b| {
                consumed += b.len();
                Ok(())
            },
        );
        assert_eq!(r, Err("device gone".to_string()));
        assert_eq!(consumed, 24);
    }

    #[test]
    fn a_consumer_error_stops_the_reader() {
        for blocks in [1, 3] {
            let mut raw = vec![vec![0u8; 8]; blocks];
            let mut calls = 0;
            // An endless source: only the consumer's error can end this.
            let r = read_ahead(
                raw.iter_mut().map(|b| b.as_mut_slice()).collect(),
                |b| Ok::<_, String>(b.len()),
                |_| {
                    calls += 1;
                    if calls == 5 {
                        Err("cancelled".to_string())
                    } else {
                        Ok(())
                    }
                },
            );
            assert_eq!(r, Err("cancelled".to_string()));
            assert_eq!(calls, 5);
        }
    }
}
