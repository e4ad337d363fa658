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
use shutterproof_core::keys::{KdfParams, OpenVault, RecoveryKey};
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
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/vectors")
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
    vec![
        ("version 2", flip(8), "E_FORMAT"),
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

fn build(vault: &OpenVault, recovery: &RecoveryKey) -> Value {
    let mut valid = Vec::new();
    let mut short = Vec::new();
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
        }
        valid.push(entry);
    }
    let invalid: Vec<Value> = invalid(&short)
        .into_iter()
        .map(|(name, bytes, error)| {
            json!({
                "name": name, "result": "invalid", "of": "vault-short", "error": error,
                "sealed": hex::encode(bytes),
            })
        })
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
    assert!(invalid.len() >= 10);
    for entry in invalid {
        let sealed = hex::decode(entry["sealed"].as_str().unwrap()).unwrap();
        let e = open_bytes(&sealed, &Unlock::Vault(&vault)).unwrap_err();
        assert_eq!(
            e.code.as_str(),
            entry["error"].as_str().unwrap(),
            "{}: {e}",
            entry["name"]
        );
        assert!(
            open_bytes(&sealed, &Unlock::Recovery(&recovery)).is_err(),
            "{}",
            entry["name"]
        );
    }
}
