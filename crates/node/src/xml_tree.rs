//! A manifest piece's tree as JSON (see `shutterproof_core::xml_tree`), synchronous as
//! `hashesOfPiece` is: ~1 ms for a piece of 500 entries, on the main thread where saxes
//! took longer.

use napi::bindgen_prelude::Utf16String;
use napi_derive::napi;
use shutterproof_core::xml_tree;

use crate::errors::guard;

/// The tree `lib/mhl/sax-tree.ts` builds of `xml` as JSON text, with the elements named in
/// `arrays` always as arrays; null when declined (the caller then parses with saxes).
/// UTF-16 in, so that a lone surrogate is seen (and declined) rather than replaced. A
/// panic is thrown as `E_INTERNAL`, never a crashed process.
#[napi]
pub fn native_xml_tree(xml: Utf16String, arrays: Vec<String>) -> napi::Result<Option<String>> {
    guard(|| Ok(xml_tree::tree_json_utf16(&xml, &arrays)))
}
