//! Sealing and opening as push streams (bytes in, bytes out, no I/O), for callers that
//! hold the data in memory as it flows, like a Node `Transform`.
//!
//! The opening stream buffers only the header (at most a few hundred bytes) before it can
//! unlock; after that it releases plaintext only chunk by authenticated chunk. Once it
//! has failed it keeps failing with the same error.

use std::io::Cursor;
use std::mem::MaybeUninit;

use super::cobblestone::{Decryptor, Encryptor};
use super::file::{expect_kind, start_sealing};
use super::{FileKind, Header, KeySource, Unlock};
use crate::error::{Error, ErrorCode, Result};

/// Seals a stream: the header comes out of `new`, the payload out of `push` and `finish`.
pub struct SealingStream {
    enc: Option<Encryptor>,
}

impl SealingStream {
    pub fn new(key_source: &KeySource, out: &mut Vec<u8>) -> Result<Self> {
        let enc = start_sealing(FileKind::File, &key_source.recipients(), None, out)?;
        Ok(SealingStream { enc: Some(enc) })
    }

    pub fn push(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<()> {
        self.enc.as_mut().ok_or_else(finished)?.push(data, out)
    }

    /// Writes the final (short) chunk. The stream is unusable afterwards.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.enc.take().ok_or_else(finished)?.finish(out)
    }

    /// Bytes the next `push` of `data_len` bytes emits (see [`Encryptor::push_output_len`]).
    pub fn push_output_len(&self, data_len: usize) -> Result<usize> {
        Ok(self.enc.as_ref().ok_or_else(finished)?.push_output_len(data_len))
    }

    /// `push` into caller-allocated memory of exactly `push_output_len` bytes.
    pub fn push_into(&mut self, data: &[u8], out: &mut [MaybeUninit<u8>]) -> Result<()> {
        self.enc.as_mut().ok_or_else(finished)?.push_into(data, out)
    }

    /// Bytes `finish` emits.
    pub fn finish_output_len(&self) -> Result<usize> {
        Ok(self.enc.as_ref().ok_or_else(finished)?.finish_output_len())
    }

    /// `finish` into caller-allocated memory of exactly `finish_output_len` bytes.
    pub fn finish_into(&mut self, out: &mut [MaybeUninit<u8>]) -> Result<()> {
        self.enc.take().ok_or_else(finished)?.finish_into(out)
    }
}

fn finished() -> Error {
    Error::invalid("the stream has already finished")
}

enum OpenState {
    /// Collecting header bytes.
    Header(Vec<u8>),
    Payload(Decryptor),
    Failed(ErrorCode, String),
    Done,
}

/// Opens a sealed stream; plaintext comes out only after its chunk authenticated.
pub struct OpeningStream {
    state: OpenState,
}

impl Default for OpeningStream {
    fn default() -> Self {
        Self::new()
    }
}

impl OpeningStream {
    pub fn new() -> Self {
        OpeningStream {
            state: OpenState::Header(Vec::new()),
        }
    }

    pub fn push(&mut self, data: &[u8], unlock: &Unlock, out: &mut Vec<u8>) -> Result<()> {
        let result = self.push_inner(data, unlock, out);
        self.stick(result)
    }

    /// The most plaintext the next `push` of `data_len` bytes releases, once the header
    /// is past; `None` while it is still being collected (the answer depends on it).
    pub fn push_output_len(&self, data_len: usize) -> Option<usize> {
        match &self.state {
            OpenState::Header(_) => None,
            OpenState::Payload(dec) => Some(dec.push_output_len(data_len)),
            OpenState::Failed(..) | OpenState::Done => Some(0),
        }
    }

    /// `push` into caller-allocated memory of exactly `push_output_len` bytes (see
    /// [`Decryptor::push_into`]); only once `push_output_len` is `Some`.
    pub fn push_into(&mut self, data: &[u8], out: &mut [MaybeUninit<u8>]) -> Result<()> {
        let result = match &mut self.state {
            OpenState::Payload(dec) => dec.push_into(data, out),
            OpenState::Failed(code, message) => Err(Error::new(*code, message.clone())),
            OpenState::Done => Err(finished()),
            OpenState::Header(_) => Err(Error::invalid(
                "push_into needs the header first: use push until push_output_len says how much comes out",
            )),
        };
        self.stick(result)
    }

