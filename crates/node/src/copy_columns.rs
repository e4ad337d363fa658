//! A copy report with its files as columns: typed arrays of codes, sizes and digest
//! bytes, failures listed apart. A card of 20,000 files crosses to JavaScript as a dozen
//! arrays rather than 20,000 objects with their strings (issue #18: memory flat in the
//! file count). Files are in the order of the jobs given.

use std::time::UNIX_EPOCH;

use napi::bindgen_prelude::*;
use napi_derive::napi;
use shutterproof_core::copy::{CopyReport, FileReport};
use shutterproof_core::hash::Algorithm;

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

/// Lowercase hex to bytes (the core writes digests as lowercase hex).
fn unhex(hex: &str, out: &mut [u8]) {
    let nibble = |c: u8| match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    };
    for (o, pair) in out.iter_mut().zip(hex.as_bytes().chunks(2)) {
        *o = (nibble(pair[0]) << 4) | pair.get(1).map_or(0, |&c| nibble(c));
    }
}

/// The digests of one algorithm, or None when no file has it.
fn digest_column(files: &[FileReport], algorithm: Algorithm) -> Option<NativeDigestColumn> {
    let width = files
        .iter()
        .find_map(|f| f.digests.as_ref()?.get(algorithm))
        .map(|hex| hex.len() / 2)?;
    let mut bytes = vec![0u8; files.len() * width];
    let mut present = vec![0u8; files.len()];
    for (i, f) in files.iter().enumerate() {
        if let Some(hex) = f.digests.as_ref().and_then(|d| d.get(algorithm)) {
            unhex(hex, &mut bytes[i * width..(i + 1) * width]);
            present[i] = 1;
        }
    }
    Some(NativeDigestColumn {
        algorithm: algorithm.name().to_string(),
        width: width as u32,
        bytes: bytes.into(),
        present: Uint8Array::new(present),
    })
}

fn columns(files: &[FileReport], destinations: usize) -> NativeFileColumns {
    let mut words = Words::default();
    let n = files.len();
    let mut sizes = Vec::with_capacity(n);
    let mut mtimes = Vec::with_capacity(n);
    let mut source_states = Vec::with_capacity(n);
    let mut has_digests = Vec::with_capacity(n);
    let mut statuses = vec![0u8; n * destinations];
    let mut methods = vec![0u8; n * destinations];
    let mut failures = Vec::new();
    for (i, f) in files.iter().enumerate() {
        sizes.push(f.size as f64);
        mtimes.push(
            f.mtime
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        );
        source_states.push(words.code(f.source_state.as_str()));
        has_digests.push(u8::from(f.digests.is_some()));
        if let Some(x) = &f.source_failure {
            failures.push(file_failure(i, -1, failure(x)));
        }
        for (d, r) in f.destinations.iter().enumerate().take(destinations) {
            statuses[i * destinations + d] = words.code(r.status.as_str());
            methods[i * destinations + d] = words.code(r.method.as_str());
            if let Some(x) = &r.failure {
                failures.push(file_failure(i, d as i32, failure(x)));
            }
        }
    }
    NativeFileColumns {
        count: n as u32,
        words: words.0.iter().map(|w| w.to_string()).collect(),
        sizes: Float64Array::new(sizes),
        mtimes: Float64Array::new(mtimes),
        source_states: Uint8Array::new(source_states),
        has_digests: Uint8Array::new(has_digests),
        digests: Algorithm::ALL
            .into_iter()
            .filter_map(|a| digest_column(files, a))
            .collect(),
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

/// The report as columns; `r` is dropped by the caller right after, before JavaScript sees any of it.
pub fn card_report(r: &CopyReport) -> NativeCardReport {
    NativeCardReport {
        status: r.status.as_str().to_string(),
        files: columns(&r.files, r.destinations.len()),
        destinations: r.destinations.iter().map(summary).collect(),
        bytes_read: r.bytes_read as f64,
        pool: pool_stats(r),
        safe_to_format: r.safe_to_format(),
    }
}
