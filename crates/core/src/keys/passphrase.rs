//! Random passphrases from the BIP39 English list (2048 words, 11 bits each), the list
//! recovery keys use too, so one word list is all a photographer ever sees.

use bip39::Language;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::seal::primitives::random_array;

pub const MAX_WORDS: usize = 64;

pub struct GeneratedPassphrase {
    pub phrase: Zeroizing<String>,
    /// log2(list size) × words: the guessing work for someone who knows the list.
    pub entropy_bits: f64,
}

/// `words` uniformly random words joined by `separator`.
pub fn generate_passphrase(words: usize, separator: &str) -> Result<GeneratedPassphrase> {
    if words == 0 || words > MAX_WORDS {
        return Err(Error::invalid(format!(
            "a passphrase needs 1 to {MAX_WORDS} words (4 to 6 is usual), not {words}"
        )));
    }
    let list = Language::English.word_list();
    let mut phrase = Zeroizing::new(String::new());
    for i in 0..words {
        if i > 0 {
            phrase.push_str(separator);
        }
        phrase.push_str(list[uniform_below(list.len() as u32)? as usize]);
    }
    Ok(GeneratedPassphrase {
        phrase,
        entropy_bits: words as f64 * (list.len() as f64).log2(),
    })
}

/// A uniform integer in `0..n` by rejection sampling: draws that fall in the final,
/// incomplete copy of `0..n` inside the u32 range are thrown away, so no value is more
/// likely than another (plain `% n` would favour small values unless n divides 2^32).
pub fn uniform_below(n: u32) -> Result<u32> {
    assert!(n > 0);
    let limit = u32::MAX - (u32::MAX % n + 1) % n;
    loop {
        let draw = u32::from_le_bytes(random_array()?);
        if draw <= limit {
            return Ok(draw % n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passphrases_have_the_words_and_entropy_asked_for() {
        let p = generate_passphrase(6, "-").unwrap();
        assert_eq!(p.phrase.split('-').count(), 6);
        assert!((p.entropy_bits - 66.0).abs() < 1e-9);
        let list = Language::English.word_list();
        assert!(p.phrase.split('-').all(|w| list.contains(&w)));
        assert!(generate_passphrase(0, " ").is_err());
    }

    #[test]
    fn uniform_below_covers_the_range_evenly() {
        // 3 does not divide 2^32: a modulo-biased draw would still pass this loose check,
        // so the limit arithmetic is also checked directly.
        let mut seen = [0u32; 3];
        for _ in 0..3000 {
            seen[uniform_below(3).unwrap() as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
        assert_eq!(uniform_below(1).unwrap(), 0);
        // For n = 3 the accepted draws are 0..=u32::MAX - 1, a multiple of 3 in count.
        let n = 3u32;
        let limit = u32::MAX - (u32::MAX % n + 1) % n;
        assert_eq!((limit as u64 + 1) % n as u64, 0);
        let n = 2048u32;
        let limit = u32::MAX - (u32::MAX % n + 1) % n;
        assert_eq!(limit, u32::MAX, "a power of two needs no rejection");
    }
}
