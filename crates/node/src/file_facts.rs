//! `lstat` of a batch of paths on libuv's pool, packed (see `shutterproof_core::file_facts`).

use napi::bindgen_prelude::*;
use napi_derive::napi;
use shutterproof_core::file_facts;

use crate::task::{task, WorkTask};

/// For each path, four numbers: kind (0 error, 1 file, 2 folder, 3 symlink, 4 other),
/// size, modification time in ms (as `Stats.mtimeMs`), errno (0 unless kind is 0).
#[napi(ts_return_type = "Promise<Float64Array>")]
pub fn native_lstat_many(paths: Vec<String>) -> AsyncTask<WorkTask<Float64Array>> {
    task(move || Ok(Float64Array::new(file_facts::lstat_many(&paths))))
}
