//! What a long task runs with: the cancel flag of its `CancelToken` and its optional JS
//! progress callback, turned into the core's `Control` for the length of the work.

use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use shutterproof_core::{CancelFlag, Control, Progress};

use crate::cancel::CancelToken;
use crate::errors::guard;

/// A JS progress callback `(bytesDone: number) => void`, weak so that it never keeps
/// the event loop alive on its own.
pub type ProgressCallback = ThreadsafeFunction<f64, (), f64, napi::Status, false, true>;

/// Wraps an optional JS callback into the core's throttled `Progress`. Non-blocking:
/// if the queue is full an event is dropped rather than stalling the worker.
fn progress_from(callback: Option<&ProgressCallback>) -> Progress<'_> {
    match callback {
        Some(tsfn) => Progress::new(move |done| {
            tsfn.call(done as f64, ThreadsafeFunctionCallMode::NonBlocking);
        }),
        None => Progress::none(),
    }
}

/// The cancel flag and progress callback of one long task (hash, seal, store).
pub struct TaskControl {
    cancel: CancelFlag,
    on_progress: Option<ProgressCallback>,
}

impl TaskControl {
    pub fn new(cancel: &CancelToken, on_progress: Option<ProgressCallback>) -> Self {
        TaskControl {
            cancel: cancel.flag.clone(),
            on_progress,
        }
    }

    /// Runs `work` with a `Control` made of this task's flag and callback; a panic becomes
    /// `E_INTERNAL`. The callback is taken and released here, on the worker thread,
    /// before the promise settles, so a finished task never holds the event loop open.
    pub fn with_control<T>(
        &mut self,
        work: impl FnOnce(&mut Control) -> shutterproof_core::Result<T>,
    ) -> napi::Result<T> {
        let callback = self.on_progress.take();
        let mut control = Control {
            cancel: self.cancel.clone(),
            progress: progress_from(callback.as_ref()),
        };
        let result = guard(|| work(&mut control));
        drop(control);
        drop(callback);
        result
    }
}
