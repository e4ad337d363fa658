//! A piece of an ASC MHL manifest (`<hashes>…</hashes>`) parsed into the tree
//! `lib/mhl/sax-tree.ts` builds, as JSON text for `JSON.parse` (issue #18: after a
//! 2,000-file ingest the safe-to-format verdict re-reads each destination's manifest, and
//! saxes spent ~100 ms of a cold JIT plus garbage collection on its pieces).
//!
//! The contract that makes it safe to try first: whenever this returns a tree, saxes
//! parses the same text without error into an equal tree. Anything unusual (comments,
//! CDATA, processing instructions, a DOCTYPE, entities beyond XML's five, a raw CR, a raw
//! tab or newline in an attribute value, names outside plain ASCII, …) is declined with
//! `None`, and the caller goes on as before: saxes, then fast-xml-parser, whose verdicts
//! and messages stand. quick-xml cuts the text into events; the checks quick-xml leaves
//! out (names, attribute lists, references, characters) are [`lexical`]'s.

mod lexical;
mod tree;

use std::borrow::Cow;

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use tree::{Key, Open};

/// Names JS objects inherit from `Object.prototype`: sax-tree.ts would find them already
/// "present" (or set a prototype) where `JSON.parse` makes a plain member, so an element
/// named so is declined.
const PROTOTYPE_NAMES: [&str; 12] = [
    "__proto__",
    "__defineGetter__",
    "__defineSetter__",
    "__lookupGetter__",
    "__lookupSetter__",
    "constructor",
    "hasOwnProperty",
    "isPrototypeOf",
    "propertyIsEnumerable",
    "toLocaleString",
    "toString",
    "valueOf",
];

/// Elements deeper than this are declined: an ASC MHL manifest nests 4 deep, and the
/// tree's writer and its drop recurse, so a hostile manifest nesting 100,000 deep must
/// not reach them (saxes, which does not recurse, then reads it).
pub const MAX_DEPTH: usize = 64;

/// [`tree_json`] of a JS string's UTF-16 code units; `None` for a lone surrogate (which a
/// conversion to UTF-8 would silently turn into U+FFFD).
pub fn tree_json_utf16<S: AsRef<str>>(units: &[u16], arrays: &[S]) -> Option<String> {
    tree_json(&from_utf16(units)?, arrays)
}

/// `units` as a `String`; `None` for a lone surrogate. ASCII (the manifests we write, but
/// for odd names) is narrowed in a pass that vectorizes: `String::from_utf16` decodes a
/// code unit at a time, ~0.2 ms for a piece of 500 entries.
fn from_utf16(units: &[u16]) -> Option<String> {
    if !units
        .chunks(64)
        .any(|chunk| chunk.iter().fold(false, |hit, &u| hit | (u >= 0x80)))
    {
        String::from_utf8(units.iter().map(|&u| u as u8).collect()).ok()
    } else {
        String::from_utf16(units).ok()
    }
}

/// The tree sax-tree.ts builds of `xml` as JSON (the document as an object holding its
/// root element), with the elements named in `arrays` always as arrays; `None` when
/// declined (see the module's doc).
pub fn tree_json<S: AsRef<str>>(xml: &str, arrays: &[S]) -> Option<String> {
    let document = parse(xml, arrays)?;
    let mut out = String::with_capacity(xml.len() + xml.len() / 2);
    tree::write_object(&mut out, &document.members, "");
    Some(out)
}

fn parse<'a, S: AsRef<str>>(xml: &'a str, arrays: &[S]) -> Option<Open<'a>> {
    // Nothing before the root, not even white space or a byte order mark.
    if !xml.starts_with('<') || !lexical::all_chars_allowed(xml) {
        return None;
    }
    let mut reader = Reader::from_str(xml);
    let mut stack = vec![Open::new("")];
    let mut closed_root = false;
    loop {
        let before = usize::try_from(reader.buffer_position()).ok()?;
        match reader.read_event().ok()? {
            // A second root element.
            Event::Start(_) | Event::Empty(_) if closed_root => return None,
            Event::Start(_) if stack.len() > MAX_DEPTH => return None,
            Event::Start(e) => stack.push(open(tag_text(xml, before, &reader, 1)?, &e)?),
            Event::Empty(e) => {
                let element = open(tag_text(xml, before, &reader, 2)?, &e)?;
                close(&mut stack, element, arrays)?;
            }
            Event::End(e) => {
                if stack.len() < 2 || e.name().as_ref() != stack.last()?.name {
                    return None;
                }
                let element = stack.pop()?;
                close(&mut stack, element, arrays)?;
            }
            Event::Text(t) => {
                let Cow::Borrowed(text) = t.into_inner() else {
                    return None;
                };
                if stack.len() < 2 {
                    // Outside the root: only white space, and only after it.
                    if !closed_root || !text.bytes().all(lexical::is_space) {
                        return None;
                    }
                } else if text.contains("]]>") {
                    return None;
                } else {
                    stack.last_mut()?.push_text(text);
                }
            }
            Event::GeneralRef(r) if stack.len() >= 2 => {
                stack.last_mut()?.push_char(lexical::reference(&r)?);
            }
            Event::Eof => break,
            _ => return None,
        }
        closed_root = stack.len() == 1 && !stack[0].members.is_empty();
    }
    if stack.len() != 1 || !closed_root {
        return None;
    }
    stack.pop()
}

/// The text between `<` and `>` of the tag just read (from `before` to the reader's
/// position), less `trailer` bytes at its end (`>` or `/>`).
fn tag_text<'a, R>(xml: &'a str, before: usize, reader: &Reader<R>, trailer: usize) -> Option<&'a str> {
    let after = usize::try_from(reader.buffer_position()).ok()?;
    let tag = xml.get(before..after)?;
    let inner = tag
        .strip_prefix('<')?
        .get(..tag.len().checked_sub(1 + trailer)?)?;
    tag.ends_with('>').then_some(inner)
}

/// A start tag as an open element: its attributes (less `xmlns` declarations) as members.
fn open<'a>(tag: &'a str, event: &BytesStart<'_>) -> Option<Open<'a>> {
    let (name, attributes) = lexical::start_tag(tag)?;
    // What quick-xml read must be what we checked.
    if event.name().as_ref() != name || PROTOTYPE_NAMES.contains(&lexical::local(name)) {
        return None;
    }
    let mut element = Open::new(name);
    for (raw, value) in attributes {
        if raw == "xmlns" || raw.starts_with("xmlns:") {
            continue;
        }
        let key = Key::Attribute(lexical::local(raw));
        // Two prefixes, one local name: sax-tree.ts would keep the last; declined.
        if element.members.iter().any(|(k, _)| *k == key) {
            return None;
        }
        element
            .members
            .push((key, tree::Slot::One(tree::Value::Text(value))));
    }
    Some(element)
}

/// `element` closed: added to its parent, as sax-tree.ts's `closetag` handler does.
fn close<'a, S: AsRef<str>>(stack: &mut [Open<'a>], element: Open<'a>, arrays: &[S]) -> Option<()> {
    let name = lexical::local(element.name);
    stack.last_mut()?.add_child(name, element.into_value(), arrays);
    Some(())
}

#[cfg(test)]
mod tests;
