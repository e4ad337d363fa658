//! Our own test vectors for docs/FORMAT.md (docs/vectors/sealed_v1.json and the small
//! `.sealed` files beside it): every valid file must open with each listed unlock and
//! re-seal to the same bytes from the same fixed randomness; every invalid one must fail
//! with the listed error code.
//!
//! To regenerate after a deliberate format change: SHUTTERPROOF_WRITE_VECTORS=1 cargo test
//! -p shutterproof-core --test format_vectors (then review the diff: a change here is a
//! new format version).

use std::path::PathBuf;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shutterproof_core::keys::{
    open_vault_with_passphrase, open_vault_with_recovery, KdfParams, OpenVault, RecoveryKey,
};
use shutterproof_core::seal::cobblestone;
use shutterproof_core::seal::header::{self, Header};
use shutterproof_core::seal::primitives::subkey;
use shutterproof_core::seal::stanza::{LABEL_WRAP_RECOVERY, LABEL_WRAP_VAULT};
use shutterproof_core::seal::{open_bytes, seal_bytes_with, FixedRandomness, KeySource, Unlock};

const VAULT_KEY: [u8; 32] = [0x11; 32];
const RECOVERY_KEY: [u8; 32] = [0x22; 32];
const PASSPHRASE: &str = "correct horse battery staple";
const KDF: KdfParams = KdfParams {
    m_kib: 1024,
    t: 1,
    p: 1,
};

fn fixed() -> FixedRandomness {
    FixedRandomness {
        file_key: std::array::from_fn(|i| i as u8),
        stanza_salt: std::array::from_fn(|i| 0xa0 + i as u8),
        payload_salt: std::array::from_fn(|i| 0xc0 + i as u8),
    }
}

fn docs() -> PathBuf {
    manifest_dir().join("../../docs/vectors")
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

struct Case {
    name: &'static str,
    plaintext: Vec<u8>,
    passphrase: bool,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "vault-empty",
            plaintext: vec![],
            passphrase: false,
        },
        Case {
            name: "vault-short",
            plaintext: b"Shutterproof test vector".to_vec(),
            passphrase: false,
        },
        Case {
            name: "vault-two-chunks",
            plaintext: pattern(16385),
            passphrase: false,
        },
        Case {
            name: "passphrase-short",
            plaintext: b"for the client, key by phone".to_vec(),
            passphrase: true,
        },
    ]
}

fn seal(case: &Case, vault: &OpenVault) -> Vec<u8> {
    let source = if case.passphrase {
        KeySource::Passphrase {
            passphrase: PASSPHRASE,
            params: KDF,
        }
    } else {
        KeySource::Vault(vault)
    };
    seal_bytes_with(&case.plaintext, &source, &fixed()).unwrap()
}

/// Every intermediate value of the short vault case, for people writing a decryptor.
fn intermediates(sealed: &[u8], vault: &OpenVault, recovery: &RecoveryKey) -> Value {
    let f = fixed();
    let hdr = Header::read(&mut &sealed[..]).unwrap();
    let (payload_key, context) = hdr.payload_key_and_context(&f.file_key);
    let derived = cobblestone::derive(&payload_key[..], &f.payload_salt, &context).unwrap();
    json!({
        "file_key": hex::encode(f.file_key),
        "key_id": vault.key_id_hex(),
        "vault_wrap_key": hex::encode(subkey(&f.stanza_salt, &VAULT_KEY, LABEL_WRAP_VAULT)),
        "recovery_kek": hex::encode(recovery.kek()),
        "recovery_id": hex::encode(recovery.id()),
        "recovery_wrap_key": hex::encode(subkey(&f.stanza_salt, &recovery.kek()[..], LABEL_WRAP_RECOVERY)),
        "header_len": hdr.len(),
        "header_mac_key": hex::encode(subkey(&[], &f.file_key, header::LABEL_HEADER_MAC)),
        "header_mac": hex::encode(hdr.mac),
        "payload_input_key": hex::encode(payload_key),
        "payload_context": hex::encode(&context),
        "cobblestone_aead_key": hex::encode(derived.key),
        "cobblestone_base_nonce": hex::encode(derived.base_nonce),
        "cobblestone_commitment": hex::encode(derived.commitment),
    })
}

