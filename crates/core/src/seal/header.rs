//! The header in front of the payload:
//!
//! ```text
//! magic "SPSEALED" (8) | version 0x01 | kind (0x00 file, 0x01 vault key file) | stanza count (1..=8)
//! stanza*: type (1) | body (fixed length per type)
//! header MAC (32) = HMAC-SHA-256(HKDF-SHA-512(salt = "", ikm = file key, info = LABEL_HEADER_MAC)[..32],
//!                                every header byte before the MAC)
//! ```
//! The payload's Cobblestone context is `CONTEXT_PREFIX || header MAC`, so a header edited
//! in any byte fails the payload's key commitment before any chunk is decrypted.

use std::io::Read;

use zeroize::Zeroizing;

use super::primitives::{ct_eq, hmac_sha256, subkey};
use super::stanza::{body_len, FileKey, Recipient, Stanza, FILE_KEY_LEN, KEY_ID_LEN, STANZA_SALT_LEN};
use crate::error::{Error, ErrorCode, Result};
use crate::keys::{argon2id, OpenVault, RecoveryKey};

pub const MAGIC: &[u8; 8] = b"SPSEALED";
/// The version fixes every algorithm and length; there is no negotiation.
pub const VERSION: u8 = 1;
/// magic + version + kind + stanza count
pub const FIXED_LEN: usize = 11;
pub const MAC_LEN: usize = 32;
pub const MAX_STANZAS: usize = 8;
pub const LABEL_HEADER_MAC: &str = "shutterproof.v1 header mac";
pub const LABEL_PAYLOAD_KEY: &str = "shutterproof.v1 payload key";
pub const CONTEXT_PREFIX: &[u8] = b"shutterproof.v1 payload\x00";

/// What the payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A sealed user file.
    File = 0,
    /// A vault key file (payload = vault key || recovery KEK).
    Vault = 1,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::File => "file",
            FileKind::Vault => "vault",
        }
    }
}

/// A way to open a sealed file.
pub enum Unlock<'a> {
    /// An unlocked vault (Argon2 already paid once, at unlock).
    Vault(&'a OpenVault),
    /// The 24-word recovery key alone; no vault file needed.
    Recovery(&'a RecoveryKey),
    /// A passphrase stanza (stand-alone files, and the vault key file itself).
    Passphrase(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub kind: FileKind,
    pub stanzas: Vec<Stanza>,
    pub mac: [u8; MAC_LEN],
    /// Every byte before the MAC, as read or written: what the MAC covers.
    signed: Vec<u8>,
}

fn short_header() -> Error {
    Error::new(
        ErrorCode::Truncated,
        "the header ends early: the file is truncated",
    )
}

fn read_exact<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<()> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => short_header(),
        _ => Error::new(ErrorCode::Io, format!("reading the header failed: {e}")),
    })
}

impl Header {
    /// Reads and parses a header; refuses unknown versions, kinds and stanza types.
    pub fn read<R: Read>(r: &mut R) -> Result<Header> {
        let mut signed = vec![0u8; FIXED_LEN];
        read_exact(r, &mut signed)?;
        if &signed[..8] != MAGIC {
            return Err(Error::new(
                ErrorCode::Format,
                "not a Shutterproof sealed file (the SPSEALED magic is missing); check the path",
            ));
        }
        if signed[8] != VERSION {
            return Err(Error::new(
                ErrorCode::Format,
                format!(
                    "sealed-file version {} is not supported (this build reads version {VERSION}); \
                     upgrade Shutterproof",
                    signed[8]
                ),
            ));
        }
        let kind = match signed[9] {
            0 => FileKind::File,
            1 => FileKind::Vault,
            other => {
                return Err(Error::new(
                    ErrorCode::Format,
                    format!("unknown sealed-file kind 0x{other:02x}; the header is damaged"),
                ))
            }
        };
        let count = signed[10] as usize;
        if count == 0 || count > MAX_STANZAS {
            return Err(Error::new(
                ErrorCode::Format,
                format!("a header must hold 1 to {MAX_STANZAS} stanzas, this one says {count}"),
            ));
        }
        let mut stanzas = Vec::with_capacity(count);
        for _ in 0..count {
            let mut kind = [0u8; 1];
            read_exact(r, &mut kind)?;
            let mut body = vec![0u8; body_len(kind[0])?];
            read_exact(r, &mut body)?;
            stanzas.push(Stanza::parse(kind[0], &body)?);
            signed.push(kind[0]);
            signed.extend_from_slice(&body);
        }
        let mut mac = [0u8; MAC_LEN];
        read_exact(r, &mut mac)?;
        Ok(Header {
            kind,
            stanzas,
            mac,
            signed,
        })
    }

