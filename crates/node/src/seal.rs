use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use shutterproof_core::seal::{self, OpeningStream, SealFor, SealReport, SealingStream, UnlockWith};
use shutterproof_core::{CancelFlag, Control};

use crate::cancel::CancelToken;
use crate::errors::{guard, to_napi};
use crate::keys::{kdf_params, unlock_with, NativeKdf, NativeUnlock, Vault};
use crate::progress::{progress_from, ProgressCallback};

#[napi(object)]
pub struct NativeSealReport {
    pub plaintext_size: f64,
    pub sealed_size: f64,
}

fn report(r: SealReport) -> NativeSealReport {
    NativeSealReport {
        plaintext_size: r.plaintext_size as f64,
        sealed_size: r.sealed_size as f64,
    }
}

enum Job {
    Seal(SealFor),
    Open(UnlockWith),
}

pub struct SealFileTask {
    src: PathBuf,
    dst: PathBuf,
    job: Job,
    overwrite: bool,
    cancel: CancelFlag,
    on_progress: Option<ProgressCallback>,
}

impl Task for SealFileTask {
    type Output = NativeSealReport;
    type JsValue = NativeSealReport;

    fn compute(&mut self) -> Result<Self::Output> {
        let progress = self.on_progress.take();
        let mut control = Control {
            cancel: self.cancel.clone(),
            progress: progress_from(progress.as_ref()),
        };
        let result = guard(|| match &self.job {
            Job::Seal(to) => seal::seal_file(
                &self.src,
                &self.dst,
                &to.as_key_source(),
                self.overwrite,
                &mut control,
            ),
            Job::Open(with) => seal::open_file(
                &self.src,
                &self.dst,
                &with.as_unlock(),
                self.overwrite,
                &mut control,
            ),
        });
        drop(control);
        drop(progress);
        result.map(report)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

/// Seals `src` into `dst` for a vault or a passphrase (temporary name, fsync, rename).
#[napi(ts_return_type = "Promise<NativeSealReport>")]
#[allow(clippy::too_many_arguments)]
pub fn native_seal_file(
    src: String,
    dst: String,
    vault: Option<&Vault>,
    passphrase: Option<String>,
    kdf: Option<NativeKdf>,
    overwrite: bool,
    cancel: &CancelToken,
    #[napi(ts_arg_type = "((bytesDone: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
) -> Result<AsyncTask<SealFileTask>> {
    let to = SealFor::from_parts(vault.map(Vault::shared).transpose()?, passphrase, kdf_params(kdf))
        .map_err(to_napi)?;
    Ok(AsyncTask::new(SealFileTask {
        src: src.into(),
        dst: dst.into(),
        job: Job::Seal(to),
        overwrite,
        cancel: cancel.flag.clone(),
        on_progress,
    }))
}

/// Opens a sealed file into `dst`; renamed into place only after the last chunk authenticated.
#[napi(ts_return_type = "Promise<NativeSealReport>")]
pub fn native_open_sealed_file(
    src: String,
    dst: String,
    vault: Option<&Vault>,
    unlock: Option<NativeUnlock>,
    overwrite: bool,
    cancel: &CancelToken,
    #[napi(ts_arg_type = "((bytesDone: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
) -> Result<AsyncTask<SealFileTask>> {
    Ok(AsyncTask::new(SealFileTask {
        src: src.into(),
        dst: dst.into(),
        job: Job::Open(unlock_with(vault, unlock)?),
        overwrite,
        cancel: cancel.flag.clone(),
        on_progress,
    }))
}

pub struct ReadRangeTask {
    path: PathBuf,
    unlock: UnlockWith,
    start: u64,
    end: u64,
}

impl Task for ReadRangeTask {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Self::Output> {
        guard(|| seal::read_file_range(&self.path, &self.unlock.as_unlock(), self.start, self.end))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output.into())
    }
}

/// Decrypts plaintext bytes `[start, end)` of a sealed file, reading only the chunks needed.
#[napi(ts_return_type = "Promise<Buffer>")]
pub fn native_read_sealed_range(
    path: String,
    start: f64,
    end: f64,
    vault: Option<&Vault>,
    unlock: Option<NativeUnlock>,
) -> Result<AsyncTask<ReadRangeTask>> {
    Ok(AsyncTask::new(ReadRangeTask {
        path: path.into(),
        unlock: unlock_with(vault, unlock)?,
        start: start as u64,
        end: end as u64,
    }))
}

/// Public facts of a sealed file's header; no key needed, no secret returned.
#[napi(object)]
pub struct NativeInspection {
    pub kind: String,
    pub version: u32,
    pub stanzas: Vec<String>,
    pub key_id: Option<String>,
    pub kdf: Vec<NativeKdfParams>,
    pub header_size: f64,
    pub sealed_size: f64,
    pub plaintext_size: f64,
}

#[napi(object)]
pub struct NativeKdfParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

pub struct InspectTask {
    path: PathBuf,
}

impl Task for InspectTask {
    type Output = seal::Inspection;
    type JsValue = NativeInspection;

