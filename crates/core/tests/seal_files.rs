//! Sealed files end to end: round trips, random access, the tamper matrix (every failure
//! gives a typed error and leaves no output file), vault life cycle, cancellation, and a
//! stream past 4 GiB.

use std::path::{Path, PathBuf};

use shutterproof_core::keys::{
    change_passphrase, create_vault, open_vault_with_passphrase, open_vault_with_recovery, KdfParams,
    OpenVault, RecoveryKey,
};
use shutterproof_core::seal::cobblestone::{Decryptor, Encryptor};
use shutterproof_core::seal::{
    inspect, open_file, read_file_range, seal_file, FileKind, KeySource, StanzaKind, Unlock,
};
use shutterproof_core::{CancelFlag, Control, ErrorCode, Progress};

/// Cheap Argon2 costs so tests run quickly; the defaults are exercised once below.
const FAST: KdfParams = KdfParams {
    m_kib: 1024,
    t: 1,
    p: 1,
};

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| ((i * 31 + seed as usize * 7) % 253) as u8)
        .collect()
}

struct Fixture {
    dir: tempfile::TempDir,
    vault: OpenVault,
    recovery: RecoveryKey,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let new = create_vault(
        &dir.path().join("vault.spkey"),
        "correct horse battery staple",
        FAST,
    )
    .unwrap();
    Fixture {
        dir,
        vault: new.vault,
        recovery: new.recovery,
    }
}

impl Fixture {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn seal(&self, name: &str, plain: &[u8]) -> PathBuf {
        let src = self.path(&format!("{name}.plain"));
        std::fs::write(&src, plain).unwrap();
        let dst = self.path(&format!("{name}.sealed"));
        seal_file(
            &src,
            &dst,
            &KeySource::Vault(&self.vault),
            false,
            &mut Control::none(),
        )
        .unwrap();
        dst
    }

    /// Opens `sealed` bytes (written to a scratch file); on failure checks no output
    /// and no temporary file remain.
    fn open_bytes(&self, sealed: &[u8], unlock: &Unlock) -> Result<Vec<u8>, ErrorCode> {
        let src = self.path("scratch.sealed");
        let dst = self.path("scratch.out");
        std::fs::write(&src, sealed).unwrap();
        let result = open_file(&src, &dst, unlock, false, &mut Control::none());
        let out = match result {
            Ok(_) => Ok(std::fs::read(&dst).unwrap()),
            Err(e) => {
                assert!(!dst.exists(), "output left behind after {e}");
                assert!(!e.message.is_empty());
                Err(e.code)
            }
        };
        let _ = std::fs::remove_file(&dst);
        assert_no_temp_files(self.dir.path());
        out
    }
}

fn assert_no_temp_files(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        assert!(!name.ends_with(".sptmp"), "temporary file left: {name}");
    }
}

#[test]
fn round_trips_at_chunk_edges_with_random_access_and_inspect() {
    let f = fixture();
    for len in [0usize, 1, 16383, 16384, 16385, (1 << 20) + 1] {
        let plain = data(len, 1);
        let sealed = f.seal(&format!("rt{len}"), &plain);
        let opened = f.path(&format!("rt{len}.opened"));
        let report = open_file(
            &sealed,
            &opened,
            &Unlock::Vault(&f.vault),
            false,
            &mut Control::none(),
        )
        .unwrap();
        assert_eq!(report.plaintext_size, len as u64);
        assert_eq!(std::fs::read(&opened).unwrap(), plain, "len {len}");

        let info = inspect(&sealed).unwrap();
        assert_eq!(info.plaintext_size, len as u64);
        assert_eq!(info.kind, FileKind::File);
        assert_eq!(info.stanzas, vec![StanzaKind::Vault, StanzaKind::Recovery]);
        assert_eq!(info.key_id.as_deref(), Some(f.vault.key_id_hex().as_str()));
        assert_eq!(info.sealed_size, std::fs::metadata(&sealed).unwrap().len());

        let l = len as u64;
        for (a, b) in [(0, l), (l / 3, l - l / 4), (l.saturating_sub(1), l)] {
            let got = read_file_range(&sealed, &Unlock::Vault(&f.vault), a, b).unwrap();
            assert_eq!(got, plain[a as usize..b as usize], "len {len} range {a}..{b}");
        }
        // The recovery key alone opens every file, without the vault file.
        let got = read_file_range(&sealed, &Unlock::Recovery(&f.recovery), 0, l).unwrap();
        assert_eq!(got, plain);
    }
}

