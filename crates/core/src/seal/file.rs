//! Sealing and opening whole files (and byte buffers): header, then the Cobblestone
//! payload, written atomically. The output only ever appears under its final name after
//! the last chunk was written (sealing) or authenticated (opening).

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::Path;

use zeroize::Zeroizing;

use super::atomic::AtomicOutput;
use super::cobblestone::{self, Decryptor, Encryptor, PayloadReader, SALT_LEN};
use super::header::{FileKind, Header, Unlock};
use super::primitives::random_array;
use super::read_buffer::read_buffer_for;
use super::stanza::{random_salt, Recipient, StanzaKind, FILE_KEY_LEN, STANZA_SALT_LEN};
use crate::control::{CancelFlag, Control};
use crate::error::{Error, ErrorCode, Result};
use crate::io_buffer::IoBuffer;
use crate::keys::{KdfParams, OpenVault};

/// Who a new file is sealed for.
pub enum KeySource<'a> {
    /// An unlocked vault: adds a vault stanza and a recovery stanza. No Argon2 per file.
    Vault(&'a OpenVault),
    /// A stand-alone passphrase (e.g. an archive for a client): Argon2id per file.
    Passphrase { passphrase: &'a str, params: KdfParams },
}

impl KeySource<'_> {
    pub(crate) fn recipients(&self) -> Vec<Recipient<'_>> {
        match self {
            KeySource::Vault(vault) => vault.recipients(),
            KeySource::Passphrase { passphrase, params } => vec![Recipient::Passphrase {
                passphrase: passphrase.as_bytes(),
                params: *params,
            }],
        }
    }
}

/// Fixed randomness, for reproducible test vectors only. Real sealing draws all of these
/// from the OS for every file; reusing them across files breaks the format's security.
#[derive(Clone)]
pub struct FixedRandomness {
    pub file_key: [u8; FILE_KEY_LEN],
    pub stanza_salt: [u8; STANZA_SALT_LEN],
    pub payload_salt: [u8; SALT_LEN],
}

struct Material {
    file_key: Zeroizing<[u8; FILE_KEY_LEN]>,
    stanza_salts: Vec<[u8; STANZA_SALT_LEN]>,
    payload_salt: [u8; SALT_LEN],
}

impl Material {
    fn new(stanzas: usize, fixed: Option<&FixedRandomness>) -> Result<Self> {
        Ok(match fixed {
            Some(f) => Material {
                file_key: Zeroizing::new(f.file_key),
                stanza_salts: vec![f.stanza_salt; stanzas],
                payload_salt: f.payload_salt,
            },
            None => Material {
                file_key: Zeroizing::new(random_array()?),
                stanza_salts: (0..stanzas).map(|_| random_salt()).collect::<Result<_>>()?,
                payload_salt: random_array()?,
            },
        })
    }
}

/// Header plus a ready encryptor (its 56-byte prefix already appended to `out`).
pub(crate) fn start_sealing(
    kind: FileKind,
    recipients: &[Recipient],
    fixed: Option<&FixedRandomness>,
    out: &mut Vec<u8>,
) -> Result<Encryptor> {
    let material = Material::new(recipients.len(), fixed)?;
    let header = Header::build(kind, recipients, &material.file_key, &material.stanza_salts)?;
    out.extend_from_slice(&header.to_bytes());
    let (key, context) = header.payload_key_and_context(&material.file_key);
    Encryptor::with_salt(&key[..], &material.payload_salt, &context, out)
}

pub(crate) fn seal_to_vec(
    kind: FileKind,
    recipients: &[Recipient],
    plain: &[u8],
    fixed: Option<&FixedRandomness>,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = start_sealing(kind, recipients, fixed, &mut out)?;
    enc.push(plain, &mut out)?;
    enc.finish(&mut out)?;
    Ok(out)
}

/// Seals a buffer in memory.
pub fn seal_bytes(plain: &[u8], key_source: &KeySource) -> Result<Vec<u8>> {
    seal_to_vec(FileKind::File, &key_source.recipients(), plain, None)
}

