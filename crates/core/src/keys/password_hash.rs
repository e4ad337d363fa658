//! Stored password hashes (share-link passwords): Argon2id through `kdf.rs` — capped and
//! counted like every other Argon2 run — kept as PHC strings
//! (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, unpadded standard base64), the form
//! that carries its own costs. Hashes written earlier by hash-wasm have exactly this
//! form and verify unchanged.

use argon2::password_hash::{Ident, Output, ParamsString, PasswordHash, Salt, SaltString};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::kdf::{argon2id_into, KdfParams};
use crate::error::{Error, ErrorCode, Result};
use crate::seal::primitives::random_array;

/// Costs of new hashes: OWASP's Password Storage Cheat Sheet (19 MiB, 2 passes, 1 lane).
pub const PASSWORD_PARAMS: KdfParams = KdfParams {
    m_kib: 19_456,
    t: 2,
    p: 1,
};

/// The most a stored hash may ask for when it is checked (256 MiB, 10 passes, 8 lanes):
/// tighter than a sealed file's caps, because every check is a web request and a tampered
/// registry must not make one cost minutes or gigabytes.
pub const PASSWORD_MAX: KdfParams = KdfParams {
    m_kib: 256 * 1024,
    t: 10,
    p: 8,
};

const SALT_LEN: usize = 16;
const HASH_LEN: usize = 32;
/// Shortest salt and hash a stored string may carry.
const MIN_SALT_LEN: usize = 8;
const MIN_HASH_LEN: usize = 16;
const ARGON2ID: Ident<'static> = Ident::new_unwrap("argon2id");
const VERSION_0X13: u32 = 0x13;

/// Hashes `password` with a fresh random salt at [`PASSWORD_PARAMS`]; one Argon2 run.
pub fn hash_password(password: &[u8]) -> Result<String> {
    let salt: [u8; SALT_LEN] = random_array()?;
    let mut hash = Zeroizing::new([0u8; HASH_LEN]);
    argon2id_into(password, &salt, PASSWORD_PARAMS, &mut hash[..])?;
    encode(&salt, &hash[..], PASSWORD_PARAMS)
}

/// Whether `password` matches the stored `phc` string, compared in constant time; one
/// Argon2 run. A string that is not an Argon2id v19 PHC hash is `E_FORMAT`, costs above
/// [`PASSWORD_MAX`] are `E_KDF_LIMIT`: both are refused before Argon2 runs.
pub fn verify_password(password: &[u8], phc: &str) -> Result<bool> {
    let stored = decode(phc)?;
    let mut actual = Zeroizing::new(vec![0u8; stored.hash.len()]);
    argon2id_into(password, &stored.salt, stored.params, &mut actual)?;
    Ok(bool::from(actual.ct_eq(&stored.hash)))
}

struct Stored {
    params: KdfParams,
    salt: Vec<u8>,
    hash: Vec<u8>,
}

fn encode(salt: &[u8], hash: &[u8], params: KdfParams) -> Result<String> {
    let phc_error = |e: argon2::password_hash::Error| {
        Error::new(
            ErrorCode::Internal,
            format!("could not encode a password hash: {e}"),
        )
    };
    let mut costs = ParamsString::new();
    for (name, value) in [("m", params.m_kib), ("t", params.t), ("p", params.p)] {
        costs.add_decimal(name, value).map_err(phc_error)?;
    }
    let salt = SaltString::encode_b64(salt).map_err(phc_error)?;
    let phc = PasswordHash {
        algorithm: ARGON2ID,
        version: Some(VERSION_0X13),
        params: costs,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(hash).map_err(phc_error)?),
    };
    Ok(phc.to_string())
}

fn decode(phc: &str) -> Result<Stored> {
    let bad = |why: &str| Error::new(ErrorCode::Format, format!("not an Argon2id password hash: {why}"));
    let parsed = PasswordHash::new(phc).map_err(|e| bad(&e.to_string()))?;
    if parsed.algorithm != ARGON2ID || parsed.version != Some(VERSION_0X13) {
        return Err(bad("only $argon2id$v=19$ is accepted"));
    }
    let cost = |name: &str| {
        parsed
            .params
            .get_decimal(name)
            .ok_or_else(|| bad("m, t and p are required"))
    };
    if parsed.params.iter().count() != 3 {
        return Err(bad("only the costs m, t and p may be given"));
    }
    let params = KdfParams {
        m_kib: cost("m")?,
        t: cost("t")?,
        p: cost("p")?,
    };
    check_stored_costs(params)?;
    let salt = decode_salt(parsed.salt.ok_or_else(|| bad("no salt"))?).map_err(|e| bad(&e.to_string()))?;
    let hash = parsed.hash.ok_or_else(|| bad("no hash"))?.as_bytes().to_vec();
    if salt.len() < MIN_SALT_LEN || hash.len() < MIN_HASH_LEN {
        return Err(bad("the salt or the hash is too short"));
    }
    Ok(Stored { params, salt, hash })
}

