//! Writing a file so that it appears complete or not at all: write to a temporary name in
//! the destination folder, fsync, rename onto the final name, fsync the folder. Dropping
//! an uncommitted output removes the temporary file, so an error or a cancel leaves
//! nothing behind.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::primitives::random_array;
use crate::error::{Error, ErrorCode, Result};
use crate::temp_name::{name_max, temp_name};

pub(crate) struct AtomicOutput {
    temp: PathBuf,
    dst: PathBuf,
    file: Option<File>,
    overwrite: bool,
}

fn exists_error(dst: &Path) -> Error {
    Error::new(
        ErrorCode::Exists,
        format!(
            "{}: already exists; choose another name or ask to overwrite",
            dst.display()
        ),
    )
    .with_path(dst)
}

impl AtomicOutput {
    /// An output readable as the umask allows (0666 & !umask), like any new file.
    pub fn create(dst: &Path, overwrite: bool) -> Result<Self> {
        Self::create_with_mode(dst, overwrite, 0o666)
    }

    /// An output only its owner may read or write (0600, never more): for files
    /// that hold secrets (vault key files).
    pub fn create_private(dst: &Path, overwrite: bool) -> Result<Self> {
        Self::create_with_mode(dst, overwrite, 0o600)
    }

    fn create_with_mode(dst: &Path, overwrite: bool, mode: u32) -> Result<Self> {
        match std::fs::symlink_metadata(dst) {
            Ok(meta) if meta.is_dir() => {
                return Err(Error::io(
                    std::io::Error::from(std::io::ErrorKind::IsADirectory),
                    dst,
                ))
            }
            Ok(_) if !overwrite => return Err(exists_error(dst)),
            _ => {}
        }
        let name = dst
            .file_name()
            .ok_or_else(|| Error::invalid(format!("{}: not a file name", dst.display())))?;
        let suffix = hex::encode(random_array::<8>()?);
        let dir = match dst.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let temp = dst.with_file_name(temp_name(name, &format!(".{suffix}.sptmp"), name_max(dir)));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&temp)
            .map_err(|e| Error::io(e, &temp))?;
        Ok(AtomicOutput {
            temp,
            dst: dst.to_path_buf(),
            file: Some(file),
            overwrite,
        })
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let file = self.file.as_mut().expect("open until commit");
        file.write_all(bytes).map_err(|e| Error::io(e, &self.temp))
    }

    /// fsync, rename to the final name (refusing to replace unless asked), fsync the folder.
    pub fn commit(mut self) -> Result<()> {
        let file = self.file.take().expect("open until commit");
        file.sync_all().map_err(|e| Error::io(e, &self.temp))?;
        drop(file);
        if self.overwrite {
            std::fs::rename(&self.temp, &self.dst).map_err(|e| Error::io(e, &self.dst))?;
        } else {
            rename_no_replace(&self.temp, &self.dst)?;
        }
        // Renamed: nothing to clean up any more, even if the folder fsync fails.
        self.temp = PathBuf::new();
        sync_parent(&self.dst)
    }
}

impl Drop for AtomicOutput {
    fn drop(&mut self) {
        if !self.temp.as_os_str().is_empty() {
            self.file.take();
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// A rename that fails if `dst` appeared meanwhile. A hard link is atomic and never
/// replaces; file systems without hard links (FAT, exFAT) fall back to check-then-rename.
fn rename_no_replace(temp: &Path, dst: &Path) -> Result<()> {
    match std::fs::hard_link(temp, dst) {
        Ok(()) => {
            let _ = std::fs::remove_file(temp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(exists_error(dst)),
        Err(_) => {
            if dst.exists() {
                return Err(exists_error(dst));
            }
            std::fs::rename(temp, dst).map_err(|e| Error::io(e, dst))
        }
    }
}

pub(crate) fn sync_parent(path: &Path) -> Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let dir = File::open(parent).map_err(|e| Error::io(e, parent))?;
    dir.sync_all().map_err(|e| Error::io(e, parent))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_output_leaves_nothing_and_commit_refuses_to_replace() {
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join("out.bin");
        let mut out = AtomicOutput::create(&dst, false).unwrap();
        out.write_all(b"partial").unwrap();
        drop(out);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);

        let mut out = AtomicOutput::create(&dst, false).unwrap();
        out.write_all(b"one").unwrap();
        std::fs::write(&dst, b"raced").unwrap();
        assert_eq!(out.commit().unwrap_err().code, ErrorCode::Exists);
        assert_eq!(std::fs::read(&dst).unwrap(), b"raced");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

        assert_eq!(
            AtomicOutput::create(&dst, false).err().unwrap().code,
            ErrorCode::Exists
        );
        let mut out = AtomicOutput::create(&dst, true).unwrap();
        out.write_all(b"two").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(&dst).unwrap(), b"two");
    }

    #[test]
    fn a_255_byte_final_name_gets_a_temporary_name_that_fits() {
        let dir = tempfile::tempdir().unwrap();
        let dst = dir.path().join(format!("{}.sealed", "n".repeat(248)));
        let mut out = AtomicOutput::create(&dst, false).unwrap();
        let temp = out.temp.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(
            temp.len() <= 255 && temp.starts_with('.') && temp.ends_with(".sptmp"),
            "{temp}"
        );
        out.write_all(b"sealed").unwrap();
        out.commit().unwrap();
        assert_eq!(std::fs::read(&dst).unwrap(), b"sealed");
    }
}
