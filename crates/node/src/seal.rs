use std::mem::MaybeUninit;
use std::path::PathBuf;
use std::{ptr, slice};

use napi::bindgen_prelude::*;
use napi::{check_status, sys};
use napi_derive::napi;
use shutterproof_core::seal::{self, OpeningStream, SealFor, SealReport, SealingStream, UnlockWith};
use shutterproof_core::{huge_pages, CancelFlag, ErrorCode};
use zeroize::Zeroizing;

use crate::cancel::CancelToken;
use crate::errors::{guard, napi_error};
use crate::keys::{kdf_params, unlock_with, NativeKdf, NativeUnlock, Vault};
use crate::progress::{ProgressCallback, TaskControl};

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

/// Exactly one of an open vault or a (non-empty) passphrase: the JS arguments checked
/// here, so the core only ever sees one recipient.
fn seal_for(vault: Option<&Vault>, passphrase: Option<String>, kdf: Option<NativeKdf>) -> Result<SealFor> {
    match (vault.map(Vault::shared).transpose()?, passphrase) {
        (Some(v), None) => Ok(SealFor::Vault(v)),
        (None, Some(p)) if !p.is_empty() => Ok(SealFor::Passphrase(Zeroizing::new(p), kdf_params(kdf))),
        (None, Some(_)) => Err(napi_error(
            ErrorCode::InvalidArgument,
            "the passphrase is empty; give a passphrase or a vault",
        )),
        _ => Err(napi_error(
            ErrorCode::InvalidArgument,
            "seal with exactly one of an open vault or a passphrase",
        )),
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
    control: TaskControl,
}

impl Task for SealFileTask {
    type Output = NativeSealReport;
    type JsValue = NativeSealReport;

    fn compute(&mut self) -> Result<Self::Output> {
        let (src, dst, overwrite, job) = (&self.src, &self.dst, self.overwrite, &self.job);
        self.control
            .with_control(|control| match job {
                Job::Seal(to) => seal::seal_file(src, dst, &to.as_key_source(), overwrite, control),
                Job::Open(with) => seal::open_file(src, dst, &with.as_unlock(), overwrite, control),
            })
            .map(report)
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
    let to = seal_for(vault, passphrase, kdf)?;
    Ok(AsyncTask::new(SealFileTask {
        src: src.into(),
        dst: dst.into(),
        job: Job::Seal(to),
        overwrite,
        control: TaskControl::new(cancel, on_progress),
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
        control: TaskControl::new(cancel, on_progress),
    }))
}

pub struct ReadRangeTask {
    path: PathBuf,
    unlock: UnlockWith,
    start: u64,
    end: u64,
    cancel: CancelFlag,
}

impl Task for ReadRangeTask {
    type Output = Vec<u8>;
    type JsValue = Buffer;

    fn compute(&mut self) -> Result<Self::Output> {
        guard(|| {
            seal::read_file_range_until(
                &self.path,
                &self.unlock.as_unlock(),
                self.start,
                self.end,
                &self.cancel,
            )
        })
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
    cancel: Option<&CancelToken>,
) -> Result<AsyncTask<ReadRangeTask>> {
    Ok(AsyncTask::new(ReadRangeTask {
        path: path.into(),
        unlock: unlock_with(vault, unlock)?,
        start: start as u64,
        end: end as u64,
        cancel: cancel.map(|c| c.flag.clone()).unwrap_or_default(),
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
        let to = seal_for(vault, passphrase, kdf)?;
        let mut header = Vec::new();
        let stream = guard(|| SealingStream::new(&to.as_key_source(), &mut header))?;
        Ok(NativeSealer {
            stream,
            header: Some(header),
            _to: to,
        })
    }

    /// Sealed bytes for `data` (the header is prepended to the first output), written
    /// straight into a new Node Buffer.
    #[napi(ts_return_type = "Buffer")]
    pub fn push<'env>(&mut self, env: &'env Env, data: &[u8]) -> Result<BufferSlice<'env>> {
        let header = self.header.take().unwrap_or_default();
        let len = guard(|| self.stream.push_output_len(data.len()))?;
        let stream = &mut self.stream;
        js_buffer_with(env, header.len() + len, |out| {
            let (head, rest) = out.split_at_mut(header.len());
            head.write_copy_of_slice(&header);
            guard(|| stream.push_into(data, rest))
        })
    }

    #[napi(ts_return_type = "Buffer")]
    pub fn finish<'env>(&mut self, env: &'env Env) -> Result<BufferSlice<'env>> {
        let header = self.header.take().unwrap_or_default();
        let len = guard(|| self.stream.finish_output_len())?;
        let stream = &mut self.stream;
        js_buffer_with(env, header.len() + len, |out| {
            let (head, rest) = out.split_at_mut(header.len());
            head.write_copy_of_slice(&header);
            guard(|| stream.finish_into(rest))
        })
    }
}

/// A new Node Buffer of `len` bytes that `fill` must write entirely. Its memory belongs
/// to V8 (which frees it as soon as its GC collects the Buffer, unlike an external
/// buffer, whose memory waits for a later turn of the event loop), so output is written
/// once, straight where JS reads it, into memory the allocator can reuse.
fn js_buffer_with<'env>(
    env: &'env Env,
    len: usize,
    fill: impl FnOnce(&mut [MaybeUninit<u8>]) -> Result<()>,
) -> Result<BufferSlice<'env>> {
    let mut data = ptr::null_mut();
    let mut value = ptr::null_mut();
    // SAFETY: plain N-API call with valid out-pointers; `env` is the live environment
    // of this synchronous call.
    check_status!(
        unsafe { sys::napi_create_buffer(env.raw(), len, &mut data, &mut value) },
        "could not allocate a Buffer of {} bytes",
        len
    )?;
    // `fill` runs even when it writes nothing: it is also what feeds the stream.
    let out: &mut [MaybeUninit<u8>] = if len == 0 {
        // An empty Buffer may have a NULL data pointer.
        &mut []
    } else {
        // SAFETY: N-API just allocated `len` writable bytes at `data` for this Buffer,
        // which nothing else references yet; they are uninitialised, hence MaybeUninit.
        unsafe { slice::from_raw_parts_mut(data.cast::<MaybeUninit<u8>>(), len) }
    };
    huge_pages::advise_huge_pages(out);
    fill(out)?;
    // SAFETY: `value` is the Buffer created above, fully written by `fill`.
    unsafe { BufferSlice::from_napi_value(env.raw(), value) }
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

    /// Authenticated plaintext for `data`, written straight into a new Node Buffer once
    /// the header is past (before that, through a Vec and one copy).
    #[napi(ts_return_type = "Buffer")]
    pub fn push<'env>(&mut self, env: &'env Env, data: &[u8]) -> Result<BufferSlice<'env>> {
        let (stream, unlock) = (&mut self.stream, &self.unlock);
        match stream.push_output_len(data.len()) {
            Some(len) => js_buffer_with(env, len, |out| guard(|| stream.push_into(data, out))),
            None => {
                let mut out = Vec::new();
                guard(|| stream.push(data, &unlock.as_unlock(), &mut out))?;
                copy_to_js(env, &out)
            }
        }
    }

    #[napi(ts_return_type = "Buffer")]
    pub fn finish<'env>(&mut self, env: &'env Env) -> Result<BufferSlice<'env>> {
        let mut out = Vec::new();
        guard(|| self.stream.finish(&mut out))?;
        copy_to_js(env, &out)
    }
}

fn copy_to_js<'env>(env: &'env Env, bytes: &[u8]) -> Result<BufferSlice<'env>> {
    js_buffer_with(env, bytes.len(), |out| {
        out.write_copy_of_slice(bytes);
        Ok(())
    })
}
