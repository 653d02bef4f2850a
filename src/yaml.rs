//! All YAML goes through this module (the serde-saphyr stack, as in kube).
//!
//! Two ways in:
//! - **Spec documents** (`parse_document`): a small tree of nodes with byte
//!   spans, built from the event stream of `granit-parser`, the parser under
//!   serde-saphyr. Spec sources need the location of every scalar (findings
//!   point at `file:line:col`) and must read documents of any shape without a
//!   schema; the event path is also about twice as fast as deserializing
//!   through serde, which matters for large manifest streams.
//! - **Typed files** (`from_str`): configuration and snapshots, deserialized
//!   with serde-saphyr into Rust types.
//!
//! Streams are split into documents *before* parsing (`DocumentSplitter`), so
//! memory stays proportional to one document, a syntax error in one document
//! does not hide the documents after it, and each document knows its first
//! line in the file.

use crate::command::Word;
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};
use std::io::BufRead;
use std::ops::Range;

/// A YAML node with its byte span in the document text.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(String, Style),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

/// How a scalar was written; plain scalars may be null, numbers or booleans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Quoted,
    Block,
}

/// Limits that keep hostile documents (alias bombs, deep nesting) cheap.
const MAX_DEPTH: usize = 200;
const MAX_NODES: usize = 2_000_000;

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    /// Byte offset in the document text where the problem was found.
    pub offset: usize,
}

impl Node {
    /// The value under `key` in a mapping (merge keys `<<` are followed).
    pub fn get(&self, key: &str) -> Option<&Node> {
        let Value::Map(entries) = &self.value else {
            return None;
        };
        if let Some((_, v)) = entries.iter().find(|(k, _)| k.as_str() == Some(key)) {
            return Some(v);
        }
        entries
            .iter()
            .filter(|(k, _)| k.as_str() == Some("<<"))
            .find_map(|(_, v)| match &v.value {
                Value::Seq(items) => items.iter().find_map(|m| m.get(key)),
                _ => v.get(key),
            })
    }

    /// The key and value nodes of `key` in a mapping.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, k| node.get(k))
    }

    /// The text of a non-null scalar.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s, Style::Plain) if is_null(s) => None,
            Value::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar(s, Style::Plain) if is_null(s))
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A short name of the node's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match &self.value {
            Value::Scalar(_, _) if self.is_null() => "null",
            Value::Scalar(_, _) => "a scalar",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    /// The scalar as a [`Word`] whose spans point into `doc` (the text the node
    /// was parsed from), so shell analysis of the value reports exact columns.
    pub fn to_word(&self, doc: &str) -> Option<Word> {
        let text = self.as_str()?;
        Some(align_word(text, doc, self.span.clone()))
    }
}

fn is_null(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL")
}

/// Builds a word for `text` whose characters are located in `doc[span]` by
/// aligning them with the raw source (quotes, escapes and block indentation
/// are skipped over). A character that cannot be found nearby keeps the
/// position of the previous one.
pub fn align_word(text: &str, doc: &str, span: Range<usize>) -> Word {
    const WINDOW: usize = 96;
    let span = span.start.min(doc.len())..span.end.min(doc.len());
    let raw = doc.get(span.clone()).unwrap_or("");
    let mut b = Word::builder(span.start);
    let mut r = 0usize;
    for c in text.chars() {
        let found = raw
            .get(r..)
            .unwrap_or("")
            .char_indices()
            .take(WINDOW)
            .find(|&(_, rc)| rc == c);
        match found {
            Some((k, rc)) => {
                b.push(c, span.start + r + k);
                r += k + rc.len_utf8();
            }
            None => b.push(c, span.start + r.min(raw.len())),
        }
    }
    let mut w = b.finish(span.end);
    w.quoted = true;
    w
}

/// Parses one document's text into nodes (usually one root; more only when the
/// text holds several documents the splitter could not separate). Empty
/// documents give no node.
pub fn parse_document(text: &str) -> Result<Vec<Node>, YamlError> {
    let parsed = parse_document_lenient(text)?;
    match parsed.duplicates.into_iter().next() {
        Some(dup) => Err(dup),
        None => Ok(parsed.roots),
    }
}