    /// Checks that the stream ended exactly after its final chunk.
    pub fn finish(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let result = match &mut self.state {
            OpenState::Header(_) => Err(Error::new(
                ErrorCode::Truncated,
                "the sealed stream ended inside its header",
            )),
            OpenState::Payload(dec) => dec.finish(out),
            OpenState::Failed(code, message) => Err(Error::new(*code, message.clone())),
            OpenState::Done => Err(finished()),
        };
        let result = self.stick(result);
        if result.is_ok() {
            self.state = OpenState::Done;
        }
        result
    }

    fn stick(&mut self, result: Result<()>) -> Result<()> {
        if let Err(e) = &result {
            self.state = OpenState::Failed(e.code, e.message.clone());
        }
        result
    }

    fn push_inner(&mut self, data: &[u8], unlock: &Unlock, out: &mut Vec<u8>) -> Result<()> {
        match &mut self.state {
            OpenState::Payload(dec) => dec.push(data, out),
            OpenState::Failed(code, message) => Err(Error::new(*code, message.clone())),
            OpenState::Done => Err(finished()),
            OpenState::Header(pending) => {
                pending.extend_from_slice(data);
                let mut cursor = Cursor::new(pending.as_slice());
                let header = match Header::read(&mut cursor) {
                    Ok(h) => h,
                    // Not all of the header has arrived yet.
                    Err(e) if e.code == ErrorCode::Truncated => return Ok(()),
                    Err(e) => return Err(e),
                };
                let rest = pending[header.len()..].to_vec();
                expect_kind(&header, FileKind::File)?;
                let file_key = header.unlock(unlock)?;
                let (key, context) = header.payload_key_and_context(&file_key);
                let mut dec = Decryptor::new(&key[..], &context)?;
                dec.push(&rest, out)?;
                self.state = OpenState::Payload(dec);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KdfParams;
    use crate::seal::open_bytes;

    const FAST: KdfParams = KdfParams { m_kib: 8, t: 1, p: 1 };

    fn seal_stream(data: &[u8], pieces: usize) -> Vec<u8> {
        let source = KeySource::Passphrase {
            passphrase: "correct horse",
            params: FAST,
        };
        let mut out = Vec::new();
        let mut s = SealingStream::new(&source, &mut out).unwrap();
        for piece in data.chunks(pieces.max(1)) {
            s.push(piece, &mut out).unwrap();
        }
        s.finish(&mut out).unwrap();
        out
    }

    fn open_stream(sealed: &[u8], piece: usize, passphrase: &str) -> Result<Vec<u8>> {
        let mut o = OpeningStream::new();
        let mut out = Vec::new();
        for p in sealed.chunks(piece) {
            o.push(p, &Unlock::Passphrase(passphrase), &mut out)?;
        }
        o.finish(&mut out)?;
        Ok(out)
    }

    #[test]
    fn streams_round_trip_in_any_piece_size_and_match_the_buffer_api() {
        let data: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 256) as u8).collect();
        for piece in [1usize, 7, 100, 16 * 1024, 100_000] {
            let sealed = seal_stream(&data, piece);
            assert_eq!(open_stream(&sealed, piece, "correct horse").unwrap(), data);
            assert_eq!(
                open_bytes(&sealed, &Unlock::Passphrase("correct horse")).unwrap(),
                data
            );
        }
    }

    #[test]
    fn failures_are_typed_and_sticky() {
        let sealed = seal_stream(&[5u8; 40_000], 1000);
        assert_eq!(
            open_stream(&sealed, 999, "wrong").unwrap_err().code,
            ErrorCode::BadPassphrase
        );
        assert_eq!(
            open_stream(&sealed[..100], 50, "correct horse").unwrap_err().code,
            ErrorCode::Truncated
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        let mut o = OpeningStream::new();
        let mut out = Vec::new();
        let unlock = Unlock::Passphrase("correct horse");
        let first = o
            .push(&tampered, &unlock, &mut out)
            .and_then(|_| o.finish(&mut out));
        assert_eq!(first.unwrap_err().code, ErrorCode::Auth);
        assert!(
            out.len() <= 32 * 1024,
            "only the authenticated chunks before the bad one came out"
        );
        assert_eq!(
            o.push(b"more", &unlock, &mut out).unwrap_err().code,
            ErrorCode::Auth
        );
        assert_eq!(o.finish(&mut out).unwrap_err().code, ErrorCode::Auth);
        let mut not_sealed = OpeningStream::new();
        let e = not_sealed.push(&[0u8; 700], &unlock, &mut out).unwrap_err();
        assert_eq!(e.code, ErrorCode::Format);
    }
}
