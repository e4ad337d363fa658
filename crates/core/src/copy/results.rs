//! A copy's per-file results, held as columns indexed by job: the source's size, time and
//! state, the digests as bytes in one column per algorithm, each destination's status and
//! method in one flat list (file `i` at destination `d` is entry `i * destinations + d`),
//! and failures apart, for the few files that have one. About 80 bytes a file with two
//! algorithms and two destinations, where a `FileReport` per file with its paths, hex
//! strings and a `Vec` of results cost ~600 (issue #18: memory flat in the file count).
//! [`FileResults::get`] gives one file as a [`FileReport`] for callers that want objects.

use std::collections::BTreeMap;
use std::time::SystemTime;

use super::types::{DestinationResult, Failure, FileStatus, SourceState, VerifyMethod};
use crate::hash::{Algorithm, Digests};

/// What the reader saw of one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceRecord {
    /// Size at the start of the read (0 if the source could not be opened or was not reached).
    pub size: u64,
    pub mtime: Option<SystemTime>,
    pub state: SourceState,
}

/// One file's result at one destination, without its failure (see [`FileResults::failure`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: FileStatus,
    pub method: VerifyMethod,
}

/// One algorithm's digests: [`Digests::width`] bytes per file, in job order; zeros for a
/// file without digests (its source state is not `read`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestColumn {
    pub algorithm: Algorithm,
    pub bytes: Vec<u8>,
}

/// The key of a failure: the file, and the destination (`None` for the source).
type FailureKey = (usize, Option<usize>);

/// Every file of one copy, in job order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResults {
    destinations: usize,
    sources: Vec<SourceRecord>,
    digests: Vec<DigestColumn>,
    outcomes: Vec<Outcome>,
    failures: BTreeMap<FailureKey, Failure>,
}

/// One file's results as a value (made on demand from [`FileResults`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// The job's index: its paths are the jobs' `source(index)` and `relative(index)`.
    pub index: usize,
    /// Size at the start of the read (0 if the source could not be opened).
    pub size: u64,
    pub mtime: Option<SystemTime>,
    pub source_state: SourceState,
    pub source_failure: Option<Failure>,
    /// Digests of the bytes read, for the requested algorithms.
    pub digests: Option<Digests>,
    /// One entry per destination, in the order the destinations were given.
    pub destinations: Vec<DestinationResult>,
}

