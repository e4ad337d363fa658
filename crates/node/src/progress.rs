use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use shutterproof_core::Progress;

/// A JS progress callback `(bytesDone: number) => void`, weak so that it never keeps
/// the event loop alive on its own.
pub type ProgressCallback = ThreadsafeFunction<f64, (), f64, napi::Status, false, true>;

/// Wraps an optional JS callback into the core's throttled `Progress`. Non-blocking:
/// if the queue is full an event is dropped rather than stalling the worker.
pub fn progress_from(callback: Option<&ProgressCallback>) -> Progress<'_> {
    match callback {
        Some(tsfn) => Progress::new(move |done| {
            tsfn.call(done as f64, ThreadsafeFunctionCallMode::NonBlocking);
        }),
        None => Progress::none(),
    }
}