#[test]
fn never_overwrites_unless_asked_and_never_in_place() {
    let f = fixture();
    let sealed = f.seal("a", b"hello");
    let src = f.path("a.plain");
    let e = seal_file(
        &src,
        &sealed,
        &KeySource::Vault(&f.vault),
        false,
        &mut Control::none(),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Exists);
    assert!(e.message.contains("a.sealed"));
    seal_file(
        &src,
        &sealed,
        &KeySource::Vault(&f.vault),
        true,
        &mut Control::none(),
    )
    .unwrap();
    let e = seal_file(
        &src,
        &src,
        &KeySource::Vault(&f.vault),
        true,
        &mut Control::none(),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidArgument);
    assert_eq!(std::fs::read(&src).unwrap(), b"hello");
    let e = open_file(
        &sealed,
        &src,
        &Unlock::Vault(&f.vault),
        false,
        &mut Control::none(),
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Exists);
}

#[test]
fn cancelling_leaves_no_file() {
    let f = fixture();
    let src = f.path("big.plain");
    std::fs::write(&src, data(12 << 20, 3)).unwrap();
    let dst = f.path("big.sealed");
    let cancel = CancelFlag::new();
    let flag = cancel.clone();
    let mut control = Control {
        cancel,
        progress: Progress::new(move |_| flag.cancel()),
    };
    let e = seal_file(&src, &dst, &KeySource::Vault(&f.vault), false, &mut control).unwrap_err();
    assert_eq!(e.code, ErrorCode::Aborted);
    assert!(!dst.exists());
    assert_no_temp_files(f.dir.path());

    let sealed = f.seal("big2", &data(12 << 20, 3));
    let cancel = CancelFlag::new();
    let flag = cancel.clone();
    let mut control = Control {
        cancel,
        progress: Progress::new(move |_| flag.cancel()),
    };
    let out = f.path("big2.out");
    let e = open_file(&sealed, &out, &Unlock::Vault(&f.vault), false, &mut control).unwrap_err();
    assert_eq!(e.code, ErrorCode::Aborted);
    assert!(!out.exists());
    assert_no_temp_files(f.dir.path());
}

/// Header layout of a vault-sealed file: fixed 11, vault stanza 81, recovery stanza 81, MAC 32.
const HEADER_LEN: usize = 11 + 81 + 81 + 32;

/// docs/vectors/sealed_v1.json: its keys (the vectors' vault, recovery key, passphrase
/// and file key), its three-chunk vault file, and its invalid cases.
struct Vectors {
    json: serde_json::Value,
    vault: OpenVault,
    recovery: RecoveryKey,
    file_key: [u8; 32],
}

impl Vectors {
    fn load() -> Self {
        let dir = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        let text = std::fs::read_to_string(dir.join("../../docs/vectors/sealed_v1.json")).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let routes = &json["unlock_routes"];
        let bytes32 = |name: &str| -> [u8; 32] {
            hex::decode(routes[name].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        };
        let recovery = RecoveryKey::from_words(routes["recovery_key"].as_str().unwrap()).unwrap();
        let vault = OpenVault::from_keys(bytes32("vault_key"), &recovery);
        let file_key = bytes32("file_key");
        Vectors {
            json,
            vault,
            recovery,
            file_key,
        }
    }

    fn passphrase(&self) -> &str {
        self.json["unlock_routes"]["passphrase"].as_str().unwrap()
    }

    fn unlock(&self, route: &str) -> Unlock<'_> {
        match route {
            "vault_key" => Unlock::Vault(&self.vault),
            "recovery_key" => Unlock::Recovery(&self.recovery),
            "passphrase" => Unlock::Passphrase(self.passphrase()),
            "file_key" => Unlock::FileKey(&self.file_key),
            other => panic!("unknown unlock route {other}"),
        }
    }

