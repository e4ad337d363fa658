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
use super::stanza::{
    body_len, kdf_costs, FileKey, Recipient, Stanza, StanzaKind, FILE_KEY_LEN, KDF_COSTS_LEN, KEY_ID_LEN,
    STANZA_SALT_LEN, TYPE_PASSPHRASE,
};
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
    /// The file key itself: no stanza is used, the header MAC is checked with it.
    /// A seam for FORMAT.md's test vectors ("Unlocking with the file key").
    #[doc(hidden)]
    FileKey(&'a [u8; FILE_KEY_LEN]),
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

/// No writer makes a stanza for an empty passphrase, and no reader tries one.
pub(crate) fn empty_passphrase() -> Error {
    Error::invalid("the passphrase is empty; give the passphrase the file was sealed with")
}

fn not_sealed() -> Error {
    Error::new(
        ErrorCode::Format,
        "not a Shutterproof sealed file (the SPSEALED magic is missing); check the path",
    )
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Error::new(
                    ErrorCode::Io,
                    format!("reading the header failed: {e}"),
                ))
            }
        }
    }
    Ok(got)
}

fn read_exact<R: Read>(r: &mut R, buf: &mut [u8]) -> Result<()> {
    r.read_exact(buf).map_err(|e| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => short_header(),
        _ => Error::new(ErrorCode::Io, format!("reading the header failed: {e}")),
    })
}

