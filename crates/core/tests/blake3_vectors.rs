//! The official BLAKE3 test vectors (hash, keyed_hash, derive_key; every input length)
//! through the core's buffer, incremental and file paths. The vectors live outside the
//! project in `../shared/vectors/`; without them this test says it was skipped.

use std::io::Write;
use std::path::PathBuf;

use shutterproof_core::hash::{derive_key, hash_file, keyed_hash, Algorithm, MultiHasher};
use shutterproof_core::Control;

fn vectors_path() -> PathBuf {
    let root = manifest_dir().join("../../..");
    std::env::var_os("SHUTTERPROOF_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("shared/vectors"))
        .join("blake3_test_vectors.json")
}

fn input(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[test]
fn vectors_blake3_official() {
    let path = vectors_path();
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!(
            "SKIPPED: BLAKE3 vectors not found at {} — this test did not run",
            path.display()
        );
        return;
    };
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let key = json["key"].as_str().unwrap().as_bytes();
    let context = json["context_string"].as_str().unwrap();
    let cases = json["cases"].as_array().unwrap();
    assert!(cases.len() > 30);
    let dir = tempfile::tempdir().unwrap();
    for case in cases {
        let len = case["input_len"].as_u64().unwrap() as usize;
        let data = input(len);
        // The vectors give extended output; the first 32 bytes are the default digest.
        let want = |field: &str| case[field].as_str().unwrap()[..64].to_string();

        let mut whole = MultiHasher::new(&[Algorithm::Blake3]);
        whole.update(&data);
        assert_eq!(
            whole.finalize().hex(Algorithm::Blake3).unwrap(),
            want("hash"),
            "buffer, len {len}"
        );

        let mut pieces = MultiHasher::new(&[Algorithm::Blake3]);
        for piece in data.chunks(1023) {
            pieces.update(piece);
        }
        assert_eq!(
            pieces.finalize().hex(Algorithm::Blake3).unwrap(),
            want("hash"),
            "incremental, len {len}"
        );

        let file = dir.path().join(format!("in-{len}"));
        std::fs::File::create(&file).unwrap().write_all(&data).unwrap();
        let got = hash_file(&file, &[Algorithm::Blake3], &mut Control::none()).unwrap();
        assert_eq!(
            got.digests.hex(Algorithm::Blake3).unwrap(),
            want("hash"),
            "file, len {len}"
        );

        assert_eq!(
            hex::encode(keyed_hash(key, &data).unwrap()),
            want("keyed_hash"),
            "keyed, len {len}"
        );
        assert_eq!(
            hex::encode(derive_key(context, &data)),
            want("derive_key"),
            "derive_key, len {len}"
        );
    }
}

/// This crate's folder, asked at run time: a test binary reused from a checkout at
/// another path (a shared CARGO_TARGET_DIR) would otherwise look there.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}
