//! Cancellation and progress for long operations.
//!
//! A cancel flag is shared with whoever may abort (the Node binding sets it from an
//! `AbortSignal`); long loops poll it between buffers. Progress is throttled here, in one
//! place, so that no caller can flood the JavaScript event loop with events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// At most this many progress events per second reach the callback (plus the last one).
pub const PROGRESS_EVENTS_PER_SECOND: u32 = 20;

#[derive(Clone, Default, Debug)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    /// `Err(E_ABORTED)` once cancelled: call it between units of work.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::aborted())
        } else {
            Ok(())
        }
    }
}

/// A throttled progress callback receiving the number of bytes done so far.
pub struct Progress<'a> {
    callback: Option<Box<dyn FnMut(u64) + Send + 'a>>,
    interval: Duration,
    last: Option<Instant>,
}

impl<'a> Progress<'a> {
    pub fn none() -> Self {
        Progress {
            callback: None,
            interval: Duration::ZERO,
            last: None,
        }
    }

    pub fn new(callback: impl FnMut(u64) + Send + 'a) -> Self {
        Progress {
            callback: Some(Box::new(callback)),
            interval: Duration::from_secs(1) / PROGRESS_EVENTS_PER_SECOND,
            last: None,
        }
    }

    /// Reports `done` unless an event was sent less than one interval ago.
    pub fn report(&mut self, done: u64) {
        let Some(cb) = self.callback.as_mut() else {
            return;
        };
        let now = Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < self.interval) {
            return;
        }
        self.last = Some(now);
        cb(done);
    }

    /// Reports `done` whatever the throttle says (used for the final figure).
    pub fn finish(&mut self, done: u64) {
        if let Some(cb) = self.callback.as_mut() {
            cb(done);
        }
    }
}

/// What every long operation receives: a way to stop and a way to tell how far it got.
pub struct Control<'a> {
    pub cancel: CancelFlag,
    pub progress: Progress<'a>,
}

impl<'a> Control<'a> {
    pub fn none() -> Self {
        Control {
            cancel: CancelFlag::new(),
            progress: Progress::none(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_throttled_but_finish_always_arrives() {
        let mut seen = Vec::new();
        {
            let mut p = Progress::new(|n| seen.push(n));
            for i in 0..1000 {
                p.report(i);
            }
            p.finish(1000);
        }
        assert_eq!(seen.first(), Some(&0));
        assert_eq!(seen.last(), Some(&1000));
        assert!(seen.len() < 10, "{} events for a burst of 1000", seen.len());
    }

    #[test]
    fn cancel_flag_is_shared() {
        let a = CancelFlag::new();
        let b = a.clone();
        assert!(a.check().is_ok());
        b.cancel();
        assert_eq!(a.check().unwrap_err().code, crate::ErrorCode::Aborted);
    }
}
