//! The verifier (one per destination): reads back, in order, the files its finisher made
//! durable, and compares them with the source's digests. Running apart from the writer
//! lets the disk read file N back while file N + 1 is written and synced, instead of one
//! after the other. The read-back itself (O_DIRECT or evicted cache) is in `verify.rs`.

use std::fs;
use std::path::Path;
use std::sync::mpsc::{Receiver, Sender};

use super::shared::{report, Committed, Shared, ToCoordinator};
use super::types::{DestinationResult, Failure, FileStatus, VerifyMethod, VerifyMode};
use super::verify::{digests_match, read_back, ReadBackBuffers};
use crate::error::{Error, ErrorCode};

/// Reads back, in order, the files the finisher made durable (a bounded queue of names).
pub(crate) fn run_verifier(
    shared: &Shared,
    d: usize,
    rx: Receiver<Committed>,
    to_coord: Sender<ToCoordinator>,
) {
    let mut buffers = ReadBackBuffers::new();
    for c in rx {
        // Already complete and durable under its final name: cancelling only skips the check.
        let result = if shared.cancel.is_cancelled() {
            DestinationResult::ok(FileStatus::Copied, VerifyMethod::None)
        } else {
            verify(shared, d, &c, &mut buffers)
        };
        report(&to_coord, c.meta.index, d, result);
    }
}

fn verify(shared: &Shared, d: usize, c: &Committed, buffers: &mut ReadBackBuffers) -> DestinationResult {
    let opts = shared.options;
    let path = &c.final_path;
    match opts.verify {
        VerifyMode::Source => DestinationResult::ok(FileStatus::Copied, VerifyMethod::None),
        VerifyMode::Size => match fs::metadata(path) {
            Ok(m) if m.len() == c.meta.size => DestinationResult::ok(FileStatus::Copied, VerifyMethod::Size),
            Ok(m) => mismatch(
                path,
                &format!("{} bytes on disk, {} expected", m.len(), c.meta.size),
            ),
            Err(e) => DestinationResult::failed(Failure::from(Error::io(e, path))),
        },
        VerifyMode::Destination => {
            let hook = opts.hooks.before_verify_read.clone();
            let mut before = |m| {
                if let Some(h) = &hook {
                    h(d, path, m);
                }
            };
            match read_back(
                path,
                &opts.algorithms,
                opts.direct_io,
                &shared.cancel,
                &mut before,
                buffers,
            ) {
                Ok(b) if digests_match(&b.digests, &c.digests) => {
                    DestinationResult::ok(FileStatus::Verified, b.method)
                }
                Ok(b) => mismatch(
                    path,
                    &format!(
                        "read back ({}) it does not match the source hash",
                        b.method.as_str()
                    ),
                ),
                Err(e) if e.code == ErrorCode::Aborted => {
                    DestinationResult::ok(FileStatus::Copied, VerifyMethod::None)
                }
                Err(e) => DestinationResult::failed(Failure::from(e)),
            }
        }
    }
}

/// A copy that does not match must not sit under a final name looking finished.
fn mismatch(path: &Path, why: &str) -> DestinationResult {
    let removed = fs::remove_file(path).is_ok();
    DestinationResult::failed(Failure::new(
        ErrorCode::VerifyMismatch,
        format!(
            "{}: {why}; the drive may be failing. {} copy again, preferably to another drive",
            path.display(),
            if removed {
                "The bad copy was removed;"
            } else {
                "Remove the bad copy and"
            }
        ),
    ))
}
