//! Stanzas: one per way to unlock a file, each holding the file key wrapped under a key
//! only that way can produce. Every stanza type has one exact length; there is nothing
//! to negotiate and nothing optional.
//!
//! Wrapping (the same for every type):
//! ```text
//! wrap key = HKDF-SHA-512(salt = stanza salt (16), ikm = unlocking secret, info = label)[..32]
//! wrapped  = AES-256-GCM(wrap key, nonce = 12 zero bytes, aad = stanza bytes before `wrapped`,
//!                        plaintext = file key (32)) → 32 + 16 bytes
//! ```
//! The wrap key is unique to (secret, random salt), so the fixed nonce is used once per key.

use zeroize::Zeroizing;

use super::primitives::{random_array, subkey, Aes256Gcm, GCM_NONCE_LEN};
use crate::error::{Error, ErrorCode, Result};
use crate::keys::{argon2id, KdfParams};

pub const FILE_KEY_LEN: usize = 32;
pub const STANZA_SALT_LEN: usize = 16;
pub const KEY_ID_LEN: usize = 16;
pub const WRAPPED_LEN: usize = FILE_KEY_LEN + 16;

pub const TYPE_VAULT: u8 = 0x01;
pub const TYPE_RECOVERY: u8 = 0x02;
pub const TYPE_PASSPHRASE: u8 = 0x03;

/// key id (16) + salt (16) + wrapped (48)
pub const VAULT_BODY_LEN: usize = KEY_ID_LEN + STANZA_SALT_LEN + WRAPPED_LEN;
/// recovery id (16) + salt (16) + wrapped (48)
pub const RECOVERY_BODY_LEN: usize = KEY_ID_LEN + STANZA_SALT_LEN + WRAPPED_LEN;
/// The Argon2id costs at the start of a passphrase stanza's body: m, t, p (u32 BE each).
pub const KDF_COSTS_LEN: usize = 12;
/// m (u32 BE) + t (u32 BE) + p (u32 BE) + salt (16) + wrapped (48)
pub const PASSPHRASE_BODY_LEN: usize = KDF_COSTS_LEN + STANZA_SALT_LEN + WRAPPED_LEN;

pub const LABEL_WRAP_VAULT: &str = "shutterproof.v1 wrap vault";
pub const LABEL_WRAP_RECOVERY: &str = "shutterproof.v1 wrap recovery";
pub const LABEL_WRAP_PASSPHRASE: &str = "shutterproof.v1 wrap passphrase";

const ZERO_NONCE: [u8; GCM_NONCE_LEN] = [0; GCM_NONCE_LEN];

pub type FileKey = Zeroizing<[u8; FILE_KEY_LEN]>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stanza {
    Vault {
        key_id: [u8; KEY_ID_LEN],
        salt: [u8; STANZA_SALT_LEN],
        wrapped: [u8; WRAPPED_LEN],
    },
    Recovery {
        recovery_id: [u8; KEY_ID_LEN],
        salt: [u8; STANZA_SALT_LEN],
        wrapped: [u8; WRAPPED_LEN],
    },
    Passphrase {
        params: KdfParams,
        salt: [u8; STANZA_SALT_LEN],
        wrapped: [u8; WRAPPED_LEN],
    },
}

/// What a stanza is, for `inspect` (no secrets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StanzaKind {
    Vault,
    Recovery,
    Passphrase,
}

impl StanzaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StanzaKind::Vault => "vault",
            StanzaKind::Recovery => "recovery",
            StanzaKind::Passphrase => "passphrase",
        }
    }
}

/// Who a new file is sealed for (internal: built from a `KeySource`).
pub(crate) enum Recipient<'a> {
    Vault {
        key_id: [u8; KEY_ID_LEN],
        vault_key: &'a [u8; 32],
    },
    Recovery {
        recovery_id: [u8; KEY_ID_LEN],
        kek: &'a [u8; 32],
    },
    Passphrase {
        passphrase: &'a [u8],
        params: KdfParams,
    },
}

/// Body length for a stanza type, or `E_FORMAT` for a type this version does not know.
pub fn body_len(kind: u8) -> Result<usize> {
    match kind {
        TYPE_VAULT => Ok(VAULT_BODY_LEN),
        TYPE_RECOVERY => Ok(RECOVERY_BODY_LEN),
        TYPE_PASSPHRASE => Ok(PASSPHRASE_BODY_LEN),
        other => Err(Error::new(
            ErrorCode::Format,
            format!(
                "unknown stanza type 0x{other:02x}; this file needs a newer Shutterproof, or it is damaged"
            ),
        )),
    }
}

/// The Argon2id costs in the first `KDF_COSTS_LEN` bytes of a passphrase stanza's body
/// (unchecked: the caller runs `KdfParams::check`).
pub fn kdf_costs(bytes: &[u8]) -> KdfParams {
    let u32_at = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().expect("4 bytes"));
    KdfParams {
        m_kib: u32_at(0),
        t: u32_at(4),
        p: u32_at(8),
    }
}

impl Stanza {
    pub fn kind(&self) -> StanzaKind {
        match self {
            Stanza::Vault { .. } => StanzaKind::Vault,
            Stanza::Recovery { .. } => StanzaKind::Recovery,
            Stanza::Passphrase { .. } => StanzaKind::Passphrase,
        }
    }

    fn type_byte(&self) -> u8 {
        match self {
            Stanza::Vault { .. } => TYPE_VAULT,
            Stanza::Recovery { .. } => TYPE_RECOVERY,
            Stanza::Passphrase { .. } => TYPE_PASSPHRASE,
        }
    }

