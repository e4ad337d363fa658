//! Binding for the backup store: object names (keyed BLAKE3 under a key derived from the
//! vault, which stays in Rust), checking sealed objects without writing plaintext, and
//! sealing / opening small in-memory buffers (index snapshots, store records).

use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use shutterproof_core::keys::OpenVault;
use shutterproof_core::seal::{self, KeySource, ObjectDigest, SealedDigests, Unlock};
use shutterproof_core::Control;

use crate::cancel::CancelToken;
use crate::errors::guard;
use crate::keys::Vault;
use crate::progress::{ProgressCallback, TaskControl};

/// One file read with the vault's keys on the libuv pool (object name, sealed read-back);
/// `work` is the core function, `J` what its result becomes in JS.
pub struct VaultFileTask<O, J> {
    vault: Arc<OpenVault>,
    path: PathBuf,
    control: TaskControl,
    work: fn(&OpenVault, &Path, &mut Control) -> shutterproof_core::Result<O>,
    js: PhantomData<fn() -> J>,
}

impl<O: Send + 'static, J: From<O> + ToNapiValue + TypeName> Task for VaultFileTask<O, J> {
    type Output = O;
    type JsValue = J;

    fn compute(&mut self) -> Result<O> {
        let (vault, path, work) = (&self.vault, &self.path, self.work);
        self.control.with_control(|control| work(vault, path, control))
    }

    fn resolve(&mut self, _env: Env, output: O) -> Result<J> {
        Ok(output.into())
    }
}

fn vault_file_task<O, J>(
    vault: &Vault,
    path: String,
    cancel: &CancelToken,
    on_progress: Option<ProgressCallback>,
    work: fn(&OpenVault, &Path, &mut Control) -> shutterproof_core::Result<O>,
) -> Result<AsyncTask<VaultFileTask<O, J>>>
where
    VaultFileTask<O, J>: Task,
{
    Ok(AsyncTask::new(VaultFileTask {
        vault: vault.shared()?,
        path: path.into(),
        control: TaskControl::new(cancel, on_progress),
        work,
        js: PhantomData,
    }))
}

#[napi(object)]
pub struct NativeObjectDigest {
    pub name: String,
    pub blake3: String,
    pub size: f64,
}

impl From<ObjectDigest> for NativeObjectDigest {
    fn from(d: ObjectDigest) -> Self {
        NativeObjectDigest {
            name: d.name,
            blake3: d.blake3,
            size: d.size as f64,
        }
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
) -> Result<AsyncTask<VaultFileTask<ObjectDigest, NativeObjectDigest>>> {
    vault_file_task(vault, path, cancel, on_progress, |vault, path, control| {
        seal::object_name(vault, path, control)
    })
}

#[napi(object)]
pub struct NativeSealedDigests {
    pub plaintext_size: f64,
    pub sealed_size: f64,
    pub blake3: String,
    pub method: String,
}

impl From<SealedDigests> for NativeSealedDigests {
    fn from(d: SealedDigests) -> Self {
        NativeSealedDigests {
            plaintext_size: d.plaintext_size as f64,
            sealed_size: d.sealed_size as f64,
            blake3: d.blake3,
            method: d.method.as_str().to_string(),
        }
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
) -> Result<AsyncTask<VaultFileTask<SealedDigests, NativeSealedDigests>>> {
    vault_file_task(vault, path, cancel, on_progress, |vault, path, control| {
        seal::hash_sealed_file(path, &Unlock::Vault(vault), control)
    })
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
