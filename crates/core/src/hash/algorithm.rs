use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The hash algorithms Shutterproof computes. BLAKE3 is ours; the others exist for
/// ASC MHL (which does not allow BLAKE3) and for interoperability with other tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    Blake3,
    /// XXH3 128-bit, seed 0, printed big-endian like `xxhsum -H2`.
    Xxh128,
    /// XXH64, seed 0.
    Xxh64,
    /// XXH3 64-bit, seed 0.
    Xxh3,
    Md5,
    Sha1,
    Sha256,
}

impl Algorithm {
    pub const ALL: [Algorithm; 7] = [
        Algorithm::Blake3,
        Algorithm::Xxh128,
        Algorithm::Xxh64,
        Algorithm::Xxh3,
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
    ];

    /// Position in [`Algorithm::ALL`] (the variants are declared in that order).
    pub const fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Blake3 => "blake3",
            Algorithm::Xxh128 => "xxh128",
            Algorithm::Xxh64 => "xxh64",
            Algorithm::Xxh3 => "xxh3",
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Algorithm {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Algorithm::ALL.into_iter().find(|a| a.name() == s).ok_or_else(|| {
            let known: Vec<&str> = Algorithm::ALL.iter().map(|a| a.name()).collect();
            Error::invalid(format!(
                "unknown hash algorithm {s:?}; use one of {}",
                known.join(", ")
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for (i, a) in Algorithm::ALL.into_iter().enumerate() {
            assert_eq!(a.index(), i, "{a} is declared out of ALL's order");
            assert_eq!(a.name().parse::<Algorithm>().unwrap(), a);
        }
        let err = "crc32".parse::<Algorithm>().unwrap_err();
        assert_eq!(err.code, crate::ErrorCode::InvalidArgument);
        assert!(err.message.contains("blake3"));
    }
}
