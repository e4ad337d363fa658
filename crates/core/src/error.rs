//! One error type for the core, carrying a stable code that the TypeScript layer maps to
//! its typed errors. The code travels across napi inside the message (`CODE: text`)
//! because `Task::compute` can only return napi `Status` values.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Stable error codes. File-system codes keep Node's own names so that callers who
/// already switch on `err.code === 'ENOENT'` keep working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    NotFound,
    IsDirectory,
    PermissionDenied,
    NoSpace,
    ReadOnly,
    Aborted,
    InvalidArgument,
    Io,
    Internal,
    /// A source file changed (size, mtime, inode or length) while it was being copied.
    SourceChanged,
    /// A destination read back from disk does not match the hash taken from the source.
    VerifyMismatch,
    /// A different file already exists under the destination name; nothing is overwritten.
    Exists,
    /// A sealed file (or a chunk of it) failed authentication: modified or damaged.
    Auth,
    /// A sealed file or stream ends early, or has bytes after its end.
    Truncated,
    /// The key offered is not one this file was sealed for.
    WrongKey,
    /// The passphrase does not unlock this file or vault.
    BadPassphrase,
    /// Recovery words that are mistyped (unknown word or failed checksum).
    BadRecoveryKey,
    /// Not a sealed file, or a version or stanza this build does not know.
    Format,
    /// A header asks for key-derivation costs above our caps (refused before allocating).
    KdfLimit,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "ENOENT",
            ErrorCode::IsDirectory => "EISDIR",
            ErrorCode::PermissionDenied => "EACCES",
            ErrorCode::NoSpace => "E_NO_SPACE",
            ErrorCode::ReadOnly => "E_READ_ONLY",
            ErrorCode::Aborted => "E_ABORTED",
            ErrorCode::InvalidArgument => "E_INVALID_ARGUMENT",
            ErrorCode::Io => "E_IO",
            ErrorCode::Internal => "E_INTERNAL",
            ErrorCode::SourceChanged => "E_SOURCE_CHANGED",
            ErrorCode::VerifyMismatch => "E_VERIFY_MISMATCH",
            ErrorCode::Exists => "E_EXISTS",
            ErrorCode::Auth => "E_AUTH",
            ErrorCode::Truncated => "E_TRUNCATED",
            ErrorCode::WrongKey => "E_WRONG_KEY",
            ErrorCode::BadPassphrase => "E_BAD_PASSPHRASE",
            ErrorCode::BadRecoveryKey => "E_BAD_RECOVERY_KEY",
            ErrorCode::Format => "E_FORMAT",
            ErrorCode::KdfLimit => "E_KDF_LIMIT",
        }
    }
}

#[derive(Debug)]
pub struct Error {
    pub code: ErrorCode,
    pub path: Option<PathBuf>,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            path: None,
            message: message.into(),
        }
    }

    pub fn aborted() -> Self {
        Error::new(ErrorCode::Aborted, "the operation was aborted")
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidArgument, message)
    }

    pub fn with_path(mut self, path: &Path) -> Self {
        self.path = Some(path.to_path_buf());
        self
    }

    /// Wraps an I/O error with the file it concerns and advice a person can act on.
    pub fn io(err: io::Error, path: &Path) -> Self {
        let shown = path.display();
        let (code, message) = match err.kind() {
            io::ErrorKind::NotFound => (
                ErrorCode::NotFound,
                format!("{shown}: no such file; check the path"),
            ),
            io::ErrorKind::PermissionDenied => (
                ErrorCode::PermissionDenied,
                format!("{shown}: permission denied; check the file's permissions or run as its owner"),
            ),
            io::ErrorKind::IsADirectory => (
                ErrorCode::IsDirectory,
                format!("{shown}: is a directory; name a file inside it"),
            ),
            io::ErrorKind::StorageFull => (
                ErrorCode::NoSpace,
                format!("{shown}: no space left on the device; free space or choose another destination"),
            ),
            io::ErrorKind::ReadOnlyFilesystem => (
                ErrorCode::ReadOnly,
                format!("{shown}: the file system is read-only; choose a writable destination"),
            ),
            io::ErrorKind::AlreadyExists => (
                ErrorCode::Exists,
                format!("{shown}: already exists; move it away or choose another folder"),
            ),
            // A drive unplugged mid-copy shows up as EIO, ENODEV, ENXIO or ESTALE.
            _ if matches!(
                err.raw_os_error(),
                Some(libc::EIO | libc::ENODEV | libc::ENXIO | libc::ESTALE)
            ) =>
            {
                (
                    ErrorCode::Io,
                    format!("{shown}: {err}; the drive failed or was removed, check its cable and health"),
                )
            }
            _ => (ErrorCode::Io, format!("{shown}: {err}")),
        };
        Error {
            code,
            path: Some(path.to_path_buf()),
            message,
        }
    }
}

impl fmt::Display for Error {
    /// `CODE: message` — the TypeScript layer splits on the first `": "`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_keep_node_codes_and_name_the_path() {
        let p = Path::new("/nowhere/card.raw");
        let e = Error::io(io::Error::from(io::ErrorKind::NotFound), p);
        assert_eq!(e.code, ErrorCode::NotFound);
        assert_eq!(
            e.to_string(),
            "ENOENT: /nowhere/card.raw: no such file; check the path"
        );
        let e = Error::io(io::Error::from(io::ErrorKind::PermissionDenied), p);
        assert_eq!(e.code.as_str(), "EACCES");
    }
}