fn decode_salt(salt: Salt<'_>) -> std::result::Result<Vec<u8>, argon2::password_hash::Error> {
    let mut buf = [0u8; Salt::MAX_LENGTH];
    salt.decode_b64(&mut buf).map(<[u8]>::to_vec)
}

/// [`PASSWORD_MAX`] first, then the format rules every Argon2 run obeys (`KdfParams::check`).
fn check_stored_costs(params: KdfParams) -> Result<()> {
    if params.m_kib > PASSWORD_MAX.m_kib || params.t > PASSWORD_MAX.t || params.p > PASSWORD_MAX.p {
        return Err(Error::new(
            ErrorCode::KdfLimit,
            format!(
                "the stored password hash asks for Argon2id m={} KiB, t={}, p={}; at most m={} KiB, t={}, \
                 p={} are accepted, so it is refused unchecked",
                params.m_kib, params.t, params.p, PASSWORD_MAX.m_kib, PASSWORD_MAX.t, PASSWORD_MAX.p
            ),
        ));
    }
    params.check()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Written by hash-wasm 4.x (the code path before this module), at today's costs.
    const HASH_WASM_DEFAULT: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c2h1dHRlcnByb29mLXNhbHQ$sWDxX4HEB5FUpjedgc9n44o21W9WFDFYX3Ju/xaBj3I";
    /// Also hash-wasm: other costs, two lanes, a 16-byte hash, a non-ASCII (NFC) password.
    const HASH_WASM_SMALL: &str = "$argon2id$v=19$m=64,t=1,p=2$MDEyMzQ1Njc4OWFiY2RlZg$Q+kpANc31snhzJvis4+Osg";

    #[test]
    fn a_new_hash_is_a_phc_string_at_owasp_costs_and_verifies_only_its_password() {
        let phc = hash_password(b"orbit-fancy-walnut-ritual").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify_password(b"orbit-fancy-walnut-ritual", &phc).unwrap());
        assert!(!verify_password(b"orbit-fancy-walnut-ritua1", &phc).unwrap());
        assert_ne!(
            phc,
            hash_password(b"orbit-fancy-walnut-ritual").unwrap(),
            "fresh salt"
        );
    }

    #[test]
    fn hashes_written_by_hash_wasm_still_verify() {
        assert!(verify_password(b"correct horse battery staple", HASH_WASM_DEFAULT).unwrap());
        assert!(!verify_password(b"correct horse battery stapler", HASH_WASM_DEFAULT).unwrap());
        assert!(verify_password("Grüße aus Köln".as_bytes(), HASH_WASM_SMALL).unwrap());
        assert!(!verify_password(b"Grusse aus Koln", HASH_WASM_SMALL).unwrap());
    }

    #[test]
    fn costs_above_the_caps_are_refused_before_argon2_runs() {
        // m = 4 TiB could not even be allocated: refused means refused unrun. (The global
        // run counter is not asserted here: other unit tests run Argon2 in parallel; the
        // TypeScript suite counts runs.)
        for costs in [
            "m=262145,t=2,p=1",
            "m=19456,t=11,p=1",
            "m=19456,t=2,p=9",
            "m=4294967295,t=1,p=1",
        ] {
            let phc = HASH_WASM_DEFAULT.replace("m=19456,t=2,p=1", costs);
            let err = verify_password(b"correct horse battery staple", &phc).unwrap_err();
            assert_eq!(err.code, ErrorCode::KdfLimit, "{costs}: {}", err.message);
        }
    }

    #[test]
    fn anything_but_an_argon2id_v19_phc_string_is_e_format() {
        let cases = [
            String::new(),
            "not a hash".into(),
            HASH_WASM_DEFAULT.replace("argon2id", "argon2i"),
            HASH_WASM_DEFAULT.replace("v=19", "v=16"),
            HASH_WASM_DEFAULT.replace("m=19456,t=2,p=1", "m=19456,t=2"),
            HASH_WASM_DEFAULT.replace("m=19456,t=2,p=1", "m=19456,t=2,p=1,keyid=AAAA"),
            HASH_WASM_DEFAULT.replace("m=19456,t=2,p=1", "m=4,t=1,p=1"),
            HASH_WASM_DEFAULT.replace("$c2h1dHRlcnByb29mLXNhbHQ", "$c2FsdA"),
            HASH_WASM_DEFAULT.rsplit_once('$').unwrap().0.to_string(),
            format!("{}$c2hvcnQ", HASH_WASM_DEFAULT.rsplit_once('$').unwrap().0),
        ];
        for phc in &cases {
            let err = verify_password(b"x", phc).unwrap_err();
            assert_eq!(err.code, ErrorCode::Format, "{phc:?}: {}", err.message);
        }
    }
}
