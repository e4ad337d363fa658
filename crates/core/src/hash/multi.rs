//! A hasher that computes every requested algorithm from the same buffers.

use md5::Digest as _;
use xxhash_rust::xxh3::Xxh3;
use xxhash_rust::xxh64::Xxh64;

use std::fmt;

use super::Algorithm;
use crate::error::Error;

/// Below this many bytes a multithreaded BLAKE3 update costs more than it saves
/// (the blake3 crate's own advice is ~128 KiB).
const RAYON_MIN_BYTES: usize = 128 * 1024;

/// Bytes of each algorithm's digest, in `Algorithm::ALL` order.
const WIDTHS: [usize; Algorithm::ALL.len()] = [32, 16, 8, 8, 16, 20, 32];
/// Where each algorithm's bytes start in [`Digests`].
const OFFSETS: [usize; Algorithm::ALL.len()] = {
    let mut out = [0; Algorithm::ALL.len()];
    let mut i = 1;
    while i < out.len() {
        out[i] = out[i - 1] + WIDTHS[i - 1];
        i += 1;
    }
    out
};
const TOTAL_BYTES: usize = OFFSETS[OFFSETS.len() - 1] + WIDTHS[WIDTHS.len() - 1];

/// Finished digests as bytes (XXH values big-endian, as their canonical hex reads), only
/// for the algorithms that were asked for. Fixed-size and without heap memory: a copy
/// keeps one per file in flight and hands it between threads, and hex is made only where
/// text is really needed ([`Digests::hex`]; issue #18). The list of algorithms is
/// `Algorithm::ALL`, nowhere else.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Digests {
    /// Bit `Algorithm::index()` set when that algorithm's bytes are present.
    present: u8,
    bytes: [u8; TOTAL_BYTES],
}

impl Default for Digests {
    fn default() -> Self {
        Digests {
            present: 0,
            bytes: [0; TOTAL_BYTES],
        }
    }
}

impl Digests {
    /// Bytes of `algorithm`'s digest (hex has twice as many digits).
    pub const fn width(algorithm: Algorithm) -> usize {
        WIDTHS[algorithm.index()]
    }

    pub fn get(&self, algorithm: Algorithm) -> Option<&[u8]> {
        let i = algorithm.index();
        (self.present & (1 << i) != 0).then(|| &self.bytes[OFFSETS[i]..OFFSETS[i] + WIDTHS[i]])
    }

    /// The digest in lowercase hex (`b3sum`, `xxhsum -H2`), when present.
    pub fn hex(&self, algorithm: Algorithm) -> Option<String> {
        self.get(algorithm).map(to_hex)
    }

    /// Sets `algorithm`'s digest. Panics unless `bytes` has [`Digests::width`] bytes: the
    /// hashers produce exactly that, and text from outside goes through [`Digests::from_hex`].
    pub fn set(&mut self, algorithm: Algorithm, bytes: &[u8]) {
        let i = algorithm.index();
        assert_eq!(bytes.len(), WIDTHS[i], "{algorithm} digest of the wrong width");
        self.bytes[OFFSETS[i]..OFFSETS[i] + WIDTHS[i]].copy_from_slice(bytes);
        self.present |= 1 << i;
    }

    /// The digests present, in `Algorithm::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = (Algorithm, &[u8])> + '_ {
        Algorithm::ALL
            .into_iter()
            .filter_map(|a| self.get(a).map(|bytes| (a, bytes)))
    }

    /// Digests given as hex (either case), e.g. from a manifest or a record. Refuses text
    /// that is not exactly one digest of its algorithm.
    pub fn from_hex<'a>(pairs: impl IntoIterator<Item = (Algorithm, &'a str)>) -> Result<Digests, Error> {
        let mut d = Digests::default();
        for (algorithm, hex) in pairs {
            let mut bytes = [0u8; 32];
            let out = &mut bytes[..Digests::width(algorithm)];
            if !parse_hex(hex, out) {
                return Err(Error::invalid(format!(
                    "{hex:?} is not a {algorithm} digest ({} hex digits); give the digest as the hash tool prints it",
                    out.len() * 2
                )));
            }
            d.set(algorithm, out);
        }
        Ok(d)
    }
}

