//! Core errors cross into JavaScript as `Error`s whose message starts with the stable
//! code (`E_ABORTED: …`); `lib/errors.ts` turns that into a typed error with `err.code`.
//! (`Task::compute` can only carry napi `Status` values, not our own codes.)

use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::{Error, Status};
use shutterproof_core::ErrorCode;

pub fn to_napi(err: shutterproof_core::Error) -> Error {
    Error::new(Status::GenericFailure, err.to_string())
}

/// An error of the binding's own (a closed vault, a task run twice), coded like the core's.
pub fn napi_error(code: ErrorCode, message: impl Into<String>) -> Error {
    to_napi(shutterproof_core::Error::new(code, message))
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
            Err(napi_error(
                ErrorCode::Internal,
                format!("internal error ({what}); please report it"),
            ))
        }
    }
}