    /// Parses the body of a stanza of type `kind` (exactly `body_len(kind)` bytes).
    /// Argon2 costs are checked here, before anything could allocate them.
    pub fn parse(kind: u8, body: &[u8]) -> Result<Stanza> {
        debug_assert_eq!(body.len(), body_len(kind)?);
        let wrapped = body[body.len() - WRAPPED_LEN..].try_into().expect("48 bytes");
        let salt_at = body.len() - WRAPPED_LEN - STANZA_SALT_LEN;
        let salt = body[salt_at..salt_at + STANZA_SALT_LEN]
            .try_into()
            .expect("16 bytes");
        let id = || body[..KEY_ID_LEN].try_into().expect("16 bytes");
        Ok(match kind {
            TYPE_VAULT => Stanza::Vault {
                key_id: id(),
                salt,
                wrapped,
            },
            TYPE_RECOVERY => Stanza::Recovery {
                recovery_id: id(),
                salt,
                wrapped,
            },
            _ => {
                let params = kdf_costs(body);
                params.check()?;
                Stanza::Passphrase {
                    params,
                    salt,
                    wrapped,
                }
            }
        })
    }

    /// Type byte and body, as in the header.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.aad());
        out.extend_from_slice(self.wrapped());
    }

    /// The stanza's bytes before `wrapped`: its AEAD associated data.
    fn aad(&self) -> Vec<u8> {
        let mut aad = vec![self.type_byte()];
        match self {
            Stanza::Vault { key_id: id, salt, .. }
            | Stanza::Recovery {
                recovery_id: id,
                salt,
                ..
            } => {
                aad.extend_from_slice(id);
                aad.extend_from_slice(salt);
            }
            Stanza::Passphrase { params, salt, .. } => {
                aad.extend_from_slice(&params.m_kib.to_be_bytes());
                aad.extend_from_slice(&params.t.to_be_bytes());
                aad.extend_from_slice(&params.p.to_be_bytes());
                aad.extend_from_slice(salt);
            }
        }
        aad
    }

    fn wrapped(&self) -> &[u8; WRAPPED_LEN] {
        match self {
            Stanza::Vault { wrapped, .. }
            | Stanza::Recovery { wrapped, .. }
            | Stanza::Passphrase { wrapped, .. } => wrapped,
        }
    }

    fn salt(&self) -> &[u8; STANZA_SALT_LEN] {
        match self {
            Stanza::Vault { salt, .. } | Stanza::Recovery { salt, .. } | Stanza::Passphrase { salt, .. } => {
                salt
            }
        }
    }

    /// Builds the stanza for `recipient`, wrapping `file_key`. `salt` is random except
    /// in the deterministic seam used for test vectors.
    pub(crate) fn wrap(
        recipient: &Recipient,
        file_key: &[u8; FILE_KEY_LEN],
        salt: [u8; STANZA_SALT_LEN],
    ) -> Result<Self> {
        let empty = [0u8; WRAPPED_LEN];
        let (mut stanza, secret, label) = match recipient {
            Recipient::Vault { key_id, vault_key } => (
                Stanza::Vault {
                    key_id: *key_id,
                    salt,
                    wrapped: empty,
                },
                Zeroizing::new(**vault_key),
                LABEL_WRAP_VAULT,
            ),
            Recipient::Recovery { recovery_id, kek } => (
                Stanza::Recovery {
                    recovery_id: *recovery_id,
                    salt,
                    wrapped: empty,
                },
                Zeroizing::new(**kek),
                LABEL_WRAP_RECOVERY,
            ),
            Recipient::Passphrase { passphrase: [], .. } => {
                return Err(Error::invalid(
                    "the passphrase is empty; a sealed file needs a non-empty passphrase (or a vault)",
                ))
            }
            Recipient::Passphrase { passphrase, params } => (
                Stanza::Passphrase {
                    params: *params,
                    salt,
                    wrapped: empty,
                },
                argon2id(passphrase, &salt, *params)?,
                LABEL_WRAP_PASSPHRASE,
            ),
        };
        let key = Aes256Gcm::new(&subkey(&salt, &secret[..], label)[..])?;
        let mut body = Zeroizing::new([0u8; WRAPPED_LEN]);
        body[..FILE_KEY_LEN].copy_from_slice(file_key);
        let tag = key.seal(ZERO_NONCE, &stanza.aad(), &mut body[..FILE_KEY_LEN]);
        body[FILE_KEY_LEN..].copy_from_slice(&tag);
        match &mut stanza {
            Stanza::Vault { wrapped, .. }
            | Stanza::Recovery { wrapped, .. }
            | Stanza::Passphrase { wrapped, .. } => *wrapped = *body,
        }
        Ok(stanza)
    }

    /// Unwraps the file key with the stanza's unlocking secret (for a passphrase stanza:
    /// the Argon2id output). `None` when it does not authenticate.
    pub(crate) fn unwrap_with(&self, secret: &[u8]) -> Option<FileKey> {
        let label = match self {
            Stanza::Vault { .. } => LABEL_WRAP_VAULT,
            Stanza::Recovery { .. } => LABEL_WRAP_RECOVERY,
            Stanza::Passphrase { .. } => LABEL_WRAP_PASSPHRASE,
        };
        let key = Aes256Gcm::new(&subkey(self.salt(), secret, label)[..]).ok()?;
        let mut body = Zeroizing::new(*self.wrapped());
        key.open(ZERO_NONCE, &self.aad(), &mut body[..]).ok()?;
        let mut file_key = Zeroizing::new([0u8; FILE_KEY_LEN]);
        file_key.copy_from_slice(&body[..FILE_KEY_LEN]);
        Some(file_key)
    }
}

pub(crate) fn random_salt() -> Result<[u8; STANZA_SALT_LEN]> {
    random_array()
}
