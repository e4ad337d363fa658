//! The structure-aware target: seal a file from arbitrary plaintext and randomness, apply
//! arbitrary edits (bit flips, header fields, truncation, insertion, chunks swapped,
//! duplicated or dropped), then open it every way there is. The file must open to
//! exactly the plaintext sealed when no byte changed and the key is right, and fail with
//! a documented code otherwise; no reader may ever release a byte of a chunk that did not
//! authenticate.

use std::io::Cursor;

use arbitrary::Arbitrary;
use shutterproof_core::keys::{KdfParams, OpenVault, RecoveryKey};
use shutterproof_core::seal::cobblestone::{CHUNK_CT_SIZE, CHUNK_SIZE, PREFIX_LEN};
use shutterproof_core::seal::{
    inspect_reader, open_bytes, read_range_of, seal_bytes_with, FixedRandomness, Header, KeySource, Stanza,
    Unlock,
};
use shutterproof_core::ErrorCode;

use crate::fixtures::{Keys, PASSPHRASE};
use crate::{check_inspect, expect_code, open_streamed, SEALED_CODES};

/// The cheapest Argon2id costs allowed, so that a passphrase file costs microseconds.
const FAST: KdfParams = KdfParams { m_kib: 8, t: 1, p: 1 };
/// Above these costs (from an edited header) opening with the passphrase is skipped: the
/// run would measure Argon2, and the caps themselves are the header target's property.
const BUDGET: KdfParams = KdfParams {
    m_kib: 256,
    t: 2,
    p: 2,
};

#[derive(Arbitrary, Debug)]
pub enum Plain {
    Bytes(Vec<u8>),
    /// Up to ~12 chunks of one byte: reaches the parallel path (8 chunks or more).
    Repeat {
        byte: u8,
        len: u32,
    },
}

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
pub enum With {
    Vault,
    Recovery,
    Passphrase,
    OtherVault,
    OtherRecovery,
    WrongPassphrase,
}

#[derive(Arbitrary, Debug)]
pub enum Field {
    Version,
    Kind,
    Count,
    FirstStanzaType,
    SecondStanzaType,
    KdfMemory,
    KdfPasses,
    KdfLanes,
}

#[derive(Arbitrary, Debug)]
pub enum Edit {
    FlipBit { at: u32, bit: u8 },
    SetByte { at: u32, value: u8 },
    Truncate { at: u32 },
    Insert { at: u32, bytes: Vec<u8> },
    Remove { at: u32, len: u16 },
    Append { bytes: Vec<u8> },
    SwapChunks { a: u8, b: u8 },
    DuplicateChunk { a: u8 },
    DropChunk { a: u8 },
    SetField { field: Field, value: u32 },
}

#[derive(Arbitrary, Debug)]
pub struct Case {
    plain: Plain,
    /// Sealed for a passphrase rather than for the vault (and its recovery key).
    passphrase: bool,
    with: With,
    file_key: [u8; 32],
    stanza_salt: [u8; 16],
    payload_salt: [u8; 24],
    edits: Vec<Edit>,
    cuts: Vec<u16>,
    range: (u32, u32),
}

fn plaintext(p: &Plain) -> Vec<u8> {
    match p {
        Plain::Bytes(b) => b.clone(),
        Plain::Repeat { byte, len } => vec![*byte; (*len % 150_000) as usize],
    }
}

/// Where the payload's chunks start: header, salt and commitment.
fn chunks_start(sealed: &[u8]) -> usize {
    Header::read(&mut &sealed[..]).expect("we sealed it").len() + PREFIX_LEN
}

fn chunk_span(file: &[u8], start: usize, index: u8) -> Option<std::ops::Range<usize>> {
    let full = file.len().saturating_sub(start) / CHUNK_CT_SIZE;
    if full == 0 {
        return None;
    }
    let at = start + (index as usize % full) * CHUNK_CT_SIZE;
    Some(at..at + CHUNK_CT_SIZE)
}

/// Edits stop once the file is this long. A few hundred duplicated chunks (a few bytes of
/// input each) made files of tens of MiB, and moving their tails on every insertion took
/// 70 % of `mutate`'s time (perf, 2026-11-30) without reaching any new code: the opener
/// fails at the first chunk out of place whatever follows.
const MAX_EDITED_LEN: usize = 1 << 20;

/// Inserts `bytes` at `at` with two memcpys. `Vec::splice` gives the same bytes but moves
/// them one at a time, and here every step of that loop is instrumented: a duplicated
/// 64 KiB chunk made `mutate` spend about half its time in it (perf, 2026-11-30).
fn insert_bytes(file: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let tail = file.split_off(at);
    file.extend_from_slice(bytes);
    file.extend_from_slice(&tail);
}

