//! A hasher that computes every requested algorithm from the same buffers.

use md5::Digest as _;
use xxhash_rust::xxh3::Xxh3;
use xxhash_rust::xxh64::Xxh64;

use super::Algorithm;

/// Below this many bytes a multithreaded BLAKE3 update costs more than it saves
/// (the blake3 crate's own advice is ~128 KiB).
const RAYON_MIN_BYTES: usize = 128 * 1024;

/// Finished digests, lowercase hex, only for the algorithms that were asked for. One
/// slot per [`Algorithm`]: the list of algorithms is `Algorithm::ALL`, nowhere else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests([Option<String>; Algorithm::ALL.len()]);

impl Digests {
    pub fn get(&self, algorithm: Algorithm) -> Option<&str> {
        self.0[algorithm.index()].as_deref()
    }

    pub fn set(&mut self, algorithm: Algorithm, hex: String) {
        self.0[algorithm.index()] = Some(hex);
    }

    /// The digests present, in `Algorithm::ALL` order.
    pub fn iter(&self) -> impl Iterator<Item = (Algorithm, &str)> + '_ {
        Algorithm::ALL
            .into_iter()
            .filter_map(|a| self.get(a).map(|hex| (a, hex)))
    }
}

impl FromIterator<(Algorithm, String)> for Digests {
    fn from_iter<I: IntoIterator<Item = (Algorithm, String)>>(pairs: I) -> Self {
        let mut d = Digests::default();
        for (algorithm, hex) in pairs {
            d.set(algorithm, hex);
        }
        d
    }
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
        [
            (
                Algorithm::Blake3,
                self.blake3.as_ref().map(|h| h.finalize().to_hex().to_string()),
            ),
            // XXH128's canonical form is the big-endian 128-bit value (as xxhsum -H2 prints).
            (
                Algorithm::Xxh128,
                xxh3.filter(|_| o.want_xxh128)
                    .map(|h| format!("{:032x}", h.digest128())),
            ),
            (
                Algorithm::Xxh3,
                xxh3.filter(|_| o.want_xxh3_64)
                    .map(|h| format!("{:016x}", h.digest())),
            ),
            (
                Algorithm::Xxh64,
                o.xxh64.as_ref().map(|h| format!("{:016x}", h.digest())),
            ),
            (Algorithm::Md5, o.md5.clone().map(|h| to_hex(&h.finalize()))),
            (Algorithm::Sha1, o.sha1.clone().map(|h| to_hex(&h.finalize()))),
            (Algorithm::Sha256, o.sha256.clone().map(|h| to_hex(&h.finalize()))),
        ]
        .into_iter()
        .filter_map(|(a, hex)| hex.map(|hex| (a, hex)))
        .collect()
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
        assert_eq!(d.iter().collect::<Vec<_>>(), want);
        assert_eq!(h.bytes(), 3);
    }

    #[test]
    fn empty_list_means_blake3_only() {
        let d = MultiHasher::new(&[]).finalize();
        assert_eq!(
            d.get(Algorithm::Blake3),
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
}
