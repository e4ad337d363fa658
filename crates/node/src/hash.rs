use std::path::PathBuf;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use shutterproof_core::hash::{self, Algorithm, Digests, MultiHasher};

use crate::cancel::CancelToken;
use crate::errors::{guard, to_napi};
use crate::progress::{ProgressCallback, TaskControl};

/// Digests in lowercase hex; only the requested algorithms are present.
#[napi(object)]
#[derive(Default)]
pub struct NativeDigests {
    /// Bytes hashed (safe as a JS number up to 2^53).
    pub size: f64,
    pub blake3: Option<String>,
    pub xxh128: Option<String>,
    pub xxh64: Option<String>,
    pub xxh3: Option<String>,
    pub md5: Option<String>,
    pub sha1: Option<String>,
    pub sha256: Option<String>,
}

impl NativeDigests {
    /// Each algorithm's field: the one place the binding pairs the two, for the `From`s below.
    fn fields(&mut self) -> [(Algorithm, &mut Option<String>); Algorithm::ALL.len()] {
        [
            (Algorithm::Blake3, &mut self.blake3),
            (Algorithm::Xxh128, &mut self.xxh128),
            (Algorithm::Xxh64, &mut self.xxh64),
            (Algorithm::Xxh3, &mut self.xxh3),
            (Algorithm::Md5, &mut self.md5),
            (Algorithm::Sha1, &mut self.sha1),
            (Algorithm::Sha256, &mut self.sha256),
        ]
    }
}

/// `(bytes hashed, digests)` as JS sees them.
impl From<(u64, &Digests)> for NativeDigests {
    fn from((size, digests): (u64, &Digests)) -> Self {
        let mut out = NativeDigests {
            size: size as f64,
            ..NativeDigests::default()
        };
        for (algorithm, field) in out.fields() {
            *field = digests.hex(algorithm);
        }
        out
    }
}

/// Digests handed back by JS, as the hex they came in (the size is not part of them).
pub(crate) fn hex_digests(mut js: NativeDigests) -> Vec<(Algorithm, String)> {
    js.fields()
        .into_iter()
        .filter_map(|(algorithm, field)| field.take().map(|hex| (algorithm, hex)))
        .collect()
}

pub(crate) fn parse_algorithms(names: &[String]) -> Result<Vec<Algorithm>> {
    names
        .iter()
        .map(|n| n.parse::<Algorithm>().map_err(to_napi))
        .collect()
}

pub struct HashFileTask {
    path: PathBuf,
    algorithms: Vec<Algorithm>,
    control: TaskControl,
}

impl Task for HashFileTask {
    type Output = NativeDigests;
    type JsValue = NativeDigests;

    fn compute(&mut self) -> Result<Self::Output> {
        let (path, algorithms) = (&self.path, &self.algorithms);
        self.control
            .with_control(|control| hash::hash_file(path, algorithms, control))
            .map(|r| NativeDigests::from((r.size, &r.digests)))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(output)
    }
}

/// Hashes a file off the main thread. Progress is throttled in the core.
#[napi(ts_return_type = "Promise<NativeDigests>")]
pub fn native_hash_file(
    path: String,
    algorithms: Vec<String>,
    cancel: &CancelToken,
    #[napi(ts_arg_type = "((bytesDone: number) => void) | undefined | null")] on_progress: Option<
        ProgressCallback,
    >,
) -> Result<AsyncTask<HashFileTask>> {
    Ok(AsyncTask::new(HashFileTask {
        path: PathBuf::from(path),
        algorithms: parse_algorithms(&algorithms)?,
        control: TaskControl::new(cancel, on_progress),
    }))
}

/// Incremental hasher over several algorithms at once.
#[napi]
pub struct NativeHasher {
    inner: MultiHasher,
}

#[napi]
impl NativeHasher {
    #[napi(constructor)]
    pub fn new(algorithms: Vec<String>) -> Result<Self> {
        Ok(NativeHasher {
            inner: MultiHasher::new(&parse_algorithms(&algorithms)?),
        })
    }

    /// Feeds bytes (borrowed for this call only; never empty, the TS layer skips those).
    #[napi]
    pub fn update(&mut self, data: &[u8]) {
        self.inner.update(data);
    }

    /// The digests so far; the hasher can keep going afterwards.
    #[napi]
    pub fn digest(&self) -> NativeDigests {
        NativeDigests::from((self.inner.bytes(), &self.inner.finalize()))
    }
}

#[napi]
pub fn native_keyed_hash(key: &[u8], data: &[u8]) -> Result<Buffer> {
    guard(|| hash::keyed_hash(key, data)).map(|d| d.to_vec().into())
}

#[napi]
pub fn native_derive_key(context: String, material: &[u8]) -> Buffer {
    hash::derive_key(&context, material).to_vec().into()
}
