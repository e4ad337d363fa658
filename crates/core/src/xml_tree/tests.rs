use super::{tree_json, tree_json_utf16, MAX_DEPTH};

const ARRAYS: [&str; 6] = [
    "hash",
    "directoryhash",
    "pattern",
    "author",
    "hashlist",
    "hashlistreference",
];

fn tree(xml: &str) -> Option<String> {
    tree_json(xml, &ARRAYS)
}

#[test]
fn a_simple_piece() {
    let xml =
        "<hashes>\n  <hash>\n    <path size=\"1\" lastmodificationdate=\"d\">A &amp; B&#13;</path>\n    \
               <md5 action=\"original\">abc</md5>\n  </hash>\n</hashes>";
    assert_eq!(
        tree(xml).unwrap(),
        r##"{"hashes":{"hash":[{"path":{"@_size":"1","@_lastmodificationdate":"d","#text":"A & B\r"},"md5":{"@_action":"original","#text":"abc"},"#text":"\n    \n    \n  "}],"#text":"\n  \n"}}"##
    );
}

#[test]
fn text_only_elements_repeats_and_empty_elements() {
    assert_eq!(
        tree("<hashes><x>1</x><y/><x>2</x><z></z><x a='q\"'/></hashes>").unwrap(),
        r#"{"hashes":{"x":["1","2",{"@_a":"q\""}],"y":"","z":""}}"#
    );
    assert_eq!(tree("<hashes/>").unwrap(), r#"{"hashes":""}"#);
    assert_eq!(tree("<hash/>").unwrap(), r#"{"hash":[""]}"#);
    assert_eq!(tree("<hashes>  </hashes>\n \t").unwrap(), r#"{"hashes":"  "}"#);
}

#[test]
fn namespaces_prefixes_and_declarations() {
    assert_eq!(
        tree(r#"<hashes xmlns="urn:x"><ns:hash xmlns:ns="u" ns:at="v" xmlnsx="w"><ns:path>p</ns:path></ns:hash></hashes>"#)
            .unwrap(),
        r#"{"hashes":{"hash":[{"@_at":"v","@_xmlnsx":"w","path":"p"}]}}"#
    );
}

#[test]
fn references_in_text_and_attributes() {
    assert_eq!(
        tree(r#"<a b="&lt;&#9;&#x1F4F7;&quot;&apos;">&gt;&#10;&#x0041;&#0065;]]&gt;</a>"#).unwrap(),
        "{\"a\":{\"@_b\":\"<\\t\u{1F4F7}\\\"'\",\"#text\":\">\\nAA]]>\"}}"
    );
}

#[test]
fn odd_but_well_formed_tags() {
    assert_eq!(
        tree("<a  b = \"1\"\n c='>' ></a >").unwrap(),
        r#"{"a":{"@_b":"1","@_c":">"}}"#
    );
    assert_eq!(tree("<a b=\"\"/>").unwrap(), r#"{"a":{"@_b":""}}"#);
}

#[test]
fn declines_what_is_unusual() {
    for xml in [
        // not well-formed
        "<a><b></a>",
        "<a><b></b>",
        "<a></b>",
        "</a>",
        "<a>",
        "",
        "text",
        "<a/><b/>",
        "<a></a><b/>",
        "<a></a>x",
        "<a></a>&amp;",
        "<a b=\"1\" b=\"2\"/>",
        "<a p:b=\"1\" q:b=\"2\"/>",
        "<a xmlns:p=\"1\" xmlns:p=\"2\"/>",
        "<a b=1/>",
        "<a b/>",
        "<a b=\"1\"c=\"2\"/>",
        "<a b=\"<\"/>",
        "<a b=\"&\"/>",
        "<a b=\"&x;\"/>",
        "<a>&</a>",
        "<a>a & b</a>",
        "<a>a < b</a>",
        "<a>]]></a>",
        "<a>x]]]>y</a>",
        "<a / >",
        "<a/ >",
        "< a/>",
        "<1a/>",
        "<a:b:c/>",
        "<:a/>",
        "<a:/>",
        "<é/>",
        "<a é=\"1\"/>",
        // unusual: declined though saxes may take it
        "<?xml version=\"1.0\"?><a/>",
        " <a/>",
        "\u{FEFF}<a/>",
        "<!DOCTYPE a><a/>",
        "<a><!-- c --></a>",
        "<a><![CDATA[x]]></a>",
        "<a><?pi x?></a>",
        "<a/><!-- c -->",
        "<a>&nbsp;</a>",
        "<a>&#X41;</a>",
        "<a>&#;</a>",
        "<a>&#x;</a>",
        "<a>&#0;</a>",
        "<a>&#xD800;</a>",
        "<a>&#xFFFE;</a>",
        "<a>&#x110000;</a>",
        "<a>&#99999999999999999999;</a>",
        "<a>&amp</a>",
        "<a>&a b;</a>",
        "<a>\r</a>",
        "<a>\r\n</a>",
        "<a>\u{1}</a>",
        "<a>\u{FFFE}</a>",
        "<a>\u{FFFF}</a>",
        "<a b=\"x\ty\"/>",
        "<a b=\"x\ny\"/>",
        "<a b=\"x\ry\"/>",
        "<a\r/>",
        "<constructor/>",
        "<a><__proto__/></a>",
        "<a><p:toString/></a>",
    ] {
        assert_eq!(tree(xml), None, "{xml:?}");
    }
}

#[test]
fn lone_surrogates_are_declined_not_replaced() {
    let units = |s: &str| s.encode_utf16().collect::<Vec<u16>>();
    assert_eq!(
        tree_json_utf16(&units("<a>\u{1F4F7}</a>"), &ARRAYS).unwrap(),
        "{\"a\":\"\u{1F4F7}\"}"
    );
    let mut lone = units("<a>x</a>");
    lone[3] = 0xD83D;
    assert_eq!(tree_json_utf16(&lone, &ARRAYS), None);
    lone[3] = 0xDCF7;
    assert_eq!(tree_json_utf16(&lone, &ARRAYS), None);
}

#[test]
fn deep_nesting_is_declined_past_max_depth() {
    let nested = |n: usize| format!("{}x{}", "<a>".repeat(n), "</a>".repeat(n));
    assert!(tree(&nested(MAX_DEPTH)).is_some());
    assert_eq!(tree(&nested(MAX_DEPTH + 1)), None);
    assert_eq!(tree(&nested(1_000_000)), None);
}
