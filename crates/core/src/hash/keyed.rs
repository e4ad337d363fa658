//! BLAKE3's keyed and key-derivation modes: domain-separated MACs and subkeys.

use crate::error::{Error, Result};

pub const KEY_LEN: usize = blake3::KEY_LEN;

/// BLAKE3 keyed hash (a MAC) of `data` under a 32-byte key.
pub fn keyed_hash(key: &[u8], data: &[u8]) -> Result<[u8; 32]> {
    let key: &[u8; KEY_LEN] = key.try_into().map_err(|_| {
        Error::invalid(format!(
            "a keyed hash needs a {KEY_LEN}-byte key, got {} bytes",
            key.len()
        ))
    })?;
    Ok(*blake3::keyed_hash(key, data).as_bytes())
}

/// BLAKE3 `derive_key`: a 32-byte key for one purpose, named by a hard-coded,
/// globally unique context string, from secret key material.
pub fn derive_key(context: &str, material: &[u8]) -> [u8; 32] {
    blake3::derive_key(context, material)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_hash_refuses_a_short_key() {
        assert_eq!(
            keyed_hash(&[0; 31], b"x").unwrap_err().code,
            crate::ErrorCode::InvalidArgument
        );
        assert!(keyed_hash(&[0; 32], b"x").is_ok());
    }
}
