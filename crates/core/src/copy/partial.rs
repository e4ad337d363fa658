//! Temporary names. A file is written as `.<name>.sp-partial` beside its final name and
//! renamed only once it is complete and durable, so a half-written file can never be
//! mistaken for a finished one, and a later run can find and remove leftovers. A name too
//! long for that is shortened (see `temp_name`), keeping the dot and the suffix, so a
//! later run finds its leftovers all the same.

use std::ffi::OsStr;
use std::fs;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::temp_name::{name_max, temp_name};

pub const PARTIAL_SUFFIX: &str = ".sp-partial";

/// `dir/.name.sp-partial` for `dir/name`, shortened when that exceeds the name limit of
/// `dir`'s file system.
pub fn partial_path(final_path: &Path) -> PathBuf {
    let name = final_path.file_name().unwrap_or_default();
    let dir = match final_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    final_path.with_file_name(temp_name(name, PARTIAL_SUFFIX, name_max(dir)))
}

/// True for names this engine writes and never leaves behind on success.
pub fn is_partial_name(name: &OsStr) -> bool {
    let b = name.as_bytes();
    b.len() > 1 + PARTIAL_SUFFIX.len() && b.starts_with(b".") && b.ends_with(PARTIAL_SUFFIX.as_bytes())
}

/// Removes every `.*.sp-partial` file under `root` (recursively, not following symbolic
/// links) left by an interrupted copy, and returns their paths. Call before resuming.
pub fn remove_stale_partials(root: &Path) -> Result<Vec<PathBuf>> {
    let mut removed = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| Error::io(e, &dir))? {
            let entry = entry.map_err(|e| Error::io(e, &dir))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| Error::io(e, &path))?;
            if kind.is_dir() {
                pending.push(path);
            } else if kind.is_file() && is_partial_name(&entry.file_name()) {
                match fs::remove_file(&path) {
                    Ok(()) => removed.push(path),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::io(e, &path)),
                }
            }
        }
    }
    removed.sort();
    Ok(removed)
}

/// Every partial file under `root`, without removing anything (for tests and reports).
pub fn find_partials(root: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| Error::io(e, &dir))? {
            let entry = entry.map_err(|e| Error::io(e, &dir))?;
            let kind = entry.file_type().map_err(|e| Error::io(e, &entry.path()))?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if is_partial_name(&entry.file_name()) {
                found.push(entry.path());
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_names_are_hidden_recognisable_and_stale_ones_are_removed() {
        let p = partial_path(Path::new("/d/IMG_0001.CR3"));
        assert_eq!(p, Path::new("/d/.IMG_0001.CR3.sp-partial"));
        assert!(is_partial_name(p.file_name().unwrap()));
        assert!(!is_partial_name(OsStr::new(".sp-partial")));
        assert!(!is_partial_name(OsStr::new("IMG.sp-partial")));

        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("a/b")).unwrap();
        fs::write(dir.path().join("a/b/.x.jpg.sp-partial"), b"half").unwrap();
        fs::write(dir.path().join("a/x.jpg"), b"whole").unwrap();
        let removed = remove_stale_partials(dir.path()).unwrap();
        assert_eq!(removed, vec![dir.path().join("a/b/.x.jpg.sp-partial")]);
        assert!(dir.path().join("a/x.jpg").exists());
        assert!(find_partials(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn a_255_byte_name_gets_a_partial_name_that_fits_and_is_found_again() {
        let dir = tempfile::tempdir().unwrap();
        let name = format!("{}.CR3", "L".repeat(251));
        assert_eq!(name.len(), 255);
        let p = partial_path(&dir.path().join(&name));
        assert!(p.file_name().unwrap().len() <= 255);
        assert!(is_partial_name(p.file_name().unwrap()));
        fs::write(&p, b"half").unwrap();
        fs::write(dir.path().join(&name), b"whole").unwrap();
        assert_eq!(find_partials(dir.path()).unwrap(), vec![p.clone()]);
        assert_eq!(remove_stale_partials(dir.path()).unwrap(), vec![p]);
        assert!(dir.path().join(&name).exists());
    }
}