/// Invalid variants of the short vault file, each with the error it must give.
fn invalid(short: &[u8]) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let hl = short.len() - cobblestone::payload_len(24) as usize;
    let flip = |at: usize| {
        let mut v = short.to_vec();
        v[at] ^= 1;
        v
    };
    let set = |at: usize, byte: u8| {
        let mut v = short.to_vec();
        v[at] = byte;
        v
    };
    vec![
        (
            "version 0 (low bit of the version byte flipped)",
            flip(8),
            "E_FORMAT",
        ),
        ("version 2 (a future version)", set(8, 0x02), "E_FORMAT"),
        (
            "flipped bit in the vault stanza's wrapped key",
            flip(11 + 1 + 32 + 5),
            "E_AUTH",
        ),
        (
            "flipped bit in the recovery stanza (covered by the header MAC)",
            flip(93),
            "E_AUTH",
        ),
        ("flipped bit in the header MAC", flip(hl - 1), "E_AUTH"),
        ("flipped bit in the payload salt", flip(hl), "E_AUTH"),
        (
            "flipped bit in the final chunk's tag",
            flip(short.len() - 1),
            "E_AUTH",
        ),
        (
            "truncated by one byte",
            short[..short.len() - 1].to_vec(),
            "E_AUTH",
        ),
        (
            "truncated inside the header",
            short[..100].to_vec(),
            "E_TRUNCATED",
        ),
        ("only the header", short[..hl].to_vec(), "E_TRUNCATED"),
        ("one trailing byte", [short, &[0][..]].concat(), "E_AUTH"),
    ]
}

/// Writes u32be(x) at `at` (a passphrase stanza's costs start at offset 12).
fn with_u32(bytes: &[u8], at: usize, x: u32) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[at..at + 4].copy_from_slice(&x.to_be_bytes());
    v
}

/// `sealed` (one passphrase stanza, made with `fixed()`) with that stanza repeated, the
/// header MAC and payload recomputed: a well-made file but for the second stanza.
fn two_passphrase_stanzas(sealed: &[u8], plain: &[u8]) -> Vec<u8> {
    let f = fixed();
    let hdr = Header::read(&mut &sealed[..]).unwrap();
    let bytes = hdr.to_bytes();
    let mut signed = bytes[..bytes.len() - header::MAC_LEN].to_vec();
    assert_eq!(signed[10], 1);
    signed[10] = 2;
    let stanza = signed[11..].to_vec();
    signed.extend_from_slice(&stanza);
    let mac = header::header_mac(&f.file_key, &signed);
    let input_key = subkey(&[], &f.file_key, header::LABEL_PAYLOAD_KEY);
    let payload = cobblestone::encrypt_with_salt(
        &input_key[..],
        &f.payload_salt,
        &header::payload_context(&mac),
        plain,
    )
    .unwrap();
    [&signed[..], &mac[..], &payload[..]].concat()
}

/// Invalid variants of the passphrase file: all refused while parsing the header.
fn invalid_passphrase(sealed: &[u8], plain: &[u8]) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    vec![
        (
            "two passphrase stanzas (header MAC and payload otherwise correct)",
            two_passphrase_stanzas(sealed, plain),
            "E_FORMAT",
        ),
        ("Argon2 t = 0", with_u32(sealed, 16, 0), "E_FORMAT"),
        ("Argon2 p = 0", with_u32(sealed, 20, 0), "E_FORMAT"),
        (
            "Argon2 m = 7 KiB with p = 1 (m < 8p)",
            with_u32(sealed, 12, 7),
            "E_FORMAT",
        ),
        (
            "Argon2 t = 11 (over the cap)",
            with_u32(sealed, 16, 11),
            "E_KDF_LIMIT",
        ),
        (
            "Argon2 m over 2 GiB and p = 0 (caps are checked first)",
            with_u32(&with_u32(sealed, 20, 0), 12, 2097153),
            "E_KDF_LIMIT",
        ),
    ]
}

/// The vault key file made from the vectors' vault key, recovery key and passphrase.
fn vault_key_file(vault: &OpenVault) -> Vec<u8> {
    vault.file_bytes_with(PASSPHRASE, KDF, &fixed()).unwrap()
}

