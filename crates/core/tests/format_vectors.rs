//! Our own test vectors for docs/FORMAT.md (docs/vectors/sealed_v1.json and the small
//! `.sealed` files beside it): every valid file must open with each listed unlock and
//! re-seal to the same bytes from the same fixed randomness; every invalid one must fail
//! with the error code listed for each unlock route (vault key, recovery key, passphrase,
//! raw file key). The WebCrypto decryptor (__test__/webcrypto-open.spec.ts) and
//! seal_files.rs (through `open_file`) walk the same list.
//!
//! To regenerate after a deliberate format change: SHUTTERPROOF_WRITE_VECTORS=1 cargo test
//! -p shutterproof-core --test format_vectors (then review the diff: a change here is a
//! new format version).

use std::path::PathBuf;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use shutterproof_core::keys::{
    open_vault_bytes, open_vault_with_passphrase, open_vault_with_recovery, KdfParams, OpenVault, RecoveryKey,
};
use shutterproof_core::seal::cobblestone::{self, CHUNK_CT_SIZE, PREFIX_LEN};
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
            name: "vault-three-chunks",
            plaintext: pattern(2 * 16384 + 100),
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

/// The expected code of an invalid vector for each way to unlock it (FORMAT.md "Test
/// vectors"): the vault key, the recovery key, the passphrase, the raw file key.
#[derive(Clone, Copy)]
struct Errors {
    vault_key: &'static str,
    recovery_key: &'static str,
    passphrase: &'static str,
    file_key: &'static str,
}

impl Errors {
    /// Refused before unlocking (header fields, payload length): every route alike.
    fn all(code: &'static str) -> Errors {
        Errors {
            vault_key: code,
            recovery_key: code,
            passphrase: code,
            file_key: code,
        }
    }

    /// A file sealed with the vault that fails after unlocking: the passphrase finds no
    /// stanza (E_WRONG_KEY), every other route gets `code`.
    fn keyed(code: &'static str) -> Errors {
        Errors {
            passphrase: "E_WRONG_KEY",
            ..Errors::all(code)
        }
    }

    fn to_json(self) -> Value {
        json!({
            "vault_key": self.vault_key,
            "recovery_key": self.recovery_key,
            "passphrase": self.passphrase,
            "file_key": self.file_key,
        })
    }
}

type Bad = (&'static str, Vec<u8>, Errors);

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[at] ^= 1;
    v
}

/// Invalid variants of the short vault file: header damage and cuts.
fn invalid(short: &[u8]) -> Vec<Bad> {
    let hl = short.len() - cobblestone::payload_len(24) as usize;
    let set = |at: usize, byte: u8| {
        let mut v = short.to_vec();
        v[at] = byte;
        v
    };
    let auth = Errors::keyed("E_AUTH");
    vec![
        (
            "version 0 (low bit of the version byte flipped)",
            flip(short, 8),
            Errors::all("E_FORMAT"),
        ),
        (
            "version 2 (a future version)",
            set(8, 0x02),
            Errors::all("E_FORMAT"),
        ),
        (
            "flipped bit in the vault stanza's wrapped key",
            flip(short, 11 + 1 + 32 + 5),
            auth,
        ),
        (
            "flipped bit in the vault stanza's key id (a vault holder does not try the recovery stanza)",
            flip(short, 11 + 1),
            Errors {
                vault_key: "E_WRONG_KEY",
                ..auth
            },
        ),
        (
            "flipped bit in the recovery stanza's id (covered by the header MAC)",
            flip(short, 93),
            Errors {
                recovery_key: "E_WRONG_KEY",
                ..auth
            },
        ),
        ("flipped bit in the header MAC", flip(short, hl - 1), auth),
        ("flipped bit in the payload salt", flip(short, hl), auth),
        (
            "flipped bit in the final chunk's tag",
            flip(short, short.len() - 1),
            auth,
        ),
        ("truncated by one byte", short[..short.len() - 1].to_vec(), auth),
        ("empty", vec![], Errors::all("E_TRUNCATED")),
        (
            "cut inside the magic",
            short[..5].to_vec(),
            Errors::all("E_TRUNCATED"),
        ),
        (
            "cut after the fixed part",
            short[..11].to_vec(),
            Errors::all("E_TRUNCATED"),
        ),
        (
            "truncated inside the header",
            short[..100].to_vec(),
            Errors::all("E_TRUNCATED"),
        ),
        (
            "cut between the two stanzas",
            short[..92].to_vec(),
            Errors::all("E_TRUNCATED"),
        ),
        (
            "cut inside the header MAC",
            short[..hl - 1].to_vec(),
            Errors::all("E_TRUNCATED"),
        ),
        (
            "only the header",
            short[..hl].to_vec(),
            Errors::all("E_TRUNCATED"),
        ),
        ("one trailing byte", [short, &[0][..]].concat(), auth),
    ]
}