/// Deterministic seam for FORMAT.md's test vectors: same inputs, same bytes.
#[doc(hidden)]
pub fn seal_bytes_with(plain: &[u8], key_source: &KeySource, fixed: &FixedRandomness) -> Result<Vec<u8>> {
    seal_to_vec(FileKind::File, &key_source.recipients(), plain, Some(fixed))
}

/// Opens a sealed buffer in memory.
pub fn open_bytes(sealed: &[u8], unlock: &Unlock) -> Result<Vec<u8>> {
    open_to_vec(sealed, unlock, FileKind::File)
}

pub(crate) fn open_to_vec(sealed: &[u8], unlock: &Unlock, kind: FileKind) -> Result<Vec<u8>> {
    let mut reader = sealed;
    let header = Header::read(&mut reader)?;
    expect_kind(&header, kind)?;
    // Before unlocking: an impossible length costs no Argon2 run and no key.
    cobblestone::check_payload_len(reader.len() as u64)?;
    let file_key = header.unlock(unlock)?;
    let (key, context) = header.payload_key_and_context(&file_key);
    cobblestone::decrypt(&key[..], &context, reader)
}

pub(crate) fn expect_kind(header: &Header, kind: FileKind) -> Result<()> {
    if header.kind == kind {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::Format,
        match header.kind {
            FileKind::Vault => "this is a vault key file, not a sealed file; open it as a vault",
            FileKind::File => "this is a sealed file, not a vault key file",
        },
    ))
}

/// Sizes of a finished operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealReport {
    pub plaintext_size: u64,
    pub sealed_size: u64,
}

/// Names the file in an error that came from a layer that does not know it.
pub(crate) fn in_file(path: &Path) -> impl Fn(Error) -> Error + '_ {
    move |e| {
        if e.path.is_some() {
            return e;
        }
        Error::new(e.code, format!("{}: {}", path.display(), e.message)).with_path(path)
    }
}

fn open_source(src: &Path) -> Result<(File, u64)> {
    let file = File::open(src).map_err(|e| Error::io(e, src))?;
    let meta = file.metadata().map_err(|e| Error::io(e, src))?;
    if meta.is_dir() {
        return Err(Error::io(
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
            src,
        ));
    }
    Ok((file, meta.len()))
}

/// Refuses to write a file onto itself (the "in-place modification" pitfall).
fn refuse_same_file(src: &Path, dst: &Path) -> Result<()> {
    if let (Ok(a), Ok(b)) = (src.canonicalize(), dst.canonicalize()) {
        if a == b {
            return Err(Error::invalid(format!(
                "{}: source and destination are the same file; write to another name",
                dst.display()
            )));
        }
    }
    Ok(())
}

/// Reads up to `buf.len()` bytes, retrying on EINTR; 0 means end of file.
fn read_some(file: &mut impl Read, buf: &mut [u8], path: &Path) -> Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => return other.map_err(|e| Error::io(e, path)),
        }
    }
}

/// Seals `src` into `dst`.
pub fn seal_file(
    src: &Path,
    dst: &Path,
    key_source: &KeySource,
    overwrite: bool,
    control: &mut Control,
) -> Result<SealReport> {
    control.cancel.check()?;
    let (mut file, size) = open_source(src)?;
    refuse_same_file(src, dst)?;
    let mut out = AtomicOutput::create(dst, overwrite)?;
    let mut buf = read_buffer_for(size);
    let mut ct = IoBuffer::zeroed(cobblestone::most_sealed_per_push(buf.len()));
    let mut head = Vec::new();
    let mut enc = start_sealing(FileKind::File, &key_source.recipients(), None, &mut head)?;
    out.write_all(&head)?;
    let mut sealed = head.len() as u64;
    let mut done = 0u64;
    loop {
        control.cancel.check()?;
        let n = read_some(&mut file, &mut buf, src)?;
        if n == 0 {
            break;
        }
        let len = enc.push_output_len(n);
        enc.push_into(&buf[..n], &mut ct.as_uninit_mut()[..len])?;
        out.write_all(&ct[..len])?;
        sealed += len as u64;
        done += n as u64;
        control.progress.report(done);
    }
    let mut last = Vec::new();
    enc.finish(&mut last)?;
    sealed += last.len() as u64;
    out.write_all(&last)?;
    control.cancel.check()?;
    out.commit()?;
    control.progress.finish(done);
    Ok(SealReport {
        plaintext_size: done,
        sealed_size: sealed,
    })
}

