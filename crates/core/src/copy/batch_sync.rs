//! One `syncfs` for a batch of small files instead of one `fsync` each.
//!
//! On ext4 every `fsync` of a new file commits the journal and flushes the device's
//! write cache: a few milliseconds each on the machines we measured, which is what a card
//! of thousands of small files waits for (docs/COPY-ENGINE.md, "Small files"). `syncfs`
//! writes back and commits everything dirty on the file system once, so a batch of 64
//! temporary files becomes durable (data, size, times) with one commit and one flush.
//!
//! Allowed only where `syncfs` is known to be as strong as `fsync` for our files and to
//! report their write-back errors:
//! * Linux 5.8 or newer: `syncfs` returns write-back errors recorded on the file system
//!   since the descriptor was opened (before 5.8 it returned 0 even when write-back
//!   failed). The descriptor is opened when the copy starts, before any file is written,
//!   so no error of ours can predate it. An error from another program's file on the same
//!   file system fails the destination too: wrong in our disfavour, never in our favour.
//! * ext4, XFS, btrfs, f2fs: local file systems whose `sync_fs` commits their journal or
//!   tree. Elsewhere (FAT, exFAT, FUSE, network file systems) every file keeps its own
//!   `fsync`.
//!
//! The cost: `syncfs` also writes back other programs' dirty data on that file system.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

const EXT4_MAGIC: i64 = 0xEF53;
const XFS_MAGIC: i64 = 0x5846_5342;
const BTRFS_MAGIC: i64 = 0x9123_683E;
const F2FS_MAGIC: i64 = 0xF2F5_2010;

/// A descriptor on a destination's file system, opened before any file is written there,
/// for `syncfs`; `None` where each file must be synced on its own.
pub(crate) struct FsSync {
    file: File,
}

impl FsSync {
    /// For the destination `root` (or its nearest existing folder: the root may not exist
    /// yet). `None` when the kernel or the file system does not qualify.
    pub(crate) fn open(root: &Path) -> Option<FsSync> {
        if !kernel_reports_syncfs_errors() {
            return None;
        }
        let dir = root.ancestors().find(|p| p.is_dir())?;
        let file = File::open(dir).ok()?;
        qualifies(&file).then_some(FsSync { file })
    }

    /// Writes back and commits everything dirty on the file system; an error means some
    /// write-back on it failed since the copy started.
    pub(crate) fn sync(&self) -> io::Result<()> {
        // SAFETY: plain syscall on a valid descriptor.
        if unsafe { libc::syncfs(self.file.as_raw_fd()) } == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
}

fn qualifies(file: &File) -> bool {
    // SAFETY: fstatfs fills a plain C struct; zeroed is a valid initial value.
    let mut s: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: valid descriptor and out pointer.
    if unsafe { libc::fstatfs(file.as_raw_fd(), &mut s) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)] // f_type's type differs between targets
    let kind = s.f_type as i64;
    matches!(kind, EXT4_MAGIC | XFS_MAGIC | BTRFS_MAGIC | F2FS_MAGIC)
}

/// Linux 5.8 or newer (`uname` release "major.minor…").
fn kernel_reports_syncfs_errors() -> bool {
    // SAFETY: uname fills a plain C struct; zeroed is a valid initial value.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: valid out pointer.
    if unsafe { libc::uname(&mut u) } != 0 {
        return false;
    }
    // SAFETY: uname NUL-terminates `release`.
    let release = unsafe { CStr::from_ptr(u.release.as_ptr()) }.to_string_lossy();
    release_at_least(&release, (5, 8))
}

fn release_at_least(release: &str, want: (u32, u32)) -> bool {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok());
    match (next(), next()) {
        (Some(major), Some(minor)) => (major, minor) >= want,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_releases_compare_by_major_then_minor() {
        assert!(release_at_least("6.18.44-fc-v669", (5, 8)));
        assert!(release_at_least("5.8.0", (5, 8)));
        assert!(release_at_least("5.10.0-28-amd64", (5, 8)));
        assert!(!release_at_least("5.4.0-150-generic", (5, 8)));
        assert!(!release_at_least("4.19.0", (5, 8)));
        assert!(!release_at_least("garbage", (5, 8)));
    }

    #[test]
    fn a_missing_root_is_judged_by_its_nearest_existing_folder() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("not/yet/there");
        // Whether it qualifies depends on where the temp dir lives; it must not fail.
        if let Some(s) = FsSync::open(&deep) {
            s.sync().unwrap();
        }
    }
}
