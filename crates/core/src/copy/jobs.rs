//! What a copy copies: files by index, each a source path and a path relative to every
//! destination root. The engine asks for one file's paths when it needs them instead of
//! holding two `PathBuf`s per file for the whole run: a card of 20,000 files given as
//! [`CardJobs`] costs its names once, in one string (issue #18: memory flat in the file
//! count).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use super::types::CopyJob;

/// The files of one copy, in the order they are copied and reported.
pub trait Jobs: Sync {
    fn len(&self) -> usize;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The file to read for job `i`.
    fn source(&self, i: usize) -> Cow<'_, Path>;

    /// Where job `i` goes under each destination root: plain components only (the
    /// engine refuses anything else before it copies).
    fn relative(&self, i: usize) -> &Path;
}

impl Jobs for [CopyJob] {
    fn len(&self) -> usize {
        <[CopyJob]>::len(self)
    }

    fn source(&self, i: usize) -> Cow<'_, Path> {
        Cow::Borrowed(&self[i].source)
    }

    fn relative(&self, i: usize) -> &Path {
        &self[i].relative
    }
}

impl Jobs for Vec<CopyJob> {
    fn len(&self) -> usize {
        self.as_slice().len()
    }

    fn source(&self, i: usize) -> Cow<'_, Path> {
        self.as_slice().source(i)
    }

    fn relative(&self, i: usize) -> &Path {
        self.as_slice().relative(i)
    }
}

impl<J: Jobs + ?Sized> Jobs for &J {
    fn len(&self) -> usize {
        (**self).len()
    }

    fn source(&self, i: usize) -> Cow<'_, Path> {
        (**self).source(i)
    }

    fn relative(&self, i: usize) -> &Path {
        (**self).relative(i)
    }
}

/// Every file of a card (or any folder): job `i` copies `root/name_i` to `name_i` under
/// each destination. The names stay in the one string they came in, NUL between them
/// (no file name holds a NUL), plus one offset per file.
#[derive(Debug, Clone)]
pub struct CardJobs {
    root: PathBuf,
    names: String,
    /// Where each name ends in `names` (a JavaScript string, far below 4 GiB).
    ends: Vec<u32>,
}

impl CardJobs {
    /// `joined` is the relative names separated by NUL; an empty string is no file.
    pub fn new(root: impl Into<PathBuf>, joined: String) -> Self {
        let mut ends = Vec::new();
        if !joined.is_empty() {
            // Counted first: the list is made at its final size, not grown by doubling.
            ends.reserve_exact(joined.bytes().filter(|&b| b == 0).count() + 1);
            let at = |i: usize| u32::try_from(i).expect("a JavaScript string is shorter than 4 GiB");
            ends.extend(joined.match_indices('\0').map(|(i, _)| at(i)));
            ends.push(at(joined.len()));
        }
        CardJobs {
            root: root.into(),
            names: joined,
            ends,
        }
    }

    fn name(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize + 1 };
        &self.names[start..self.ends[i] as usize]
    }
}

impl Jobs for CardJobs {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn source(&self, i: usize) -> Cow<'_, Path> {
        Cow::Owned(self.root.join(self.name(i)))
    }

    fn relative(&self, i: usize) -> &Path {
        Path::new(self.name(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_jobs_split_on_nul_and_join_the_root() {
        let jobs = CardJobs::new("/card", "DCIM/A.JPG\0B.JPG\0C D/é.CR3".to_string());
        assert_eq!(Jobs::len(&jobs), 3);
        let rel: Vec<&Path> = (0..3).map(|i| jobs.relative(i)).collect();
        assert_eq!(
            rel,
            [
                Path::new("DCIM/A.JPG"),
                Path::new("B.JPG"),
                Path::new("C D/é.CR3")
            ]
        );
        assert_eq!(jobs.source(2), Path::new("/card/C D/é.CR3"));
        assert!(CardJobs::new("/card", String::new()).is_empty());
        // An empty name stays a job (the engine refuses it, naming the card).
        let odd = CardJobs::new("/card", "A\0".to_string());
        assert_eq!((Jobs::len(&odd), odd.relative(1)), (2, Path::new("")));
    }
}