/// A document read with duplicate keys tolerated.
#[derive(Debug, Default)]
pub struct Parsed {
    pub roots: Vec<Node>,
    /// Every duplicate key, at the later occurrence. The tree keeps the last
    /// value of each key, as most YAML consumers do (kubectl rejects them).
    pub duplicates: Vec<YamlError>,
}

/// Parses one document like [`parse_document`], but a duplicate key is
/// recorded instead of failing the document: a directory walk meets archived
/// examples and hand-edited files where that is the only flaw.
pub fn parse_document_lenient(text: &str) -> Result<Parsed, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut builder = TreeBuilder::default();
    while let Some(ev) = parser.next_event() {
        let (event, span) = ev.map_err(|e| YamlError {
            message: e.info(),
            offset: byte_offset_of(text, e.marker().byte_offset(), e.marker().index()),
        })?;
        let start = byte_offset_of(text, span.start.byte_offset(), span.start.index());
        let end = byte_offset_of(text, span.end.byte_offset(), span.end.index());
        builder.event(event, start..end.max(start))?;
    }
    Ok(Parsed {
        roots: builder.roots,
        duplicates: builder.duplicates,
    })
}

fn byte_offset_of(text: &str, bytes: Option<usize>, chars: usize) -> usize {
    match bytes {
        Some(b) => b.min(text.len()),
        None => text
            .char_indices()
            .nth(chars)
            .map_or(text.len(), |(i, _)| i),
    }
}

#[derive(Default)]
struct TreeBuilder {
    roots: Vec<Node>,
    /// Open collections: the node being built and, for maps, a pending key.
    stack: Vec<(Node, Option<Node>)>,
    /// Anchor ids of the open collections, parallel to `stack`.
    open_anchors: Vec<usize>,
    anchors: std::collections::HashMap<usize, Node>,
    nodes: usize,
    duplicates: Vec<YamlError>,
}

impl TreeBuilder {
    fn event(&mut self, event: Event<'_>, span: Range<usize>) -> Result<(), YamlError> {
        match event {
            Event::Scalar(value, style, anchor, _tag) => {
                let style = match style {
                    ScalarStyle::Plain => Style::Plain,
                    ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => Style::Quoted,
                    _ => Style::Block,
                };
                let node = Node {
                    value: Value::Scalar(value.into_owned(), style),
                    span,
                };
                self.count(1, node.span.start)?;
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.attach(node)
            }
            Event::SequenceStart(_, anchor, _) => self.open(Value::Seq(Vec::new()), span, anchor),
            Event::MappingStart(_, anchor, _) => self.open(Value::Map(Vec::new()), span, anchor),
            Event::SequenceEnd | Event::MappingEnd => {
                let Some((mut node, pending)) = self.stack.pop() else {
                    return Ok(());
                };
                if let (Value::Map(entries), Some(key)) = (&mut node.value, pending) {
                    // A key without a value (malformed input the parser let through).
                    let at = key.span.end;
                    entries.push((key, null_at(at)));
                }
                if let Value::Map(entries) = &mut node.value {
                    self.duplicates.extend(drop_duplicate_keys(entries));
                }
                node.span.end = span.end.max(node.span.start);
                let anchor = self.open_anchors.pop().unwrap_or(0);
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.attach(node)
            }
            Event::Alias(id) => {
                let Some(target) = self.anchors.get(&id).cloned() else {
                    return Err(YamlError {
                        message: "alias refers to an unknown anchor".into(),
                        offset: span.start,
                    });
                };
                self.count(count_nodes(&target), span.start)?;
                let mut node = target;
                node.span = span; // report uses of an alias at the alias
                self.attach(node)
            }
            _ => Ok(()),
        }
    }

