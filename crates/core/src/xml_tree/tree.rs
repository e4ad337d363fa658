//! The tree sax-tree.ts builds, and its JSON text. An element with neither attributes
//! nor child elements is its text; otherwise an object with `@_name` per attribute, each
//! child by local name (an array when repeated, and always for the `arrays` names), then
//! its text as `#text` when not empty. Keys keep sax-tree.ts's order.

use std::borrow::Cow;

/// A member's key: an attribute (written `@_name`) or a child element.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Key<'a> {
    Attribute(&'a str),
    Child(&'a str),
}

/// A child element's value(s) under one key.
pub enum Slot<'a> {
    One(Value<'a>),
    Many(Vec<Value<'a>>),
}

/// An element as sax-tree.ts gives it.
pub enum Value<'a> {
    Text(Cow<'a, str>),
    Node(Vec<(Key<'a>, Slot<'a>)>, Cow<'a, str>),
}

/// An element being read: its name as written (for its end tag), members and text.
pub struct Open<'a> {
    pub name: &'a str,
    pub members: Vec<(Key<'a>, Slot<'a>)>,
    pub text: Cow<'a, str>,
}

impl<'a> Open<'a> {
    pub fn new(name: &'a str) -> Self {
        Open {
            name,
            members: Vec::new(),
            text: Cow::Borrowed(""),
        }
    }

    pub fn push_text(&mut self, text: &'a str) {
        if self.text.is_empty() {
            self.text = Cow::Borrowed(text);
        } else {
            self.text.to_mut().push_str(text);
        }
    }

    pub fn push_char(&mut self, c: char) {
        self.text.to_mut().push(c);
    }

    /// As `addChild` in sax-tree.ts.
    pub fn add_child<S: AsRef<str>>(&mut self, name: &'a str, value: Value<'a>, arrays: &[S]) {
        let key = Key::Child(name);
        match self.members.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => match slot {
                Slot::Many(values) => values.push(value),
                Slot::One(_) => {
                    let Slot::One(first) = std::mem::replace(slot, Slot::Many(Vec::new())) else {
                        unreachable!()
                    };
                    *slot = Slot::Many(vec![first, value]);
                }
            },
            None => {
                let slot = if arrays.iter().any(|a| a.as_ref() == name) {
                    Slot::Many(vec![value])
                } else {
                    Slot::One(value)
                };
                self.members.push((key, slot));
            }
        }
    }

    /// The element's value once closed.
    pub fn into_value(self) -> Value<'a> {
        if self.members.is_empty() {
            Value::Text(self.text)
        } else {
            Value::Node(self.members, self.text)
        }
    }
}

/// `members` as a JSON object.
pub fn write_object(out: &mut String, members: &[(Key<'_>, Slot<'_>)], text: &str) {
    out.push('{');
    for (i, (key, slot)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match key {
            Key::Attribute(name) => {
                out.push_str("\"@_");
                escape_into(out, name);
                out.push('"');
            }
            Key::Child(name) => write_string(out, name),
        }
        out.push(':');
        match slot {
            Slot::One(v) => write_value(out, v),
            Slot::Many(vs) => {
                out.push('[');
                for (j, v) in vs.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    write_value(out, v);
                }
                out.push(']');
            }
        }
    }
    if !text.is_empty() {
        if !members.is_empty() {
            out.push(',');
        }
        out.push_str("\"#text\":");
        write_string(out, text);
    }
    out.push('}');
}

fn write_value(out: &mut String, value: &Value<'_>) {
    match value {
        Value::Text(t) => write_string(out, t),
        Value::Node(members, text) => write_object(out, members, text),
    }
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    escape_into(out, s);
    out.push('"');
}

/// JSON string escaping: quote, backslash and the C0 controls; everything else as is.
fn escape_into(out: &mut String, s: &str) {
    // Most strings (names, hashes, dates) need nothing: one pass that vectorizes.
    if !super::lexical::any_byte(s.as_bytes(), |b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
        return;
    }
    let mut from = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1F => "",
            _ => continue,
        };
        out.push_str(&s[from..i]);
        if escaped.is_empty() {
            out.push_str(&format!("\\u{:04x}", b));
        } else {
            out.push_str(escaped);
        }
        from = i + 1;
    }
    out.push_str(&s[from..]);
}