impl FileResults {
    /// `files` files not read yet, at `destinations` destinations, every outcome `aborted`
    /// until set.
    pub(crate) fn new(files: usize, destinations: usize) -> Self {
        FileResults {
            destinations,
            sources: vec![
                SourceRecord {
                    size: 0,
                    mtime: None,
                    state: SourceState::NotRead,
                };
                files
            ],
            digests: Vec::new(),
            outcomes: vec![
                Outcome {
                    status: FileStatus::Aborted,
                    method: VerifyMethod::None,
                };
                files * destinations
            ],
            failures: BTreeMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Number of destinations each file has an outcome for.
    pub fn destinations(&self) -> usize {
        self.destinations
    }

    pub fn source(&self, file: usize) -> &SourceRecord {
        &self.sources[file]
    }

    pub fn outcome(&self, file: usize, dest: usize) -> Outcome {
        self.outcomes[file * self.destinations + dest]
    }

    /// Every outcome, file `i` at destination `d` at `i * destinations() + d`.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// The failure of file `file` at destination `dest`, or of its source (`None`).
    pub fn failure(&self, file: usize, dest: Option<usize>) -> Option<&Failure> {
        self.failures.get(&(file, dest))
    }

    /// Every failure by file, the source's before the destinations'.
    pub fn failures(&self) -> impl Iterator<Item = (usize, Option<usize>, &Failure)> + '_ {
        self.failures.iter().map(|(&(file, dest), f)| (file, dest, f))
    }

    /// The digest columns, one per algorithm computed (none when no file was read).
    pub fn digest_columns(&self) -> &[DigestColumn] {
        &self.digests
    }

    /// Takes the digest columns out (to hand their bytes on without a copy).
    pub fn take_digest_columns(&mut self) -> Vec<DigestColumn> {
        std::mem::take(&mut self.digests)
    }

    /// Whether `file` has digests: only a source read whole has them.
    pub fn has_digests(&self, file: usize) -> bool {
        self.sources[file].state == SourceState::Read
    }

    /// The digests of `file`, when its source was read whole.
    pub fn digests(&self, file: usize) -> Option<Digests> {
        if !self.has_digests(file) {
            return None;
        }
        let mut d = Digests::default();
        for c in &self.digests {
            let w = Digests::width(c.algorithm);
            d.set(c.algorithm, &c.bytes[file * w..(file + 1) * w]);
        }
        Some(d)
    }

    pub fn result(&self, file: usize, dest: usize) -> DestinationResult {
        let o = self.outcome(file, dest);
        DestinationResult {
            status: o.status,
            method: o.method,
            failure: self.failure(file, Some(dest)).cloned(),
        }
    }

    /// File `file` as a value.
    pub fn get(&self, file: usize) -> FileReport {
        let s = &self.sources[file];
        FileReport {
            index: file,
            size: s.size,
            mtime: s.mtime,
            source_state: s.state,
            source_failure: self.failure(file, None).cloned(),
            digests: self.digests(file),
            destinations: (0..self.destinations).map(|d| self.result(file, d)).collect(),
        }
    }

    /// Every file as a value, in job order.
    pub fn iter(&self) -> impl Iterator<Item = FileReport> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    pub(crate) fn set_source(&mut self, file: usize, record: SourceRecord) {
        self.sources[file] = record;
    }

    pub(crate) fn set_source_failure(&mut self, file: usize, failure: Failure) {
        self.failures.insert((file, None), failure);
    }

    /// Stores `digests` as bytes in each algorithm's column (made on first use).
    pub(crate) fn set_digests(&mut self, file: usize, digests: &Digests) {
        let files = self.len();
        for (algorithm, bytes) in digests.iter() {
            let w = bytes.len();
            let column = match self.digests.iter().position(|c| c.algorithm == algorithm) {
                Some(at) => &mut self.digests[at],
                None => {
                    self.digests.push(DigestColumn {
                        algorithm,
                        bytes: vec![0; files * w],
                    });
                    self.digests.last_mut().expect("just pushed")
                }
            };
            column.bytes[file * w..(file + 1) * w].copy_from_slice(bytes);
        }
    }

    /// Sets file `file`'s result at `dest`, replacing any earlier one and its failure.
    pub(crate) fn set_result(&mut self, file: usize, dest: usize, result: DestinationResult) {
        self.outcomes[file * self.destinations + dest] = Outcome {
            status: result.status,
            method: result.method,
        };
        match result.failure {
            Some(f) => self.failures.insert((file, Some(dest)), f),
            None => self.failures.remove(&(file, Some(dest))),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::hash::MultiHasher;

    #[test]
    fn a_file_reads_back_as_it_was_recorded_and_a_later_result_replaces_its_failure() {
        let mut r = FileResults::new(2, 2);
        let digests = {
            let mut h = MultiHasher::new(&[Algorithm::Blake3, Algorithm::Xxh128]);
            h.update(b"x");
            h.finalize()
        };
        r.set_digests(1, &digests);
        r.set_source(
            1,
            SourceRecord {
                size: 1,
                mtime: None,
                state: SourceState::Read,
            },
        );
        r.set_result(
            1,
            0,
            DestinationResult::ok(FileStatus::Verified, VerifyMethod::DiskDirect),
        );
        let fail = Failure::new(ErrorCode::NoSpace, "full");
        r.set_result(1, 1, DestinationResult::failed(fail.clone()));
        assert_eq!(r.get(1).destinations[1].failure, Some(fail.clone()));
        assert_eq!(r.failures().collect::<Vec<_>>(), [(1, Some(1), &fail)]);
        r.set_result(1, 1, DestinationResult::aborted());
        assert_eq!(r.failures().count(), 0);

        let f = r.get(1);
        assert_eq!((f.index, f.size, f.digests), (1, 1, Some(digests)));
        assert_eq!(
            f.destinations[0],
            DestinationResult::ok(FileStatus::Verified, VerifyMethod::DiskDirect)
        );
        // File 0 was never read: no digests, though its column slots exist.
        assert_eq!(r.get(0).digests, None);
        assert_eq!(r.digest_columns().len(), 2);
        assert!(r
            .digest_columns()
            .iter()
            .all(|c| c.bytes.len() == 2 * Digests::width(c.algorithm)));
    }
}