/// Payload damage on the three-chunk vault file (two full chunks and a final one of 116
/// bytes): a cut at and around each chunk boundary, an extra byte, an extra chunk, two
/// chunks swapped, a chunk or the header taken from `other` (sealed with the same vault,
/// another file key).
fn invalid_payload(three: &[u8], other: &[u8]) -> Vec<Bad> {
    let hl = three.len() - cobblestone::payload_len(2 * 16384 + 100) as usize;
    let chunk = |k: usize| hl + PREFIX_LEN + k * CHUNK_CT_SIZE;
    let cut = |len: usize| three[..len].to_vec();
    let (auth, truncated) = (Errors::keyed("E_AUTH"), Errors::all("E_TRUNCATED"));
    let swapped = [
        &three[..chunk(0)],
        &three[chunk(1)..chunk(2)],
        &three[chunk(0)..chunk(1)],
        &three[chunk(2)..],
    ]
    .concat();
    let spliced = [&three[..chunk(1)], &other[chunk(1)..chunk(2)], &three[chunk(2)..]].concat();
    vec![
        ("payload ends inside the commitment", cut(hl + 55), truncated),
        (
            "payload ends after the commitment (no chunk)",
            cut(chunk(0)),
            truncated,
        ),
        ("1 byte of chunk 0", cut(chunk(0) + 1), truncated),
        (
            "chunk 0 cut by one byte (read as a final chunk)",
            cut(chunk(1) - 1),
            auth,
        ),
        ("cut after chunk 0", cut(chunk(1)), truncated),
        ("1 byte after chunk 0", cut(chunk(1) + 1), truncated),
        (
            "chunk 1 cut by one byte (read as a final chunk)",
            cut(chunk(2) - 1),
            auth,
        ),
        (
            "the final chunk missing (ends on a chunk boundary)",
            cut(chunk(2)),
            truncated,
        ),
        ("final chunk cut to 1 byte", cut(chunk(2) + 1), truncated),
        (
            "final chunk cut to 15 bytes (shorter than a tag)",
            cut(chunk(2) + 15),
            truncated,
        ),
        (
            "final chunk cut to 16 bytes (a tag alone)",
            cut(chunk(2) + 16),
            auth,
        ),
        ("final chunk cut by one byte", cut(three.len() - 1), auth),
        ("one byte after the final chunk", [three, &[0][..]].concat(), auth),
        (
            "an extra chunk after the final chunk (chunk 1 again)",
            [three, &three[chunk(1)..chunk(2)]].concat(),
            auth,
        ),
        (
            "an extra full chunk before the final chunk (chunk 1 again)",
            [&three[..chunk(2)], &three[chunk(1)..]].concat(),
            auth,
        ),
        (
            "flipped bit in the key commitment",
            flip(three, hl + 24 + 7),
            auth,
        ),
        ("flipped bit inside chunk 1", flip(three, chunk(1) + 5000), auth),
        ("chunks 0 and 1 swapped", swapped, auth),
        (
            "chunk 1 spliced from another file of the same vault",
            spliced,
            auth,
        ),
        (
            "another file's header (same vault) on this payload",
            [&other[..hl], &three[hl..]].concat(),
            auth,
        ),
    ]
}