    fn valid(&self, name: &str) -> Vec<u8> {
        let entry = self.json["valid"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap();
        hex::decode(entry["sealed"].as_str().unwrap()).unwrap()
    }
}

/// What a flipped bit in header byte `at` of the vectors' vault file gives with the vault
/// key (the vectors are deterministic, so every case has exactly one answer).
fn header_flip_code(at: usize, bit: u8) -> ErrorCode {
    match (at, bit) {
        // magic, version; kind 0x01 parses but is a vault key file, 0x80 is no kind;
        // a stanza count of 130 is over 8
        (0..=9, _) | (10, 7) => ErrorCode::Format,
        // a count of 3: the MAC's first byte (0x42, unknown) is read as a third stanza's type
        (10, 0) => ErrorCode::Format,
        // vault stanza type 0x00 or 0x81: unknown
        (11, _) => ErrorCode::Format,
        // the key id is no longer the vault's; a vault holder does not try the recovery stanza
        (12..=27, _) => ErrorCode::WrongKey,
        // recovery stanza type 0x03: read as a passphrase stanza whose "costs" are the
        // recovery id's first 12 bytes, m = 0x429ce347 KiB, over the cap; 0x82 is unknown
        (92, 0) => ErrorCode::KdfLimit,
        (92, _) => ErrorCode::Format,
        // salt and wrapped key (the vault stanza does not unwrap), then everything the
        // header MAC covers, then the MAC itself
        _ => ErrorCode::Auth,
    }
}

#[test]
fn tamper_matrix_every_case_is_a_typed_error_with_no_output() {
    let f = fixture();
    let v = Vectors::load();
    let good = v.valid("vault-three-chunks");
    let unlock = Unlock::Vault(&v.vault);
    assert_eq!(
        good[HEADER_LEN - 32],
        0x42,
        "the MAC's first byte, read as a stanza type"
    );
    assert_eq!(f.open_bytes(&good, &unlock).unwrap().len(), 2 * 16384 + 100);

    // A flipped bit in every header byte: magic, version, kind, count, each stanza field, MAC.
    for at in 0..HEADER_LEN {
        for bit in [0, 7] {
            let mut bad = good.clone();
            bad[at] ^= 1 << bit;
            let code = f.open_bytes(&bad, &unlock).unwrap_err();
            assert_eq!(code, header_flip_code(at, bit), "byte {at} bit {bit}");
        }
    }

    // Every invalid vector (header damage, cuts at each boundary, extra byte and chunk,
    // swapped and spliced chunks, hostile Argon2 costs) through open_file, on every route.
    let invalid = v.json["invalid"].as_array().unwrap();
    assert!(invalid.len() >= 45);
    for entry in invalid {
        let bad = hex::decode(entry["sealed"].as_str().unwrap()).unwrap();
        for (route, code) in entry["errors"].as_object().unwrap() {
            let got = f.open_bytes(&bad, &v.unlock(route)).unwrap_err();
            assert_eq!(
                got.as_str(),
                code.as_str().unwrap(),
                "{} via {route}",
                entry["name"]
            );
        }
    }

    // Wrong vault, wrong recovery key, a passphrase for a file that has no passphrase stanza.
    let g = fixture();
    assert_eq!(
        f.open_bytes(&good, &Unlock::Vault(&g.vault)).unwrap_err(),
        ErrorCode::WrongKey
    );
    assert_eq!(
        f.open_bytes(&good, &Unlock::Recovery(&g.recovery)).unwrap_err(),
        ErrorCode::WrongKey
    );
    assert_eq!(
        f.open_bytes(&good, &Unlock::Passphrase("x")).unwrap_err(),
        ErrorCode::WrongKey
    );
}

#[test]
fn passphrase_files_refuse_wrong_passphrases_and_hostile_costs() {
    let f = fixture();
    let src = f.path("p.plain");
    std::fs::write(&src, b"for the client").unwrap();
    let dst = f.path("p.sealed");
    let source = KeySource::Passphrase {
        passphrase: "tulip-orbit-canvas",
        params: FAST,
    };
    seal_file(&src, &dst, &source, false, &mut Control::none()).unwrap();
    let good = std::fs::read(&dst).unwrap();
    assert_eq!(
        f.open_bytes(&good, &Unlock::Passphrase("tulip-orbit-canvas"))
            .unwrap(),
        b"for the client"
    );
    assert_eq!(
        f.open_bytes(&good, &Unlock::Passphrase("tulip-orbit-canvaS"))
            .unwrap_err(),
        ErrorCode::BadPassphrase
    );
    assert_eq!(
        f.open_bytes(&good, &Unlock::Vault(&f.vault)).unwrap_err(),
        ErrorCode::WrongKey
    );
    assert_eq!(inspect(&dst).unwrap().kdf, vec![FAST]);

    // m = 64 GiB (in KiB) at bytes 12..16: refused while parsing, before Argon2 or any
    // allocation, with the runs counter unchanged.
    let mut hostile = good.clone();
    hostile[12..16].copy_from_slice(&(64u32 * 1024 * 1024).to_be_bytes());
    let before = shutterproof_core::keys::argon2_runs();
    assert_eq!(
        f.open_bytes(&hostile, &Unlock::Passphrase("tulip-orbit-canvas"))
            .unwrap_err(),
        ErrorCode::KdfLimit
    );
    assert_eq!(shutterproof_core::keys::argon2_runs(), before);
    let e = inspect(&{
        let p = f.path("hostile.sealed");
        std::fs::write(&p, &hostile).unwrap();
        p
    })
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::KdfLimit);
    assert!(e.message.contains("hostile.sealed"));
    // t = 11 and p = 17 are refused too.
    for (at, value) in [(16, 11u32), (20, 17u32)] {
        let mut bad = good.clone();
        bad[at..at + 4].copy_from_slice(&value.to_be_bytes());
        assert_eq!(
            f.open_bytes(&bad, &Unlock::Passphrase("x")).unwrap_err(),
            ErrorCode::KdfLimit
        );
    }
}

