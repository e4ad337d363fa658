//! Sealed files: a small authenticated header (one stanza per way to unlock) in front of
//! a Cobblestone-256 payload. `docs/FORMAT.md` is the byte-exact specification.

mod atomic;
pub mod cobblestone;
mod file;
pub mod header;
mod object_name;
pub mod primitives;
mod read_buffer;
mod secrets;
pub mod stanza;
mod stream;
mod verify;

pub(crate) use atomic::AtomicOutput;
pub use file::{
    inspect, inspect_reader, open_bytes, open_file, read_file_range, read_file_range_until, read_range_of,
    seal_bytes, seal_bytes_with, seal_file, FixedRandomness, Inspection, KeySource, SealReport,
};
pub(crate) use file::{open_to_vec, seal_to_vec};
pub use header::{FileKind, Header, Unlock};
pub use object_name::{object_name, ObjectDigest, STORE_NAME_CONTEXT};
pub use secrets::{SealFor, UnlockWith};
pub use stanza::{Stanza, StanzaKind};
pub use stream::{OpeningStream, SealingStream};
pub use verify::{hash_sealed_file, SealedDigests};
