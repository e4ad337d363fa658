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
/// SHA-256 of the BIP39 English list as published (bitcoin/bips bip-0039/english.txt:
/// the 2048 words in order, each followed by "\n"); docs/FORMAT.md pins it.
pub const BIP39_ENGLISH_SHA256: &str = "2f5eed53a4727b4bf8880d8f3f199efc90e58503646d9ff8eff3a2ed3b24dbda";

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

    /// Parses 24 words by the rule of [`recovery_words`]; rejects another count, unknown
    /// words and a bad checksum.
    pub fn from_words(words: &str) -> Result<Self> {
        let normalized = Zeroizing::new(recovery_words(words).join(" "));
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

/// The one rule for reading recovery words, whatever they come from (an API string, a
/// `--recovery-key-file`, words typed from the printed kit); docs/FORMAT.md "Recovery
/// key" states it. Split on runs of Unicode White_Space and U+FEFF (the byte order mark
/// editors put at the start of a text file); skip list numbers ("7", "7.", "7)": ASCII
/// digits, then at most one `.` or `)`), as a kit saved as text numbers its words;
/// lowercase ASCII letters only (no other case folding or normalization).
pub fn recovery_words(text: &str) -> Zeroizing<Vec<String>> {
    Zeroizing::new(
        text.split(|c: char| c.is_whitespace() || c == '\u{feff}')
            .filter(|w| !w.is_empty() && !is_list_number(w))
            .map(|w| w.to_ascii_lowercase())
            .collect(),
    )
}

fn is_list_number(token: &str) -> bool {
    let digits = token.strip_suffix(['.', ')']).unwrap_or(token);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
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
    fn the_word_list_is_the_pinned_bip39_english_list() {
        use sha2::{Digest, Sha256};
        let list = Language::English.word_list();
        let file: String = list.iter().map(|w| format!("{w}\n")).collect();
        assert_eq!(hex::encode(Sha256::digest(file.as_bytes())), BIP39_ENGLISH_SHA256);
        assert_eq!((list.len(), list[0], list[2047]), (2048, "abandon", "zoo"));
    }

    #[test]
    fn bits_are_read_most_significant_first() {
        use sha2::{Digest, Sha256};
        // Entropy with only bit 248 set (bits counted from the top of byte 0): 264 bits
        // (entropy, then the checksum byte) cut into 11-bit groups, each read top bit first.
        let mut bytes = [0u8; 32];
        bytes[31] = 0x80;
        let words = RecoveryKey::from_bytes(bytes).to_words();
        let list = Language::English.word_list();
        let index: Vec<usize> = words
            .split(' ')
            .map(|w| list.iter().position(|x| *x == w).unwrap())
            .collect();
        assert!(index[..22].iter().all(|&i| i == 0), "{index:?}");
        // Group 22 holds bits 242..=252: bit 248 is its 7th from the top, worth 2^4.
        assert_eq!(index[22], 1 << 4);
        // Group 23: bits 253..=255 (zero), then the first byte of SHA-256(entropy).
        assert_eq!(index[23], Sha256::digest(bytes)[0] as usize);
    }

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
        // One rule for every source (docs/FORMAT.md): U+0085 (NEL) and U+FEFF (a byte
        // order mark) separate words; a numbered kit's "1." / "2)" / "3" are skipped.
        let numbered: Vec<String> = words
            .split(' ')
            .enumerate()
            .map(|(i, w)| match i % 3 {
                0 => format!("{}. {w}", i + 1),
                1 => format!("{}) {w}", i + 1),
                _ => format!("{} {w}", i + 1),
            })
            .collect();
        let id = key.id();
        for text in [
            format!("\u{feff}{}\r\n", numbered.join("\r\n")),
            words.replace(' ', "\u{85}"),
            words.replace(' ', "\u{feff}"),
        ] {
            assert_eq!(RecoveryKey::from_words(&text).unwrap().id(), id, "{text:?}");
        }
        // Only list numbers are skipped: "1.5", ".", "#1" and "1." glued to a word are words.
        for token in ["1.5", ".", "#1", "1.abandon", "1.."] {
            let e = RecoveryKey::from_words(&format!("{token} {}", words.as_str())).unwrap_err();
            assert!(e.message.contains("has 25"), "{token}: {}", e.message);
        }
        // Twelve words are not a recovery key.
        let e =
            RecoveryKey::from_words(&words.split(' ').take(12).collect::<Vec<_>>().join(" ")).unwrap_err();
        assert!(e.message.contains("24 words"));
    }
}
