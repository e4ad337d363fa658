use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use shutterproof_core::keys::{self, KdfParams, OpenVault, RecoveryKey};
use shutterproof_core::seal::UnlockWith;
use shutterproof_core::ErrorCode;
use zeroize::Zeroizing;

use crate::errors::{guard, napi_error};
use crate::task::{task, WorkTask};

/// An unlocked vault. The key stays in Rust; `close()` drops it (wiped on drop once no
/// running task still uses it).
#[napi]
pub struct Vault {
    inner: Option<Arc<OpenVault>>,
    key_id: String,
}

impl Vault {
    fn new(vault: OpenVault) -> Self {
        let key_id = vault.key_id_hex();
        Vault {
            inner: Some(Arc::new(vault)),
            key_id,
        }
    }

    pub(crate) fn shared(&self) -> Result<Arc<OpenVault>> {
        self.inner
            .clone()
            .ok_or_else(|| napi_error(ErrorCode::InvalidArgument, "the vault is closed; open it again"))
    }
}

#[napi]
impl Vault {
    /// The vault's public key id (hex), as shown on the recovery kit and by `inspect`.
    #[napi(getter)]
    pub fn key_id(&self) -> String {
        self.key_id.clone()
    }

    /// Whether `close()` was called.
    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.inner.is_none()
    }

    /// Drops the key (wiped once no running task still uses it); the handle is unusable afterwards.
    #[napi]
    pub fn close(&mut self) {
        self.inner = None;
    }
}

/// Argon2id costs; missing fields take the defaults (RFC 9106: 64 MiB, t = 3, p = 4).
#[napi(object)]
pub struct NativeKdf {
    pub memory_kib: Option<u32>,
    pub iterations: Option<u32>,
    pub parallelism: Option<u32>,
}

pub(crate) fn kdf_params(kdf: Option<NativeKdf>) -> KdfParams {
    let d = KdfParams::DEFAULT;
    kdf.map_or(d, |k| KdfParams {
        m_kib: k.memory_kib.unwrap_or(d.m_kib),
        t: k.iterations.unwrap_or(d.t),
        p: k.parallelism.unwrap_or(d.p),
    })
}

/// One of the ways to unlock, as received from JS.
#[napi(object)]
pub struct NativeUnlock {
    pub passphrase: Option<String>,
    pub recovery_words: Option<String>,
}

/// Exactly one of an open vault, a passphrase or the 24 recovery words: the JS options
/// bag checked here, so the core only ever sees one way to unlock.
pub(crate) fn unlock_with(vault: Option<&Vault>, unlock: Option<NativeUnlock>) -> Result<UnlockWith> {
    let vault = vault.map(Vault::shared).transpose()?;
    let (passphrase, words) = unlock.map_or((None, None), |u| (u.passphrase, u.recovery_words));
    match (vault, passphrase, words.map(Zeroizing::new)) {
        (Some(v), None, None) => Ok(UnlockWith::Vault(v)),
        (None, Some(p), None) => Ok(UnlockWith::Passphrase(Zeroizing::new(p))),
        (None, None, Some(w)) => guard(|| RecoveryKey::from_words(&w)).map(UnlockWith::Recovery),
        _ => Err(napi_error(
            ErrorCode::InvalidArgument,
            "unlock with exactly one of an open vault, a passphrase or a recovery key",
        )),
    }
}

pub struct CreateVaultTask {
    path: PathBuf,
    passphrase: String,
    kdf: KdfParams,
}

#[napi(object, object_from_js = false)]
pub struct NativeNewVault {
    pub vault: Vault,
    /// The 24 recovery words: shown once, to print; never stored by the library.
    pub recovery_words: String,
}

impl Task for CreateVaultTask {
    type Output = (OpenVault, String);
    type JsValue = NativeNewVault;

    fn compute(&mut self) -> Result<Self::Output> {
        let new = guard(|| keys::create_vault(&self.path, &self.passphrase, self.kdf))?;
        Ok((new.vault, new.recovery.to_words().to_string()))
    }

    fn resolve(&mut self, _env: Env, (vault, recovery_words): Self::Output) -> Result<Self::JsValue> {
        Ok(NativeNewVault {
            vault: Vault::new(vault),
            recovery_words,
        })
    }
}