#[test]
fn unknown_versions_and_stanza_types_are_refused_clearly() {
    let f = fixture();
    let good = std::fs::read(f.seal("v", b"x")).unwrap();
    let mut bad = good.clone();
    bad[8] = 2;
    let p = f.path("v2.sealed");
    std::fs::write(&p, &bad).unwrap();
    let e = inspect(&p).unwrap_err();
    assert_eq!(e.code, ErrorCode::Format);
    assert!(e.message.contains("version 2"), "{}", e.message);
    let mut bad = good.clone();
    bad[11] = 0x7f;
    std::fs::write(&p, &bad).unwrap();
    let e = inspect(&p).unwrap_err();
    assert!(e.message.contains("unknown stanza type 0x7f"), "{}", e.message);
    std::fs::write(&p, b"just a jpeg").unwrap();
    assert_eq!(inspect(&p).unwrap_err().code, ErrorCode::Format);
}

#[test]
fn vault_life_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vault.spkey");
    // Default costs (RFC 9106 second recommendation) on the real path, once.
    let new = create_vault(&path, "old pass", KdfParams::DEFAULT).unwrap();
    assert_eq!(
        create_vault(&path, "other", FAST).err().unwrap().code,
        ErrorCode::Exists,
        "never overwrites a vault"
    );
    let info = inspect(&path).unwrap();
    assert_eq!(info.kind, FileKind::Vault);
    assert_eq!(info.stanzas, vec![StanzaKind::Passphrase, StanzaKind::Recovery]);
    assert_eq!(info.kdf, vec![KdfParams::DEFAULT]);
    assert_eq!(info.plaintext_size, 64);

    let src = dir.path().join("photo.cr3");
    std::fs::write(&src, data(50_000, 4)).unwrap();
    let sealed = dir.path().join("photo.cr3.sealed");
    seal_file(
        &src,
        &sealed,
        &KeySource::Vault(&new.vault),
        false,
        &mut Control::none(),
    )
    .unwrap();

    let by_pass = open_vault_with_passphrase(&path, "old pass").unwrap();
    assert_eq!(by_pass.key_id(), new.vault.key_id());
    let words = new.recovery.to_words();
    let recovery = RecoveryKey::from_words(&words).unwrap();
    let by_recovery = open_vault_with_recovery(&path, &recovery).unwrap();
    assert_eq!(by_recovery.key_id(), new.vault.key_id());
    assert_eq!(
        open_vault_with_passphrase(&path, "wrong").unwrap_err().code,
        ErrorCode::BadPassphrase
    );
    let stranger = RecoveryKey::generate().unwrap();
    assert_eq!(
        open_vault_with_recovery(&path, &stranger).unwrap_err().code,
        ErrorCode::WrongKey
    );
    // A vault file is not a sealed file, and the other way round.
    let out = dir.path().join("x");
    assert_eq!(
        open_file(
            &path,
            &out,
            &Unlock::Passphrase("old pass"),
            false,
            &mut Control::none()
        )
        .unwrap_err()
        .code,
        ErrorCode::Format
    );

    change_passphrase(&path, &Unlock::Passphrase("old pass"), "new pass", FAST).unwrap();
    assert_eq!(
        open_vault_with_passphrase(&path, "old pass").unwrap_err().code,
        ErrorCode::BadPassphrase
    );
    let reopened = open_vault_with_passphrase(&path, "new pass").unwrap();
    assert_eq!(
        reopened.key_id(),
        new.vault.key_id(),
        "the vault key does not change"
    );
    let opened = dir.path().join("photo.cr3.opened");
    open_file(
        &sealed,
        &opened,
        &Unlock::Vault(&reopened),
        false,
        &mut Control::none(),
    )
    .unwrap();
    assert_eq!(std::fs::read(&opened).unwrap(), std::fs::read(&src).unwrap());
    // The recovery key still opens the vault after the change, and resets a passphrase.
    open_vault_with_recovery(&path, &recovery).unwrap();
    change_passphrase(&path, &Unlock::Recovery(&recovery), "newest", FAST).unwrap();
    open_vault_with_passphrase(&path, "newest").unwrap();
    assert_no_temp_files(dir.path());
}

