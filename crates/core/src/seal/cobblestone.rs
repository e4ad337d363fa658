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
//! [`PayloadReader`] decrypts any byte range of a seekable ciphertext. Both encryptor and
//! decryptor work on batches of chunks spread over all cores with rayon.

use std::io::{Read, Seek, SeekFrom};

use rayon::prelude::*;
use zeroize::Zeroizing;

use super::primitives::{ct_eq, hkdf_expand_sha512, random_array, Aes256Gcm, GCM_NONCE_LEN, GCM_TAG_LEN};
use crate::error::{Error, ErrorCode, Result};

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
/// Chunks per parallel batch: 4 MiB of plaintext, enough to keep both cores busy while
/// bounding memory to a few MiB whatever the stream size.
const BATCH_CHUNKS: usize = 256;

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

    /// Encrypts `slot[..len - TAG_LEN]` in place and writes the tag into the last 16 bytes.
    fn seal(&self, counter: u64, slot: &mut [u8]) {
        let (body, tag) = slot.split_at_mut(slot.len() - TAG_LEN);
        tag.copy_from_slice(&self.aead.seal(self.nonce(counter), &[], body));
    }

    /// Decrypts one encrypted chunk in place; the plaintext is its first `len - 16` bytes.
    fn open(&self, counter: u64, chunk: &mut [u8]) -> Result<usize> {
        self.aead.open(self.nonce(counter), &[], chunk).map_err(|_| {
            Error::new(
                ErrorCode::Auth,
                format!(
                    "chunk {counter} (plaintext offset {}) failed authentication: \
                     the data was modified, reordered or damaged",
                    counter * CHUNK_SIZE as u64
                ),
            )
        })
    }
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

fn too_long() -> Error {
    Error::invalid("the stream exceeds Cobblestone's 2^38-chunk (4 PiB) limit; split it")
}

