//! Binding for the backup store: object names (keyed BLAKE3 under a key derived from the
//! vault, which stays in Rust), checking sealed objects without writing plaintext, and
//! sealing / opening small in-memory buffers (index snapshots, store records).

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use shutterproof_core::keys::OpenVault;
use shutterproof_core::seal::{self, KeySource, ObjectDigest, SealedDigests, Unlock};
use shutterproof_core::{CancelFlag, Control};

use crate::cancel::CancelToken;
use crate::errors::guard;
use crate::keys::Vault;
use crate::progress::{progress_from, ProgressCallback};

#[napi(object)]
pub struct NativeObjectDigest {
    pub name: String,
    pub blake3: String,
    pub size: f64,
}

pub struct ObjectNameTask {
    vault: Arc<OpenVault>,
    path: PathBuf,
    cancel: CancelFlag,
    on_progress: Option<ProgressCallback>,
}

impl Task for ObjectNameTask {
    type Output = ObjectDigest;
    type JsValue = NativeObjectDigest;

    fn compute(&mut self) -> Result<Self::Output> {
        let progress = self.on_progress.take();
        let mut control = Control {
            cancel: self.cancel.clone(),
            progress: progress_from(progress.as_ref()),
        };
        let result = guard(|| seal::object_name(&self.vault, &self.path, &mut control));
        drop(control);
        drop(progress);
        result
    }

    fn resolve(&mut self, _env: Env, d: Self::Output) -> Result<Self::JsValue> {
        Ok(NativeObjectDigest {
            name: d.name,
            blake3: d.blake3,
            size: d.size as f64,
        })
    }
}

/// Keyed BLAKE3 of a file under the vault's store key (its object name) and its plain BLAKE3, from one read.
#[napi(ts_return_type = "Promise<NativeObjectDigest>")]
pub fn native_store_object_name(
    vault: &Vault,
    path: String,
    cancel: &CancelToken,
    #[napi(ts_arg_type = "((bytesDone: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
) -> Result<AsyncTask<ObjectNameTask>> {
    Ok(AsyncTask::new(ObjectNameTask {
        vault: vault.shared()?,
        path: path.into(),
        cancel: cancel.flag.clone(),
        on_progress,
    }))
}

#[napi(object)]
pub struct NativeSealedDigests {
    pub plaintext_size: f64,
    pub sealed_size: f64,
    pub blake3: String,
    pub method: String,
}

pub struct HashSealedTask {
    vault: Arc<OpenVault>,
    path: PathBuf,
    cancel: CancelFlag,
    on_progress: Option<ProgressCallback>,
}

impl Task for HashSealedTask {
    type Output = SealedDigests;
    type JsValue = NativeSealedDigests;

    fn compute(&mut self) -> Result<Self::Output> {
        let progress = self.on_progress.take();
        let mut control = Control {
            cancel: self.cancel.clone(),
            progress: progress_from(progress.as_ref()),
        };
        let result = guard(|| seal::hash_sealed_file(&self.path, &Unlock::Vault(&self.vault), &mut control));
        drop(control);
        drop(progress);
        result
    }

    fn resolve(&mut self, _env: Env, d: Self::Output) -> Result<Self::JsValue> {
        Ok(NativeSealedDigests {
            plaintext_size: d.plaintext_size as f64,
            sealed_size: d.sealed_size as f64,
            blake3: d.blake3,
            method: d.method.as_str().to_string(),
        })
    }
}

/// Reads a sealed file back from the disk (cache evicted), authenticates it and hashes its plaintext; writes nothing.
#[napi(ts_return_type = "Promise<NativeSealedDigests>")]
pub fn native_hash_sealed_file(
    vault: &Vault,
    path: String,
    cancel: &CancelToken,
    #[napi(ts_arg_type = "((bytesDone: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
) -> Result<AsyncTask<HashSealedTask>> {
    Ok(AsyncTask::new(HashSealedTask {
        vault: vault.shared()?,
        path: path.into(),
        cancel: cancel.flag.clone(),
        on_progress,
    }))
}

pub struct BytesTask {
    vault: Arc<OpenVault>,
    data: Buffer,
    seal: bool,
}

impl Task for BytesTask {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Self::Output> {
        let data: &[u8] = &self.data;
        if self.seal {
            guard(|| seal::seal_bytes(data, &KeySource::Vault(&self.vault)))
        } else {
            guard(|| seal::open_bytes(data, &Unlock::Vault(&self.vault)))
        }
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output.into())
    }
}

/// Seals a buffer for the vault (vault and recovery stanzas).
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn native_seal_bytes(vault: &Vault, data: Buffer) -> Result<AsyncTask<BytesTask>> {
    Ok(AsyncTask::new(BytesTask {
        vault: vault.shared()?,
        data,
        seal: true,
    }))
}

/// Opens a buffer sealed for the vault; only fully authenticated plaintext comes back.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn native_open_bytes(vault: &Vault, data: Buffer) -> Result<AsyncTask<BytesTask>> {
    Ok(AsyncTask::new(BytesTask {
        vault: vault.shared()?,
        data,
        seal: false,
    }))
}