fn build_vault_key_file(vault: &OpenVault, recovery: &RecoveryKey) -> Value {
    let bytes = vault_key_file(vault);
    let invalid: Vec<Value> = [
        (
            "Argon2 t = 0 (refused at parse, even with the recovery key)",
            with_u32(&bytes, 16, 0),
            "E_FORMAT",
        ),
        (
            "Argon2 p = 17 (refused at parse, even with the recovery key)",
            with_u32(&bytes, 20, 17),
            "E_KDF_LIMIT",
        ),
        (
            "kind 0x00 (a sealed file's kind; covered by the header MAC)",
            {
                let mut v = bytes.clone();
                v[9] = 0;
                v
            },
            "E_FORMAT",
        ),
    ]
    .into_iter()
    .map(|(name, sealed, error)| json!({ "name": name, "error": error, "sealed": hex::encode(sealed) }))
    .collect();
    json!({
        "name": "vault-key-file",
        "sealed": hex::encode(&bytes),
        "unlock": { "passphrase": PASSPHRASE, "recovery_words": recovery.to_words().as_str() },
        "vault_key": hex::encode(VAULT_KEY),
        "recovery_kek": hex::encode(recovery.kek()),
        "key_id": vault.key_id_hex(),
        "invalid": invalid,
    })
}

fn build(vault: &OpenVault, recovery: &RecoveryKey) -> Value {
    let mut valid = Vec::new();
    let mut short = Vec::new();
    let mut pass = Vec::new();
    for case in cases() {
        let sealed = seal(&case, vault);
        let mut entry = json!({
            "name": case.name,
            "result": "valid",
            "plaintext_len": case.plaintext.len(),
            "plaintext_sha256": sha256(&case.plaintext),
            "sealed": hex::encode(&sealed),
        });
        if case.plaintext.len() < 100 {
            entry["plaintext"] = json!(hex::encode(&case.plaintext));
        }
        if case.passphrase {
            entry["unlock"] = json!({ "passphrase": PASSPHRASE });
        } else {
            entry["unlock"] = json!({
                "vault_key": hex::encode(VAULT_KEY),
                "recovery_words": recovery.to_words().as_str(),
            });
        }
        if case.name == "vault-short" {
            entry["intermediates"] = intermediates(&sealed, vault, recovery);
            short = sealed;
        } else if case.name == "passphrase-short" {
            pass = invalid_passphrase(&sealed, &case.plaintext);
        }
        valid.push(entry);
    }
    let entry = |of: &str| {
        let of = of.to_string();
        move |(name, bytes, error): (&str, Vec<u8>, &str)| {
            json!({
                "name": name, "result": "invalid", "of": of, "error": error,
                "sealed": hex::encode(bytes),
            })
        }
    };
    let invalid: Vec<Value> = invalid(&short)
        .into_iter()
        .map(entry("vault-short"))
        .chain(pass.into_iter().map(entry("passphrase-short")))
        .collect();
    json!({
        "format": "Shutterproof sealed file, version 1 (docs/FORMAT.md)",
        "fixed_randomness_do_not_reuse": {
            "file_key": hex::encode(fixed().file_key),
            "stanza_salt": hex::encode(fixed().stanza_salt),
            "payload_salt": hex::encode(fixed().payload_salt),
        },
        "kdf_params": { "m_kib": KDF.m_kib, "t": KDF.t, "p": KDF.p },
        "valid": valid,
        "invalid": invalid,
        "vault_key_file": build_vault_key_file(vault, recovery),
    })
}

fn unlocks<'a>(entry: &Value, vault: &'a OpenVault, recovery: &'a RecoveryKey) -> Vec<Unlock<'a>> {
    if entry["unlock"]["passphrase"].is_string() {
        vec![Unlock::Passphrase(PASSPHRASE)]
    } else {
        vec![Unlock::Vault(vault), Unlock::Recovery(recovery)]
    }
}