fn apply(file: &mut Vec<u8>, edit: &Edit, chunks_at: usize) {
    let pos = |at: u32, len: usize| at as usize % (len + 1);
    match edit {
        Edit::FlipBit { at, bit } if !file.is_empty() => {
            let i = *at as usize % file.len();
            file[i] ^= 1 << (bit % 8);
        }
        Edit::SetByte { at, value } if !file.is_empty() => {
            let i = *at as usize % file.len();
            file[i] = *value;
        }
        Edit::Truncate { at } => file.truncate(pos(*at, file.len())),
        Edit::Insert { at, bytes } => {
            let i = pos(*at, file.len());
            insert_bytes(file, i, bytes);
        }
        Edit::Remove { at, len } => {
            let i = pos(*at, file.len());
            let j = (i + *len as usize).min(file.len());
            file.drain(i..j);
        }
        Edit::Append { bytes } => file.extend_from_slice(bytes),
        Edit::SwapChunks { a, b } => {
            if let (Some(x), Some(y)) = (chunk_span(file, chunks_at, *a), chunk_span(file, chunks_at, *b)) {
                if x != y {
                    let copy = file[x.clone()].to_vec();
                    file.copy_within(y.clone(), x.start);
                    file[y].copy_from_slice(&copy);
                }
            }
        }
        Edit::DuplicateChunk { a } => {
            if let Some(x) = chunk_span(file, chunks_at, *a) {
                let copy = file[x.clone()].to_vec();
                insert_bytes(file, x.end, &copy);
            }
        }
        Edit::DropChunk { a } => {
            if let Some(x) = chunk_span(file, chunks_at, *a) {
                file.drain(x);
            }
        }
        Edit::SetField { field, value } => {
            // Offsets of docs/FORMAT.md: version 8, kind 9, count 10, first stanza type 11;
            // a passphrase stanza's body starts with m, t, p (u32, big-endian).
            let (at, bytes): (usize, Vec<u8>) = match field {
                Field::Version => (8, vec![*value as u8]),
                Field::Kind => (9, vec![*value as u8]),
                Field::Count => (10, vec![*value as u8]),
                Field::FirstStanzaType => (11, vec![*value as u8]),
                Field::SecondStanzaType => (11 + 1 + 80, vec![*value as u8]),
                Field::KdfMemory => (12, value.to_be_bytes().to_vec()),
                Field::KdfPasses => (16, value.to_be_bytes().to_vec()),
                Field::KdfLanes => (20, value.to_be_bytes().to_vec()),
            };
            if at + bytes.len() <= file.len() {
                file[at..at + bytes.len()].copy_from_slice(&bytes);
            }
        }
        _ => {}
    }
}

/// Whether opening `file` with a passphrase would run Argon2 above [`BUDGET`].
fn over_budget(file: &[u8]) -> bool {
    match Header::read(&mut &file[..]) {
        Ok(h) => h.stanzas.iter().any(|s| {
            matches!(s, Stanza::Passphrase { params, .. }
                if params.m_kib > BUDGET.m_kib || params.t > BUDGET.t || params.p > BUDGET.p)
        }),
        Err(_) => false,
    }
}

/// The first index where two buffers differ: compared in blocks (a memcmp each), then
/// byte by byte inside the first block that differs.
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    const BLOCK: usize = 4096;
    let len = a.len().min(b.len());
    let mut at = 0;
    while at < len {
        let end = (at + BLOCK).min(len);
        if a[at..end] != b[at..end] {
            return a[at..end]
                .iter()
                .zip(&b[at..end])
                .position(|(x, y)| x != y)
                .map(|i| at + i);
        }
        at = end;
    }
    None
}

/// Plaintext bytes a reader may release from `edited`: the full chunks that lie wholly
/// before the first edited byte (none if the key is wrong or the header changed).
fn releasable(sealed: &[u8], edited: &[u8], chunks_at: usize, right_key: bool, plain_len: usize) -> usize {
    if !right_key {
        return 0;
    }
    let first_diff = first_difference(sealed, edited);
    let first_diff = match first_diff {
        Some(i) => i,
        None if sealed.len() == edited.len() => return plain_len,
        None => sealed.len().min(edited.len()),
    };
    if first_diff < chunks_at {
        return 0;
    }
    ((first_diff - chunks_at) / CHUNK_CT_SIZE * CHUNK_SIZE).min(plain_len)
}