/// Opens (decrypts) `src` into `dst`. Nothing appears at `dst` unless every chunk
/// authenticated, including the final one.
pub fn open_file(
    src: &Path,
    dst: &Path,
    unlock: &Unlock,
    overwrite: bool,
    control: &mut Control,
) -> Result<SealReport> {
    control.cancel.check()?;
    let (file, sealed_size) = open_source(src)?;
    let mut file = BufReader::new(file);
    let header = Header::read(&mut file).map_err(in_file(src))?;
    expect_kind(&header, FileKind::File).map_err(in_file(src))?;
    let payload = sealed_size.saturating_sub(header.len() as u64);
    cobblestone::check_payload_len(payload).map_err(in_file(src))?;
    let file_key = header.unlock(unlock).map_err(in_file(src))?;
    let (key, context) = header.payload_key_and_context(&file_key);
    refuse_same_file(src, dst)?;
    let mut dec = Decryptor::new(&key[..], &context)?;
    let mut out = AtomicOutput::create(dst, overwrite)?;
    let mut buf = read_buffer_for(payload);
    let mut plain = IoBuffer::zeroed(cobblestone::most_opened_per_push(buf.len()));
    let mut done = 0u64;
    loop {
        control.cancel.check()?;
        let n = read_some(&mut file, &mut buf, src)?;
        if n == 0 {
            break;
        }
        let len = dec.push_output_len(n);
        dec.push_into(&buf[..n], &mut plain.as_uninit_mut()[..len])
            .map_err(in_file(src))?;
        out.write_all(&plain[..len])?;
        done += len as u64;
        control.progress.report(done);
    }
    let mut tail = Vec::new();
    dec.finish(&mut tail).map_err(in_file(src))?;
    out.write_all(&tail)?;
    done += tail.len() as u64;
    control.cancel.check()?;
    out.commit()?;
    control.progress.finish(done);
    Ok(SealReport {
        plaintext_size: done,
        sealed_size,
    })
}

/// Decrypts bytes `start..end` of the plaintext of a sealed file, reading only the
/// chunks that hold them (plus the final chunk, which authenticates the length).
pub fn read_file_range(src: &Path, unlock: &Unlock, start: u64, end: u64) -> Result<Vec<u8>> {
    read_file_range_until(src, unlock, start, end, &CancelFlag::new())
}

/// [`read_file_range`], stopping with `E_ABORTED` once `cancel` is set (checked before
/// each 16 KiB chunk).
pub fn read_file_range_until(
    src: &Path,
    unlock: &Unlock,
    start: u64,
    end: u64,
    cancel: &CancelFlag,
) -> Result<Vec<u8>> {
    cancel.check()?;
    let (file, sealed_size) = open_source(src)?;
    read_range_of_until(file, sealed_size, unlock, start, end, cancel).map_err(in_file(src))
}

/// [`read_file_range`] over any seekable source of `sealed_size` bytes (a file, or a
/// buffer in a `Cursor`), positioned at its start.
pub fn read_range_of<R: Read + Seek>(
    source: R,
    sealed_size: u64,
    unlock: &Unlock,
    start: u64,
    end: u64,
) -> Result<Vec<u8>> {
    read_range_of_until(source, sealed_size, unlock, start, end, &CancelFlag::new())
}

/// [`read_range_of`], stopping with `E_ABORTED` once `cancel` is set.
fn read_range_of_until<R: Read + Seek>(
    mut source: R,
    sealed_size: u64,
    unlock: &Unlock,
    start: u64,
    end: u64,
    cancel: &CancelFlag,
) -> Result<Vec<u8>> {
    let header = Header::read(&mut source)?;
    expect_kind(&header, FileKind::File)?;
    let offset = header.len() as u64;
    let payload = sealed_size.saturating_sub(offset);
    cobblestone::check_payload_len(payload)?;
    let file_key = header.unlock(unlock)?;
    let (key, context) = header.payload_key_and_context(&file_key);
    let mut reader = PayloadReader::open(source, offset, payload, &key[..], &context)?;
    reader.read_range_until(start, end, cancel)
}

