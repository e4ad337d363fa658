//! The vault key file: a sealed structure (kind = vault) whose payload is the random
//! 32-byte vault key followed by the 32-byte recovery KEK, with two stanzas: a
//! passphrase stanza (Argon2id) and a recovery stanza. Unlocking it costs one Argon2 run;
//! every file sealed afterwards uses the vault key directly.
//!
//! Changing the passphrase rewrites the vault file (new file key, new passphrase stanza,
//! same vault key and recovery KEK), so files sealed earlier stay readable and the old
//! passphrase stops working.

use std::path::Path;

use zeroize::Zeroizing;

use super::kdf::KdfParams;
use super::recovery::{recovery_id, RecoveryKey};
use crate::error::{Error, ErrorCode, Result};
use crate::seal::primitives::{random_array, subkey};
use crate::seal::stanza::{Recipient, KEY_ID_LEN};
use crate::seal::{open_to_vec, seal_to_vec, AtomicOutput, FileKind, FixedRandomness, Unlock};

pub const VAULT_KEY_LEN: usize = 32;
/// vault key (32) || recovery KEK (32)
pub const VAULT_PAYLOAD_LEN: usize = 64;
pub const LABEL_KEY_ID: &str = "shutterproof.v1 key id";

/// An unlocked vault: what sealing and opening files need, with no further Argon2.
pub struct OpenVault {
    vault_key: Zeroizing<[u8; VAULT_KEY_LEN]>,
    recovery_kek: Zeroizing<[u8; 32]>,
    key_id: [u8; KEY_ID_LEN],
    recovery_id: [u8; KEY_ID_LEN],
}

/// Never prints a key: secrets stay out of logs.
impl std::fmt::Debug for OpenVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenVault(key id {}, secrets redacted)", self.key_id_hex())
    }
}

/// A freshly created vault and the recovery key to print (shown once, never stored).
pub struct NewVault {
    pub vault: OpenVault,
    pub recovery: RecoveryKey,
}

/// The public fingerprint of a vault key: HKDF-SHA-512(salt = "", vault key, LABEL_KEY_ID)[..16].
pub fn key_id_of(vault_key: &[u8; VAULT_KEY_LEN]) -> [u8; KEY_ID_LEN] {
    subkey(&[], vault_key, LABEL_KEY_ID)[..KEY_ID_LEN]
        .try_into()
        .expect("16 bytes")
}

impl OpenVault {
    fn from_parts(vault_key: Zeroizing<[u8; 32]>, recovery_kek: Zeroizing<[u8; 32]>) -> Self {
        OpenVault {
            key_id: key_id_of(&vault_key),
            recovery_id: recovery_id(&recovery_kek),
            vault_key,
            recovery_kek,
        }
    }

    fn from_payload(payload: &[u8]) -> Result<Self> {
        let payload = Zeroizing::new(payload.to_vec());
        if payload.len() != VAULT_PAYLOAD_LEN {
            return Err(Error::new(
                ErrorCode::Format,
                format!(
                    "a vault holds {VAULT_PAYLOAD_LEN} bytes, this one {}",
                    payload.len()
                ),
            ));
        }
        let mut key = Zeroizing::new([0u8; 32]);
        let mut kek = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&payload[..32]);
        kek.copy_from_slice(&payload[32..]);
        Ok(Self::from_parts(key, kek))
    }

    /// Deterministic seam for test vectors: a vault from known keys.
    #[doc(hidden)]
    pub fn from_keys(vault_key: [u8; 32], recovery: &RecoveryKey) -> Self {
        Self::from_parts(Zeroizing::new(vault_key), recovery.kek())
    }

    pub fn key_id(&self) -> [u8; KEY_ID_LEN] {
        self.key_id
    }

    pub fn key_id_hex(&self) -> String {
        hex::encode(self.key_id)
    }

    /// A 32-byte key for one purpose, derived from the vault key with BLAKE3 `derive_key`
    /// under a hard-coded, globally unique `context`. Like the vault key it never leaves
    /// the core: callers get results computed with it (e.g. store object names), not the key.
    pub(crate) fn derive(&self, context: &str) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(blake3::derive_key(context, &self.vault_key[..]))
    }

    pub(crate) fn vault_key(&self) -> &[u8] {
        &self.vault_key[..]
    }

    /// Stanzas for a file sealed with this vault: the vault and the recovery key.
    pub(crate) fn recipients(&self) -> Vec<Recipient<'_>> {
        vec![
            Recipient::Vault {
                key_id: self.key_id,
                vault_key: &self.vault_key,
            },
            Recipient::Recovery {
                recovery_id: self.recovery_id,
                kek: &self.recovery_kek,
            },
        ]
    }

    fn payload(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new([&self.vault_key[..], &self.recovery_kek[..]].concat())
    }

    fn write(&self, path: &Path, passphrase: &str, params: KdfParams, overwrite: bool) -> Result<()> {
        let bytes = self.file_bytes(passphrase, params, None)?;
        let mut out = AtomicOutput::create_private(path, overwrite)?;
        out.write_all(&bytes)?;
        out.commit()
    }

    /// Deterministic seam for FORMAT.md's vault key file vector: same inputs, same bytes.
    #[doc(hidden)]
    pub fn file_bytes_with(
        &self,
        passphrase: &str,
        params: KdfParams,
        fixed: &FixedRandomness,
    ) -> Result<Vec<u8>> {
        self.file_bytes(passphrase, params, Some(fixed))
    }

    /// The vault key file: a passphrase stanza and a recovery stanza over the 64-byte payload.
    fn file_bytes(
        &self,
        passphrase: &str,
        params: KdfParams,
        fixed: Option<&FixedRandomness>,
    ) -> Result<Vec<u8>> {
        let recipients = [
            Recipient::Passphrase {
                passphrase: passphrase.as_bytes(),
                params,
            },
            Recipient::Recovery {
                recovery_id: self.recovery_id,
                kek: &self.recovery_kek,
            },
        ];
        seal_to_vec(FileKind::Vault, &recipients, &self.payload(), fixed)
    }
}

fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.is_empty() {
        return Err(Error::invalid(
            "the passphrase is empty; use generate_passphrase for a strong one",
        ));
    }
    Ok(())
}

/// Creates a vault key file at `path` (refuses to overwrite) and returns the open vault
/// and its recovery key, which the caller must show for printing.
pub fn create_vault(path: &Path, passphrase: &str, params: KdfParams) -> Result<NewVault> {
    check_passphrase(passphrase)?;
    params.check()?;
    let recovery = RecoveryKey::generate()?;
    let vault = OpenVault::from_parts(Zeroizing::new(random_array()?), recovery.kek());
    vault.write(path, passphrase, params, false)?;
    Ok(NewVault { vault, recovery })
}

/// Opens a vault key file with its passphrase or its recovery key.
pub fn open_vault(path: &Path, unlock: &Unlock) -> Result<OpenVault> {
    if matches!(unlock, Unlock::Vault(_)) {
        return Err(Error::invalid(
            "a vault is opened with its passphrase or recovery key",
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(e, path))?;
    open_vault_bytes(&bytes, unlock)
        .map_err(|e| Error::new(e.code, format!("{}: {}", path.display(), e.message)).with_path(path))
}

/// [`open_vault`] on the bytes of a vault key file already in memory.
pub fn open_vault_bytes(bytes: &[u8], unlock: &Unlock) -> Result<OpenVault> {
    if matches!(unlock, Unlock::Vault(_)) {
        return Err(Error::invalid(
            "a vault is opened with its passphrase or recovery key",
        ));
    }
    let payload = Zeroizing::new(open_to_vec(bytes, unlock, FileKind::Vault)?);
    let vault = OpenVault::from_payload(&payload)?;
    if let Unlock::Recovery(recovery) = unlock {
        // The stanza matched this key's id, and the payload must agree with it.
        if recovery.id() != vault.recovery_id {
            return Err(Error::new(
                ErrorCode::Auth,
                "the vault's recovery KEK does not match its recovery key",
            ));
        }
    }
    Ok(vault)
}

pub fn open_vault_with_passphrase(path: &Path, passphrase: &str) -> Result<OpenVault> {
    open_vault(path, &Unlock::Passphrase(passphrase))
}

pub fn open_vault_with_recovery(path: &Path, recovery: &RecoveryKey) -> Result<OpenVault> {
    open_vault(path, &Unlock::Recovery(recovery))
}

/// Replaces the vault's passphrase. `unlock` is the old passphrase or the recovery key
/// (so a forgotten passphrase can be reset with the recovery sheet).
pub fn change_passphrase(
    path: &Path,
    unlock: &Unlock,
    new_passphrase: &str,
    params: KdfParams,
) -> Result<OpenVault> {
    check_passphrase(new_passphrase)?;
    params.check()?;
    let vault = open_vault(path, unlock)?;
    vault.write(path, new_passphrase, params, true)?;
    Ok(vault)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vault_payload_must_be_64_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let recipients = [Recipient::Passphrase {
            passphrase: b"pw",
            params: KdfParams { m_kib: 8, t: 1, p: 1 },
        }];
        for len in [0, 32, 63, 65] {
            let path = dir.path().join(format!("{len}.spkey"));
            let bytes = seal_to_vec(FileKind::Vault, &recipients, &vec![7; len], None).unwrap();
            std::fs::write(&path, bytes).unwrap();
            let e = open_vault_with_passphrase(&path, "pw").unwrap_err();
            assert_eq!(e.code, ErrorCode::Format, "{len}: {e}");
        }
    }

    #[test]
    fn vault_files_are_created_and_rewritten_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("studio.vault");
        let params = KdfParams { m_kib: 8, t: 1, p: 1 };
        create_vault(&path, "correct horse", params).unwrap();
        let mode = || std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(), 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        change_passphrase(
            &path,
            &Unlock::Passphrase("correct horse"),
            "battery staple",
            params,
        )
        .unwrap();
        assert_eq!(mode(), 0o600, "a rewritten vault is owner-only again");
    }
}
