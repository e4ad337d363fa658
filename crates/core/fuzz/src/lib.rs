//! The properties the fuzz targets check, shared by the targets in `fuzz_targets/`.
//!
//! Every function here panics (which libFuzzer reports as a finding) when a property
//! fails; "no panic" alone is never the property. The keys are the test vectors' keys
//! (docs/vectors/sealed_v1.json), so the seed corpora made from those vectors open.

pub mod fixtures;
pub mod mutate;
pub mod pieces;

use std::io::{Cursor, Read};

use shutterproof_core::keys::{open_vault_bytes, RecoveryKey};
use shutterproof_core::seal::cobblestone::{check_payload_len, payload_len};
use shutterproof_core::seal::{
    inspect_reader, open_bytes, read_range_of, Header, OpeningStream, Stanza, Unlock,
};
use shutterproof_core::ErrorCode;

use fixtures::Keys;

/// The codes docs/FORMAT.md documents for a sealed file or vault key file that does not
/// open: damage, truncation, a format or version we do not read, a key that does not
/// fit, Argon2 costs over the caps.
pub const SEALED_CODES: &[ErrorCode] = &[
    ErrorCode::Format,
    ErrorCode::Truncated,
    ErrorCode::Auth,
    ErrorCode::WrongKey,
    ErrorCode::BadPassphrase,
    ErrorCode::KdfLimit,
];

/// The codes a header alone can give (nothing is unlocked yet).
pub const HEADER_CODES: &[ErrorCode] = &[ErrorCode::Format, ErrorCode::Truncated, ErrorCode::KdfLimit];

pub fn expect_code(code: ErrorCode, allowed: &[ErrorCode], what: &str) {
    assert!(
        allowed.contains(&code),
        "{what}: undocumented error code {code:?}"
    );
}

/// Header parse: either a header that re-encodes to exactly the bytes read, with at most
/// the documented costs, or a documented code; the same answer when the bytes arrive one
/// at a time.
pub fn check_header(data: &[u8]) {
    let whole = Header::read(&mut &data[..]);
    let trickled = Header::read(&mut OneByteAtATime(data));
    match (&whole, &trickled) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "one-byte reads parsed another header"),
        (Err(a), Err(b)) => assert_eq!(a.code, b.code, "one-byte reads gave another code"),
        _ => panic!("one-byte reads gave another outcome"),
    }
    const MAGIC: &[u8] = b"SPSEALED";
    let seen = data.len().min(MAGIC.len());
    match whole {
        Ok(header) => {
            assert!(header.len() <= data.len());
            assert_eq!(
                header.to_bytes(),
                data[..header.len()],
                "a parsed header re-encodes differently"
            );
            assert!((1..=8).contains(&header.stanzas.len()));
            for stanza in &header.stanzas {
                if let Stanza::Passphrase { params, .. } = stanza {
                    // Costs within the caps, so Argon2 can never be asked for more than 2 GiB.
                    params
                        .check()
                        .expect("a parsed passphrase stanza has costs over the caps");
                }
            }
        }
        Err(e) => {
            expect_code(e.code, HEADER_CODES, "header");
            if data[..seen] != MAGIC[..seen] {
                assert_eq!(e.code, ErrorCode::Format, "not the magic, yet {:?}", e.code);
            } else if data.len() < MAGIC.len() {
                assert_eq!(
                    e.code,
                    ErrorCode::Truncated,
                    "a prefix of the magic, yet {:?}",
                    e.code
                );
            }
        }
    }
}

/// `inspect` (no key): documented codes only, and sizes that agree with the format.
pub fn check_inspect(data: &[u8]) {
    let sealed_size = data.len() as u64;
    match inspect_reader(data, sealed_size) {
        Ok(i) => {
            assert!(i.header_size <= i.sealed_size);
            assert_eq!(i.sealed_size, sealed_size);
            let payload = i.sealed_size - i.header_size;
            assert_eq!(
                payload_len(i.plaintext_size),
                payload,
                "plaintext size does not match the payload"
            );
            assert_eq!(check_payload_len(payload).unwrap(), i.plaintext_size);
            assert!((1..=8).contains(&i.stanzas.len()));
            for k in &i.kdf {
                k.check().expect("inspect reported costs over the caps");
            }
            assert_eq!(
                i.key_id.is_some(),
                i.stanzas.iter().any(|s| s.as_str() == "vault")
            );
        }
        Err(e) => expect_code(e.code, HEADER_CODES, "inspect"),
    }
}