impl fmt::Debug for Digests {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(a, bytes)| (a.name(), to_hex(bytes))))
            .finish()
    }
}

/// Fills `out` from `hex` (two digits a byte, either case); false unless it fits exactly.
fn parse_hex(hex: &str, out: &mut [u8]) -> bool {
    let nibble = |c: u8| (c as char).to_digit(16).map(|v| v as u8);
    if hex.len() != out.len() * 2 {
        return false;
    }
    for (o, pair) in out.iter_mut().zip(hex.as_bytes().chunks_exact(2)) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(hi), Some(lo)) => *o = hi << 4 | lo,
            _ => return false,
        }
    }
    true
}

/// The algorithms other than BLAKE3, updated together on one thread while BLAKE3 uses
/// the rest.
#[derive(Clone, Default)]
struct Others {
    /// One XXH3 state serves both the 64- and the 128-bit digest.
    xxh3: Option<Box<Xxh3>>,
    want_xxh3_64: bool,
    want_xxh128: bool,
    xxh64: Option<Xxh64>,
    md5: Option<md5::Md5>,
    sha1: Option<sha1::Sha1>,
    sha256: Option<sha2::Sha256>,
}

impl Others {
    fn is_empty(&self) -> bool {
        self.xxh3.is_none()
            && self.xxh64.is_none()
            && self.md5.is_none()
            && self.sha1.is_none()
            && self.sha256.is_none()
    }

    fn update(&mut self, data: &[u8]) {
        if let Some(h) = self.xxh3.as_mut() {
            h.update(data);
        }
        if let Some(h) = self.xxh64.as_mut() {
            h.update(data);
        }
        if let Some(h) = self.md5.as_mut() {
            h.update(data);
        }
        if let Some(h) = self.sha1.as_mut() {
            h.update(data);
        }
        if let Some(h) = self.sha256.as_mut() {
            h.update(data);
        }
    }
}

#[derive(Clone)]
pub struct MultiHasher {
    blake3: Option<blake3::Hasher>,
    others: Others,
    bytes: u64,
}

