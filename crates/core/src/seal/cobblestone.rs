//! The payload layer: Cobblestone-256, i.e. c2sp.org/chunked-encryption instantiated
//! with AES-256-GCM and HKDF-Expand-SHA-512. We do not invent anything here; every
//! constant below is the specification's.
//!
//! ```text
//! key || base nonce || commitment = HKDF-Expand-SHA-512(prk = input key,
//!     info = "c2sp.org/chunked-encryption@v1+" || "AEAD_AES_256_GCM" || 0x00 || salt || context,
//!     L = 32 + 12 + 32)
//! ciphertext = salt (24) || commitment (32) || chunk 0 || chunk 1 || … || final chunk
//! chunk i    = AES-256-GCM(key, nonce = base nonce XOR be96(i), aad = "", 16 KiB plaintext)
//! final      = the same with < 16 KiB of plaintext (possibly none): it marks the end.
//! ```
//!
//! Three ways in: [`Encryptor`] and [`Decryptor`] are push APIs with bounded memory (no
//! I/O, so files, sockets and the Node binding all drive them the same way), and
//! [`PayloadReader`] decrypts any byte range of a seekable ciphertext. Encryptor and
//! decryptor work on the whole chunks of each push at once, spread over all cores with
//! rayon, each chunk copied once straight into the caller's output and sealed or opened
//! there; only a partial chunk is kept between pushes.

use std::io::{Read, Seek, SeekFrom};
use std::mem::MaybeUninit;

use rayon::prelude::*;
use zeroize::Zeroizing;

use super::primitives::{ct_eq, hkdf_expand_sha512, random_array, Aes256Gcm, GCM_NONCE_LEN, GCM_TAG_LEN};
use crate::control::CancelFlag;
use crate::error::{Error, ErrorCode, Result};
use crate::huge_pages::reserve_output;

/// Plaintext bytes per chunk; only the final chunk is shorter (and it always is).
pub const CHUNK_SIZE: usize = 16 * 1024;
pub const TAG_LEN: usize = GCM_TAG_LEN;
/// Size of a full chunk once encrypted.
pub const CHUNK_CT_SIZE: usize = CHUNK_SIZE + TAG_LEN;
pub const SALT_LEN: usize = 24;
pub const COMMITMENT_LEN: usize = 32;
/// Salt and commitment, in front of the first chunk.
pub const PREFIX_LEN: usize = SALT_LEN + COMMITMENT_LEN;
/// The input key must be as long as the AEAD key.
pub const INPUT_KEY_LEN: usize = 32;
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = GCM_NONCE_LEN;
const INFO_PREFIX: &[u8] = b"c2sp.org/chunked-encryption@v1+";
/// The AEAD's name in the IANA "AEAD Algorithms" registry, as the spec requires.
const AEAD_NAME: &[u8] = b"AEAD_AES_256_GCM";
/// The spec's hard ceiling: chunk counters are 38 bits (4 PiB of plaintext).
pub const MAX_CHUNKS: u64 = 1 << 38;
/// Fewer whole chunks than this in one push are sealed or opened on the calling thread:
/// handing 16 KiB pieces to the pool costs more than it saves.
const PARALLEL_MIN_CHUNKS: usize = 8;

/// The per-message AEAD key and base nonce. The AES key schedule lives inside aws-lc,
/// which does not wipe it on drop; the raw key bytes we handle are wiped.
pub struct ChunkCipher {
    aead: Aes256Gcm,
    base_nonce: [u8; NONCE_LEN],
}

impl ChunkCipher {
    /// "Raw mode" (spec appendix): the chunk layer alone, for vectors and protocols that
    /// derive key and base nonce themselves. Applications use [`Encryptor`]/[`Decryptor`].
    pub fn raw(key: &[u8], base_nonce: [u8; NONCE_LEN]) -> Result<Self> {
        Ok(ChunkCipher {
            aead: Aes256Gcm::new(key)?,
            base_nonce,
        })
    }

    /// base nonce XOR the counter as a 96-bit big-endian integer. The counter is u64 and
    /// below 2^38, so it touches the last 5 bytes only; no byte of it is ever dropped.
    pub fn nonce(&self, counter: u64) -> [u8; NONCE_LEN] {
        let mut nonce = self.base_nonce;
        for (n, c) in nonce[NONCE_LEN - 8..].iter_mut().zip(counter.to_be_bytes()) {
            *n ^= c;
        }
        nonce
    }

    /// Decrypts one encrypted chunk in place; the plaintext is its first `len - 16` bytes.
    fn open(&self, counter: u64, chunk: &mut [u8]) -> Result<usize> {
        self.aead
            .open(self.nonce(counter), &[], chunk)
            .map_err(|_| auth_failed(counter))
    }

