//! Argon2id for passphrases, with costs capped before anything is allocated and a global
//! counter so tests can prove Argon2 runs once per unlock, never once per file.

use std::sync::atomic::{AtomicU64, Ordering};

use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

/// Highest memory cost accepted from a header: 2 GiB (in KiB, Argon2's unit).
pub const MAX_M_KIB: u32 = 2 * 1024 * 1024;
/// Highest number of passes accepted from a header.
pub const MAX_T: u32 = 10;
/// Highest parallelism (lanes) accepted from a header.
pub const MAX_P: u32 = 16;
/// Argon2 needs at least 8 KiB of memory per lane.
const MIN_M_KIB_PER_LANE: u32 = 8;
pub const KDF_OUTPUT_LEN: usize = 32;

static ARGON2_RUNS: AtomicU64 = AtomicU64::new(0);

/// How many times Argon2 has run in this process.
pub fn argon2_runs() -> u64 {
    ARGON2_RUNS.load(Ordering::SeqCst)
}

/// Argon2id costs: memory in KiB, passes, lanes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl KdfParams {
    /// RFC 9106 §4, second recommended option: 64 MiB, 3 passes, 4 lanes.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 64 * 1024,
        t: 3,
        p: 4,
    };

    /// Checks costs that may come from a hostile header. Runs before any allocation.
    pub fn check(&self) -> Result<()> {
        if self.m_kib > MAX_M_KIB || self.t > MAX_T || self.p > MAX_P {
            return Err(Error::new(
                ErrorCode::KdfLimit,
                format!(
                    "the passphrase stanza asks for Argon2id m={} KiB, t={}, p={}; Shutterproof accepts \
                     at most m={MAX_M_KIB} KiB (2 GiB), t={MAX_T}, p={MAX_P}, so the file is refused unread",
                    self.m_kib, self.t, self.p
                ),
            ));
        }
        if self.t == 0 || self.p == 0 || self.m_kib < MIN_M_KIB_PER_LANE * self.p {
            return Err(Error::new(
                ErrorCode::Format,
                format!(
                    "invalid Argon2id costs m={} KiB, t={}, p={} (need t ≥ 1, p ≥ 1, m ≥ 8·p)",
                    self.m_kib, self.t, self.p
                ),
            ));
        }
        Ok(())
    }
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::DEFAULT
    }
}

/// Argon2id (v1.3) of `passphrase` with `salt`, 32 bytes out.
pub fn argon2id(
    passphrase: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; KDF_OUTPUT_LEN]>> {
    let mut out = Zeroizing::new([0u8; KDF_OUTPUT_LEN]);
    argon2id_into(passphrase, salt, params, &mut out[..])?;
    Ok(out)
}

/// Argon2id (v1.3) filling `out` (any length Argon2 allows): the one place Argon2 runs,
/// after the caps are checked, and counted.
pub(crate) fn argon2id_into(passphrase: &[u8], salt: &[u8], params: KdfParams, out: &mut [u8]) -> Result<()> {
    params.check()?;
    let argon_params = argon2::Params::new(params.m_kib, params.t, params.p, Some(out.len()))
        .map_err(|e| Error::new(ErrorCode::Format, format!("invalid Argon2id parameters: {e}")))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, argon_params);
    ARGON2_RUNS.fetch_add(1, Ordering::SeqCst);
    argon
        .hash_password_into(passphrase, salt, out)
        .map_err(|e| Error::new(ErrorCode::Internal, format!("Argon2id failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_are_checked_first() {
        let huge = KdfParams {
            m_kib: 64 * 1024 * 1024,
            t: 3,
            p: 4,
        };
        let before = argon2_runs();
        assert_eq!(
            argon2id(b"pw", &[0; 16], huge).unwrap_err().code,
            ErrorCode::KdfLimit
        );
        assert_eq!(argon2_runs(), before, "refused before running");
        for bad in [(1024, 11, 1), (1024, 1, 17), (MAX_M_KIB + 1, 1, 1)] {
            let p = KdfParams {
                m_kib: bad.0,
                t: bad.1,
                p: bad.2,
            };
            assert_eq!(p.check().unwrap_err().code, ErrorCode::KdfLimit);
        }
        let zero = KdfParams {
            m_kib: 64,
            t: 0,
            p: 1,
        };
        assert_eq!(zero.check().unwrap_err().code, ErrorCode::Format);
        // Malformed: t = 0, p = 0, m < 8·p (E_FORMAT); m = 8·p is the smallest accepted.
        for (m_kib, t, p) in [(64, 0, 1), (64, 1, 0), (0, 1, 0), (31, 1, 4), (7, 1, 1)] {
            let params = KdfParams { m_kib, t, p };
            assert_eq!(params.check().unwrap_err().code, ErrorCode::Format, "{params:?}");
        }
        assert!(KdfParams {
            m_kib: 32,
            t: 1,
            p: 4
        }
        .check()
        .is_ok());
        // Over a cap and malformed at once: the caps are checked first.
        for (m_kib, t, p) in [(MAX_M_KIB + 1, 0, 1), (64, 11, 0), (0, 0, 17), (u32::MAX, 0, 0)] {
            let params = KdfParams { m_kib, t, p };
            assert_eq!(
                params.check().unwrap_err().code,
                ErrorCode::KdfLimit,
                "{params:?}"
            );
        }
        assert!(KdfParams::DEFAULT.check().is_ok());
    }

    #[test]
    fn rfc9106_argon2id_vector_shape() {
        // Deterministic and salt-sensitive.
        let p = KdfParams {
            m_kib: 32,
            t: 1,
            p: 1,
        };
        let a = argon2id(b"pw", &[1; 16], p).unwrap();
        assert_eq!(a, argon2id(b"pw", &[1; 16], p).unwrap());
        assert_ne!(a, argon2id(b"pw", &[2; 16], p).unwrap());
    }
}
