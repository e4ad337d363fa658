//! The lexical checks of [`super::tree_json`]: what it accepts of XML's characters, names,
//! references and attribute lists. Each is a strict subset of what saxes accepts, so a
//! piece that passes them is one saxes parses too, to the same strings; anything else is
//! declined (`None`) rather than mimicked.

use std::borrow::Cow;

/// XML's white space (`S`) without CR, which [`all_chars_allowed`] refuses anyway.
pub fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n')
}

/// Whether every character of `xml` is in XML 1.0's `Char` range, with no raw CR: saxes
/// folds CR and CR LF into LF (end-of-line handling), which we decline rather than mimic.
/// `&str` holds no surrogates, so only the C0 controls, U+FFFE and U+FFFF remain to check.
pub fn all_chars_allowed(xml: &str) -> bool {
    !any_byte(xml.as_bytes(), |b| b < 0x20 && b != b'\t' && b != b'\n')
        && !xml.contains('\u{FFFE}')
        && !xml.contains('\u{FFFF}')
}

/// Whether `test` holds for any byte, checked 64 bytes at a time without a branch per
/// byte, so that it vectorizes (`Iterator::any` stops at each byte and does not): the
/// pieces run to ~100 KB and are scanned whole.
pub fn any_byte(bytes: &[u8], test: impl Fn(u8) -> bool) -> bool {
    bytes
        .chunks(64)
        .any(|chunk| chunk.iter().fold(false, |hit, &b| hit | test(b)))
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn is_ncname(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty() && is_name_start(b[0]) && b[1..].iter().all(|&c| is_name_char(c))
}

/// `NCName` or `NCName:NCName` in ASCII: a subset of XML's `Name` (saxes, without its
/// namespace option, checks names against `Name` only).
pub fn is_plain_name(name: &str) -> bool {
    match split_prefix(name) {
        None => is_ncname(name),
        Some((prefix, local)) => is_ncname(prefix) && is_ncname(local),
    }
}

/// The name without its prefix, as `local` in sax-tree.ts cuts it.
pub fn local(name: &str) -> &str {
    split_prefix(name).map_or(name, |(_, l)| l)
}

/// `name` cut at its first `:` (a byte search: names are short and this runs per tag).
fn split_prefix(name: &str) -> Option<(&str, &str)> {
    let colon = name.bytes().position(|b| b == b':')?;
    Some((&name[..colon], &name[colon + 1..]))
}

/// The character a reference stands for (`name` is what lies between `&` and `;`): the
/// five XML entities, or a decimal or `x` hexadecimal character reference to a `Char`
/// (saxes refuses `&#X…;`, and so do we).
pub fn reference(name: &str) -> Option<char> {
    let code = match name {
        "amp" => return Some('&'),
        "lt" => return Some('<'),
        "gt" => return Some('>'),
        "quot" => return Some('"'),
        "apos" => return Some('\''),
        _ => match name.strip_prefix("#x") {
            Some(hex) => number(hex, 16)?,
            None => number(name.strip_prefix('#')?, 10)?,
        },
    };
    char::from_u32(code).filter(|&c| is_char(c))
}

fn number(digits: &str, radix: u32) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits
        .chars()
        .try_fold(0u32, |n, c| n.checked_mul(radix)?.checked_add(c.to_digit(radix)?))
}

/// XML 1.0's `Char` production (surrogates are not `char`s).
fn is_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

/// An attribute value's raw text (between its quotes) decoded: `None` when it holds `<`,
/// an `&` that does not start a [`reference`], or a raw tab or newline (which XML's
/// attribute-value normalization turns into spaces: declined, not mimicked).
pub fn attribute_value(raw: &str) -> Option<Cow<'_, str>> {
    if raw.bytes().any(|b| matches!(b, b'<' | b'\t' | b'\n')) {
        return None;
    }
    if !raw.contains('&') {
        return Some(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    let mut parts = raw.split('&');
    out.push_str(parts.next().unwrap_or(""));
    for part in parts {
        let (name, rest) = part.split_once(';')?;
        out.push(reference(name)?);
        out.push_str(rest);
    }
    Some(Cow::Owned(out))
}

/// One attribute of a start tag: its name as written and its decoded value.
pub type Attribute<'a> = (&'a str, Cow<'a, str>);

/// A start tag's text between `<` and `>` (without the `/` of an empty element) as its
/// name and attributes; `None` unless it is `Name (S Name S? = S? quoted-value)* S?`
/// with plain names and no attribute named twice.
pub fn start_tag(tag: &str) -> Option<(&str, Vec<Attribute<'_>>)> {
    let bytes = tag.as_bytes();
    let end = bytes.iter().position(|&b| is_space(b)).unwrap_or(bytes.len());
    let name = &tag[..end];
    if !is_plain_name(name) {
        return None;
    }
    let mut attributes: Vec<Attribute<'_>> = Vec::new();
    let mut i = end;
    loop {
        let spaced = skip_spaces(bytes, &mut i);
        if i == bytes.len() {
            return Some((name, attributes));
        }
        if !spaced {
            return None;
        }
        let (attribute, next) = one_attribute(tag, i)?;
        if attributes.iter().any(|(n, _)| *n == attribute.0) {
            return None;
        }
        attributes.push(attribute);
        i = next;
    }
}

fn skip_spaces(bytes: &[u8], i: &mut usize) -> bool {
    let from = *i;
    while *i < bytes.len() && is_space(bytes[*i]) {
        *i += 1;
    }
    *i > from
}

/// The attribute starting at `from` in `tag`, and where the text after it starts.
fn one_attribute(tag: &str, from: usize) -> Option<(Attribute<'_>, usize)> {
    let bytes = tag.as_bytes();
    let mut i = from;
    while i < bytes.len() && (is_name_char(bytes[i]) || bytes[i] == b':') {
        i += 1;
    }
    let name = &tag[from..i];
    if !is_plain_name(name) {
        return None;
    }
    skip_spaces(bytes, &mut i);
    if bytes.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    skip_spaces(bytes, &mut i);
    let quote = *bytes.get(i).filter(|&&q| q == b'"' || q == b'\'')?;
    let start = i + 1;
    let len = bytes[start..].iter().position(|&b| b == quote)?;
    let value = attribute_value(&tag[start..start + len])?;
    Some(((name, value), start + len + 1))
}