    /// Seals the full chunks of `plain` (a whole number of them), numbered from `first`,
    /// into `slots` (exactly their ciphertext size; every byte gets written): each chunk
    /// copied once into its slot and encrypted there while it is in cache, chunks in
    /// parallel.
    fn seal_chunks(&self, first: u64, plain: &[u8], slots: &mut [MaybeUninit<u8>]) {
        debug_assert_eq!(plain.len() % CHUNK_SIZE, 0);
        let count = plain.len() / CHUNK_SIZE;
        debug_assert_eq!(slots.len(), count * CHUNK_CT_SIZE);
        let work = |(i, (slot, plain)): (usize, (&mut [MaybeUninit<u8>], &[u8]))| {
            let (body, tag) = slot.split_at_mut(CHUNK_SIZE);
            let body = body.write_copy_of_slice(plain);
            let sealed_tag = self.aead.seal(self.nonce(first + i as u64), &[], body);
            tag.write_copy_of_slice(&sealed_tag);
        };
        if count >= PARALLEL_MIN_CHUNKS {
            slots
                .par_chunks_mut(CHUNK_CT_SIZE)
                .zip(plain.par_chunks(CHUNK_SIZE))
                .enumerate()
                .for_each(work);
        } else {
            slots
                .chunks_mut(CHUNK_CT_SIZE)
                .zip(plain.chunks(CHUNK_SIZE))
                .enumerate()
                .for_each(work);
        }
    }

    /// Opens the full-size encrypted chunks of `ct` (a whole number of them), numbered
    /// from `first`, into `slots` (exactly their plaintext size), chunks in parallel.
    /// Returns how many authenticated before the first failure, and that failure. Every
    /// byte of `slots` is written either way: after a failure, the failed chunk's slot and
    /// every later one hold zeros, so nothing past the damage is ever released.
    fn open_chunks(&self, first: u64, ct: &[u8], slots: &mut [MaybeUninit<u8>]) -> (usize, Result<()>) {
        debug_assert_eq!(ct.len() % CHUNK_CT_SIZE, 0);
        let count = ct.len() / CHUNK_CT_SIZE;
        debug_assert_eq!(slots.len(), count * CHUNK_SIZE);
        let work = |(i, (slot, chunk)): (usize, (&mut [MaybeUninit<u8>], &[u8]))| {
            let (body, tag) = chunk.split_at(CHUNK_SIZE);
            let counter = first + i as u64;
            self.aead
                .open_separate_tag(self.nonce(counter), &[], tag, slot.write_copy_of_slice(body))
                .map_err(|_| auth_failed(counter))
        };
        let results: Vec<Result<()>> = if count >= PARALLEL_MIN_CHUNKS {
            slots
                .par_chunks_mut(CHUNK_SIZE)
                .zip(ct.par_chunks(CHUNK_CT_SIZE))
                .enumerate()
                .map(work)
                .collect()
        } else {
            slots
                .chunks_mut(CHUNK_SIZE)
                .zip(ct.chunks(CHUNK_CT_SIZE))
                .enumerate()
                .map(work)
                .collect()
        };
        match results.into_iter().enumerate().find(|(_, r)| r.is_err()) {
            None => (count, Ok(())),
            Some((good, failure)) => {
                slots[good * CHUNK_SIZE..].iter_mut().for_each(|b| {
                    b.write(0);
                });
                (good, failure)
            }
        }
    }
}

fn auth_failed(counter: u64) -> Error {
    Error::new(
        ErrorCode::Auth,
        format!(
            "chunk {counter} (plaintext offset {}) failed authentication: \
             the data was modified, reordered or damaged",
            counter * CHUNK_SIZE as u64
        ),
    )
}

/// Everything HKDF-Expand derives for one message.
pub struct Derived {
    pub key: Zeroizing<[u8; KEY_LEN]>,
    pub base_nonce: [u8; NONCE_LEN],
    pub commitment: [u8; COMMITMENT_LEN],
}

/// The spec's key derivation (exposed for tests and FORMAT.md's examples).
pub fn derive(input_key: &[u8], salt: &[u8; SALT_LEN], context: &[u8]) -> Result<Derived> {
    if input_key.len() != INPUT_KEY_LEN {
        return Err(Error::invalid(format!(
            "Cobblestone-256 needs a {INPUT_KEY_LEN}-byte input key, got {} bytes",
            input_key.len()
        )));
    }
    let mut okm = Zeroizing::new([0u8; KEY_LEN + NONCE_LEN + COMMITMENT_LEN]);
    let info: [&[u8]; 5] = [INFO_PREFIX, AEAD_NAME, &[0x00], salt, context];
    hkdf_expand_sha512(input_key, &info, &mut okm[..])?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&okm[..KEY_LEN]);
    Ok(Derived {
        key,
        base_nonce: okm[KEY_LEN..KEY_LEN + NONCE_LEN].try_into().expect("12 bytes"),
        commitment: okm[KEY_LEN + NONCE_LEN..].try_into().expect("32 bytes"),
    })
}

/// Checks salt and commitment, then returns the chunk cipher. Runs before any chunk.
fn verify_prefix(input_key: &[u8], prefix: &[u8; PREFIX_LEN], context: &[u8]) -> Result<ChunkCipher> {
    let salt: &[u8; SALT_LEN] = prefix[..SALT_LEN].try_into().expect("24 bytes");
    let derived = derive(input_key, salt, context)?;
    if !ct_eq(&derived.commitment, &prefix[SALT_LEN..]) {
        return Err(Error::new(
            ErrorCode::Auth,
            "the key commitment does not match: wrong key, or the header or salt was modified",
        ));
    }
    ChunkCipher::raw(&derived.key[..], derived.base_nonce)
}

