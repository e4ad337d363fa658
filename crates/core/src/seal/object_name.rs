//! Names of content-addressed backup objects: a keyed BLAKE3 of the plaintext under a
//! store key derived from the vault key. Identical files get the same name (stored once,
//! across sessions); without the vault the names say nothing about the contents.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::read_buffer::read_buffer_for;
use crate::control::Control;
use crate::error::{Error, Result};
use crate::keys::OpenVault;

/// `derive_key` context of the store key. Changing it renames every object: never do.
pub const STORE_NAME_CONTEXT: &str = "shutterproof.v1 2026-05 backup store object names";

/// A file's object name and its plain BLAKE3, from one read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDigest {
    /// Keyed BLAKE3 (store key) of the plaintext, lowercase hex.
    pub name: String,
    /// Unkeyed BLAKE3 of the plaintext, lowercase hex (for the index and restore tests).
    pub blake3: String,
    pub size: u64,
}

/// Hashes `path` once with both the keyed (store) and the plain BLAKE3.
pub fn object_name(vault: &OpenVault, path: &Path, control: &mut Control) -> Result<ObjectDigest> {
    control.cancel.check()?;
    let mut file = File::open(path).map_err(|e| Error::io(e, path))?;
    let meta = file.metadata().map_err(|e| Error::io(e, path))?;
    if meta.is_dir() {
        return Err(Error::io(
            std::io::Error::from(std::io::ErrorKind::IsADirectory),
            path,
        ));
    }
    let key = vault.derive(STORE_NAME_CONTEXT);
    let mut keyed = blake3::Hasher::new_keyed(&key);
    let mut plain = blake3::Hasher::new();
    let mut buf = read_buffer_for(meta.len());
    let mut done = 0u64;
    loop {
        control.cancel.check()?;
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(e, path)),
        };
        let data = &buf[..n];
        if n >= 128 * 1024 {
            rayon::join(|| keyed.update_rayon(data), || plain.update_rayon(data));
        } else {
            keyed.update(data);
            plain.update(data);
        }
        done += n as u64;
        control.progress.report(done);
    }
    control.progress.finish(done);
    Ok(ObjectDigest {
        name: keyed.finalize().to_hex().to_string(),
        blake3: plain.finalize().to_hex().to_string(),
        size: done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::RecoveryKey;

    #[test]
    fn same_bytes_same_name_other_vault_other_name_and_name_is_not_the_plain_hash() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.CR3");
        let b = dir.path().join("b.CR3");
        std::fs::write(&a, vec![9u8; 300_000]).unwrap();
        std::fs::write(&b, vec![9u8; 300_000]).unwrap();
        let recovery = RecoveryKey::generate().unwrap();
        let v1 = OpenVault::from_keys([1; 32], &recovery);
        let v2 = OpenVault::from_keys([2; 32], &recovery);
        let da = object_name(&v1, &a, &mut Control::none()).unwrap();
        let db = object_name(&v1, &b, &mut Control::none()).unwrap();
        let dc = object_name(&v2, &a, &mut Control::none()).unwrap();
        assert_eq!(da, db);
        assert_ne!(da.name, dc.name);
        assert_eq!(da.blake3, dc.blake3);
        assert_eq!(da.blake3, blake3::hash(&vec![9u8; 300_000]).to_hex().to_string());
        assert_ne!(da.name, da.blake3);
        assert_eq!(da.size, 300_000);
    }
}