/// Streaming encryption: push plaintext, get ciphertext. Full chunks are emitted as soon
/// as a batch fills; `finish` writes the short final chunk (empty if need be).
pub struct Encryptor {
    cipher: ChunkCipher,
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
            pending: Vec::with_capacity(BATCH_CHUNKS * CHUNK_SIZE),
            next_chunk: 0,
        })
    }

    /// Appends the ciphertext of every chunk `data` completes to `out`.
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let batch = BATCH_CHUNKS * CHUNK_SIZE;
        while !data.is_empty() {
            let take = data.len().min(batch - self.pending.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == batch {
                self.seal_full_chunks(out)?;
            }
        }
        Ok(())
    }

    /// Seals what is left: the full chunks still pending, then the short final chunk.
    pub fn finish(mut self, out: &mut Vec<u8>) -> Result<()> {
        self.seal_full_chunks(out)?;
        let last = self.next_chunk;
        if last >= MAX_CHUNKS {
            return Err(too_long());
        }
        let start = out.len();
        out.extend_from_slice(&self.pending);
        out.extend_from_slice(&[0u8; TAG_LEN]);
        self.cipher.seal(last, &mut out[start..]);
        Ok(())
    }

    /// Seals every full chunk in `pending`, in parallel, and keeps the remainder.
    fn seal_full_chunks(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let count = self.pending.len() / CHUNK_SIZE;
        if count == 0 {
            return Ok(());
        }
        let first = self.next_chunk;
        if first + count as u64 >= MAX_CHUNKS {
            return Err(too_long());
        }
        // Lay out plaintext and tag room with plain copies (memcpy even in debug builds,
        // where a zero-filling `resize` runs byte by byte), then encrypt in place.
        let start = out.len();
        out.reserve(count * CHUNK_CT_SIZE);
        for plain in self.pending[..count * CHUNK_SIZE].chunks(CHUNK_SIZE) {
            out.extend_from_slice(plain);
            out.extend_from_slice(&[0u8; TAG_LEN]);
        }
        let cipher = &self.cipher;
        out[start..]
            .par_chunks_mut(CHUNK_CT_SIZE)
            .enumerate()
            .for_each(|(i, slot)| cipher.seal(first + i as u64, slot));
        self.pending.drain(..count * CHUNK_SIZE);
        self.next_chunk += count as u64;
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
    pub fn push(&mut self, mut data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.check_sticky()?;
        if let Stage::Prefix { got, .. } = &mut self.stage {
            let take = data.len().min(PREFIX_LEN - got.len());
            got.extend_from_slice(&data[..take]);
            data = &data[take..];
            if got.len() < PREFIX_LEN {
                return Ok(());
            }
            let result = self.check_prefix();
            self.record(result)?;
        }
        if matches!(self.stage, Stage::Done) {
            return Err(Error::invalid(
                "this decryptor has already finished; start a new one",
            ));
        }
        let batch = BATCH_CHUNKS * CHUNK_CT_SIZE;
        while !data.is_empty() {
            if self.buf.capacity() < batch {
                self.buf.reserve_exact(batch - self.buf.len());
            }
            let take = data.len().min(batch - self.buf.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            // A full-size encrypted chunk is never the final one (the final chunk is
            // always short), so a full batch can be decrypted without looking ahead.
            if self.buf.len() == batch {
                let result = self.open_full_chunks(out);
                self.record(result)?;
            }
        }
        Ok(())
    }

    /// Ends the stream: decrypts the rest and checks the short final chunk is there.
    /// Calling it again after a failure returns the same failure.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.check_sticky()?;
        let result = self.finish_inner(out);
        self.record(result)
    }

    fn finish_inner(&mut self, out: &mut Vec<u8>) -> Result<()> {
        match self.stage {
            Stage::Prefix { .. } => {
                return Err(Error::new(
                    ErrorCode::Truncated,
                    format!("the payload is shorter than its {PREFIX_LEN}-byte salt and commitment"),
                ))
            }
            Stage::Done => return Err(Error::invalid("this decryptor has already finished")),
            Stage::Chunks(_) => {}
        }
        self.open_full_chunks(out)?;
        let Stage::Chunks(cipher) = &self.stage else {
            unreachable!("checked above")
        };
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

    /// Decrypts every full chunk buffered, in parallel; releases the chunks before the
    /// first failure (never one after it) and then reports that failure.
    fn open_full_chunks(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let Stage::Chunks(cipher) = &self.stage else {
            return Ok(());
        };
        let count = self.buf.len() / CHUNK_CT_SIZE;
        if count == 0 {
            return Ok(());
        }
        let first = self.next_chunk;
        // The final chunk still has to come after these, at index first + count.
        if first + count as u64 >= MAX_CHUNKS {
            return Err(too_many_chunks());
        }
        let results: Vec<Result<usize>> = self.buf[..count * CHUNK_CT_SIZE]
            .par_chunks_mut(CHUNK_CT_SIZE)
            .enumerate()
            .map(|(i, chunk)| cipher.open(first + i as u64, chunk))
            .collect();
        for (chunk, result) in self.buf.chunks(CHUNK_CT_SIZE).zip(results) {
            result?;
            out.extend_from_slice(&chunk[..CHUNK_SIZE]);
            self.next_chunk += 1;
        }
        self.buf.drain(..count * CHUNK_CT_SIZE);
        Ok(())
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
            BATCH_CHUNKS * CHUNK_SIZE,
            BATCH_CHUNKS * CHUNK_SIZE + 1,
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
        dec.push(&ct, &mut out).unwrap();
        let first = dec.finish(&mut out).unwrap_err();
        assert_eq!(first.code, ErrorCode::Auth);
        assert!(out.is_empty());
        assert_eq!(dec.finish(&mut out).unwrap_err().message, first.message);
        assert_eq!(dec.push(b"more", &mut out).unwrap_err().message, first.message);
        assert!(out.is_empty());
    }
}