#[napi(ts_return_type = "Promise<NativeNewVault>")]
pub fn native_create_vault(
    path: String,
    passphrase: String,
    kdf: Option<NativeKdf>,
) -> AsyncTask<CreateVaultTask> {
    AsyncTask::new(CreateVaultTask {
        path: path.into(),
        passphrase,
        kdf: kdf_params(kdf),
    })
}

pub struct OpenVaultTask {
    path: PathBuf,
    unlock: UnlockWith,
}

impl Task for OpenVaultTask {
    type Output = OpenVault;
    type JsValue = Vault;

    fn compute(&mut self) -> Result<Self::Output> {
        guard(|| keys::open_vault(&self.path, &self.unlock.as_unlock()))
    }

    fn resolve(&mut self, _env: Env, vault: Self::Output) -> Result<Self::JsValue> {
        Ok(Vault::new(vault))
    }
}

#[napi(ts_return_type = "Promise<Vault>")]
pub fn native_open_vault(path: String, unlock: NativeUnlock) -> Result<AsyncTask<OpenVaultTask>> {
    Ok(AsyncTask::new(OpenVaultTask {
        path: path.into(),
        unlock: unlock_with(None, Some(unlock))?,
    }))
}

pub struct ChangePassphraseTask {
    path: PathBuf,
    unlock: UnlockWith,
    new_passphrase: String,
    kdf: KdfParams,
    /// Where the re-keyed vault goes; JavaScript renames it over `path` (lib/keys/vault.ts).
    out: PathBuf,
}

impl Task for ChangePassphraseTask {
    type Output = OpenVault;
    type JsValue = Vault;

    fn compute(&mut self) -> Result<Self::Output> {
        guard(|| {
            keys::change_passphrase_into(
                &self.path,
                &self.unlock.as_unlock(),
                &self.new_passphrase,
                self.kdf,
                &self.out,
            )
        })
    }

    fn resolve(&mut self, _env: Env, vault: Self::Output) -> Result<Self::JsValue> {
        Ok(Vault::new(vault))
    }
}

#[napi(ts_return_type = "Promise<Vault>")]
pub fn native_change_passphrase(
    path: String,
    unlock: NativeUnlock,
    new_passphrase: String,
    kdf: Option<NativeKdf>,
    out: String,
) -> Result<AsyncTask<ChangePassphraseTask>> {
    Ok(AsyncTask::new(ChangePassphraseTask {
        path: path.into(),
        unlock: unlock_with(None, Some(unlock))?,
        new_passphrase,
        kdf: kdf_params(kdf),
        out: out.into(),
    }))
}

#[napi(object)]
pub struct NativePassphrase {
    pub phrase: String,
    pub entropy_bits: f64,
}

#[napi]
pub fn native_generate_passphrase(words: u32, separator: String) -> Result<NativePassphrase> {
    let g = guard(|| keys::generate_passphrase(words as usize, &separator))?;
    Ok(NativePassphrase {
        phrase: g.phrase.to_string(),
        entropy_bits: g.entropy_bits,
    })
}

/// Checks 24 recovery words (unknown word or checksum failure → `E_BAD_RECOVERY_KEY`).
#[napi]
pub fn native_check_recovery_words(words: String) -> Result<()> {
    guard(|| keys::RecoveryKey::from_words(&words).map(|_| ()))
}

/// How many times Argon2id has run in this process (for tests and diagnostics).
#[napi]
pub fn native_argon2_runs() -> f64 {
    keys::argon2_runs() as f64
}

/// Hashes a share password (Argon2id at OWASP's costs, on libuv's pool) into a PHC string
/// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. The TS layer normalizes it (NFC) first.
#[napi(ts_return_type = "Promise<string>")]
pub fn native_hash_password(password: String) -> AsyncTask<WorkTask<String>> {
    let password = Zeroizing::new(password);
    task(move || keys::hash_password(password.as_bytes()))
}

/// Checks a password against a stored PHC hash (constant-time), on libuv's pool.
/// Rejects with `E_FORMAT` for a string that is not an Argon2id v19 hash and
/// `E_KDF_LIMIT` for costs above the caps (256 MiB, t = 10, p = 8), both before Argon2 runs.
#[napi(ts_return_type = "Promise<boolean>")]
pub fn native_verify_password(password: String, hash: String) -> AsyncTask<WorkTask<bool>> {
    let password = Zeroizing::new(password);
    task(move || keys::verify_password(password.as_bytes(), &hash))
}
