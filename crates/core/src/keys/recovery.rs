//! The recovery key: 256 random bits, printed as 24 BIP39 words (the last word carries an
//! 8-bit checksum, so a mistyped word is caught before any decryption is tried).
//!
//! The recovery key never sits in a file. What files and the vault hold is derived:
//! ```text
//! recovery KEK = HKDF-SHA-512(salt = "", ikm = recovery key, info = LABEL_RECOVERY_KEK)[..32]
//! recovery id  = HKDF-SHA-512(salt = "", ikm = recovery KEK, info = LABEL_RECOVERY_ID)[..16]
//! ```
//! The KEK wraps file keys in recovery stanzas; the vault stores it so that sealing with
//! an open vault can add a recovery stanza without the words.

use bip39::{Language, Mnemonic};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};
use crate::seal::primitives::{random_array, subkey};

pub const RECOVERY_KEY_LEN: usize = 32;
pub const RECOVERY_WORDS: usize = 24;
pub const LABEL_RECOVERY_KEK: &str = "shutterproof.v1 recovery kek";
pub const LABEL_RECOVERY_ID: &str = "shutterproof.v1 recovery id";

pub struct RecoveryKey(Zeroizing<[u8; RECOVERY_KEY_LEN]>);

/// Never prints the key: secrets stay out of logs.
impl std::fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryKey(id {}, secret redacted)", hex::encode(self.id()))
    }
}

impl RecoveryKey {
    pub fn generate() -> Result<Self> {
        Ok(RecoveryKey(Zeroizing::new(random_array()?)))
    }

    pub fn from_bytes(bytes: [u8; RECOVERY_KEY_LEN]) -> Self {
        RecoveryKey(Zeroizing::new(bytes))
    }

    /// The 24 words, lowercase, separated by single spaces.
    pub fn to_words(&self) -> Zeroizing<String> {
        let mnemonic =
            Mnemonic::from_entropy_in(Language::English, &self.0[..]).expect("32 bytes is valid entropy");
        Zeroizing::new(mnemonic.words().collect::<Vec<_>>().join(" "))
    }

    /// Parses 24 words: split on runs of Unicode White_Space, ASCII letters lowercased (no
    /// other case folding or normalization); rejects unknown words and a bad checksum.
    pub fn from_words(words: &str) -> Result<Self> {
        let normalized = Zeroizing::new(
            words
                .split_whitespace()
                .map(|w| w.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(" "),
        );
        let count = normalized.split(' ').filter(|w| !w.is_empty()).count();
        if count != RECOVERY_WORDS {
            return Err(bad(format!(
                "a recovery key has {RECOVERY_WORDS} words, this one has {count}; copy every word from the sheet"
            )));
        }
        let mnemonic =
            Mnemonic::parse_in_normalized(Language::English, &normalized).map_err(|e| match e {
                bip39::Error::UnknownWord(i) => bad(format!(
                    "word {} (\"{}\") is not a recovery word; check its spelling on the sheet",
                    i + 1,
                    normalized.split(' ').nth(i).unwrap_or("")
                )),
                bip39::Error::InvalidChecksum => bad(
                    "the words fail their checksum: one is mistyped or two are swapped; check each word"
                        .to_string(),
                ),
                other => bad(format!("not a valid recovery key: {other}")),
            })?;
        let (entropy, len) = mnemonic.to_entropy_array();
        let entropy = Zeroizing::new(entropy);
        let bytes: [u8; RECOVERY_KEY_LEN] = entropy[..len]
            .try_into()
            .map_err(|_| bad("wrong length".into()))?;
        Ok(RecoveryKey::from_bytes(bytes))
    }

    /// The key-encryption key derived from the recovery key.
    pub fn kek(&self) -> Zeroizing<[u8; 32]> {
        subkey(&[], &self.0[..], LABEL_RECOVERY_KEK)
    }

    /// Public fingerprint used to find this key's stanza.
    pub fn id(&self) -> [u8; 16] {
        recovery_id(&self.kek())
    }
}

pub(crate) fn recovery_id(kek: &[u8; 32]) -> [u8; 16] {
    subkey(&[], kek, LABEL_RECOVERY_ID)[..16]
        .try_into()
        .expect("16 bytes")
}

fn bad(message: String) -> Error {
    Error::new(ErrorCode::BadRecoveryKey, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_typos_are_caught() {
        let key = RecoveryKey::from_bytes([0x5a; 32]);
        let words = key.to_words();
        assert_eq!(words.split(' ').count(), 24);
        let back = RecoveryKey::from_words(&format!("  {}\n", words.to_uppercase())).unwrap();
        assert_eq!(back.0[..], key.0[..]);

        let list = Language::English.word_list();
        let mut w: Vec<&str> = words.split(' ').collect();
        // Swap one word for another list word: the checksum catches it.
        let i = list.iter().position(|x| *x == w[5]).unwrap();
        w[5] = list[(i + 1) % 2048];
        let e = RecoveryKey::from_words(&w.join(" ")).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadRecoveryKey);
        assert!(e.message.contains("checksum"), "{}", e.message);
        // A misspelt word is named.
        w[5] = "photograph";
        let e = RecoveryKey::from_words(&w.join(" ")).unwrap_err();
        assert!(e.message.contains("word 6"), "{}", e.message);
        // Only ASCII letters are case-folded: the Kelvin sign (U+212A) is not "k".
        let with_k = (0u8..=255)
            .map(|b| RecoveryKey::from_bytes([b; 32]).to_words())
            .find(|w| w.contains('k'))
            .unwrap();
        assert!(RecoveryKey::from_words(&with_k.to_uppercase()).is_ok());
        let kelvin: Vec<String> = with_k
            .split(' ')
            .map(|w| w.replacen('k', "\u{212a}", 1))
            .collect();
        assert!(
            kelvin.iter().any(|w| w.contains('\u{212a}')),
            "the vector has a k"
        );
        let e = RecoveryKey::from_words(&kelvin.join(" ")).unwrap_err();
        assert_eq!(e.code, ErrorCode::BadRecoveryKey);
        // Words are split on any Unicode White_Space, e.g. no-break space and ideographic space.
        let spaced = words.replacen(' ', "\u{a0}", 3).replacen(' ', "\u{3000}\t", 3);
        assert!(RecoveryKey::from_words(&spaced).is_ok());
        // Twelve words are not a recovery key.
        let e =
            RecoveryKey::from_words(&words.split(' ').take(12).collect::<Vec<_>>().join(" ")).unwrap_err();
        assert!(e.message.contains("24 words"));
    }
}
