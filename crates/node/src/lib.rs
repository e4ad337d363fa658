//! Node.js binding for `shutterproof-core`: argument conversion, async tasks, progress
//! callbacks and error codes. No logic lives here; see `crates/core`.

mod allocator;
mod cancel;
mod copy;
mod copy_columns;
mod errors;
mod file_facts;
mod hash;
mod keys;
mod progress;
mod seal;
mod store;
mod task;
mod xml_tree;

pub use cancel::CancelToken;
