//! Checking a sealed file without writing its plaintext anywhere: read it back from the
//! disk (page cache evicted first, as the copy engine's read-back does), authenticate
//! every chunk, and hash the plaintext with BLAKE3. Used after writing a backup object
//! and by restore tests.

use std::io::{BufReader, Read};
use std::path::Path;

use super::cobblestone::{self, Decryptor};
use super::file::{expect_kind, in_file};
use super::header::{FileKind, Header, Unlock};
use super::read_buffer::read_buffer_for;
use crate::control::Control;
use crate::copy::verify::{evict, is_memory_backed, open_read, resident_pages_of};
use crate::copy::VerifyMethod;
use crate::error::{Error, Result};
use crate::io_buffer::IoBuffer;

/// What a sealed file holds, established by decrypting every chunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedDigests {
    pub plaintext_size: u64,
    pub sealed_size: u64,
    /// BLAKE3 of the plaintext, lowercase hex.
    pub blake3: String,
    /// How the sealed bytes were read: `DiskEvicted` when no page of the file was in the
    /// page cache before reading, `Cache` when that could not be shown (tmpfs).
    pub method: VerifyMethod,
}

/// Decrypts `path` and hashes its plaintext in memory; progress counts plaintext bytes.
/// Fails with `E_AUTH` / `E_TRUNCATED` / `E_FORMAT` / `E_WRONG_KEY` naming the file.
pub fn hash_sealed_file(path: &Path, unlock: &Unlock, control: &mut Control) -> Result<SealedDigests> {
    control.cancel.check()?;
    let file = open_read(path, 0).map_err(|e| Error::io(e, path))?;
    let meta = file.metadata().map_err(|e| Error::io(e, path))?;
    if meta.is_dir() {
        return Err(Error::io(
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
            path,
        ));
    }
    let sealed_size = meta.len();
    // Dirty pages cannot be dropped: sync first, then evict and check with mincore.
    let _ = file.sync_data();
    evict(&file);
    let evicted = matches!(resident_pages_of(&file, sealed_size), Ok((0, _)));
    let method = if evicted && !is_memory_backed(path) && sealed_size > 0 {
        VerifyMethod::DiskEvicted
    } else {
        VerifyMethod::Cache
    };
    let mut reader = BufReader::with_capacity(64 * 1024, &file);
    let header = Header::read(&mut reader).map_err(in_file(path))?;
    expect_kind(&header, FileKind::File).map_err(in_file(path))?;
    let payload = sealed_size.saturating_sub(header.len() as u64);
    cobblestone::check_payload_len(payload).map_err(in_file(path))?;
    let file_key = header.unlock(unlock).map_err(in_file(path))?;
    let (key, context) = header.payload_key_and_context(&file_key);
    let mut dec = Decryptor::new(&key[..], &context)?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = read_buffer_for(sealed_size);
    let mut plain = IoBuffer::zeroed(cobblestone::most_opened_per_push(buf.len()));
    let mut done = 0u64;
    loop {
        control.cancel.check()?;
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(e, path)),
        };
        let len = dec.push_output_len(n);
        dec.push_into(&buf[..n], &mut plain.as_uninit_mut()[..len])
            .map_err(in_file(path))?;
        update(&mut hasher, &plain[..len]);
        done += len as u64;
        control.progress.report(done);
    }
    let mut plain = Vec::new();
    dec.finish(&mut plain).map_err(in_file(path))?;
    update(&mut hasher, &plain);
    done += plain.len() as u64;
    // Leave nothing cached: the next check must read from the disk again.
    evict(&file);
    control.progress.finish(done);
    Ok(SealedDigests {
        plaintext_size: done,
        sealed_size,
        blake3: hasher.finalize().to_hex().to_string(),
        method,
    })
}

fn update(hasher: &mut blake3::Hasher, data: &[u8]) {
    if data.len() >= 128 * 1024 {
        hasher.update_rayon(data);
    } else {
        hasher.update(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KdfParams;
    use crate::seal::{seal_file, KeySource};
    use crate::ErrorCode;

    const FAST: KdfParams = KdfParams { m_kib: 8, t: 1, p: 1 };

    #[test]
    fn hashes_the_plaintext_and_names_a_damaged_file() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("IMG_0001.CR3");
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
        std::fs::write(&src, &data).unwrap();
        let sealed = dir.path().join("obj");
        let source = KeySource::Passphrase {
            passphrase: "pw",
            params: FAST,
        };
        seal_file(&src, &sealed, &source, false, &mut Control::none()).unwrap();
        let unlock = Unlock::Passphrase("pw");
        let d = hash_sealed_file(&sealed, &unlock, &mut Control::none()).unwrap();
        assert_eq!(d.blake3, blake3::hash(&data).to_hex().to_string());
        assert_eq!(d.plaintext_size, data.len() as u64);
        assert_eq!(d.sealed_size, std::fs::metadata(&sealed).unwrap().len());

        let mut bytes = std::fs::read(&sealed).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x10;
        std::fs::write(&sealed, &bytes).unwrap();
        let e = hash_sealed_file(&sealed, &unlock, &mut Control::none()).unwrap_err();
        assert_eq!(e.code, ErrorCode::Auth);
        assert!(e.message.contains("obj"), "{}", e.message);

        std::fs::write(&sealed, &bytes[..bytes.len() - 5]).unwrap();
        let e = hash_sealed_file(&sealed, &unlock, &mut Control::none()).unwrap_err();
        assert!(
            matches!(e.code, ErrorCode::Auth | ErrorCode::Truncated),
            "{:?}",
            e.code
        );
        let e = hash_sealed_file(&sealed, &Unlock::Passphrase("nope"), &mut Control::none()).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadPassphrase);
    }
}