/// A fast deterministic generator: one 4 MiB block of xorshift output, with the block
/// number stamped in every 16 KiB so no two chunks repeat.
struct Generator {
    block: Vec<u8>,
}

impl Generator {
    fn new() -> Self {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut block = vec![0u8; 4 << 20];
        for word in block.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            word.copy_from_slice(&x.to_le_bytes());
        }
        Generator { block }
    }

    fn fill(&mut self, index: u64) -> &[u8] {
        for (j, chunk) in self.block.chunks_mut(16384).enumerate() {
            chunk[..8].copy_from_slice(&(index * 1000 + j as u64).to_le_bytes());
        }
        &self.block
    }
}

#[test]
fn a_stream_past_4_gib_round_trips() {
    // 4 GiB + 16 KiB + 1: plaintext offsets pass 2^32, chunk counters pass 2^18.
    let total: u64 = (4 << 30) + 16385;
    let key = [0x42u8; 32];
    let mut gen = Generator::new();
    let mut ct = Vec::new();
    let mut enc = Encryptor::new(&key, b"big", &mut ct).unwrap();
    let mut dec = Decryptor::new(&key, b"big").unwrap();
    let (mut h_in, mut h_out) = (blake3::Hasher::new(), blake3::Hasher::new());
    let mut plain = Vec::new();
    let (mut fed, mut index, mut ct_len) = (0u64, 0u64, 0u64);
    while fed < total {
        let block = gen.fill(index);
        let n = (total - fed).min(block.len() as u64) as usize;
        h_in.update(&block[..n]);
        enc.push(&block[..n], &mut ct).unwrap();
        fed += n as u64;
        index += 1;
        ct_len += ct.len() as u64;
        dec.push(&ct, &mut plain).unwrap();
        h_out.update(&plain);
        ct.clear();
        plain.clear();
    }
    enc.finish(&mut ct).unwrap();
    ct_len += ct.len() as u64;
    dec.push(&ct, &mut plain).unwrap();
    dec.finish(&mut plain).unwrap();
    h_out.update(&plain);
    assert_eq!(ct_len, shutterproof_core::seal::cobblestone::payload_len(total));
    assert_eq!(h_in.finalize(), h_out.finalize());
    assert!(dec.chunks_done() > 1 << 18);
}
