//! The few primitives the sealed format is built from, each behind one small function so
//! that the Wycheproof vectors test exactly what the format uses. All of them exist in
//! WebCrypto (AES-GCM, HMAC, HKDF; HKDF-Expand alone is two lines of HMAC), so a browser
//! can decrypt our files without a WebAssembly crypto library.

use aws_lc_rs::{aead, hkdf, hmac};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

pub const AES_KEY_LEN: usize = 32;
pub const GCM_NONCE_LEN: usize = 12;
pub const GCM_TAG_LEN: usize = 16;
pub const HMAC_SHA256_LEN: usize = 32;
/// HKDF can produce at most 255 blocks of its hash (RFC 5869 §2.3).
pub const HKDF_SHA512_MAX_LEN: usize = 255 * 64;

/// An output length for aws-lc-rs's HKDF (which wants it as a "key type").
struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA-512 (Extract then Expand, RFC 5869). An empty salt means HashLen zero bytes.
pub fn hkdf_sha512(salt: &[u8], ikm: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<()> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA512, salt).extract(ikm);
    expand(&prk, info, out)
}

/// HKDF-Expand-SHA-512 alone, with `prk` used as given (Cobblestone skips Extract).
pub fn hkdf_expand_sha512(prk: &[u8], info: &[&[u8]], out: &mut [u8]) -> Result<()> {
    expand(&hkdf::Prk::new_less_safe(hkdf::HKDF_SHA512, prk), info, out)
}

fn expand(prk: &hkdf::Prk, info: &[&[u8]], out: &mut [u8]) -> Result<()> {
    let len = out.len();
    prk.expand(info, Len(len))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| {
            Error::invalid(format!(
                "HKDF-SHA-512 cannot produce {len} bytes (at most {HKDF_SHA512_MAX_LEN})"
            ))
        })
}

/// A 32-byte subkey for one purpose: HKDF-SHA-512(salt, ikm, info = label).
pub fn subkey(salt: &[u8], ikm: &[u8], label: &str) -> Zeroizing<[u8; 32]> {
    let mut key = Zeroizing::new([0u8; 32]);
    hkdf_sha512(salt, ikm, &[label.as_bytes()], &mut key[..]).expect("32 bytes is within HKDF's limit");
    key
}

/// HMAC-SHA-256 of the concatenation of `parts`.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; HMAC_SHA256_LEN] {
    let mut ctx = hmac::Context::with_key(&hmac::Key::new(hmac::HMAC_SHA256, key));
    for part in parts {
        ctx.update(part);
    }
    ctx.sign().as_ref().try_into().expect("HMAC-SHA-256 is 32 bytes")
}

/// Constant-time equality: MACs and commitments are never compared with `==`.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// An AES-256-GCM key (aws-lc picks AES-NI/VAES + CLMUL/VPCLMULQDQ at run time).
pub struct Aes256Gcm(aead::LessSafeKey);

impl Aes256Gcm {
    pub fn new(key: &[u8]) -> Result<Self> {
        let unbound = aead::UnboundKey::new(&aead::AES_256_GCM, key).map_err(|_| {
            Error::invalid(format!(
                "AES-256-GCM needs a {AES_KEY_LEN}-byte key, got {} bytes",
                key.len()
            ))
        })?;
        Ok(Aes256Gcm(aead::LessSafeKey::new(unbound)))
    }

    /// Encrypts `in_out` in place and returns the 16-byte tag.
    pub fn seal(&self, nonce: [u8; GCM_NONCE_LEN], aad: &[u8], in_out: &mut [u8]) -> [u8; GCM_TAG_LEN] {
        let nonce = aead::Nonce::assume_unique_for_key(nonce);
        let tag = self
            .0
            .seal_in_place_separate_tag(nonce, aead::Aad::from(aad), in_out)
            .expect("AES-GCM sealing fails only past 64 GiB per call");
        tag.as_ref().try_into().expect("the GCM tag is 16 bytes")
    }

    /// Decrypts `ciphertext || tag` in place; returns the plaintext length, or `E_AUTH`.
    pub fn open(&self, nonce: [u8; GCM_NONCE_LEN], aad: &[u8], in_out: &mut [u8]) -> Result<usize> {
        let nonce = aead::Nonce::assume_unique_for_key(nonce);
        self.0
            .open_in_place(nonce, aead::Aad::from(aad), in_out)
            .map(|plain| plain.len())
            .map_err(|_| Error::new(ErrorCode::Auth, "AES-GCM authentication failed"))
    }

    /// Decrypts `in_out` in place against a tag held elsewhere; `E_AUTH` on failure (the
    /// contents of `in_out` are then unspecified and must not be used).
    pub fn open_separate_tag(
        &self,
        nonce: [u8; GCM_NONCE_LEN],
        aad: &[u8],
        tag: &[u8],
        in_out: &mut [u8],
    ) -> Result<()> {
        let nonce = aead::Nonce::assume_unique_for_key(nonce);
        self.0
            .open_in_place_separate_tag(nonce, aead::Aad::from(aad), tag, in_out)
            .map(|_| ())
            .map_err(|_| Error::new(ErrorCode::Auth, "AES-GCM authentication failed"))
    }
}

/// Fills `buf` from the operating system's CSPRNG.
pub fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|e| {
        Error::new(
            ErrorCode::Internal,
            format!("the system random number generator failed ({e}); retry, and report it if it persists"),
        )
    })
}

pub fn random_array<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    random_bytes(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gcm_round_trip_and_tamper() {
        let key = Aes256Gcm::new(&[7; 32]).unwrap();
        let mut buf = b"hello".to_vec();
        let tag = key.seal([1; 12], b"aad", &mut buf);
        buf.extend_from_slice(&tag);
        let mut copy = buf.clone();
        assert_eq!(key.open([1; 12], b"aad", &mut copy).unwrap(), 5);
        assert_eq!(&copy[..5], b"hello");
        let mut bad = buf.clone();
        bad[0] ^= 1;
        assert_eq!(
            key.open([1; 12], b"aad", &mut bad).unwrap_err().code,
            ErrorCode::Auth
        );
        assert_eq!(
            key.open([1; 12], b"aaD", &mut buf.clone()).unwrap_err().code,
            ErrorCode::Auth
        );
        assert!(Aes256Gcm::new(&[0; 16]).is_err());
    }

    #[test]
    fn ct_eq_checks_length_and_bytes() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