    fn count(&mut self, n: usize, offset: usize) -> Result<(), YamlError> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err(YamlError {
                message: format!(
                    "document expands to more than {MAX_NODES} nodes (alias expansion bomb?)"
                ),
                offset,
            });
        }
        Ok(())
    }

    fn open(&mut self, value: Value, span: Range<usize>, anchor: usize) -> Result<(), YamlError> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(YamlError {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                offset: span.start,
            });
        }
        self.count(1, span.start)?;
        self.stack.push((Node { value, span }, None));
        self.open_anchors.push(anchor);
        Ok(())
    }

    fn attach(&mut self, node: Node) -> Result<(), YamlError> {
        match self.stack.last_mut() {
            None => self.roots.push(node),
            Some((parent, pending)) => match &mut parent.value {
                Value::Seq(items) => items.push(node),
                Value::Map(entries) => match pending.take() {
                    None => *pending = Some(node),
                    Some(key) => entries.push((key, node)),
                },
                Value::Scalar(..) => {}
            },
        }
        Ok(())
    }
}

/// Duplicate keys are an error for a named file: which of two `command:` keys
/// runs depends on the consumer (kubectl rejects them, some parsers keep the
/// last one). The earlier entries are removed so the tree holds the last value;
/// each duplicate is returned at its later occurrence.
fn drop_duplicate_keys(entries: &mut Vec<(Node, Node)>) -> Vec<YamlError> {
    fn key(n: &Node) -> Option<&str> {
        match &n.value {
            Value::Scalar(s, _) => Some(s.as_str()).filter(|k| *k != "<<"),
            _ => None,
        }
    }
    let mut later: Vec<usize> = Vec::new();
    if entries.len() <= 16 {
        for i in 0..entries.len() {
            if let Some(name) = key(&entries[i].0)
                && entries[..i].iter().any(|(p, _)| key(p) == Some(name))
            {
                later.push(i);
            }
        }
    } else {
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        for (i, (k, _)) in entries.iter().enumerate() {
            if let Some(name) = key(k)
                && !seen.insert(name)
            {
                later.push(i);
            }
        }
    }
    if later.is_empty() {
        return Vec::new();
    }
    let errors: Vec<YamlError> = later
        .iter()
        .map(|&i| YamlError {
            message: format!(
                "duplicate key `{}` in a mapping",
                key(&entries[i].0).unwrap_or("")
            ),
            offset: entries[i].0.span.start,
        })
        .collect();
    // Keep the last entry of each key.
    let mut last: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, (k, _)) in entries.iter().enumerate() {
        if let Some(name) = key(k) {
            last.insert(name.to_owned(), i);
        }
    }
    let mut i = 0;
    entries.retain(|(k, _)| {
        let keep = key(k).is_none_or(|name| last.get(name) == Some(&i));
        i += 1;
        keep
    });
    errors
}

fn null_at(at: usize) -> Node {
    Node {
        value: Value::Scalar(String::new(), Style::Plain),
        span: at..at,
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Scalar(..) => 0,
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries
            .iter()
            .map(|(k, v)| count_nodes(k) + count_nodes(v))
            .sum(),
    }
}

/// One document's text cut out of a stream, with its position in the stream.
#[derive(Debug, Clone)]
pub struct RawDocument {
    pub text: String,
    /// 1-based line of the document's first line in the file.
    pub first_line: u32,
}

/// Why a stream could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not UTF-8 text (invalid byte sequence on line {line}); save the file as UTF-8")]
    NotUtf8 { line: u32 },
    #[error("a single document is larger than {limit} MiB", limit = MAX_DOCUMENT_BYTES >> 20)]
    TooLarge,
}

/// Largest single document preflight reads; a manifest stream may be any size.
pub const MAX_DOCUMENT_BYTES: usize = 64 << 20;

/// Splits a YAML stream into documents at `---` lines, reading lazily.
///
/// A `---` line only starts a new document once the current one has content,
/// so comments and directives before a marker stay with the document they
/// introduce (Helm's `# Source:` lines).
pub struct DocumentSplitter<R> {
    reader: R,
    line_no: u32,
    pending: Option<(String, u32)>,
    buf: Vec<u8>,
    done: bool,
    first: bool,
}