/// Full open with the vectors' fixed keys (vault and recovery): documented codes only, and
/// every way of reading (whole buffer, stream in pieces, random access, inspect) agrees.
pub fn check_open(data: &[u8]) {
    let keys = Keys::get();
    for unlock in [Unlock::Vault(&keys.vault), Unlock::Recovery(&keys.recovery)] {
        let whole = open_bytes(data, &unlock);
        let streamed = open_streamed(data, &unlock, &pieces::from_bytes(data));
        match &whole {
            Ok(plain) => {
                assert_eq!(
                    streamed.result.as_ref().ok(),
                    Some(plain),
                    "the stream opened other bytes"
                );
                let info = inspect_reader(data, data.len() as u64).expect("opens, yet inspect fails");
                assert_eq!(info.plaintext_size, plain.len() as u64);
                let (start, end) = pieces::range_within(data, plain.len() as u64);
                let range = read_range_of(Cursor::new(data), data.len() as u64, &unlock, start, end)
                    .expect("opens, yet a range inside it does not");
                assert_eq!(
                    range,
                    plain[start as usize..end as usize],
                    "a range read other bytes"
                );
            }
            Err(e) => {
                expect_code(e.code, SEALED_CODES, "open");
                let s = streamed
                    .result
                    .as_ref()
                    .expect_err("the stream opened what the buffer refused");
                expect_code(s.code, SEALED_CODES, "stream open");
            }
        }
    }
}

/// Random access: documented codes only; a range read never returns bytes other than the
/// whole file's, and its length is what was asked.
pub fn check_range(data: &[u8]) {
    if data.len() < 8 {
        return;
    }
    let (bounds, sealed) = data.split_at(8);
    let start = u32::from_le_bytes(bounds[..4].try_into().unwrap()) as u64 % 70_000;
    let end = start + u32::from_le_bytes(bounds[4..].try_into().unwrap()) as u64 % 70_000;
    let keys = Keys::get();
    for unlock in [Unlock::Vault(&keys.vault), Unlock::Recovery(&keys.recovery)] {
        match read_range_of(Cursor::new(sealed), sealed.len() as u64, &unlock, start, end) {
            Ok(bytes) => {
                assert_eq!(bytes.len() as u64, end - start);
                if let Ok(plain) = open_bytes(sealed, &unlock) {
                    assert_eq!(bytes, plain[start as usize..end as usize]);
                }
            }
            Err(e) if e.code == ErrorCode::InvalidArgument => {
                // Only for a range outside the (authenticated) plaintext.
                let info =
                    inspect_reader(sealed, sealed.len() as u64).expect("a range refused before the header");
                assert!(
                    end > info.plaintext_size,
                    "range {start}..{end} refused inside 0..{}",
                    info.plaintext_size
                );
            }
            Err(e) => expect_code(e.code, SEALED_CODES, "range"),
        }
    }
}

/// Vault key file open with the recovery key (the passphrase costs an Argon2 run per
/// execution; its stanza is still parsed and cost-checked): documented codes only, and
/// nothing but the real vault key file of these keys opens.
pub fn check_vault_file(data: &[u8]) {
    let keys = Keys::get();
    match open_vault_bytes(data, &Unlock::Recovery(&keys.recovery)) {
        Ok(vault) => {
            assert_eq!(
                vault.key_id(),
                keys.vault.key_id(),
                "a vault key file of another vault opened"
            );
            assert_eq!(
                data, keys.vault_file,
                "a vault key file other than the vectors' opened: a forgery"
            );
        }
        Err(e) => expect_code(e.code, SEALED_CODES, "vault key file"),
    }
}