impl Header {
    /// Reads and parses a header; refuses unknown versions, kinds and stanza types, a
    /// second passphrase stanza and Argon2 costs over the caps or malformed.
    ///
    /// Fields are checked in order, each as soon as its bytes are there, so the first bad
    /// field decides the error. Input that ends early is `E_TRUNCATED` only if every byte
    /// seen so far was valid; input that ends inside the magic is `E_TRUNCATED` only when
    /// it is a prefix of the magic (an empty input included), `E_FORMAT` otherwise.
    pub fn read<R: Read>(r: &mut R) -> Result<Header> {
        let mut signed = vec![0u8; FIXED_LEN];
        let got = read_up_to(r, &mut signed[..MAGIC.len()])?;
        if signed[..got] != MAGIC[..got] {
            return Err(not_sealed());
        }
        if got < MAGIC.len() {
            return Err(short_header());
        }
        read_exact(r, &mut signed[8..9])?;
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
        read_exact(r, &mut signed[9..10])?;
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
        read_exact(r, &mut signed[10..11])?;
        let count = signed[10] as usize;
        if count == 0 || count > MAX_STANZAS {
            return Err(Error::new(
                ErrorCode::Format,
                format!("a header must hold 1 to {MAX_STANZAS} stanzas, this one says {count}"),
            ));
        }
        let mut stanzas: Vec<Stanza> = Vec::with_capacity(count);
        for _ in 0..count {
            let mut kind = [0u8; 1];
            read_exact(r, &mut kind)?;
            let len = body_len(kind[0])?;
            // One passphrase stanza at most: a wrong passphrase then costs one Argon2 run,
            // not one per stanza.
            if kind[0] == TYPE_PASSPHRASE && stanzas.iter().any(|s| s.kind() == StanzaKind::Passphrase) {
                return Err(Error::new(
                    ErrorCode::Format,
                    "the header has more than one passphrase stanza, which the format forbids; \
                     the file is damaged or was not made by Shutterproof",
                ));
            }
            let mut body = vec![0u8; len];
            if kind[0] == TYPE_PASSPHRASE {
                // The three costs are one field: checked as soon as their 12 bytes are
                // there, before the salt is read, so bad costs decide the error even when
                // the input ends inside the salt or the wrapped key.
                read_exact(r, &mut body[..KDF_COSTS_LEN])?;
                kdf_costs(&body[..KDF_COSTS_LEN]).check()?;
                read_exact(r, &mut body[KDF_COSTS_LEN..])?;
            } else {
                read_exact(r, &mut body)?;
            }
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
        let passphrases = recipients
            .iter()
            .filter(|r| matches!(r, Recipient::Passphrase { .. }))
            .count();
        if passphrases > 1 {
            return Err(Error::invalid("a header holds at most one passphrase stanza"));
        }
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
            // Every stanza is skipped; a wrong key or any edited header byte (a stanza's
            // id or wrapped key included) fails the MAC check below.
            Unlock::FileKey(key) => Zeroizing::new(**key),
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
        let mut any = false;
        for stanza in self.stanzas.iter().filter(|s| matches(s)) {
            any = true;
            if let Some(key) = stanza.unwrap_with(secret) {
                return Ok(key);
            }
        }
        if !any {
            return Err(Error::new(ErrorCode::WrongKey, missing));
        }
        // An id matched, so the key is the right one: a failure here means tampering.
        Err(Error::new(
            ErrorCode::Auth,
            "the wrapped file key does not authenticate: the header was modified or damaged",
        ))
    }

    /// The header holds at most one passphrase stanza (checked at parse), so a wrong
    /// passphrase costs exactly one Argon2 run.
    fn unlock_by_passphrase(&self, passphrase: &str) -> Result<FileKey> {
        // Checked here, where the stanza would be looked up: before any Argon2 run, and
        // whether or not the header has a passphrase stanza.
        if passphrase.is_empty() {
            return Err(empty_passphrase());
        }
        let Some(stanza @ Stanza::Passphrase { params, salt, .. }) =
            self.stanzas.iter().find(|s| s.kind() == StanzaKind::Passphrase)
        else {
            return Err(Error::new(
                ErrorCode::WrongKey,
                "this file has no passphrase stanza; open it with its vault or recovery key",
            ));
        };
        let secret = argon2id(passphrase.as_bytes(), salt, *params)?;
        stanza.unwrap_with(&secret[..]).ok_or_else(|| {
            Error::new(
                ErrorCode::BadPassphrase,
                "the passphrase is wrong (or the header was modified); check it and try again",
            )
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{KdfParams, RecoveryKey, MAX_M_KIB};
    use crate::seal::file::{open_to_vec, seal_to_vec};

    const FAST: KdfParams = KdfParams { m_kib: 8, t: 1, p: 1 };

    fn code_of(bytes: &[u8]) -> ErrorCode {
        Header::read(&mut &bytes[..]).unwrap_err().code
    }

    #[test]
    fn short_input_is_truncated_only_while_it_could_still_be_a_header() {
        for prefix in [
            &b""[..],
            b"S",
            b"SPSE",
            b"SPSEALED",
            b"SPSEALED\x01",
            b"SPSEALED\x01\x00",
        ] {
            assert_eq!(code_of(prefix), ErrorCode::Truncated, "{prefix:?}");
        }
        for other in [
            &b"h"[..],
            b"hello",
            b"SPX",
            b"SPSEALEX",
            b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        ] {
            assert_eq!(code_of(other), ErrorCode::Format, "{other:?}");
        }
        // Each fixed field is checked as soon as it is there, even if the input then ends.
        assert_eq!(code_of(b"SPSEALED\x02"), ErrorCode::Format);
        assert_eq!(code_of(b"SPSEALED\x01\x02"), ErrorCode::Format);
        assert_eq!(code_of(b"SPSEALED\x01\x00\x09"), ErrorCode::Format);
        assert_eq!(code_of(b"SPSEALED\x01\x00\x01"), ErrorCode::Truncated);
        assert_eq!(code_of(b"SPSEALED\x01\x00\x01\x04"), ErrorCode::Format);
    }

    fn passphrase_stanza(file_key: &[u8; 32]) -> Stanza {
        let r = Recipient::Passphrase {
            passphrase: b"pw",
            params: FAST,
        };
        Stanza::wrap(&r, file_key, [7; STANZA_SALT_LEN]).unwrap()
    }

    #[test]
    fn a_second_passphrase_stanza_is_refused_at_parse() {
        let file_key = [9u8; 32];
        let mut signed = MAGIC.to_vec();
        signed.extend_from_slice(&[VERSION, 0, 2]);
        passphrase_stanza(&file_key).encode(&mut signed);
        let one = signed.len();
        passphrase_stanza(&file_key).encode(&mut signed);
        let mac = header_mac(&file_key, &signed);
        let bytes = [&signed[..], &mac[..]].concat();
        let e = Header::read(&mut &bytes[..]).unwrap_err();
        assert_eq!(e.code, ErrorCode::Format, "{e}");
        // Refused at the second stanza's type byte: its body need not even be there.
        assert_eq!(code_of(&bytes[..one + 1]), ErrorCode::Format);
        // Writers cannot make one either.
        let r = [
            Recipient::Passphrase {
                passphrase: b"a",
                params: FAST,
            },
            Recipient::Passphrase {
                passphrase: b"b",
                params: FAST,
            },
        ];
        assert!(Header::build(FileKind::File, &r, &file_key, &[[1; 16], [2; 16]]).is_err());
    }

    #[test]
    fn passphrase_costs_decide_as_soon_as_their_12_bytes_are_there() {
        let file_key = [9u8; 32];
        let mut bytes = MAGIC.to_vec();
        bytes.extend_from_slice(&[VERSION, 0, 1]);
        passphrase_stanza(&file_key).encode(&mut bytes);
        let costs = FIXED_LEN + 1;
        for (at, value, code) in [
            (0, MAX_M_KIB + 1, ErrorCode::KdfLimit),
            (4, 0, ErrorCode::Format),
            (8, 17, ErrorCode::KdfLimit),
        ] {
            let mut bad = bytes.clone();
            bad[costs + at..costs + at + 4].copy_from_slice(&value.to_be_bytes());
            // Cut inside the salt, inside the wrapped key, right after the costs: the costs
            // decide; cut inside the costs: truncated (the field is not all there).
            for cut in [costs + 12, costs + 20, costs + 40, bad.len()] {
                assert_eq!(code_of(&bad[..cut]), code, "cost {at} = {value}, cut at {cut}");
            }
            assert_eq!(code_of(&bad[..costs + 11]), ErrorCode::Truncated);
        }
        assert_eq!(
            code_of(&bytes[..costs + 12]),
            ErrorCode::Truncated,
            "good costs, cut"
        );
    }

    #[test]
    fn an_empty_passphrase_is_an_invalid_argument_and_runs_no_argon2() {
        let file_key = [9u8; 32];
        let stanza = [passphrase_stanza(&file_key)];
        let mut signed = MAGIC.to_vec();
        signed.extend_from_slice(&[VERSION, 0, 1]);
        stanza[0].encode(&mut signed);
        let header = Header {
            kind: FileKind::File,
            mac: header_mac(&file_key, &signed),
            stanzas: stanza.to_vec(),
            signed,
        };
        let before = crate::keys::argon2_runs();
        let e = header.unlock(&Unlock::Passphrase("")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
        assert_eq!(crate::keys::argon2_runs(), before);
        // Whether or not the file has a passphrase stanza; and no writer makes one.
        let recovery = RecoveryKey::from_bytes([0x22; 32]);
        let vault = OpenVault::from_keys([0x11; 32], &recovery);
        let sealed = seal_to_vec(FileKind::File, &vault.recipients(), b"x", None).unwrap();
        let e = open_to_vec(&sealed, &Unlock::Passphrase(""), FileKind::File).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
        let empty = [Recipient::Passphrase {
            passphrase: b"",
            params: FAST,
        }];
        let e = seal_to_vec(FileKind::File, &empty, b"x", None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidArgument, "{e}");
    }

    #[test]
    fn the_raw_file_key_skips_the_stanzas_and_answers_to_the_header_mac() {
        let recovery = RecoveryKey::from_bytes([0x22; 32]);
        let vault = OpenVault::from_keys([0x11; 32], &recovery);
        let fixed = crate::seal::FixedRandomness {
            file_key: [5; 32],
            stanza_salt: [6; 16],
            payload_salt: [7; 24],
        };
        let sealed = seal_to_vec(FileKind::File, &vault.recipients(), b"photo", Some(&fixed)).unwrap();
        let unlock = Unlock::FileKey(&fixed.file_key);
        assert_eq!(open_to_vec(&sealed, &unlock, FileKind::File).unwrap(), b"photo");
        // A damaged key id or wrapped key is no stanza's business here: the MAC catches it.
        for at in [FIXED_LEN + 1, FIXED_LEN + 60] {
            let mut bad = sealed.clone();
            bad[at] ^= 1;
            let e = open_to_vec(&bad, &unlock, FileKind::File).unwrap_err();
            assert_eq!(e.code, ErrorCode::Auth, "byte {at}: {e}");
        }
        let e = open_to_vec(&sealed, &Unlock::FileKey(&[4; 32]), FileKind::File).unwrap_err();
        assert_eq!(e.code, ErrorCode::Auth, "{e}");
    }

    #[test]
    fn every_stanza_with_a_matching_id_is_tried() {
        let recovery = RecoveryKey::from_bytes([0x22; 32]);
        let vault = OpenVault::from_keys([0x11; 32], &recovery);
        let other_key = [0x33u8; 32];
        let other_kek = [0x44u8; 32];
        // Same ids as the vault's, but wrapped under other keys: these do not unwrap.
        let decoys = || {
            vec![
                Recipient::Vault {
                    key_id: vault.key_id(),
                    vault_key: &other_key,
                },
                Recipient::Recovery {
                    recovery_id: recovery.id(),
                    kek: &other_kek,
                },
            ]
        };
        let mut recipients = decoys();
        recipients.extend(vault.recipients());
        let sealed = seal_to_vec(FileKind::File, &recipients, b"photo", None).unwrap();
        for unlock in [Unlock::Vault(&vault), Unlock::Recovery(&recovery)] {
            assert_eq!(open_to_vec(&sealed, &unlock, FileKind::File).unwrap(), b"photo");
        }
        // Only decoys: the id matched but nothing unwraps, so the header was tampered with.
        let sealed = seal_to_vec(FileKind::File, &decoys(), b"photo", None).unwrap();
        for unlock in [Unlock::Vault(&vault), Unlock::Recovery(&recovery)] {
            let e = open_to_vec(&sealed, &unlock, FileKind::File).unwrap_err();
            assert_eq!(e.code, ErrorCode::Auth, "{e}");
        }
    }
}