impl<R: BufRead> DocumentSplitter<R> {
    pub fn new(reader: R) -> Self {
        DocumentSplitter {
            reader,
            line_no: 0,
            pending: None,
            buf: Vec::new(),
            done: false,
            first: true,
        }
    }

    /// Reads the next line (with its newline); None at end of input.
    fn next_line(&mut self) -> Result<Option<String>, ReadError> {
        self.buf.clear();
        let n = self.reader.read_until(b'\n', &mut self.buf)?;
        if n == 0 {
            return Ok(None);
        }
        self.line_no += 1;
        let mut bytes = std::mem::take(&mut self.buf);
        if self.first {
            self.first = false;
            if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
                bytes.drain(..3);
            }
        }
        match String::from_utf8(bytes) {
            Ok(s) => Ok(Some(s)),
            Err(_) => Err(ReadError::NotUtf8 { line: self.line_no }),
        }
    }
}

fn is_document_start(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\n', '\r']))
}

fn is_document_end(line: &str) -> bool {
    line.strip_prefix("...")
        .is_some_and(|rest| rest.trim().is_empty() || rest.trim_start().starts_with('#'))
}

fn is_content(line: &str) -> bool {
    let t = line.trim_start();
    !(t.is_empty() || t.starts_with('#') || line.starts_with('%'))
}

impl<R: BufRead> Iterator for DocumentSplitter<R> {
    type Item = Result<RawDocument, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let (mut text, mut first_line) = self
            .pending
            .take()
            .unwrap_or((String::new(), self.line_no + 1));
        let mut has_content = text.lines().any(is_content);
        loop {
            let line = match self.next_line() {
                Ok(Some(l)) => l,
                Ok(None) => {
                    self.done = true;
                    return (!text.is_empty()).then_some(Ok(RawDocument { text, first_line }));
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if is_document_start(&line) && has_content {
                self.pending = Some((line, self.line_no));
                return Some(Ok(RawDocument { text, first_line }));
            }
            if text.is_empty() {
                first_line = self.line_no;
            }
            has_content |= is_content(&line) && !is_document_start(&line);
            let ends = is_document_end(&line);
            text.push_str(&line);
            if text.len() > MAX_DOCUMENT_BYTES {
                self.done = true;
                return Some(Err(ReadError::TooLarge));
            }
            if ends {
                return Some(Ok(RawDocument { text, first_line }));
            }
        }
    }
}

/// A typed YAML document that could not be read, or a value that could not
/// be written as YAML.
#[derive(Debug, thiserror::Error)]
pub enum TypedError {
    #[error(transparent)]
    Read(Box<serde_saphyr::Error>),
    #[error(transparent)]
    Write(Box<serde_saphyr::SerializeError>),
}

/// Deserializes a typed YAML file (configuration, snapshots).
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, TypedError> {
    serde_saphyr::from_str(text).map_err(|e| TypedError::Read(Box::new(e)))
}

/// Serializes a value as YAML.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, TypedError> {
    serde_saphyr::to_string(value).map_err(|e| TypedError::Write(Box::new(e)))
}

#[cfg(test)]
mod tests;

/// JSON with comments (JSONC, as VS Code, devcontainers and TypeScript write
/// it): `//` and `/* */` comments outside strings become spaces, so offsets and
/// lines stay where they were. `None` when the text has no comment.
pub fn blank_json_comments(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut found = false;
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            match b {
                b'\\' => i += 1,
                b'"' => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        match (b, bytes.get(i + 1)) {
            (b'"', _) => in_string = true,
            (b'/', Some(b'/')) => {
                found = true;
                while i < bytes.len() && bytes[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
                continue;
            }
            (b'/', Some(b'*')) => {
                found = true;
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                for o in &mut out[i..end] {
                    if *o != b'\n' {
                        *o = b' ';
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    // Only ASCII bytes were replaced, by ASCII spaces, so the text is still UTF-8.
    found.then(|| String::from_utf8(out).unwrap_or_default())
}