#[test]
fn format_vectors_in_docs_still_hold() {
    let recovery = RecoveryKey::from_bytes(RECOVERY_KEY);
    let vault = OpenVault::from_keys(VAULT_KEY, &recovery);
    let json_path = docs().join("sealed_v1.json");
    if std::env::var_os("SHUTTERPROOF_WRITE_VECTORS").is_some() {
        let built = build(&vault, &recovery);
        std::fs::write(&json_path, serde_json::to_string_pretty(&built).unwrap() + "\n").unwrap();
        for entry in built["valid"].as_array().unwrap() {
            let name = entry["name"].as_str().unwrap();
            if name != "vault-two-chunks" {
                let bytes = hex::decode(entry["sealed"].as_str().unwrap()).unwrap();
                std::fs::write(docs().join(format!("{name}.sealed")), bytes).unwrap();
            }
        }
        std::fs::write(docs().join("vault-key-file.spkey"), vault_key_file(&vault)).unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    // The words in the file are the recovery key's (and they parse back).
    let words = stored["valid"][0]["unlock"]["recovery_words"].as_str().unwrap();
    assert_eq!(RecoveryKey::from_words(words).unwrap().id(), recovery.id());

    let cases = cases();
    let valid = stored["valid"].as_array().unwrap();
    assert_eq!(valid.len(), cases.len());
    for (case, entry) in cases.iter().zip(valid) {
        let sealed = hex::decode(entry["sealed"].as_str().unwrap()).unwrap();
        assert_eq!(
            hex::encode(seal(case, &vault)),
            hex::encode(&sealed),
            "{}: re-sealing changed",
            case.name
        );
        for unlock in unlocks(entry, &vault, &recovery) {
            let plain = open_bytes(&sealed, &unlock).unwrap();
            assert_eq!(
                sha256(&plain),
                entry["plaintext_sha256"].as_str().unwrap(),
                "{}",
                case.name
            );
            assert_eq!(plain, case.plaintext);
        }
        let file = docs().join(format!("{}.sealed", case.name));
        if file.exists() {
            assert_eq!(std::fs::read(&file).unwrap(), sealed, "{}", file.display());
        }
    }
    let built = build(&vault, &recovery);
    assert_eq!(built["valid"][1]["intermediates"], valid[1]["intermediates"]);
    let invalid = stored["invalid"].as_array().unwrap();
    assert_eq!(invalid, built["invalid"].as_array().unwrap());
    assert!(invalid.len() >= 17);
    for entry in invalid {
        let sealed = hex::decode(entry["sealed"].as_str().unwrap()).unwrap();
        let of = entry["of"].as_str().unwrap();
        let (first, other) = match of {
            "vault-short" => (Unlock::Vault(&vault), Some(Unlock::Recovery(&recovery))),
            "passphrase-short" => (Unlock::Passphrase(PASSPHRASE), Some(Unlock::Vault(&vault))),
            _ => panic!("unknown base {of}"),
        };
        let e = open_bytes(&sealed, &first).unwrap_err();
        assert_eq!(
            e.code.as_str(),
            entry["error"].as_str().unwrap(),
            "{}: {e}",
            entry["name"]
        );
        if let Some(other) = other {
            let e = open_bytes(&sealed, &other).unwrap_err();
            if of == "passphrase-short" {
                // Refused at parse: no other key gets further.
                assert_eq!(
                    e.code.as_str(),
                    entry["error"].as_str().unwrap(),
                    "{}",
                    entry["name"]
                );
            }
        }
    }

    // The vault key file vector: opens with the passphrase and with the recovery key.
    let vkf = &stored["vault_key_file"];
    assert_eq!(vkf, &built["vault_key_file"], "vault key file changed");
    let bytes = hex::decode(vkf["sealed"].as_str().unwrap()).unwrap();
    assert_eq!(std::fs::read(docs().join("vault-key-file.spkey")).unwrap(), bytes);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.spkey");
    std::fs::write(&path, &bytes).unwrap();
    for opened in [
        open_vault_with_passphrase(&path, PASSPHRASE).unwrap(),
        open_vault_with_recovery(&path, &recovery).unwrap(),
    ] {
        assert_eq!(opened.key_id(), vault.key_id());
    }
    for entry in vkf["invalid"].as_array().unwrap() {
        std::fs::write(&path, hex::decode(entry["sealed"].as_str().unwrap()).unwrap()).unwrap();
        for e in [
            open_vault_with_passphrase(&path, PASSPHRASE).unwrap_err(),
            open_vault_with_recovery(&path, &recovery).unwrap_err(),
        ] {
            assert_eq!(
                e.code.as_str(),
                entry["error"].as_str().unwrap(),
                "{}: {e}",
                entry["name"]
            );
        }
    }
}

/// This crate's folder, asked at run time: a test binary reused from a checkout at
/// another path (a shared CARGO_TARGET_DIR) would otherwise look there.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