    fn compute(&mut self) -> Result<Self::Output> {
        guard(|| seal::inspect(&self.path))
    }

    fn resolve(&mut self, _env: Env, i: Self::Output) -> Result<Self::JsValue> {
        Ok(NativeInspection {
            kind: i.kind.as_str().to_string(),
            version: i.version as u32,
            stanzas: i.stanzas.iter().map(|s| s.as_str().to_string()).collect(),
            key_id: i.key_id,
            kdf: i
                .kdf
                .iter()
                .map(|k| NativeKdfParams {
                    memory_kib: k.m_kib,
                    iterations: k.t,
                    parallelism: k.p,
                })
                .collect(),
            header_size: i.header_size as f64,
            sealed_size: i.sealed_size as f64,
            plaintext_size: i.plaintext_size as f64,
        })
    }
}

#[napi(ts_return_type = "Promise<NativeInspection>")]
pub fn native_inspect_sealed(path: String) -> AsyncTask<InspectTask> {
    AsyncTask::new(InspectTask { path: path.into() })
}

/// Push-style sealing for a Node Transform: `header()` once, then `push` / `finish`.
#[napi]
pub struct NativeSealer {
    stream: SealingStream,
    header: Option<Vec<u8>>,
    _to: SealFor,
}

#[napi]
impl NativeSealer {
    #[napi(constructor)]
    pub fn new(vault: Option<&Vault>, passphrase: Option<String>, kdf: Option<NativeKdf>) -> Result<Self> {
        let to = SealFor::from_parts(vault.map(Vault::shared).transpose()?, passphrase, kdf_params(kdf))
            .map_err(to_napi)?;
        let mut header = Vec::new();
        let stream = guard(|| SealingStream::new(&to.as_key_source(), &mut header))?;
        Ok(NativeSealer {
            stream,
            header: Some(header),
            _to: to,
        })
    }

    /// Sealed bytes for `data` (the header is prepended to the first output).
    #[napi]
    pub fn push(&mut self, data: &[u8]) -> Result<Buffer> {
        let mut out = self.header.take().unwrap_or_default();
        guard(|| self.stream.push(data, &mut out))?;
        Ok(out.into())
    }

    #[napi]
    pub fn finish(&mut self) -> Result<Buffer> {
        let mut out = self.header.take().unwrap_or_default();
        guard(|| self.stream.finish(&mut out))?;
        Ok(out.into())
    }
}

/// Push-style opening for a Node Transform: releases only authenticated plaintext; sticky errors.
#[napi]
pub struct NativeOpener {
    stream: OpeningStream,
    unlock: UnlockWith,
}

#[napi]
impl NativeOpener {
    #[napi(constructor)]
    pub fn new(vault: Option<&Vault>, unlock: Option<NativeUnlock>) -> Result<Self> {
        Ok(NativeOpener {
            stream: OpeningStream::new(),
            unlock: unlock_with(vault, unlock)?,
        })
    }

    #[napi]
    pub fn push(&mut self, data: &[u8]) -> Result<Buffer> {
        let mut out = Vec::new();
        let (stream, unlock) = (&mut self.stream, &self.unlock);
        guard(|| stream.push(data, &unlock.as_unlock(), &mut out))?;
        Ok(out.into())
    }

    #[napi]
    pub fn finish(&mut self) -> Result<Buffer> {
        let mut out = Vec::new();
        guard(|| self.stream.finish(&mut out))?;
        Ok(out.into())
    }
}
