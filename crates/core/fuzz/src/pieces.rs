//! Deterministic choices derived from an input's bytes (piece sizes for a stream, a
//! range to read), so that a finding replays exactly from its input alone.

/// FNV-1a of the length and the last 64 bytes: a cheap, stable hash to draw choices
/// from (hashing every byte of a large input would cost more than the code under test).
fn fnv(data: &[u8]) -> u64 {
    let tail = &data[data.len().saturating_sub(64)..];
    tail.iter()
        .chain(&(data.len() as u64).to_le_bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| {
            (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

/// Piece lengths to feed a stream opener: small ones (inside the header and the
/// prefix), chunk-sized ones and odd ones.
pub fn from_bytes(data: &[u8]) -> Vec<usize> {
    let mut h = fnv(data) | 1;
    (0..6)
        .map(|_| {
            h = h.rotate_left(13).wrapping_mul(0x9e37_79b9_7f4a_7c15);
            match h % 5 {
                0 => 1 + (h >> 8) as usize % 16,
                1 => 1 + (h >> 8) as usize % 300,
                2 => 16_400,
                3 => 16_400 - 1 + (h >> 8) as usize % 3,
                _ => 1 + (h >> 8) as usize % 40_000,
            }
        })
        .collect()
}

/// A range `start..end` inside `0..len`.
pub fn range_within(data: &[u8], len: u64) -> (u64, u64) {
    let h = fnv(data);
    let start = if len == 0 { 0 } else { h % (len + 1) };
    let end = start + (h >> 32) % (len - start + 1);
    (start, end)
}