/// Plaintext length of a payload of `payload_len` bytes, or `None` if no valid payload
/// has that length (too short for the prefix, or a final chunk shorter than a tag —
/// which includes a stream cut at a chunk boundary).
pub fn plaintext_len(payload_len: u64) -> Option<u64> {
    let body = payload_len.checked_sub(PREFIX_LEN as u64)?;
    let full = body / CHUNK_CT_SIZE as u64;
    let rest = body % CHUNK_CT_SIZE as u64;
    if rest < TAG_LEN as u64 || full >= MAX_CHUNKS {
        return None;
    }
    Some(full * CHUNK_SIZE as u64 + rest - TAG_LEN as u64)
}

/// Checks that a payload of `payload_len` bytes has a possible length and returns its
/// plaintext length: `E_TRUNCATED` when it is shorter than salt + commitment or its final
/// chunk is shorter than a tag (a stream cut at a chunk boundary included), `E_FORMAT`
/// when it would hold more than 2^38 chunks (the final chunk counts).
pub fn check_payload_len(payload_len: u64) -> Result<u64> {
    let Some(body) = payload_len.checked_sub(PREFIX_LEN as u64) else {
        return Err(Error::new(
            ErrorCode::Truncated,
            format!(
                "a payload of {payload_len} bytes is shorter than its {PREFIX_LEN}-byte salt and commitment: \
                 the file is truncated"
            ),
        ));
    };
    if body / CHUNK_CT_SIZE as u64 >= MAX_CHUNKS {
        return Err(too_many_chunks());
    }
    plaintext_len(payload_len).ok_or_else(|| {
        Error::new(
            ErrorCode::Truncated,
            format!(
                "a payload of {payload_len} bytes is impossible: its final chunk is missing or shorter than a tag, \
                 so the file is truncated or has stray bytes at its end"
            ),
        )
    })
}

fn too_many_chunks() -> Error {
    Error::new(
        ErrorCode::Format,
        "the payload holds more than 2^38 chunks, which Cobblestone forbids; it is damaged",
    )
}

/// Payload length for `plaintext_len` bytes of plaintext.
pub fn payload_len(plaintext_len: u64) -> u64 {
    let full = plaintext_len / CHUNK_SIZE as u64;
    let rest = plaintext_len % CHUNK_SIZE as u64;
    PREFIX_LEN as u64 + full * CHUNK_CT_SIZE as u64 + rest + TAG_LEN as u64
}

/// The most ciphertext one [`Encryptor::push`] of `data_len` bytes can emit, whatever
/// is pending from earlier pushes: the size of an output buffer that always suffices.
pub fn most_sealed_per_push(data_len: usize) -> usize {
    data_len.div_ceil(CHUNK_SIZE) * CHUNK_CT_SIZE
}

/// The most plaintext one [`Decryptor::push`] of `data_len` bytes can release, whatever
/// is pending from earlier pushes.
pub fn most_opened_per_push(data_len: usize) -> usize {
    data_len.div_ceil(CHUNK_CT_SIZE) * CHUNK_SIZE
}

fn too_long() -> Error {
    Error::invalid("the stream exceeds Cobblestone's 2^38-chunk (4 PiB) limit; split it")
}

/// Streaming encryption: push plaintext, get ciphertext. Every chunk a push completes is
/// emitted by that push; `finish` writes the short final chunk (empty if need be).
pub struct Encryptor {
    cipher: ChunkCipher,
    /// The start of the next chunk: always shorter than a chunk between calls.
    pending: Vec<u8>,
    next_chunk: u64,
}

impl Encryptor {
    /// Starts a message with a fresh random salt; the 56-byte prefix goes first in `out`.
    pub fn new(input_key: &[u8], context: &[u8], out: &mut Vec<u8>) -> Result<Self> {
        Self::with_salt(input_key, &random_array()?, context, out)
    }

    /// Deterministic seam for test vectors: the caller supplies the salt, which must
    /// never repeat for one input key.
    pub fn with_salt(
        input_key: &[u8],
        salt: &[u8; SALT_LEN],
        context: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<Self> {
        let derived = derive(input_key, salt, context)?;
        out.extend_from_slice(salt);
        out.extend_from_slice(&derived.commitment);
        Ok(Encryptor {
            cipher: ChunkCipher::raw(&derived.key[..], derived.base_nonce)?,
            pending: Vec::with_capacity(CHUNK_SIZE),
            next_chunk: 0,
        })
    }

    /// Appends the ciphertext of every chunk `data` completes to `out`.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let len = self.push_output_len(data.len());
        reserve_output(out, len);
        let start = out.len();
        self.push_into(data, &mut out.spare_capacity_mut()[..len])?;
        // SAFETY: `push_into` succeeded, so it wrote all `len` bytes after `start`.
        unsafe { out.set_len(start + len) };
        Ok(())
    }

    /// How many bytes of ciphertext a push of `data_len` bytes emits (every chunk it
    /// completes).
    pub fn push_output_len(&self, data_len: usize) -> usize {
        (self.pending.len() + data_len) / CHUNK_SIZE * CHUNK_CT_SIZE
    }

