//! Shutterproof core: the byte work behind the Node.js package, with no Node in sight.
//!
//! Every module here is usable and tested on its own with `cargo test`; the napi binding
//! in `crates/node` only converts arguments and results.

pub mod control;
pub mod copy;
pub mod error;
pub mod file_facts;
pub mod freed_memory;
pub mod hash;
pub mod huge_pages;
pub mod io_buffer;
pub mod keys;
pub mod page_cache;
mod read_ahead;
pub mod seal;
mod temp_name;
pub mod xml_tree;

pub use control::{CancelFlag, Control, Progress};
pub use error::{Error, ErrorCode, Result};
