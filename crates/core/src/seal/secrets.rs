//! Owned forms of `KeySource` and `Unlock`, for callers that must keep a key past one
//! call (a stream, a task on another thread). Secrets are wiped on drop.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::{KeySource, Unlock};
use crate::keys::{KdfParams, OpenVault, RecoveryKey};

/// Who a new file is sealed for, owned.
pub enum SealFor {
    Vault(Arc<OpenVault>),
    Passphrase(Zeroizing<String>, KdfParams),
}

impl SealFor {
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
    pub fn as_unlock(&self) -> Unlock<'_> {
        match self {
            UnlockWith::Vault(v) => Unlock::Vault(v),
            UnlockWith::Recovery(r) => Unlock::Recovery(r),
            UnlockWith::Passphrase(p) => Unlock::Passphrase(p),
        }
    }
}