/// Writes u32be(x) at `at` (a passphrase stanza's costs start at offset 12).
fn with_u32(bytes: &[u8], at: usize, x: u32) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[at..at + 4].copy_from_slice(&x.to_be_bytes());
    v
}

/// A well-made file from `signed` (header bytes before the MAC, made or edited by hand)
/// and `plain`: MAC and payload computed with the fixed file key and payload salt.
fn remade(signed: &[u8], plain: &[u8]) -> Vec<u8> {
    let f = fixed();
    let mac = header::header_mac(&f.file_key, signed);
    let input_key = subkey(&[], &f.file_key, header::LABEL_PAYLOAD_KEY);
    let payload = cobblestone::encrypt_with_salt(
        &input_key[..],
        &f.payload_salt,
        &header::payload_context(&mac),
        plain,
    )
    .unwrap();
    [signed, &mac[..], &payload[..]].concat()
}

/// `sealed` (one passphrase stanza, made with `fixed()`) with that stanza repeated, the
/// header MAC and payload recomputed: a well-made file but for the second stanza.
fn two_passphrase_stanzas(sealed: &[u8], plain: &[u8]) -> Vec<u8> {
    let hdr = Header::read(&mut &sealed[..]).unwrap();
    let bytes = hdr.to_bytes();
    let mut signed = bytes[..bytes.len() - header::MAC_LEN].to_vec();
    assert_eq!(signed[10], 1);
    signed[10] = 2;
    let stanza = signed[11..].to_vec();
    signed.extend_from_slice(&stanza);
    remade(&signed, plain)
}

/// Invalid variants of the passphrase file: refused while parsing the header (every route
/// alike), but for the damaged wrapped key.
fn invalid_passphrase(sealed: &[u8], plain: &[u8]) -> Vec<Bad> {
    // The stanza's salt starts at 11 + 1 + 12 = 24: a cut at 32 ends inside it.
    let in_salt = |v: Vec<u8>| v[..32].to_vec();
    vec![
        (
            "two passphrase stanzas (header MAC and payload otherwise correct)",
            two_passphrase_stanzas(sealed, plain),
            Errors::all("E_FORMAT"),
        ),
        ("Argon2 t = 0", with_u32(sealed, 16, 0), Errors::all("E_FORMAT")),
        ("Argon2 p = 0", with_u32(sealed, 20, 0), Errors::all("E_FORMAT")),
        (
            "Argon2 m = 7 KiB with p = 1 (m < 8p)",
            with_u32(sealed, 12, 7),
            Errors::all("E_FORMAT"),
        ),
        (
            "Argon2 t = 11 (over the cap)",
            with_u32(sealed, 16, 11),
            Errors::all("E_KDF_LIMIT"),
        ),
        (
            "Argon2 m over 2 GiB and p = 0 (caps are checked first)",
            with_u32(&with_u32(sealed, 20, 0), 12, 2097153),
            Errors::all("E_KDF_LIMIT"),
        ),
        (
            "Argon2 m = 7 KiB and t = 11 (the three costs are one field: caps first, then form)",
            with_u32(&with_u32(sealed, 12, 7), 16, 11),
            Errors::all("E_KDF_LIMIT"),
        ),
        (
            "Argon2 t = 11, input ends inside the stanza's salt (the costs decide)",
            in_salt(with_u32(sealed, 16, 11)),
            Errors::all("E_KDF_LIMIT"),
        ),
        (
            "Argon2 p = 0, input ends inside the stanza's salt (the costs decide)",
            in_salt(with_u32(sealed, 20, 0)),
            Errors::all("E_FORMAT"),
        ),
        (
            "good Argon2 costs, input ends inside the stanza's salt",
            in_salt(sealed.to_vec()),
            Errors::all("E_TRUNCATED"),
        ),
        (
            "flipped bit in the passphrase stanza's wrapped key",
            flip(sealed, 11 + 1 + 12 + 16 + 3),
            Errors {
                vault_key: "E_WRONG_KEY",
                recovery_key: "E_WRONG_KEY",
                passphrase: "E_BAD_PASSPHRASE",
                file_key: "E_AUTH",
            },
        ),
    ]
}

