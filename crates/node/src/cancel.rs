use napi_derive::napi;
use shutterproof_core::CancelFlag;

/// A cancellation flag shared with a running native task. The TypeScript layer calls
/// `cancel()` from an `AbortSignal`'s abort event: napi's own signal support only stops
/// a task that has not started yet.
#[napi]
#[derive(Default)]
pub struct CancelToken {
    pub(crate) flag: CancelFlag,
}

#[napi]
impl CancelToken {
    #[napi(constructor)]
    pub fn new() -> Self {
        Self::default()
    }

    #[napi]
    pub fn cancel(&self) {
        self.flag.cancel();
    }

    #[napi(getter)]
    pub fn cancelled(&self) -> bool {
        self.flag.is_cancelled()
    }
}