impl MultiHasher {
    /// A hasher for the given algorithms; an empty list means BLAKE3 alone.
    pub fn new(algorithms: &[Algorithm]) -> Self {
        let wants = |a| algorithms.is_empty() && a == Algorithm::Blake3 || algorithms.contains(&a);
        let mut others = Others {
            want_xxh3_64: wants(Algorithm::Xxh3),
            want_xxh128: wants(Algorithm::Xxh128),
            ..Others::default()
        };
        if others.want_xxh3_64 || others.want_xxh128 {
            others.xxh3 = Some(Box::new(Xxh3::new()));
        }
        others.xxh64 = wants(Algorithm::Xxh64).then(|| Xxh64::new(0));
        others.md5 = wants(Algorithm::Md5).then(md5::Md5::new);
        others.sha1 = wants(Algorithm::Sha1).then(sha1::Sha1::new);
        others.sha256 = wants(Algorithm::Sha256).then(sha2::Sha256::new);
        MultiHasher {
            blake3: wants(Algorithm::Blake3).then(blake3::Hasher::new),
            others,
            bytes: 0,
        }
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Feeds `data` to every algorithm. Large buffers hash BLAKE3 on all cores and the
    /// other algorithms on one more task at the same time, so the slowest of them, not
    /// their sum, sets the pace.
    pub fn update(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        let others = &mut self.others;
        match self.blake3.as_mut() {
            Some(b3) if data.len() >= RAYON_MIN_BYTES => {
                if others.is_empty() {
                    b3.update_rayon(data);
                } else {
                    rayon::join(|| b3.update_rayon(data), || others.update(data));
                }
            }
            Some(b3) => {
                b3.update(data);
                others.update(data);
            }
            None => others.update(data),
        }
    }

    /// Like [`update`](Self::update) but always on the calling thread. For callers that
    /// already overlap hashing with their own I/O (the copy engine's read-back), where
    /// waking the rayon pool for each block only takes CPU from the other threads.
    pub fn update_serial(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        if let Some(b3) = self.blake3.as_mut() {
            b3.update(data);
        }
        self.others.update(data);
    }

    pub fn finalize(&self) -> Digests {
        let o = &self.others;
        let xxh3 = o.xxh3.as_deref();
        let mut d = Digests::default();
        if let Some(h) = &self.blake3 {
            d.set(Algorithm::Blake3, h.finalize().as_bytes());
        }
        // XXH128's canonical form is the big-endian 128-bit value (as xxhsum -H2 prints).
        if let Some(h) = xxh3.filter(|_| o.want_xxh128) {
            d.set(Algorithm::Xxh128, &h.digest128().to_be_bytes());
        }
        if let Some(h) = xxh3.filter(|_| o.want_xxh3_64) {
            d.set(Algorithm::Xxh3, &h.digest().to_be_bytes());
        }
        if let Some(h) = &o.xxh64 {
            d.set(Algorithm::Xxh64, &h.digest().to_be_bytes());
        }
        if let Some(h) = &o.md5 {
            d.set(Algorithm::Md5, &h.clone().finalize());
        }
        if let Some(h) = &o.sha1 {
            d.set(Algorithm::Sha1, &h.clone().finalize());
        }
        if let Some(h) = &o.sha256 {
            d.set(Algorithm::Sha256, &h.clone().finalize());
        }
        d
    }
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers_for_abc() {
        let mut h = MultiHasher::new(&Algorithm::ALL);
        h.update(b"abc");
        let d = h.finalize();
        let want = [
            (
                Algorithm::Blake3,
                "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
            ),
            (Algorithm::Xxh128, "06b05ab6733a618578af5f94892f3950"),
            (Algorithm::Xxh64, "44bc2cf5ad770999"),
            (Algorithm::Xxh3, "78af5f94892f3950"),
            (Algorithm::Md5, "900150983cd24fb0d6963f7d28e17f72"),
            (Algorithm::Sha1, "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (
                Algorithm::Sha256,
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            ),
        ];
        let got: Vec<(Algorithm, String)> = d.iter().map(|(a, b)| (a, to_hex(b))).collect();
        let want: Vec<(Algorithm, String)> = want.iter().map(|&(a, h)| (a, h.to_string())).collect();
        assert_eq!(got, want);
        assert_eq!(
            Digests::from_hex(want.iter().map(|(a, h)| (*a, h.as_str()))).unwrap(),
            d
        );
        assert_eq!(h.bytes(), 3);
    }

    #[test]
    fn empty_list_means_blake3_only() {
        let d = MultiHasher::new(&[]).finalize();
        assert_eq!(
            d.hex(Algorithm::Blake3).as_deref(),
            Some("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")
        );
        assert_eq!(d.get(Algorithm::Xxh128), None);
    }

    #[test]
    fn split_updates_equal_one_update_across_the_rayon_threshold() {
        let data: Vec<u8> = (0..3 * RAYON_MIN_BYTES + 17)
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let mut whole = MultiHasher::new(&Algorithm::ALL);
        whole.update(&data);
        let mut parts = MultiHasher::new(&Algorithm::ALL);
        for piece in data.chunks(1000) {
            parts.update(piece);
        }
        assert_eq!(whole.finalize(), parts.finalize());
    }

    #[test]
    fn widths_match_the_hashers_and_hex_round_trips_in_either_case() {
        let d = {
            let mut h = MultiHasher::new(&Algorithm::ALL);
            h.update(b"widths");
            h.finalize()
        };
        for a in Algorithm::ALL {
            let hex = d.hex(a).unwrap();
            assert_eq!(hex.len(), 2 * Digests::width(a), "{a}");
            let upper = hex.to_uppercase();
            let back = Digests::from_hex([(a, upper.as_str())]).unwrap();
            assert_eq!(back.get(a), d.get(a), "{a}");
        }
        assert_eq!(TOTAL_BYTES, WIDTHS.iter().sum::<usize>());
    }

    #[test]
    fn from_hex_refuses_text_that_is_no_digest() {
        for bad in ["", "abc", "zz", &"0".repeat(63), &"g".repeat(64), &"0".repeat(66)] {
            let err = Digests::from_hex([(Algorithm::Blake3, bad)]).unwrap_err();
            assert_eq!(err.code, crate::error::ErrorCode::InvalidArgument, "{bad:?}");
            assert!(err.message.contains("blake3"), "{}", err.message);
        }
        assert_eq!(Digests::from_hex([]).unwrap(), Digests::default());
    }
}