pub fn check(case: &Case) {
    let keys = Keys::get();
    let plain = plaintext(&case.plain);
    let fixed = FixedRandomness {
        file_key: case.file_key,
        stanza_salt: case.stanza_salt,
        payload_salt: case.payload_salt,
    };
    let source = if case.passphrase {
        KeySource::Passphrase {
            passphrase: PASSPHRASE,
            params: FAST,
        }
    } else {
        KeySource::Vault(&keys.vault)
    };
    let sealed = seal_bytes_with(&plain, &source, &fixed).expect("sealing failed");
    let chunks_at = chunks_start(&sealed);
    let mut edited = sealed.clone();
    for edit in &case.edits {
        if edited.len() >= MAX_EDITED_LEN {
            break;
        }
        apply(&mut edited, edit, chunks_at);
    }

    let other_recovery = RecoveryKey::from_bytes([0x33; 32]);
    let other_vault = OpenVault::from_keys([0x44; 32], &other_recovery);
    let unlock = match case.with {
        With::Vault => Unlock::Vault(&keys.vault),
        With::Recovery => Unlock::Recovery(&keys.recovery),
        With::Passphrase => Unlock::Passphrase(PASSPHRASE),
        With::OtherVault => Unlock::Vault(&other_vault),
        With::OtherRecovery => Unlock::Recovery(&other_recovery),
        With::WrongPassphrase => Unlock::Passphrase("correct horse battery stable"),
    };
    let by_passphrase = matches!(case.with, With::Passphrase | With::WrongPassphrase);
    let right_key = if case.passphrase {
        case.with == With::Passphrase
    } else {
        matches!(case.with, With::Vault | With::Recovery)
    };
    let intact = edited == sealed;

    check_inspect(&edited);
    if intact {
        let info = inspect_reader(&edited[..], edited.len() as u64).expect("inspect of an intact file");
        assert_eq!(info.plaintext_size, plain.len() as u64);
    }
    if by_passphrase && over_budget(&edited) {
        return;
    }

    // The whole buffer.
    match open_bytes(&edited, &unlock) {
        Ok(opened) => {
            assert!(
                intact && right_key,
                "an edited file, or a wrong key, opened: {case:?}"
            );
            assert_eq!(opened, plain, "opened to other bytes than were sealed");
        }
        Err(e) => {
            expect_code(e.code, SEALED_CODES, "open");
            assert!(
                !(intact && right_key),
                "an intact file did not open with its key: {e}"
            );
        }
    }

    // The stream, in pieces: only authenticated chunks come out.
    let cuts: Vec<usize> = if case.cuts.is_empty() {
        vec![edited.len().max(1)]
    } else {
        case.cuts.iter().map(|&c| c as usize).collect()
    };
    let s = open_streamed(&edited, &unlock, &cuts);
    let bound = releasable(&sealed, &edited, chunks_at, right_key, plain.len());
    let n = s.released.len().min(bound);
    assert_eq!(
        s.released[..n],
        plain[..n],
        "the stream released bytes that were not sealed"
    );
    if s.released.len() > bound {
        // Only a failed push_into writes past the authenticated chunks, and only zeros.
        assert!(
            s.into_failure_from.is_some() && s.released[bound..] == vec![0u8; s.released.len() - bound][..],
            "the stream released {} bytes; only {bound} had authenticated",
            s.released.len()
        );
    }
    match &s.result {
        Ok(opened) => {
            assert!(
                intact && right_key,
                "the stream opened an edited file or with a wrong key"
            );
            assert_eq!(*opened, plain);
        }
        Err(e) => {
            expect_code(e.code, SEALED_CODES, "stream");
            assert!(!(intact && right_key), "the stream refused an intact file: {e}");
        }
    }

    // Random access: never a wrong byte.
    let len = plain.len() as u64;
    let start = case.range.0 as u64 % (len + 1);
    let end = start + case.range.1 as u64 % (len - start + 1);
    match read_range_of(Cursor::new(&edited), edited.len() as u64, &unlock, start, end) {
        Ok(bytes) => {
            assert!(right_key, "a range opened with a wrong key");
            assert_eq!(
                bytes,
                plain[start as usize..end as usize],
                "a range read other bytes than were sealed"
            );
        }
        Err(e) => {
            assert!(!(intact && right_key), "a range of an intact file failed: {e}");
            if e.code != ErrorCode::InvalidArgument {
                expect_code(e.code, SEALED_CODES, "range");
            }
        }
    }
}
