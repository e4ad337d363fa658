//! A manifest piece's tree as JSON (see `shutterproof_core::xml_tree`), on the main thread:
//! a piece of 500 entries takes well under a millisecond, less than a task's round trip.

use napi::bindgen_prelude::Utf16String;
use napi_derive::napi;
use shutterproof_core::xml_tree;

/// The tree `lib/mhl/sax-tree.ts` builds of `xml` as JSON text, with the elements named in
/// `arrays` always as arrays; null when declined (the caller then parses with saxes).
/// UTF-16 in, so that a lone surrogate is seen (and declined) rather than replaced.
#[napi]
pub fn native_xml_tree(xml: Utf16String, arrays: Vec<String>) -> Option<String> {
    xml_tree::tree_json_utf16(&xml, &arrays)
}