    /// [`push`](Self::push) into memory the caller allocated, e.g. a buffer owned by a
    /// JavaScript engine: `out` must be exactly [`push_output_len`](Self::push_output_len)
    /// bytes, and all of it is written on success.
    pub fn push_into(&mut self, mut data: &[u8], out: &mut [MaybeUninit<u8>]) -> Result<()> {
        let len = self.push_output_len(data.len());
        if out.len() != len {
            return Err(Error::invalid(format!(
                "this push emits {len} bytes, but the output given holds {}",
                out.len()
            )));
        }
        if len > 0 && self.next_chunk + (len / CHUNK_CT_SIZE) as u64 >= MAX_CHUNKS {
            return Err(too_long());
        }
        let mut out = out;
        if !self.pending.is_empty() {
            let take = data.len().min(CHUNK_SIZE - self.pending.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() < CHUNK_SIZE {
                return Ok(());
            }
            let (slot, rest) = out.split_at_mut(CHUNK_CT_SIZE);
            self.cipher.seal_chunks(self.next_chunk, &self.pending, slot);
            self.pending.clear();
            self.next_chunk += 1;
            out = rest;
        }
        let full = data.len() / CHUNK_SIZE;
        self.cipher
            .seal_chunks(self.next_chunk, &data[..full * CHUNK_SIZE], out);
        self.next_chunk += full as u64;
        self.pending.extend_from_slice(&data[full * CHUNK_SIZE..]);
        Ok(())
    }

    /// Seals the short final chunk from what is pending (possibly nothing).
    pub fn finish(self, out: &mut Vec<u8>) -> Result<()> {
        let len = self.finish_output_len();
        reserve_output(out, len);
        let start = out.len();
        self.finish_into(&mut out.spare_capacity_mut()[..len])?;
        // SAFETY: `finish_into` succeeded, so it wrote all `len` bytes after `start`.
        unsafe { out.set_len(start + len) };
        Ok(())
    }

    /// How many bytes `finish` emits: the final chunk and its tag.
    pub fn finish_output_len(&self) -> usize {
        self.pending.len() + TAG_LEN
    }

    /// [`finish`](Self::finish) into memory the caller allocated, of exactly
    /// [`finish_output_len`](Self::finish_output_len) bytes.
    pub fn finish_into(self, out: &mut [MaybeUninit<u8>]) -> Result<()> {
        let last = self.next_chunk;
        if last >= MAX_CHUNKS {
            return Err(too_long());
        }
        if out.len() != self.finish_output_len() {
            return Err(Error::invalid(format!(
                "the final chunk is {} bytes, but the output given holds {}",
                self.finish_output_len(),
                out.len()
            )));
        }
        let (body, tag) = out.split_at_mut(self.pending.len());
        let body = body.write_copy_of_slice(&self.pending);
        let sealed_tag = self.cipher.aead.seal(self.cipher.nonce(last), &[], body);
        tag.write_copy_of_slice(&sealed_tag);
        Ok(())
    }
}

/// Encrypts a whole message in memory (small payloads such as the vault key file).
pub fn encrypt_with_salt(
    input_key: &[u8],
    salt: &[u8; SALT_LEN],
    context: &[u8],
    plain: &[u8],
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(payload_len(plain.len() as u64) as usize);
    let mut enc = Encryptor::with_salt(input_key, salt, context, &mut out)?;
    enc.push(plain, &mut out)?;
    enc.finish(&mut out)?;
    Ok(out)
}

enum Stage {
    /// Collecting the 56-byte prefix; the input key waits here until it is checked.
    Prefix {
        key: Zeroizing<Vec<u8>>,
        context: Vec<u8>,
        got: Vec<u8>,
    },
    /// Boxed: the expanded AES key is large, and a decryptor sits in this state.
    Chunks(Box<ChunkCipher>),
    Done,
}

/// Streaming decryption: push ciphertext, get only authenticated plaintext. After the
/// first failure every call returns the same error (sticky), so a caller that ignores
/// one error cannot go on to read plaintext past the damage.
pub struct Decryptor {
    stage: Stage,
    buf: Vec<u8>,
    next_chunk: u64,
    failed: Option<(ErrorCode, String)>,
}

impl Decryptor {
    /// A decryptor for a full Cobblestone message (salt and commitment first).
    pub fn new(input_key: &[u8], context: &[u8]) -> Result<Self> {
        if input_key.len() != INPUT_KEY_LEN {
            // Checked here rather than at the prefix, so a wrong key size is a caller bug
            // reported at once, not a damaged-file error later.
            return Err(Error::invalid(format!(
                "Cobblestone-256 needs a {INPUT_KEY_LEN}-byte input key, got {} bytes",
                input_key.len()
            )));
        }
        Ok(Self::at(Stage::Prefix {
            key: Zeroizing::new(input_key.to_vec()),
            context: context.to_vec(),
            got: Vec::with_capacity(PREFIX_LEN),
        }))
    }

    /// Raw mode: chunks only, no prefix, no commitment (see [`ChunkCipher::raw`]).
    pub fn raw(key: &[u8], base_nonce: [u8; NONCE_LEN]) -> Result<Self> {
        Ok(Self::at(Stage::Chunks(Box::new(ChunkCipher::raw(
            key, base_nonce,
        )?))))
    }

    fn at(stage: Stage) -> Self {
        Decryptor {
            stage,
            buf: Vec::new(),
            next_chunk: 0,
            failed: None,
        }
    }

    /// Feeds ciphertext; appends to `out` the plaintext of every chunk that authenticated.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let len = self.push_output_len(data.len());
        reserve_output(out, len);
        let start = out.len();
        let (written, result) = self.push_to(data, &mut out.spare_capacity_mut()[..len]);
        // SAFETY: `push_to` wrote (at least) its first `written` bytes.
        unsafe { out.set_len(start + written) };
        result
    }

