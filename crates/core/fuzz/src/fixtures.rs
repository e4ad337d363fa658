//! The test vectors' keys (docs/vectors/sealed_v1.json), built once per process.

use std::sync::OnceLock;

use shutterproof_core::keys::{OpenVault, RecoveryKey};

/// Vault key of the vectors.
pub const VAULT_KEY: [u8; 32] = [0x11; 32];
/// Recovery key of the vectors ("captain baby mass dust …").
pub const RECOVERY_KEY: [u8; 32] = [0x22; 32];
/// The vectors' passphrase (the vault key file's and the passphrase-sealed file's).
pub const PASSPHRASE: &str = "correct horse battery staple";

pub struct Keys {
    pub vault: OpenVault,
    pub recovery: RecoveryKey,
    /// docs/vectors/vault-key-file.spkey: the vault key file of these keys.
    pub vault_file: &'static [u8],
}

impl Keys {
    pub fn get() -> &'static Keys {
        static KEYS: OnceLock<Keys> = OnceLock::new();
        KEYS.get_or_init(|| {
            let recovery = RecoveryKey::from_bytes(RECOVERY_KEY);
            Keys {
                vault: OpenVault::from_keys(VAULT_KEY, &recovery),
                recovery,
                vault_file: include_bytes!("../../../../docs/vectors/vault-key-file.spkey"),
            }
        })
    }
}
