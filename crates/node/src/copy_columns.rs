//! A copy report with its files as columns: typed arrays of codes, sizes and digest
//! bytes, failures listed apart. A card of 20,000 files crosses to JavaScript as a dozen
//! arrays rather than 20,000 objects with their strings (issue #18: memory flat in the
//! file count). Files are in the order of the jobs given. The core keeps its results in
//! this shape already (`FileResults`, digests as bytes); this file only lays them out.

use std::time::UNIX_EPOCH;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use shutterproof_core::copy::{CardJobs, CopyReport, DigestColumn, FileResults};
use shutterproof_core::hash::Digests;

use crate::copy::{failure, pool_stats, summary, NativeDestinationSummary, NativePoolStats};

/// One algorithm's digests: `width` bytes per file (zeros where `present` is 0).
#[napi(object)]
pub struct NativeDigestColumn {
    pub algorithm: String,
    pub width: u32,
    pub bytes: Buffer,
    /// Per file, 1 when the file has this digest.
    pub present: Uint8Array,
}

/// A failure of one file, on the card (`destination` -1) or at one destination.
#[napi(object)]
pub struct NativeFileFailure {
    pub file: u32,
    pub destination: i32,
    pub code: String,
    pub message: String,
}

/// Every file of the run, one entry per job in the order given.
#[napi(object)]
pub struct NativeFileColumns {
    pub count: u32,
    /// Names of the codes in `sourceStates`, `statuses` and `methods` (as `NativeFileReport` spells them).
    pub words: Vec<String>,
    pub sizes: Float64Array,
    /// Milliseconds since the epoch; NaN when unknown.
    pub mtimes: Float64Array,
    pub source_states: Uint8Array,
    /// Per file, 1 when the card was read far enough to have digests.
    pub has_digests: Uint8Array,
    pub digests: Vec<NativeDigestColumn>,
    /// File `i` at destination `d` is entry `i * destinations + d`.
    pub statuses: Uint8Array,
    pub methods: Uint8Array,
    pub failures: Vec<NativeFileFailure>,
}

/// `NativeCopyReport` with its files as columns.
#[napi(object)]
pub struct NativeCardReport {
    /// `completed` | `completed-with-failures` | `aborted`
    pub status: String,
    pub files: NativeFileColumns,
    pub destinations: Vec<NativeDestinationSummary>,
    pub bytes_read: f64,
    pub pool: NativePoolStats,
    pub safe_to_format: bool,
}

/// Codes for the words of the report, each word once.
#[derive(Default)]
struct Words(Vec<&'static str>);

impl Words {
    fn code(&mut self, word: &'static str) -> u8 {
        match self.0.iter().position(|w| *w == word) {
            Some(i) => i as u8,
            None => {
                self.0.push(word);
                (self.0.len() - 1) as u8
            }
        }
    }
}

/// One algorithm's column as the core keeps it, moved into a Buffer without a copy.
fn digest_column(c: DigestColumn, present: &[u8]) -> NativeDigestColumn {
    NativeDigestColumn {
        algorithm: c.algorithm.name().to_string(),
        width: Digests::width(c.algorithm) as u32,
        bytes: c.bytes.into(),
        present: Uint8Array::new(present.to_vec()),
    }
}

fn columns(mut files: FileResults) -> NativeFileColumns {
    let mut words = Words::default();
    let n = files.len();
    let mut sizes = Vec::with_capacity(n);
    let mut mtimes = Vec::with_capacity(n);
    let mut source_states = Vec::with_capacity(n);
    let mut has_digests = Vec::with_capacity(n);
    for i in 0..n {
        let s = files.source(i);
        sizes.push(s.size as f64);
        mtimes.push(
            s.mtime
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        );
        source_states.push(words.code(s.state.as_str()));
        has_digests.push(u8::from(files.has_digests(i)));
    }
    let statuses = files
        .outcomes()
        .iter()
        .map(|o| words.code(o.status.as_str()))
        .collect();
    let methods = files
        .outcomes()
        .iter()
        .map(|o| words.code(o.method.as_str()))
        .collect();
    let failures = files
        .failures()
        .map(|(file, dest, f)| file_failure(file, dest.map_or(-1, |d| d as i32), failure(f)))
        .collect();
    let digests = files
        .take_digest_columns()
        .into_iter()
        .map(|c| digest_column(c, &has_digests))
        .collect();
    NativeFileColumns {
        count: n as u32,
        words: words.0.iter().map(|w| w.to_string()).collect(),
        sizes: Float64Array::new(sizes),
        mtimes: Float64Array::new(mtimes),
        source_states: Uint8Array::new(source_states),
        has_digests: Uint8Array::new(has_digests),
        digests,
        statuses: Uint8Array::new(statuses),
        methods: Uint8Array::new(methods),
        failures,
    }
}

fn file_failure(file: usize, destination: i32, f: crate::copy::NativeFailure) -> NativeFileFailure {
    NativeFileFailure {
        file: file as u32,
        destination,
        code: f.code,
        message: f.message,
    }
}

/// The report as columns (its digest bytes moved, not copied), made before JavaScript
/// sees any of it. The jobs are not needed: the files are in their order.
pub fn card_report(r: CopyReport, _jobs: &CardJobs) -> NativeCardReport {
    NativeCardReport {
        status: r.status.as_str().to_string(),
        destinations: r.destinations.iter().map(summary).collect(),
        bytes_read: r.bytes_read as f64,
        pool: pool_stats(&r),
        safe_to_format: r.safe_to_format(),
        files: columns(r.files),
    }
}
