//! A task for short native work with no progress: a closure run on libuv's pool, its
//! panics and errors turned into coded JS errors by `guard`.

use napi::bindgen_prelude::*;
use shutterproof_core::ErrorCode;

use crate::errors::{guard, napi_error};

pub struct WorkTask<T: Send + 'static> {
    work: Option<Box<dyn FnOnce() -> shutterproof_core::Result<T> + Send>>,
}

impl<T: Send + ToNapiValue + TypeName + 'static> Task for WorkTask<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> Result<T> {
        let work = self
            .work
            .take()
            .ok_or_else(|| napi_error(ErrorCode::Internal, "task ran twice"))?;
        guard(work)
    }

    fn resolve(&mut self, _env: Env, output: T) -> Result<T> {
        Ok(output)
    }
}

pub fn task<T: Send + ToNapiValue + TypeName + 'static>(
    work: impl FnOnce() -> shutterproof_core::Result<T> + Send + 'static,
) -> AsyncTask<WorkTask<T>> {
    AsyncTask::new(WorkTask {
        work: Some(Box::new(work)),
    })
}
