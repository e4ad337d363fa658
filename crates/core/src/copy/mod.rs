//! The verified copy engine: read each source once, fan the same buffers out to every
//! destination, hash inline, make each copy durable under a temporary name, rename it,
//! and read it back from the disk. See `docs/COPY-ENGINE.md` for the design.

mod batch_sync;
mod direct;
mod engine;
mod finisher;
mod jobs;
mod lanes;
mod partial;
mod pool;
mod preflight;
mod reader;
mod results;
mod shared;
mod types;
mod verifier;
pub(crate) mod verify;
mod writer;

pub use engine::copy_files;
pub use jobs::{CardJobs, Jobs};
pub use partial::{find_partials, is_partial_name, partial_path, remove_stale_partials, PARTIAL_SUFFIX};
pub use results::{DigestColumn, FileReport, FileResults, Outcome, SourceRecord};
pub use types::*;
pub use verify::{is_identical, is_identical_hex, resident_pages};
