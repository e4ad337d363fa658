//! Owned forms of `KeySource` and `Unlock`, for callers that must keep a key past one
//! call (a stream, a task on another thread). Secrets are wiped on drop.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::{KeySource, Unlock};
use crate::error::{Error, Result};
use crate::keys::{KdfParams, OpenVault, RecoveryKey};

/// Who a new file is sealed for, owned.
pub enum SealFor {
    Vault(Arc<OpenVault>),
    Passphrase(Zeroizing<String>, KdfParams),
}

impl SealFor {
    /// Exactly one of an open vault or a passphrase.
    pub fn from_parts(
        vault: Option<Arc<OpenVault>>,
        passphrase: Option<String>,
        kdf: KdfParams,
    ) -> Result<Self> {
        match (vault, passphrase) {
            (Some(v), None) => Ok(SealFor::Vault(v)),
            (None, Some(p)) if !p.is_empty() => Ok(SealFor::Passphrase(Zeroizing::new(p), kdf)),
            (None, Some(_)) => Err(Error::invalid(
                "the passphrase is empty; give a passphrase or a vault",
            )),
            _ => Err(Error::invalid(
                "seal with exactly one of an open vault or a passphrase",
            )),
        }
    }

    pub fn as_key_source(&self) -> KeySource<'_> {
        match self {
            SealFor::Vault(v) => KeySource::Vault(v),
            SealFor::Passphrase(p, params) => KeySource::Passphrase {
                passphrase: p,
                params: *params,
            },
        }
    }
}

/// A way to unlock a sealed file, owned.
pub enum UnlockWith {
    Vault(Arc<OpenVault>),
    Recovery(RecoveryKey),
    Passphrase(Zeroizing<String>),
}

impl UnlockWith {
    /// Exactly one of an open vault, a passphrase or the 24 recovery words.
    pub fn from_parts(
        vault: Option<Arc<OpenVault>>,
        passphrase: Option<String>,
        recovery_words: Option<String>,
    ) -> Result<Self> {
        let recovery_words = recovery_words.map(Zeroizing::new);
        match (vault, passphrase, recovery_words) {
            (Some(v), None, None) => Ok(UnlockWith::Vault(v)),
            (None, Some(p), None) => Ok(UnlockWith::Passphrase(Zeroizing::new(p))),
            (None, None, Some(w)) => Ok(UnlockWith::Recovery(RecoveryKey::from_words(&w)?)),
            _ => Err(Error::invalid(
                "unlock with exactly one of an open vault, a passphrase or a recovery key",
            )),
        }
    }

    pub fn as_unlock(&self) -> Unlock<'_> {
        match self {
            UnlockWith::Vault(v) => Unlock::Vault(v),
            UnlockWith::Recovery(r) => Unlock::Recovery(r),
            UnlockWith::Passphrase(p) => Unlock::Passphrase(p),
        }
    }
}
