//! Wycheproof vectors for the payload layer and its primitives:
//! - Cobblestone-256 (c2sp.org/chunked-encryption), through the streaming decryptor (fed
//!   whole and in odd-sized pieces), the random-access reader, and raw mode;
//! - AES-256-GCM (256-bit keys, 96-bit IVs, 128-bit tags) and HKDF-SHA-512.
//!
//! The vectors live outside the project (`../shared/vectors/`, or `SHUTTERPROOF_VECTORS`);
//! without them each test prints SKIPPED and returns.

use std::io::{Cursor, Read};
use std::path::PathBuf;

use sha2::{Digest, Sha512};
use shutterproof_core::seal::cobblestone::{self, Decryptor, PayloadReader, PREFIX_LEN};
use shutterproof_core::seal::primitives::{hkdf_sha512, Aes256Gcm};
use shutterproof_core::ErrorCode;

/// `SHUTTERPROOF_VECTORS`, else the first `shared/vectors` found walking up from the crate
/// (the repository's sibling `shared/`, also from a git worktree).
fn vectors_file(name: &str) -> Option<PathBuf> {
    let dir = match std::env::var_os("SHUTTERPROOF_VECTORS") {
        Some(dir) => PathBuf::from(dir),
        None => manifest_dir()
            .ancestors()
            .map(|a| a.join("shared/vectors"))
            .find(|p| p.is_dir())?,
    };
    let path = dir.join(name);
    path.is_file().then_some(path)
}