/// The vault key file made from the vectors' vault key, recovery key and passphrase.
fn vault_key_file(vault: &OpenVault) -> Vec<u8> {
    vault.file_bytes_with(PASSPHRASE, KDF, &fixed()).unwrap()
}

/// The vault key file's invalid variants, each with its code per route (passphrase,
/// recovery key, raw file key; a vault key file is never opened with a vault key).
fn invalid_vault_key_file(bytes: &[u8]) -> Vec<(&'static str, Vec<u8>, &'static str)> {
    // The same header over a 65-byte payload: everything authenticates, the size does not.
    let hdr = Header::read(&mut &bytes[..]).unwrap();
    let signed = &hdr.to_bytes()[..hdr.len() - header::MAC_LEN];
    let mut plain = [VAULT_KEY, *RecoveryKey::from_bytes(RECOVERY_KEY).kek()].concat();
    plain.push(0);
    let mut kind0 = bytes.to_vec();
    kind0[9] = 0;
    vec![
        (
            "Argon2 t = 0 (refused at parse, even with the recovery key)",
            with_u32(bytes, 16, 0),
            "E_FORMAT",
        ),
        (
            "Argon2 p = 17 (refused at parse, even with the recovery key)",
            with_u32(bytes, 20, 17),
            "E_KDF_LIMIT",
        ),
        (
            "kind 0x00 (a sealed file's kind; covered by the header MAC)",
            kind0,
            "E_FORMAT",
        ),
        (
            "a 65-byte payload (header, MAC and chunks all authentic)",
            remade(signed, &plain),
            "E_FORMAT",
        ),
    ]
}

