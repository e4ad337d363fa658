//! Argon2 runs once per unlock, never once per file. This test lives in its own binary
//! because the run counter is process-wide and other tests run Argon2 in parallel.

use shutterproof_core::keys::{argon2_runs, create_vault, open_vault_with_passphrase, KdfParams};
use shutterproof_core::seal::{open_file, seal_file, KeySource, Unlock};
use shutterproof_core::Control;

#[test]
fn sealing_1000_files_with_an_open_vault_runs_argon2_zero_times() {
    let dir = tempfile::tempdir().unwrap();
    let params = KdfParams {
        m_kib: 1024,
        t: 1,
        p: 1,
    };
    let path = dir.path().join("vault.spkey");
    let before_create = argon2_runs();
    create_vault(&path, "pass", params).unwrap();
    assert_eq!(argon2_runs(), before_create + 1, "creating a vault: one run");
    let vault = open_vault_with_passphrase(&path, "pass").unwrap();
    assert_eq!(argon2_runs(), before_create + 2, "unlocking: one run");

    let before = argon2_runs();
    let src = dir.path().join("src");
    let out = dir.path().join("out");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    for i in 0..1000 {
        let plain = src.join(format!("IMG_{i:04}.CR3"));
        std::fs::write(&plain, format!("raw {i}")).unwrap();
        let sealed = out.join(format!("IMG_{i:04}.CR3.sealed"));
        seal_file(
            &plain,
            &sealed,
            &KeySource::Vault(&vault),
            false,
            &mut Control::none(),
        )
        .unwrap();
        if i % 100 == 0 {
            let back = out.join(format!("IMG_{i:04}.CR3"));
            open_file(
                &sealed,
                &back,
                &Unlock::Vault(&vault),
                false,
                &mut Control::none(),
            )
            .unwrap();
            assert_eq!(std::fs::read(&back).unwrap(), format!("raw {i}").as_bytes());
        }
    }
    assert_eq!(
        argon2_runs(),
        before,
        "sealing and opening files never runs Argon2"
    );
}