/// What `inspect` can tell without any key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    pub kind: FileKind,
    pub version: u8,
    pub stanzas: Vec<StanzaKind>,
    /// Hex of the vault key id the file is sealed for, if it has a vault stanza.
    pub key_id: Option<String>,
    /// Argon2id costs of passphrase stanzas (m KiB, t, p).
    pub kdf: Vec<KdfParams>,
    pub header_size: u64,
    pub sealed_size: u64,
    /// Derived from the file length (the final chunk is not authenticated without a key).
    pub plaintext_size: u64,
}

pub fn inspect(path: &Path) -> Result<Inspection> {
    let (file, sealed_size) = open_source(path)?;
    inspect_reader(BufReader::new(file), sealed_size).map_err(in_file(path))
}

/// [`inspect`] over any source of `sealed_size` bytes, positioned at its start.
pub fn inspect_reader<R: Read>(mut source: R, sealed_size: u64) -> Result<Inspection> {
    let header = Header::read(&mut source)?;
    let payload = sealed_size.saturating_sub(header.len() as u64);
    let plaintext_size = cobblestone::check_payload_len(payload)?;
    Ok(Inspection {
        kind: header.kind,
        version: super::header::VERSION,
        stanzas: header.stanzas.iter().map(|s| s.kind()).collect(),
        key_id: header.key_id().map(hex::encode),
        kdf: header
            .stanzas
            .iter()
            .filter_map(|s| match s {
                super::stanza::Stanza::Passphrase { params, .. } => Some(*params),
                _ => None,
            })
            .collect(),
        header_size: header.len() as u64,
        sealed_size,
        plaintext_size,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::RecoveryKey;

    const FAST: KdfParams = KdfParams { m_kib: 8, t: 1, p: 1 };

    #[test]
    fn an_impossible_payload_length_is_refused_before_unlocking() {
        let recovery = RecoveryKey::from_bytes([0x22; 32]);
        let vault = OpenVault::from_keys([0x11; 32], &recovery);
        let other = OpenVault::from_keys([0x12; 32], &recovery);
        let sealed = seal_bytes(b"photo", &KeySource::Vault(&vault)).unwrap();
        let header_len = sealed.len() - cobblestone::payload_len(5) as usize;
        // Shorter than salt + commitment + one tag, with a key that has no stanza here.
        for cut in [header_len, header_len + 55, header_len + 56 + 15] {
            let e = open_bytes(&sealed[..cut], &Unlock::Vault(&other)).unwrap_err();
            assert_eq!(e.code, ErrorCode::Truncated, "{cut}: {e}");
        }
        // A passphrase file with an impossible length costs no Argon2 run.
        let source = KeySource::Passphrase {
            passphrase: "pw",
            params: FAST,
        };
        let sealed = seal_bytes(b"photo", &source).unwrap();
        let cut = &sealed[..sealed.len() - 6];
        let e = open_bytes(cut, &Unlock::Passphrase("wrong")).unwrap_err();
        assert_eq!(e.code, ErrorCode::Truncated, "{e}");
    }

    #[test]
    fn a_vault_key_file_is_not_a_sealed_file_and_the_reverse() {
        let recovery = RecoveryKey::from_bytes([0x22; 32]);
        let vault = OpenVault::from_keys([0x11; 32], &recovery);
        let sealed = seal_bytes(b"photo", &KeySource::Vault(&vault)).unwrap();
        let e = open_to_vec(&sealed, &Unlock::Recovery(&recovery), FileKind::Vault).unwrap_err();
        assert_eq!(e.code, ErrorCode::Format, "{e}");
        let recipients = [Recipient::Passphrase {
            passphrase: b"pw",
            params: FAST,
        }];
        let key_file = seal_to_vec(FileKind::Vault, &recipients, &[0; 64], None).unwrap();
        let e = open_bytes(&key_file, &Unlock::Passphrase("pw")).unwrap_err();
        assert_eq!(e.code, ErrorCode::Format, "{e}");
        // The kind is checked before unlocking: any key gives the same answer.
        let e = open_bytes(&key_file, &Unlock::Vault(&vault)).unwrap_err();
        assert_eq!(e.code, ErrorCode::Format, "{e}");
    }
}