    /// Builds a header for `recipients`; `salts` gives each stanza's salt (random in
    /// normal use, fixed for test vectors).
    pub(crate) fn build(
        kind: FileKind,
        recipients: &[Recipient],
        file_key: &[u8; FILE_KEY_LEN],
        salts: &[[u8; STANZA_SALT_LEN]],
    ) -> Result<Header> {
        assert!(!recipients.is_empty() && recipients.len() <= MAX_STANZAS && salts.len() == recipients.len());
        let stanzas = recipients
            .iter()
            .zip(salts)
            .map(|(r, salt)| Stanza::wrap(r, file_key, *salt))
            .collect::<Result<Vec<_>>>()?;
        let mut signed = MAGIC.to_vec();
        signed.extend_from_slice(&[VERSION, kind as u8, stanzas.len() as u8]);
        for stanza in &stanzas {
            stanza.encode(&mut signed);
        }
        let mac = header_mac(file_key, &signed);
        Ok(Header {
            kind,
            stanzas,
            mac,
            signed,
        })
    }

    /// Header length in bytes, MAC included: where the payload starts.
    pub fn len(&self) -> usize {
        self.signed.len() + MAC_LEN
    }

    /// Never true: a header always has its fixed part, stanzas and MAC (pairs with `len`).
    pub fn is_empty(&self) -> bool {
        false
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed.clone();
        out.extend_from_slice(&self.mac);
        out
    }

    /// The vault key id the file is sealed for, if any.
    pub fn key_id(&self) -> Option<[u8; KEY_ID_LEN]> {
        self.stanzas.iter().find_map(|s| match s {
            Stanza::Vault { key_id, .. } => Some(*key_id),
            _ => None,
        })
    }

    /// Recovers the file key with `unlock`, then checks the header MAC with it.
    pub fn unlock(&self, unlock: &Unlock) -> Result<FileKey> {
        let file_key = match unlock {
            Unlock::Vault(vault) => self.unlock_by_id(
                |s| matches!(s, Stanza::Vault { key_id, .. } if ct_eq(key_id, &vault.key_id())),
                vault.vault_key(),
                "this file was not sealed with this vault (no stanza carries its key id); \
                 open it with the vault it was sealed with, or with that vault's recovery key",
            )?,
            Unlock::Recovery(recovery) => self.unlock_by_id(
                |s| matches!(s, Stanza::Recovery { recovery_id, .. } if ct_eq(recovery_id, &recovery.id())),
                &recovery.kek()[..],
                "this recovery key does not belong to this file's vault; check which recovery sheet you used",
            )?,
            Unlock::Passphrase(passphrase) => self.unlock_by_passphrase(passphrase)?,
        };
        if !ct_eq(&header_mac(&file_key, &self.signed), &self.mac) {
            return Err(Error::new(
                ErrorCode::Auth,
                "the header MAC does not match: the header was modified or damaged",
            ));
        }
        Ok(file_key)
    }

    fn unlock_by_id(
        &self,
        matches: impl Fn(&Stanza) -> bool,
        secret: &[u8],
        missing: &str,
    ) -> Result<FileKey> {
        let Some(stanza) = self.stanzas.iter().find(|s| matches(s)) else {
            return Err(Error::new(ErrorCode::WrongKey, missing));
        };
        // The id matched, so the key is the right one: a failure here means tampering.
        stanza.unwrap_with(secret).ok_or_else(|| {
            Error::new(
                ErrorCode::Auth,
                "the wrapped file key does not authenticate: the header was modified or damaged",
            )
        })
    }

    fn unlock_by_passphrase(&self, passphrase: &str) -> Result<FileKey> {
        let mut any = false;
        for stanza in &self.stanzas {
            if let Stanza::Passphrase { params, salt, .. } = stanza {
                any = true;
                let secret = argon2id(passphrase.as_bytes(), salt, *params)?;
                if let Some(key) = stanza.unwrap_with(&secret[..]) {
                    return Ok(key);
                }
            }
        }
        if any {
            Err(Error::new(
                ErrorCode::BadPassphrase,
                "the passphrase is wrong (or the header was modified); check it and try again",
            ))
        } else {
            Err(Error::new(
                ErrorCode::WrongKey,
                "this file has no passphrase stanza; open it with its vault or recovery key",
            ))
        }
    }

    /// Cobblestone input key and context for this header's payload.
    pub fn payload_key_and_context(&self, file_key: &[u8; FILE_KEY_LEN]) -> (Zeroizing<[u8; 32]>, Vec<u8>) {
        (
            subkey(&[], file_key, LABEL_PAYLOAD_KEY),
            payload_context(&self.mac),
        )
    }
}

/// HMAC-SHA-256 under the file key's MAC subkey.
pub fn header_mac(file_key: &[u8; FILE_KEY_LEN], signed: &[u8]) -> [u8; MAC_LEN] {
    hmac_sha256(&subkey(&[], file_key, LABEL_HEADER_MAC)[..], &[signed])
}

pub fn payload_context(mac: &[u8; MAC_LEN]) -> Vec<u8> {
    [CONTEXT_PREFIX, &mac[..]].concat()
}
