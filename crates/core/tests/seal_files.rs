//! Sealed files end to end: round trips, random access, the tamper matrix (every failure
//! gives a typed error and leaves no output file), vault life cycle, cancellation, and a
//! stream past 4 GiB.

use std::path::{Path, PathBuf};

use shutterproof_core::keys::{
    change_passphrase, create_vault, open_vault_with_passphrase, open_vault_with_recovery, KdfParams,
    OpenVault, RecoveryKey,
};
use shutterproof_core::seal::cobblestone::{Decryptor, Encryptor, CHUNK_CT_SIZE, PREFIX_LEN};
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

#[test]
fn tamper_matrix_every_case_is_a_typed_error_with_no_output() {
    let f = fixture();
    // Five chunks: four full, one short final.
    let plain = data(4 * 16384 + 1000, 9);
    let good = std::fs::read(f.seal("five", &plain)).unwrap();
    let other = std::fs::read(f.seal("other", &data(4 * 16384 + 1000, 10))).unwrap();
    let unlock = Unlock::Vault(&f.vault);
    assert_eq!(
        inspect(&f.path("five.sealed")).unwrap().header_size,
        HEADER_LEN as u64
    );
    assert_eq!(f.open_bytes(&good, &unlock).unwrap(), plain);
    let payload = HEADER_LEN;
    let chunk_at = |k: usize| payload + PREFIX_LEN + k * CHUNK_CT_SIZE;

    // A flipped bit in every header byte: magic, version, kind, count, each stanza field, MAC.
    for at in 0..HEADER_LEN {
        for bit in [0, 7] {
            let mut bad = good.clone();
            bad[at] ^= 1 << bit;
            let code = f.open_bytes(&bad, &unlock).unwrap_err();
            let expected: &[ErrorCode] = match at {
                0..=10 => &[ErrorCode::Format],
                // vault stanza: type byte, key id → no longer ours; salt/wrapped → tampered
                11 => &[ErrorCode::Format],
                12..=27 => &[ErrorCode::WrongKey],
                28..=91 => &[ErrorCode::Auth],
                // recovery stanza type byte: unknown type, or read as another stanza type
                // (as a passphrase stanza its "costs" are random bytes, over the caps)
                92 => &[ErrorCode::Format, ErrorCode::Auth, ErrorCode::KdfLimit],
                // then fields covered by the header MAC
                _ => &[ErrorCode::Auth],
            };
            assert!(expected.contains(&code), "byte {at} bit {bit}: {code:?}");
        }
    }
    // Salt, commitment, first/middle/last chunk bodies, a tag.
    for at in [
        payload,
        payload + 23,
        payload + 24,
        payload + 55,
        chunk_at(0),
        chunk_at(2) + 5000,
        chunk_at(4) + 10,
        chunk_at(1) - 1,
        good.len() - 1,
    ] {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        assert_eq!(
            f.open_bytes(&bad, &unlock).unwrap_err(),
            ErrorCode::Auth,
            "byte {at}"
        );
    }
    // Truncation: empty, inside the header, and at every chunk boundary ±1.
    let mut cuts = vec![
        0,
        5,
        11,
        50,
        HEADER_LEN - 1,
        HEADER_LEN,
        payload + 30,
        payload + PREFIX_LEN,
    ];
    for k in 0..=5 {
        let b = chunk_at(k).min(good.len());
        cuts.extend([b - 1, b, b + 1]);
    }
    for cut in cuts {
        if cut >= good.len() {
            continue;
        }
        let code = f.open_bytes(&good[..cut], &unlock).unwrap_err();
        assert!(
            [ErrorCode::Truncated, ErrorCode::Auth].contains(&code),
            "cut at {cut}: {code:?}"
        );
    }
    // One extra byte; one extra chunk.
    let mut bad = good.clone();
    bad.push(0);
    assert!(f.open_bytes(&bad, &unlock).is_err());
    let mut bad = good.clone();
    bad.extend_from_slice(&good[chunk_at(1)..chunk_at(2)]);
    assert!(f.open_bytes(&bad, &unlock).is_err());
    // Two chunks swapped.
    let mut bad = good.clone();
    bad[chunk_at(1)..chunk_at(2)].copy_from_slice(&good[chunk_at(2)..chunk_at(3)]);
    bad[chunk_at(2)..chunk_at(3)].copy_from_slice(&good[chunk_at(1)..chunk_at(2)]);
    assert_eq!(f.open_bytes(&bad, &unlock).unwrap_err(), ErrorCode::Auth);
    // A chunk spliced from another file sealed with the same vault.
    let mut bad = good.clone();
    bad[chunk_at(1)..chunk_at(2)].copy_from_slice(&other[chunk_at(1)..chunk_at(2)]);
    assert_eq!(f.open_bytes(&bad, &unlock).unwrap_err(), ErrorCode::Auth);
    // The other file's header on this payload.
    let mut bad = other[..HEADER_LEN].to_vec();
    bad.extend_from_slice(&good[HEADER_LEN..]);
    assert_eq!(f.open_bytes(&bad, &unlock).unwrap_err(), ErrorCode::Auth);

    // Wrong vault, wrong recovery key.
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
