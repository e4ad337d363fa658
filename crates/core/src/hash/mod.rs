//! Hashing: BLAKE3 first, plus the algorithms ASC MHL and existing tools need, all fed
//! from one read of the data.

mod algorithm;
mod file;
mod keyed;
mod multi;

pub use algorithm::Algorithm;
pub use file::{hash_file, FileDigests};
pub use keyed::{derive_key, keyed_hash, KEY_LEN};
pub use multi::{Digests, MultiHasher};
