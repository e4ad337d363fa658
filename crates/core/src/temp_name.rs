//! Temporary names that fit the file system's limit on a name's length.
//!
//! A temporary name is the final name with a hidden-file dot in front and a tail behind
//! (`.IMG_0001.CR3.sp-partial`). For a final name close to the limit (255 bytes on ext4,
//! XFS, APFS, exFAT…) that is too long, and the copy could never be made. Such a name is
//! shortened instead: as much of the final name as fits, a `~`, and 16 hex digits of its
//! BLAKE3 (so two long names sharing a prefix still get different temporaries). It keeps
//! the dot and the tail, so whatever recognises leftovers by those finds it again.

use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

/// The longest name (in bytes) assumed when the file system does not say: Linux's NAME_MAX.
pub const DEFAULT_NAME_MAX: usize = 255;
/// Hex digits of the name's hash kept in a shortened name.
const HASH_HEX: usize = 16;

/// The longest file name `dir`'s file system accepts, in bytes (`pathconf(_PC_NAME_MAX)`),
/// never more than 255 (some file systems count UTF-16 units, not bytes); 255 when unknown.
pub fn name_max(dir: &Path) -> usize {
    let Ok(c) = CString::new(dir.as_os_str().as_bytes()) else {
        return DEFAULT_NAME_MAX;
    };
    // SAFETY: `c` is a valid NUL-terminated path for the duration of the call.
    let n = unsafe { libc::pathconf(c.as_ptr(), libc::_PC_NAME_MAX) };
    if n <= 0 {
        DEFAULT_NAME_MAX
    } else {
        (n as usize).min(DEFAULT_NAME_MAX)
    }
}

/// `.` + `name` + `tail`, shortened (see the module) to at most `max` bytes.
pub fn temp_name(name: &OsStr, tail: &str, max: usize) -> OsString {
    let bytes = name.as_bytes();
    let whole = 1 + bytes.len() + tail.len();
    let mut out = Vec::with_capacity(whole.min(max));
    out.push(b'.');
    if whole <= max {
        out.extend_from_slice(bytes);
    } else {
        let room = max.saturating_sub(1 + 1 + HASH_HEX + tail.len());
        out.extend_from_slice(prefix_at_boundary(bytes, room));
        out.push(b'~');
        out.extend_from_slice(&blake3::hash(bytes).to_hex().as_bytes()[..HASH_HEX]);
    }
    out.extend_from_slice(tail.as_bytes());
    OsString::from_vec(out)
}

/// The first `room` bytes at most, cut before a UTF-8 sequence rather than inside one (a
/// name that was valid UTF-8 stays valid: exFAT and FAT mounts refuse broken sequences).
fn prefix_at_boundary(bytes: &[u8], room: usize) -> &[u8] {
    if bytes.len() <= room {
        return bytes;
    }
    let mut end = room;
    while end > 0 && (bytes[end] & 0b1100_0000) == 0b1000_0000 {
        end -= 1;
    }
    &bytes[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_kept_and_long_ones_fit_distinct_and_valid_utf8() {
        assert_eq!(
            temp_name(OsStr::new("IMG_0001.CR3"), ".sp-partial", 255),
            OsStr::new(".IMG_0001.CR3.sp-partial")
        );
        // 255 bytes of "é" (2 bytes each) and one ASCII byte: the cut falls mid-character.
        let long = format!("{}x", "é".repeat(127));
        assert_eq!(long.len(), 255);
        let other = format!("{}y", "é".repeat(127));
        let a = temp_name(OsStr::new(&long), ".sp-partial", 255);
        let b = temp_name(OsStr::new(&other), ".sp-partial", 255);
        assert!(a.len() <= 255 && b.len() <= 255, "{} {}", a.len(), b.len());
        assert_ne!(a, b);
        let s = a.to_str().expect("still UTF-8");
        assert!(s.starts_with(".éé") && s.ends_with(".sp-partial") && s.contains('~'));
        // Exactly at the limit stays as is; one byte over is shortened.
        let fits = "a".repeat(255 - 1 - ".sp-partial".len());
        assert_eq!(temp_name(OsStr::new(&fits), ".sp-partial", 255).len(), 255);
        assert!(temp_name(OsStr::new(&format!("{fits}a")), ".sp-partial", 255)
            .to_str()
            .unwrap()
            .contains('~'));
        // A smaller limit (eCryptfs: 143) is honoured too.
        assert!(temp_name(OsStr::new(&long), ".sp-partial", 143).len() <= 143);
    }

    #[test]
    fn name_max_is_read_from_the_file_system() {
        let dir = tempfile::tempdir().unwrap();
        let n = name_max(dir.path());
        assert!((14..=255).contains(&n), "{n}");
        assert_eq!(name_max(Path::new("/no/such/folder")), DEFAULT_NAME_MAX);
    }
}