fn build_vault_key_file(vault: &OpenVault, recovery: &RecoveryKey) -> Value {
    let bytes = vault_key_file(vault);
    let invalid: Vec<Value> = invalid_vault_key_file(&bytes)
        .into_iter()
        .map(|(name, sealed, error)| {
            json!({
                "name": name,
                "errors": { "passphrase": error, "recovery_key": error, "file_key": error },
                "sealed": hex::encode(sealed),
            })
        })
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

/// Another file sealed with the same vault (file key 40 41 … 5f), for splicing.
fn other_file(vault: &OpenVault) -> Vec<u8> {
    let f = FixedRandomness {
        file_key: std::array::from_fn(|i| 0x40 + i as u8),
        ..fixed()
    };
    seal_bytes_with(&pattern(2 * 16384 + 100)[1..], &KeySource::Vault(vault), &f).unwrap()
}

fn build(vault: &OpenVault, recovery: &RecoveryKey) -> Value {
    let mut valid = Vec::new();
    let mut bad: Vec<(&str, Bad)> = Vec::new();
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
        let of = case.name;
        match of {
            "vault-short" => {
                entry["intermediates"] = intermediates(&sealed, vault, recovery);
                bad.extend(invalid(&sealed).into_iter().map(|b| (of, b)));
            }
            "vault-three-chunks" => {
                let other = other_file(vault);
                bad.extend(invalid_payload(&sealed, &other).into_iter().map(|b| (of, b)));
            }
            "passphrase-short" => {
                bad.extend(
                    invalid_passphrase(&sealed, &case.plaintext)
                        .into_iter()
                        .map(|b| (of, b)),
                );
            }
            _ => {}
        }
        valid.push(entry);
    }
    let invalid: Vec<Value> = bad
        .into_iter()
        .map(|(of, (name, bytes, errors))| {
            json!({
                "name": name, "result": "invalid", "of": of, "errors": errors.to_json(),
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
        "unlock_routes": {
            "vault_key": hex::encode(VAULT_KEY),
            "recovery_key": recovery.to_words().as_str(),
            "passphrase": PASSPHRASE,
            "file_key": hex::encode(fixed().file_key),
        },
        "valid": valid,
        "invalid": invalid,
        "vault_key_file": build_vault_key_file(vault, recovery),
    })
}

fn unlocks<'a>(entry: &Value, vault: &'a OpenVault, recovery: &'a RecoveryKey) -> Vec<Unlock<'a>> {
    if entry["unlock"]["passphrase"].is_string() {
        vec![Unlock::Passphrase(PASSPHRASE), Unlock::FileKey(&FILE_KEY)]
    } else {
        vec![
            Unlock::Vault(vault),
            Unlock::Recovery(recovery),
            Unlock::FileKey(&FILE_KEY),
        ]
    }
}

/// The unlock of a route named in an invalid vector's `errors`.
fn route<'a>(name: &str, vault: &'a OpenVault, recovery: &'a RecoveryKey) -> Unlock<'a> {
    match name {
        "vault_key" => Unlock::Vault(vault),
        "recovery_key" => Unlock::Recovery(recovery),
        "passphrase" => Unlock::Passphrase(PASSPHRASE),
        "file_key" => Unlock::FileKey(&FILE_KEY),
        other => panic!("unknown unlock route {other}"),
    }
}

const FILE_KEY: [u8; 32] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
    29, 30, 31,
];

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
            if !name.ends_with("-chunks") {
                let bytes = hex::decode(entry["sealed"].as_str().unwrap()).unwrap();
                std::fs::write(docs().join(format!("{name}.sealed")), bytes).unwrap();
            }
        }
        std::fs::write(docs().join("vault-key-file.spkey"), vault_key_file(&vault)).unwrap();
    }
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(fixed().file_key, FILE_KEY);
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
    assert_eq!(built["unlock_routes"], stored["unlock_routes"]);
    assert_eq!(built["valid"][1]["intermediates"], valid[1]["intermediates"]);
    let invalid = stored["invalid"].as_array().unwrap();
    assert_eq!(invalid, built["invalid"].as_array().unwrap());
    assert!(invalid.len() >= 45);
    for entry in invalid {
        let sealed = hex::decode(entry["sealed"].as_str().unwrap()).unwrap();
        let errors = entry["errors"].as_object().unwrap();
        assert_eq!(errors.len(), 4, "{}: every route has its code", entry["name"]);
        for (name, code) in errors {
            let e = open_bytes(&sealed, &route(name, &vault, &recovery)).unwrap_err();
            assert_eq!(
                e.code.as_str(),
                code.as_str().unwrap(),
                "{} via {name}: {e}",
                entry["name"]
            );
        }
    }

    // The vault key file vector: opens with the passphrase, the recovery key and the raw
    // file key; its invalid variants fail on each route with their code.
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
        open_vault_bytes(&bytes, &Unlock::FileKey(&FILE_KEY)).unwrap(),
    ] {
        assert_eq!(opened.key_id(), vault.key_id());
    }
    for entry in vkf["invalid"].as_array().unwrap() {
        let sealed = hex::decode(entry["sealed"].as_str().unwrap()).unwrap();
        let errors = entry["errors"].as_object().unwrap();
        assert_eq!(errors.len(), 3, "{}", entry["name"]);
        for (name, code) in errors {
            let e = open_vault_bytes(&sealed, &route(name, &vault, &recovery)).unwrap_err();
            assert_eq!(
                e.code.as_str(),
                code.as_str().unwrap(),
                "{} via {name}: {e}",
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
