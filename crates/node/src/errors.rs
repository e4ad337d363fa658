//! Core errors cross into JavaScript as `Error`s whose message starts with the stable
//! code (`E_ABORTED: …`); `lib/errors.ts` turns that into a typed error with `err.code`.
//! (`Task::compute` can only carry napi `Status` values, not our own codes.)

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::{Error, Status};

pub fn to_napi(err: shutterproof_core::Error) -> Error {
    Error::new(Status::GenericFailure, err.to_string())
}

/// Runs native work so that a Rust panic becomes a rejected promise, never a crashed
/// Node process.
pub fn guard<T>(work: impl FnOnce() -> shutterproof_core::Result<T>) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(work)) {
        Ok(result) => result.map_err(to_napi),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Err(Error::new(
                Status::GenericFailure,
                format!("E_INTERNAL: internal error ({what}); please report it"),
            ))
        }
    }
}