/// Recovery words: `E_BAD_RECOVERY_KEY` or a key whose 24 words are the input as
/// documented (split on Unicode White_Space, ASCII letters lowercased).
pub fn check_recovery_words(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match RecoveryKey::from_words(&text) {
        Ok(key) => {
            // docs/FORMAT.md "Recovery key": words are separated by White_Space and U+FEFF;
            // list numbers ("7", "7.", "7)") are skipped; ASCII letters are lowercased.
            let list_number = |w: &str| {
                let digits = w.trim_end_matches(['.', ')']);
                w.len() - digits.len() <= 1
                    && !digits.is_empty()
                    && digits.bytes().all(|b| b.is_ascii_digit())
            };
            let expected = text
                .split(|c: char| c.is_whitespace() || c == '\u{feff}')
                .filter(|w| !w.is_empty() && !list_number(w))
                .map(|w| w.to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(*key.to_words(), expected, "the words do not round-trip");
            let again = RecoveryKey::from_words(&key.to_words()).expect("its own words do not parse");
            assert_eq!(again.id(), key.id());
        }
        Err(e) => expect_code(e.code, &[ErrorCode::BadRecoveryKey], "recovery words"),
    }
}

/// What a stream opener released, and how it ended. After a failed `push_into`,
/// `released` ends with the zeros it wrote where unauthenticated chunks would go.
pub struct Streamed {
    pub released: Vec<u8>,
    /// Where the output of a failed `push_into` starts in `released`, if one failed.
    pub into_failure_from: Option<usize>,
    pub result: shutterproof_core::Result<Vec<u8>>,
}

/// How many pieces are cut exactly as the input says; the rest of the input goes in pieces
/// of at least 1/`EXACT_PIECES` of it. Without this floor a cut of 1 byte through a
/// 150 KB file made 150 000 pushes in one execution, the structure-aware target's largest
/// cost without AddressSanitizer (#21 asks for 10^7 executions); the header, the first
/// chunk boundaries and every failure still meet arbitrary cuts.
const EXACT_PIECES: usize = 64;

/// Opens `data` through [`OpeningStream`], cut into `cuts` (piece lengths, cycled; see
/// [`EXACT_PIECES`]), using both `push` and `push_into` (the binding's way) once the header
/// is past.
pub fn open_streamed(data: &[u8], unlock: &Unlock, cuts: &[usize]) -> Streamed {
    let mut stream = OpeningStream::new();
    let mut released = Vec::new();
    let mut rest = data;
    let mut i = 0;
    let mut failure = None;
    let mut into_failure_from = None;
    while !rest.is_empty() {
        let floor = if i < EXACT_PIECES {
            1
        } else {
            data.len() / EXACT_PIECES
        };
        let n = cuts[i % cuts.len()].max(floor).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        let before = released.len();
        let step = match stream.push_output_len(piece.len()) {
            Some(len) if i % 2 == 1 => {
                released.resize(before + len, 0xA5);
                // A `[u8]` is a valid `[MaybeUninit<u8>]` of the same length.
                let out: &mut [std::mem::MaybeUninit<u8>] =
                    unsafe { std::slice::from_raw_parts_mut(released[before..].as_mut_ptr().cast(), len) };
                // After a failure `out` holds the chunks that authenticated, then zeros:
                // all of it counts as released (a check of the zeros included).
                let r = stream.push_into(piece, out);
                if r.is_err() {
                    into_failure_from = Some(before);
                }
                r
            }
            Some(len) => {
                let r = stream.push(piece, unlock, &mut released);
                assert!(
                    released.len() - before <= len,
                    "push released more than push_output_len said"
                );
                r
            }
            None => stream.push(piece, unlock, &mut released),
        };
        i += 1;
        if let Err(e) = step {
            failure = Some(e);
            break;
        }
    }
    let result = match failure {
        Some(e) => {
            // Failures are sticky: nothing more comes out, the same code comes back.
            let mut more = Vec::new();
            let again = stream
                .push(b"x", unlock, &mut more)
                .expect_err("a failed stream accepted more");
            assert_eq!(again.code, e.code);
            assert!(more.is_empty(), "a failed stream released more bytes");
            Err(e)
        }
        None => stream.finish(&mut released).map(|_| released.clone()),
    };
    Streamed {
        released,
        into_failure_from,
        result,
    }
}

/// Hands out one byte per `read`, to check parsers that must cope with short reads.
struct OneByteAtATime<'a>(&'a [u8]);

impl Read for OneByteAtATime<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        buf[0] = self.0[0];
        self.0 = &self.0[1..];
        Ok(1)
    }
}

/// A manifest piece (any text) to the native tree parser: it declines (`None`) or answers
/// a JSON object that `serde_json` reads, nested no deeper than its cap and no longer than
/// a few times the input; the UTF-16 entry point (the one Node calls) answers the same.
pub fn check_xml_tree(data: &[u8]) {
    use shutterproof_core::xml_tree::{tree_json, tree_json_utf16, MAX_DEPTH};
    let text = String::from_utf8_lossy(data);
    let arrays = [
        "hash",
        "directoryhash",
        "pattern",
        "author",
        "hashlist",
        "hashlistreference",
    ];
    let tree = tree_json(&text, &arrays);
    let units: Vec<u16> = text.encode_utf16().collect();
    assert_eq!(
        tree_json_utf16(&units, &arrays),
        tree,
        "the UTF-8 and UTF-16 entry points disagree"
    );
    let Some(json) = tree else { return };
    assert!(
        json.len() <= 4 * text.len() + 64,
        "{} bytes of JSON from {}",
        json.len(),
        text.len()
    );
    let value: serde_json::Value = serde_json::from_str(&json).expect("not JSON");
    assert!(value.is_object(), "not an object: {json}");
    fn depth(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
            serde_json::Value::Array(a) => a.iter().map(depth).max().unwrap_or(0),
            _ => 0,
        }
    }
    assert!(depth(&value) <= MAX_DEPTH + 1, "nested {} deep", depth(&value));
}