    /// The most plaintext a push of `data_len` bytes releases: every chunk it completes.
    pub fn push_output_len(&self, data_len: usize) -> usize {
        let data_len = match &self.stage {
            Stage::Prefix { got, .. } => data_len.saturating_sub(PREFIX_LEN - got.len()),
            _ => data_len,
        };
        (self.buf.len() + data_len) / CHUNK_CT_SIZE * CHUNK_SIZE
    }

    /// [`push`](Self::push) into memory the caller allocated, e.g. a buffer owned by a
    /// JavaScript engine: `out` must be exactly [`push_output_len`](Self::push_output_len)
    /// bytes, and all of it is written. After a failure it holds the plaintext of the
    /// chunks that authenticated before the bad one, then zeros.
    pub fn push_into(&mut self, data: &[u8], out: &mut [MaybeUninit<u8>]) -> Result<()> {
        let len = self.push_output_len(data.len());
        if out.len() != len {
            return Err(Error::invalid(format!(
                "this push releases {len} bytes, but the output given holds {}",
                out.len()
            )));
        }
        let (written, result) = self.push_to(data, out);
        if result.is_err() {
            out[written..].iter_mut().for_each(|b| {
                b.write(0);
            });
        }
        result
    }

    /// The work of `push`: returns how many bytes at the start of `out` hold released
    /// plaintext (all of it on success).
    fn push_to(&mut self, mut data: &[u8], out: &mut [MaybeUninit<u8>]) -> (usize, Result<()>) {
        if let Err(e) = self.check_sticky() {
            return (0, Err(e));
        }
        if let Stage::Prefix { got, .. } = &mut self.stage {
            let take = data.len().min(PREFIX_LEN - got.len());
            got.extend_from_slice(&data[..take]);
            data = &data[take..];
            if got.len() < PREFIX_LEN {
                return (0, Ok(()));
            }
            let result = self.check_prefix();
            if let Err(e) = self.record(result) {
                return (0, Err(e));
            }
        }
        if matches!(self.stage, Stage::Done) {
            return (
                0,
                Err(Error::invalid(
                    "this decryptor has already finished; start a new one",
                )),
            );
        }
        // `buf` holds the start of the next chunk. A full-size encrypted chunk is never the
        // final one (the final chunk is always short), so each one is opened as soon as
        // it is complete, without looking ahead.
        let mut written = 0;
        if !self.buf.is_empty() {
            let take = data.len().min(CHUNK_CT_SIZE - self.buf.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() < CHUNK_CT_SIZE {
                return (0, Ok(()));
            }
            let chunk = std::mem::take(&mut self.buf);
            let (n, result) = self.open_full_chunks(&chunk, &mut out[..CHUNK_SIZE]);
            self.buf = chunk;
            self.buf.clear();
            written += n;
            if let Err(e) = self.record(result) {
                return (written, Err(e));
            }
        }
        let full = data.len() / CHUNK_CT_SIZE;
        let (n, result) = self.open_full_chunks(&data[..full * CHUNK_CT_SIZE], &mut out[written..]);
        written += n;
        if let Err(e) = self.record(result) {
            return (written, Err(e));
        }
        self.buf.extend_from_slice(&data[full * CHUNK_CT_SIZE..]);
        (written, Ok(()))
    }

    /// Ends the stream: decrypts the rest and checks the short final chunk is there.
    /// Calling it again after a failure returns the same failure.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.check_sticky()?;
        let result = self.finish_inner(out);
        self.record(result)
    }

    fn finish_inner(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let cipher = match &self.stage {
            Stage::Prefix { .. } => {
                return Err(Error::new(
                    ErrorCode::Truncated,
                    format!("the payload is shorter than its {PREFIX_LEN}-byte salt and commitment"),
                ))
            }
            Stage::Done => return Err(Error::invalid("this decryptor has already finished")),
            Stage::Chunks(cipher) => cipher,
        };
        // Every full-size chunk was opened as it arrived: what is left is the final one.
        let rest = self.buf.len();
        if rest < TAG_LEN {
            return Err(Error::new(
                ErrorCode::Truncated,
                format!(
                    "the payload ends after {} complete chunks without its short final chunk: \
                     the file is truncated or has stray bytes at its end",
                    self.next_chunk
                ),
            ));
        }
        let len = cipher.open(self.next_chunk, &mut self.buf)?;
        out.extend_from_slice(&self.buf[..len]);
        self.buf = Vec::new();
        self.stage = Stage::Done;
        Ok(())
    }

    /// Number of plaintext bytes released so far is `chunks_done() * CHUNK_SIZE` until
    /// the final chunk; useful for progress.
    pub fn chunks_done(&self) -> u64 {
        self.next_chunk
    }

    fn check_prefix(&mut self) -> Result<()> {
        let Stage::Prefix { key, context, got } = &self.stage else {
            return Ok(());
        };
        let prefix: &[u8; PREFIX_LEN] = got[..].try_into().expect("prefix complete");
        let cipher = verify_prefix(key, prefix, context)?;
        self.stage = Stage::Chunks(Box::new(cipher));
        Ok(())
    }