fn load(name: &str) -> Option<serde_json::Value> {
    let Some(path) = vectors_file(name) else {
        eprintln!("SKIPPED: {name} not found (set SHUTTERPROOF_VECTORS) — this test did not run");
        return None;
    };
    Some(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
}

fn hex_field(t: &serde_json::Value, field: &str) -> Vec<u8> {
    hex::decode(t[field].as_str().unwrap()).unwrap()
}

fn sha512_hex(data: &[u8]) -> String {
    hex::encode(Sha512::digest(data))
}

/// `ct` is hex of zlib-compressed ciphertext.
fn ciphertext(t: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(&hex_field(t, "ct")[..])
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Streams `ct` in pieces of `piece` bytes; returns (released plaintext, final result).
fn stream(
    key: &[u8],
    ctx: &[u8],
    ct: &[u8],
    piece: usize,
) -> (Vec<u8>, Result<(), ErrorCode>, Option<Decryptor>) {
    let mut out = Vec::new();
    let mut dec = match Decryptor::new(key, ctx) {
        Ok(d) => d,
        Err(e) => return (out, Err(e.code), None),
    };
    for part in ct.chunks(piece.max(1)) {
        if let Err(e) = dec.push(part, &mut out) {
            return (out, Err(e.code), Some(dec));
        }
    }
    let result = dec.finish(&mut out).map_err(|e| e.code);
    (out, result, Some(dec))
}

#[test]
fn vectors_wycheproof_cobblestone() {
    let Some(json) = load("wycheproof_c2sp_chunked_encryption_aes_256_gcm_test.json") else {
        return;
    };
    let mut seen = 0;
    for group in json["testGroups"].as_array().unwrap() {
        for t in group["tests"].as_array().unwrap() {
            seen += 1;
            let id = t["tcId"].as_u64().unwrap();
            let key = hex_field(t, "key");
            let ctx = hex_field(t, "ctx");
            let ct = ciphertext(t);
            let valid = t["result"] == "valid";
            let flags: Vec<&str> = t["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap())
                .collect();
            let partial = flags.contains(&"PartialPlaintext");
            let want_len = t["msgLength"].as_u64();
            let want_sha = t["msgSha512"].as_str();

            for piece in [ct.len(), 1000, 16400, 16401] {
                let (out, result, dec) = stream(&key, &ctx, &ct, piece);
                if valid {
                    assert!(result.is_ok(), "tc {id}: {result:?}");
                    assert_eq!(out.len() as u64, want_len.unwrap(), "tc {id}");
                    assert_eq!(sha512_hex(&out), want_sha.unwrap(), "tc {id}");
                    continue;
                }
                assert!(result.is_err(), "tc {id} ({flags:?}) must fail");
                if partial {
                    // At most the valid prefix, and here exactly it.
                    assert_eq!(out.len() as u64, want_len.unwrap(), "tc {id} piece {piece}");
                    assert_eq!(sha512_hex(&out), want_sha.unwrap(), "tc {id}");
                } else {
                    assert!(out.is_empty(), "tc {id}: released {} bytes", out.len());
                }
                if let Some(mut dec) = dec {
                    // Sticky: pushing or finishing again fails and releases nothing.
                    let mut more = Vec::new();
                    assert!(dec.push(&ct[..ct.len().min(10)], &mut more).is_err(), "tc {id}");
                    assert!(dec.finish(&mut more).is_err(), "tc {id}");
                    assert!(more.is_empty(), "tc {id}");
                }
                if flags.contains(&"HeaderFailure") {
                    assert!(out.is_empty(), "tc {id}");
                }
            }

            // Random access: the whole range, and a few sub-ranges of valid messages.
            let opened = PayloadReader::open(Cursor::new(&ct), 0, ct.len() as u64, &key, &ctx);
            match (valid, opened) {
                (true, Ok(mut reader)) => {
                    let len = want_len.unwrap();
                    assert_eq!(reader.plaintext_len(), len, "tc {id}");
                    let all = reader.read_range(0, len).unwrap();
                    assert_eq!(sha512_hex(&all), want_sha.unwrap(), "tc {id}");
                    for (a, b) in [(0, len / 2), (len / 3, len), (len.saturating_sub(1), len)] {
                        assert_eq!(
                            reader.read_range(a, b).unwrap(),
                            all[a as usize..b as usize],
                            "tc {id}"
                        );
                    }
                    let again = cobblestone::read_range(Cursor::new(&ct), &key, &ctx, 0, len).unwrap();
                    assert_eq!(again, all);
                }
                (true, Err(e)) => panic!("tc {id}: {e}"),
                (false, Ok(mut reader)) => {
                    assert!(
                        flags.contains(&"ValidFinalChunk"),
                        "tc {id}: only a valid final chunk may open"
                    );
                    let len = reader.plaintext_len();
                    assert!(reader.read_range(0, len).is_err(), "tc {id}");
                }
                (false, Err(_)) => {}
            }

            // Raw mode: the chunk layer alone, with the vector's derived key and nonce.
            if let (Some(_), Some(_)) = (t["aeadKey"].as_str(), t["baseNonce"].as_str()) {
                let aead_key = hex_field(t, "aeadKey");
                let nonce: [u8; 12] = hex_field(t, "baseNonce").try_into().unwrap();
                let salt: [u8; 24] = ct[..24].try_into().unwrap();
                let derived = cobblestone::derive(&key, &salt, &ctx).unwrap();
                assert_eq!(derived.key[..], aead_key[..], "tc {id}: derived key");
                assert_eq!(derived.base_nonce, nonce, "tc {id}: derived nonce");
                if ct.len() >= PREFIX_LEN {
                    let mut dec = Decryptor::raw(&aead_key, nonce).unwrap();
                    let mut out = Vec::new();
                    let ok = dec
                        .push(&ct[PREFIX_LEN..], &mut out)
                        .and_then(|_| dec.finish(&mut out))
                        .is_ok();
                    let commitment_ok = derived.commitment[..] == ct[24..PREFIX_LEN];
                    // Raw mode skips the commitment, so vectors that only break it pass here.
                    assert_eq!(ok, valid || !commitment_ok, "tc {id} raw");
                }
            }
        }
    }
    assert_eq!(seen, 35, "every Wycheproof Cobblestone vector ran");
}

#[test]
fn vectors_wycheproof_aes_256_gcm() {
    let Some(json) = load("wycheproof_aes_gcm_test.json") else {
        return;
    };
    let mut ran = 0;
    for group in json["testGroups"].as_array().unwrap() {
        if group["keySize"] != 256 || group["ivSize"] != 96 || group["tagSize"] != 128 {
            continue;
        }
        for t in group["tests"].as_array().unwrap() {
            let id = t["tcId"].as_u64().unwrap();
            let key = Aes256Gcm::new(&hex_field(t, "key")).unwrap();
            let iv: [u8; 12] = hex_field(t, "iv").try_into().unwrap();
            let (aad, msg, ct, tag) = (
                hex_field(t, "aad"),
                hex_field(t, "msg"),
                hex_field(t, "ct"),
                hex_field(t, "tag"),
            );
            let mut sealed = [ct.clone(), tag.clone()].concat();
            let opened = key.open(iv, &aad, &mut sealed);
            if t["result"] == "invalid" {
                assert!(opened.is_err(), "tc {id}");
            } else {
                assert_eq!(sealed[..opened.unwrap()], msg[..], "tc {id}");
                let mut buf = msg.clone();
                let got_tag = key.seal(iv, &aad, &mut buf);
                assert_eq!((buf, got_tag.to_vec()), (ct, tag), "tc {id}");
            }
            ran += 1;
        }
    }
    assert!(ran > 50, "only {ran} AES-256-GCM vectors ran");
}

#[test]
fn vectors_wycheproof_hkdf_sha512() {
    let Some(json) = load("wycheproof_hkdf_sha512_test.json") else {
        return;
    };
    let mut ran = 0;
    for group in json["testGroups"].as_array().unwrap() {
        for t in group["tests"].as_array().unwrap() {
            let id = t["tcId"].as_u64().unwrap();
            let size = t["size"].as_u64().unwrap() as usize;
            let mut okm = vec![0u8; size];
            let got = hkdf_sha512(
                &hex_field(t, "salt"),
                &hex_field(t, "ikm"),
                &[&hex_field(t, "info")],
                &mut okm,
            );
            if t["result"] == "invalid" {
                assert!(got.is_err(), "tc {id}");
            } else {
                got.unwrap();
                assert_eq!(hex::encode(okm), t["okm"].as_str().unwrap(), "tc {id}");
            }
            ran += 1;
        }
    }
    assert!(ran > 20, "only {ran} HKDF vectors ran");
}

/// This crate's folder, asked at run time: a test binary reused from a checkout at
/// another path (a shared CARGO_TARGET_DIR) would otherwise look there.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
