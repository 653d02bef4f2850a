use super::*;

fn docs(text: &str) -> Vec<(u32, String)> {
    DocumentSplitter::new(text.as_bytes())
        .map(|d| {
            d.map(|d| (d.first_line, d.text))
                .unwrap_or_else(|e| panic!("{e}"))
        })
        .collect()
}

#[test]
fn splits_streams_at_document_markers() {
    let text = "a: 1\n---\n# Source: chart/templates/job.yaml\nb: 2\n--- \nc: 3\n...\nd: 4\n";
    let d = docs(text);
    assert_eq!(d.len(), 4);
    assert_eq!(d[0], (1, "a: 1\n".to_string()));
    assert_eq!(d[1].0, 2);
    assert!(d[1].1.starts_with("---\n# Source:"));
    assert_eq!(d[2], (5, "--- \nc: 3\n...\n".to_string()));
    assert_eq!(d[3], (8, "d: 4\n".to_string()));
}

#[test]
fn leading_comments_and_markers_stay_with_their_document() {
    let d = docs("# header\n---\nkind: Job\n");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].0, 1);
    let d = docs("---\n---\nkind: Job\n");
    assert_eq!(
        d.len(),
        1,
        "an empty document before a marker is not split off"
    );
}

#[test]
fn indented_markers_inside_block_scalars_do_not_split() {
    let d = docs("script: |\n  echo a\n  ---\n  echo b\n");
    assert_eq!(d.len(), 1);
}

#[test]
fn bom_is_stripped_and_invalid_utf8_is_an_error_with_a_line() {
    let d: Vec<_> = DocumentSplitter::new(&b"\xEF\xBB\xBFkind: Job\n"[..]).collect();
    assert_eq!(
        d[0].as_ref().map(|d| d.text.as_str()).ok(),
        Some("kind: Job\n")
    );
    let err = DocumentSplitter::new(&b"a: 1\nb: caf\xE9\n"[..])
        .find_map(Result::err)
        .map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("not UTF-8 text (invalid byte sequence on line 2); save the file as UTF-8")
    );
}

#[test]
fn nodes_carry_byte_spans() {
    let text = "spec:\n  command: [\"sh\", \"-c\"]\n  args:\n    - |\n      alembic upgrade head\n";
    let root = &parse_document(text).unwrap()[0];
    let cmd = root.path(&["spec", "command"]).unwrap().as_seq().unwrap();
    assert_eq!(&text[cmd[1].span.clone()], "\"-c\"");
    let script = &root.path(&["spec", "args"]).unwrap().as_seq().unwrap()[0];
    let w = script.to_word(text).unwrap();
    assert_eq!(w.text, "alembic upgrade head\n");
    let upgrade = w.source_range(8..15);
    assert_eq!(&text[upgrade], "upgrade");
}

#[test]
fn aliases_and_merge_keys_resolve() {
    let text =
        "base: &b {command: [alembic, upgrade, head]}\njob:\n  <<: *b\n  name: x\nother: *b\n";
    let root = &parse_document(text).unwrap()[0];
    assert_eq!(
        root.path(&["job", "command"])
            .and_then(Node::as_seq)
            .map(<[Node]>::len),
        Some(3)
    );
    assert!(root.path(&["other", "command"]).is_some());
}

#[test]
fn hostile_documents_fail_cleanly() {
    let bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
    assert!(parse_document(bomb).unwrap_err().message.contains("alias"));
    let deep = format!("command: {}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_document(&deep).is_err());
    let deep_block: String = (0..5_000)
        .map(|i| format!("{}- \n", " ".repeat(i)))
        .collect();
    let _ = parse_document(&deep_block);
    assert!(
        parse_document("a: 1\na: 2\n")
            .unwrap_err()
            .message
            .contains("duplicate key `a`")
    );
    assert!(parse_document("a: [1, 2").is_err());
}

#[test]
fn empty_and_comment_only_documents_have_no_root() {
    assert!(parse_document("").unwrap().is_empty());
    assert!(parse_document("# only a comment\n").unwrap().is_empty());
}

#[test]
fn align_word_maps_through_escapes() {
    let doc = r#"cmd: "alembic \"stamp\" head""#;
    let start = doc.find('"').unwrap();
    let w = align_word("alembic \"stamp\" head", doc, start..doc.len());
    let i = w.text.find("stamp").unwrap();
    assert_eq!(&doc[w.source_range(i..i + 5)], "stamp");
}

#[test]
fn duplicate_keys_keep_the_last_value_when_tolerated() {
    let text = "spec:\n  command: [alembic, upgrade, head]\n  name: x\n  command: [alembic, stamp, head]\n";
    let parsed = parse_document_lenient(text).unwrap();
    assert_eq!(parsed.duplicates.len(), 1);
    assert_eq!(parsed.duplicates[0].offset, text.rfind("command").unwrap());
    let spec = parsed.roots[0].get("spec").unwrap();
    let cmd = spec.get("command").unwrap().as_seq().unwrap();
    assert_eq!(cmd[1].as_str(), Some("stamp"));
    assert_eq!(spec.as_map().unwrap().len(), 2);
    assert!(
        parse_document(text).is_err(),
        "strict parsing still refuses"
    );
}

#[test]
fn json_comments_become_spaces_outside_strings() {
    let text = "{\n  // editor setting\n  \"url\": \"http://x/*y*/\", /* block\n  comment */ \"a\": 1\n}\n";
    let blanked = blank_json_comments(text).unwrap();
    assert_eq!(blanked.len(), text.len());
    assert_eq!(blanked.lines().count(), text.lines().count());
    assert!(blanked.contains("\"http://x/*y*/\""), "strings are kept");
    let root = &parse_document(&blanked).unwrap()[0];
    assert_eq!(root.get("a").unwrap().as_str(), Some("1"));
    assert!(blank_json_comments("{\"a\": \"//not a comment\"}").is_none());
}