    /// Opens `ct`, a whole number of full-size encrypted chunks, in parallel, into
    /// `out` (exactly their plaintext size); releases the chunks before the first failure
    /// (never one after it) and then reports that failure. Returns the bytes released.
    fn open_full_chunks(&mut self, ct: &[u8], out: &mut [MaybeUninit<u8>]) -> (usize, Result<()>) {
        let Stage::Chunks(cipher) = &self.stage else {
            return (0, Ok(()));
        };
        let count = ct.len() / CHUNK_CT_SIZE;
        if count == 0 {
            return (0, Ok(()));
        }
        // The final chunk still has to come after these, at index next_chunk + count.
        if self.next_chunk + count as u64 >= MAX_CHUNKS {
            return (0, Err(too_many_chunks()));
        }
        let (opened, result) = cipher.open_chunks(self.next_chunk, ct, out);
        self.next_chunk += opened as u64;
        (opened * CHUNK_SIZE, result)
    }

    fn check_sticky(&self) -> Result<()> {
        match &self.failed {
            Some((code, message)) => Err(Error::new(*code, message.clone())),
            None => Ok(()),
        }
    }

    /// Remembers a failure so that every later call repeats it, and wipes the buffer.
    fn record(&mut self, result: Result<()>) -> Result<()> {
        if let Err(e) = &result {
            self.failed = Some((e.code, e.message.clone()));
            self.stage = Stage::Done;
            self.buf = Vec::new();
        }
        result
    }
}

/// Decrypts a whole message in memory.
pub fn decrypt(input_key: &[u8], context: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
    let mut dec = Decryptor::new(input_key, context)?;
    let mut out = Vec::with_capacity(ciphertext.len());
    dec.push(ciphertext, &mut out)?;
    dec.finish(&mut out)?;
    Ok(out)
}

/// Random access to a payload stored at `offset..offset + payload_len` of a seekable
/// source. Opening checks the commitment and authenticates the final chunk (so the
/// plaintext length is authentic before any range is served).
pub struct PayloadReader<R> {
    inner: R,
    offset: u64,
    payload_len: u64,
    plaintext_len: u64,
    cipher: ChunkCipher,
}

impl<R: Read + Seek> PayloadReader<R> {
    pub fn open(
        mut inner: R,
        offset: u64,
        payload_len: u64,
        input_key: &[u8],
        context: &[u8],
    ) -> Result<Self> {
        let plaintext_len = check_payload_len(payload_len)?;
        let mut prefix = [0u8; PREFIX_LEN];
        read_at(&mut inner, offset, &mut prefix)?;
        let cipher = verify_prefix(input_key, &prefix, context)?;
        let mut reader = PayloadReader {
            inner,
            offset,
            payload_len,
            plaintext_len,
            cipher,
        };
        let last = plaintext_len / CHUNK_SIZE as u64;
        reader.chunk(last)?;
        Ok(reader)
    }

    pub fn plaintext_len(&self) -> u64 {
        self.plaintext_len
    }

    /// The authenticated plaintext of bytes `start..end`. The result is held in memory:
    /// ask for ranges of a size you are happy to allocate.
    pub fn read_range(&mut self, start: u64, end: u64) -> Result<Vec<u8>> {
        self.read_range_until(start, end, &CancelFlag::new())
    }

    /// [`read_range`](Self::read_range), checking `cancel` before each chunk.
    pub fn read_range_until(&mut self, start: u64, end: u64, cancel: &CancelFlag) -> Result<Vec<u8>> {
        if start > end || end > self.plaintext_len {
            return Err(Error::invalid(format!(
                "range {start}..{end} is outside the plaintext (0..{}); ask for a range inside it",
                self.plaintext_len
            )));
        }
        let mut out = Vec::with_capacity((end - start) as usize);
        let chunk = CHUNK_SIZE as u64;
        let mut pos = start;
        while pos < end {
            cancel.check()?;
            let index = pos / chunk;
            let plain = self.chunk(index)?;
            let from = (pos - index * chunk) as usize;
            let to = ((end - index * chunk).min(chunk)) as usize;
            out.extend_from_slice(&plain[from..to]);
            pos = index * chunk + to as u64;
        }
        Ok(out)
    }

    /// Reads and authenticates chunk `index`; returns its plaintext.
    fn chunk(&mut self, index: u64) -> Result<Vec<u8>> {
        let at = PREFIX_LEN as u64 + index * CHUNK_CT_SIZE as u64;
        let len = (self.payload_len - at).min(CHUNK_CT_SIZE as u64) as usize;
        let mut buf = vec![0u8; len];
        read_at(&mut self.inner, self.offset + at, &mut buf)?;
        let plain = self.cipher.open(index, &mut buf)?;
        buf.truncate(plain);
        Ok(buf)
    }
}

/// The whole-stream convenience: random access to a payload that fills `reader`.
pub fn read_range<R: Read + Seek>(
    mut reader: R,
    input_key: &[u8],
    context: &[u8],
    start: u64,
    end: u64,
) -> Result<Vec<u8>> {
    let len = reader.seek(SeekFrom::End(0)).map_err(stream_error)?;
    PayloadReader::open(reader, 0, len, input_key, context)?.read_range(start, end)
}

fn read_at<R: Read + Seek>(reader: &mut R, at: u64, buf: &mut [u8]) -> Result<()> {
    reader.seek(SeekFrom::Start(at)).map_err(stream_error)?;
    reader.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::new(
                ErrorCode::Truncated,
                "the payload ends early: the file is truncated",
            )
        } else {
            stream_error(e)
        }
    })
}

