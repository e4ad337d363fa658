//! Keys: the vault key file, the recovery key, passphrase generation, Argon2id, and
//! stored (PHC) password hashes.
//!
//! One passphrase unlocks the vault (one Argon2id run); the vault key then seals and
//! opens any number of files. The 24-word recovery key opens the vault and every file on
//! its own.

mod kdf;
mod passphrase;
mod password_hash;
mod recovery;
mod vault;

pub use kdf::{argon2_runs, argon2id, KdfParams, MAX_M_KIB, MAX_P, MAX_T};
pub use passphrase::{generate_passphrase, uniform_below, GeneratedPassphrase};
pub use password_hash::{hash_password, verify_password, PASSWORD_MAX, PASSWORD_PARAMS};
pub use recovery::{RecoveryKey, BIP39_ENGLISH_SHA256, RECOVERY_WORDS};
pub use vault::{
    change_passphrase, change_passphrase_into, create_vault, key_id_of, open_vault, open_vault_bytes,
    open_vault_with_passphrase, open_vault_with_recovery, NewVault, OpenVault,
};