fn stream_error(e: std::io::Error) -> Error {
    Error::new(ErrorCode::Io, format!("reading the sealed payload failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 251) as u8).collect()
    }

    #[test]
    fn nonce_xors_the_counter_big_endian_past_one_byte_and_past_32_bits() {
        let c = ChunkCipher::raw(&[0; 32], [0xff; 12]).unwrap();
        assert_eq!(c.nonce(0), [0xff; 12]);
        let n = c.nonce(0x1_0000_0102);
        assert_eq!(n[..7], [0xff; 7]);
        assert_eq!(n[7..], [0xfe, 0xff, 0xff, 0xfe, 0xfd]);
    }

    #[test]
    fn lengths_map_both_ways_and_reject_impossible_sizes() {
        for p in [0u64, 1, 16383, 16384, 16385, 5 * 16384, (1 << 32) + 3] {
            assert_eq!(plaintext_len(payload_len(p)), Some(p), "{p}");
        }
        assert_eq!(plaintext_len(55), None);
        let code = |len: u64| check_payload_len(len).unwrap_err().code;
        for len in [
            0,
            55,
            56,
            56 + 15,
            56 + CHUNK_CT_SIZE as u64,
            56 + CHUNK_CT_SIZE as u64 + 15,
        ] {
            assert_eq!(code(len), ErrorCode::Truncated, "{len}");
        }
        assert_eq!(check_payload_len(56 + 16).unwrap(), 0);
        // 2^38 chunks, the final one included, is the most a payload may hold.
        let most = 56 + (MAX_CHUNKS - 1) * CHUNK_CT_SIZE as u64 + 16;
        assert_eq!(
            check_payload_len(most).unwrap(),
            (MAX_CHUNKS - 1) * CHUNK_SIZE as u64
        );
        assert_eq!(code(most + CHUNK_CT_SIZE as u64), ErrorCode::Format);
        assert_eq!(code(most + CHUNK_CT_SIZE as u64 - 1), ErrorCode::Format);
        assert_eq!(plaintext_len(56 + 15), None);
        assert_eq!(
            plaintext_len(56 + CHUNK_CT_SIZE as u64),
            None,
            "cut at a chunk boundary"
        );
        assert_eq!(plaintext_len(56 + CHUNK_CT_SIZE as u64 + 15), None);
    }

    #[test]
    fn round_trips_in_any_push_pattern() {
        let key = [9u8; 32];
        for len in [
            0usize,
            1,
            16383,
            16384,
            16385,
            PARALLEL_MIN_CHUNKS * CHUNK_SIZE - 1,
            PARALLEL_MIN_CHUNKS * CHUNK_SIZE,
            256 * CHUNK_SIZE,
            256 * CHUNK_SIZE + 1,
        ] {
            let plain = data(len);
            let ct = encrypt_with_salt(&key, &[1; 24], b"ctx", &plain).unwrap();
            assert_eq!(ct.len() as u64, payload_len(len as u64));
            assert_eq!(decrypt(&key, b"ctx", &ct).unwrap(), plain, "len {len}");
            let mut dec = Decryptor::new(&key, b"ctx").unwrap();
            let mut out = Vec::new();
            for piece in ct.chunks(1000) {
                dec.push(piece, &mut out).unwrap();
            }
            dec.finish(&mut out).unwrap();
            assert_eq!(out, plain);
            let all = read_range(std::io::Cursor::new(&ct), &key, b"ctx", 0, len as u64).unwrap();
            assert_eq!(all, plain);
            if len > 10 {
                let mid = read_range(std::io::Cursor::new(&ct), &key, b"ctx", 3, len as u64 - 2).unwrap();
                assert_eq!(mid, plain[3..len - 2]);
            }
        }
    }

    #[test]
    fn no_push_emits_more_than_the_most_per_push() {
        let key = [9u8; 32];
        let mut out = Vec::new();
        let mut enc = Encryptor::with_salt(&key, &[1; 24], b"ctx", &mut out).unwrap();
        let mut dec = Decryptor::new(&key, b"ctx").unwrap();
        let mut back = Vec::new();
        dec.push(&out.clone(), &mut back).unwrap();
        // Odd sizes leave every possible remainder pending between pushes.
        for piece in [
            1usize,
            CHUNK_SIZE - 1,
            3 * CHUNK_SIZE + 5,
            CHUNK_SIZE,
            1,
            7 * CHUNK_CT_SIZE + 9,
        ] {
            let len = enc.push_output_len(piece);
            assert!(len <= most_sealed_per_push(piece), "seal {piece}: {len}");
            let start = out.len();
            enc.push(&data(piece), &mut out).unwrap();
            assert_eq!(out.len() - start, len);
            let ct = out[start..].to_vec();
            let len = dec.push_output_len(ct.len());
            assert!(len <= most_opened_per_push(ct.len()), "open {}: {len}", ct.len());
            dec.push(&ct, &mut back).unwrap();
            let len = dec.push_output_len(piece);
            assert!(len <= most_opened_per_push(piece), "open {piece}: {len}");
        }
        assert_eq!(most_sealed_per_push(0), 0);
        assert_eq!(most_sealed_per_push(1), CHUNK_CT_SIZE);
        assert_eq!(most_opened_per_push(CHUNK_CT_SIZE + 1), 2 * CHUNK_SIZE);
    }

    #[test]
    fn pushes_of_any_size_give_the_same_bytes_as_one_push() {
        let key = [9u8; 32];
        let plain = data(40 * CHUNK_SIZE + 123);
        let whole = encrypt_with_salt(&key, &[1; 24], b"ctx", &plain).unwrap();
        for piece in [
            1usize,
            1000,
            CHUNK_SIZE - 1,
            CHUNK_SIZE,
            CHUNK_SIZE + 1,
            9 * CHUNK_SIZE + 5,
        ] {
            let mut out = Vec::new();
            let mut enc = Encryptor::with_salt(&key, &[1; 24], b"ctx", &mut out).unwrap();
            for p in plain.chunks(piece) {
                enc.push(p, &mut out).unwrap();
            }
            enc.finish(&mut out).unwrap();
            assert!(out == whole, "piece {piece}");
            let mut dec = Decryptor::new(&key, b"ctx").unwrap();
            let mut back = Vec::new();
            for p in whole.chunks(piece) {
                dec.push(p, &mut back).unwrap();
            }
            dec.finish(&mut back).unwrap();
            assert!(back == plain, "piece {piece}");
        }
    }

    #[test]
    fn push_into_caller_memory_matches_push_and_checks_the_size() {
        let key = [9u8; 32];
        let plain = data(20 * CHUNK_SIZE + 7);
        let whole = encrypt_with_salt(&key, &[1; 24], b"ctx", &plain).unwrap();
        let mut out = Vec::new();
        let mut enc = Encryptor::with_salt(&key, &[1; 24], b"ctx", &mut out).unwrap();
        for piece in plain.chunks(3 * CHUNK_SIZE + 11) {
            let len = enc.push_output_len(piece.len());
            let mut wrong = vec![MaybeUninit::new(0u8); len + 1];
            let e = enc.push_into(piece, &mut wrong).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
            let mut slot = vec![MaybeUninit::new(0u8); len];
            enc.push_into(piece, &mut slot).unwrap();
            out.extend(slot.iter().map(|b| unsafe { b.assume_init() }));
        }
        let mut last = vec![MaybeUninit::new(0u8); enc.finish_output_len()];
        enc.finish_into(&mut last).unwrap();
        out.extend(last.iter().map(|b| unsafe { b.assume_init() }));
        assert!(out == whole);

        let mut dec = Decryptor::new(&key, b"ctx").unwrap();
        let mut back = Vec::new();
        for piece in whole.chunks(5 * CHUNK_CT_SIZE + 3) {
            let len = dec.push_output_len(piece.len());
            assert!(dec
                .push_into(piece, &mut vec![MaybeUninit::new(0u8); len + 1])
                .is_err());
            let mut slot = vec![MaybeUninit::new(0u8); len];
            dec.push_into(piece, &mut slot).unwrap();
            back.extend(slot.iter().map(|b| unsafe { b.assume_init() }));
        }
        dec.finish(&mut back).unwrap();
        assert!(back == plain);
    }

    #[test]
    fn a_bad_chunk_in_a_parallel_push_releases_only_the_chunks_before_it() {
        let plain = data(40 * CHUNK_SIZE + 5);
        let mut ct = encrypt_with_salt(&[9; 32], &[1; 24], b"", &plain).unwrap();
        ct[PREFIX_LEN + 17 * CHUNK_CT_SIZE + 3] ^= 1;
        let mut dec = Decryptor::new(&[9; 32], b"").unwrap();
        let mut out = Vec::new();
        let e = dec.push(&ct, &mut out).unwrap_err();
        assert_eq!(e.code, ErrorCode::Auth);
        assert!(e.message.contains("chunk 17 "), "{e}");
        assert!(out == plain[..17 * CHUNK_SIZE]);
        assert!(out.capacity() >= 40 * CHUNK_SIZE);
        // What was written past the damage (the failed chunk and those after it) is wiped.
        let spare = out.spare_capacity_mut();
        // SAFETY (test): these bytes were written by the push before it truncated.
        let wiped = unsafe { std::slice::from_raw_parts(spare.as_ptr().cast::<u8>(), 23 * CHUNK_SIZE) };
        assert!(wiped.iter().all(|&b| b == 0));
        assert_eq!(dec.finish(&mut out).unwrap_err().message, e.message);
    }

    #[test]
    fn wrong_context_fails_the_commitment_before_any_chunk() {
        let ct = encrypt_with_salt(&[9; 32], &[1; 24], b"a", b"x").unwrap();
        let e = decrypt(&[9; 32], b"b", &ct).unwrap_err();
        assert_eq!(e.code, ErrorCode::Auth);
        assert!(e.message.contains("commitment"));
    }

    #[test]
    fn errors_are_sticky() {
        let mut ct = encrypt_with_salt(&[9; 32], &[1; 24], b"", &data(40000)).unwrap();
        ct[PREFIX_LEN + 5] ^= 1;
        let mut dec = Decryptor::new(&[9; 32], b"").unwrap();
        let mut out = Vec::new();
        // Whole chunks open as soon as they arrive, so the push itself may report it.
        let first = dec
            .push(&ct, &mut out)
            .and_then(|_| dec.finish(&mut out))
            .unwrap_err();
        assert_eq!(first.code, ErrorCode::Auth);
        assert!(out.is_empty());
        assert_eq!(dec.finish(&mut out).unwrap_err().message, first.message);
        assert_eq!(dec.push(b"more", &mut out).unwrap_err().message, first.message);
        assert!(out.is_empty());
    }
}
