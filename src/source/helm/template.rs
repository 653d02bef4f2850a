//! Reading a chart template without Helm: Go template actions are replaced by
//! placeholders of the same byte length, so the text parses as YAML and every
//! offset still points at the template file.
//!
//! - A line holding only control actions (`{{- if … }}`, `{{ end }}`,
//!   `{{/* … */}}`, `{{ $x := … }}`) becomes blank.
//! - A line holding only an output action right after `key:` is that key's
//!   value (`{{- toYaml .Values.args | nindent 12 }}`): it becomes a quoted
//!   placeholder scalar, and the caller knows it is templated.
//! - Any other output-only line (a block of labels or env entries) becomes
//!   blank; an action inside a line becomes `_` characters.

use std::ops::Range;

/// A template action: its byte range in the template and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub range: Range<usize>,
    pub text: String,
}

/// A template made readable as YAML.
#[derive(Debug, Clone)]
pub struct Sanitized {
    /// Same length and line structure as the template.
    pub text: String,
    /// Every output action (control actions are gone), in order.
    pub actions: Vec<Action>,
}

impl Sanitized {
    /// The action a byte range lies in, if the range holds nothing but
    /// actions, quotes and blanks: the value is the expression, not text.
    pub fn templated(&self, template: &str, span: Range<usize>) -> Option<&Action> {
        let span = span.start.min(template.len())..span.end.min(template.len());
        let inside: Vec<&Action> = self
            .actions
            .iter()
            .filter(|a| a.range.start < span.end && span.start < a.range.end)
            .collect();
        let first = *inside.first()?;
        let mut rest = template.get(span.clone())?.as_bytes().to_vec();
        for a in &inside {
            let from = a.range.start.max(span.start) - span.start;
            let to = a.range.end.min(span.end) - span.start;
            for b in &mut rest[from..to] {
                *b = b' ';
            }
        }
        rest.iter()
            .all(|b| b.is_ascii_whitespace() || matches!(b, b'"' | b'\'' | b'|' | b'>' | b'-'))
            .then_some(first)
    }
}

/// Finds the actions of a template: `{{` … `}}`, with Go string literals in
/// between skipped (`{{ printf "}}" }}`). An unclosed action runs to the end.
pub fn actions(template: &str) -> Vec<Range<usize>> {
    let b = template.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(start) = memchr::memmem::find(&b[i..], b"{{").map(|p| i + p) {
        let mut j = start + 2;
        let mut quote: Option<u8> = None;
        let end = loop {
            if j + 1 >= b.len() {
                break b.len();
            }
            match (quote, b[j]) {
                (Some(q), c) if c == q => quote = None,
                (Some(b'"'), b'\\') => j += 1,
                (Some(_), _) => {}
                (None, c @ (b'"' | b'`')) => quote = Some(c),
                (None, b'}') if b[j + 1] == b'}' => break j + 2,
                (None, _) => {}
            }
            j += 1;
        };
        out.push(start..end);
        i = end;
    }
    out
}

/// True for actions that print nothing.
pub fn is_control(action: &str) -> bool {
    let inner = action
        .trim_start_matches("{{")
        .trim_end_matches("}}")
        .trim_start_matches('-')
        .trim_end_matches('-')
        .trim();
    if inner.starts_with("/*") {
        return true;
    }
    let word = inner.split_whitespace().next().unwrap_or("");
    if matches!(
        word,
        "if" | "else" | "end" | "range" | "with" | "define" | "block" | "break" | "continue"
    ) {
        return true;
    }
    // `$x := …` and `$x = …` assign without printing.
    word.starts_with('$')
        && inner
            .split_whitespace()
            .nth(1)
            .is_some_and(|op| op == ":=" || op == "=")
}

pub fn sanitize(template: &str) -> Sanitized {
    let ranges = actions(template);
    let mut out = template.as_bytes().to_vec();
    let mut kept = Vec::new();
    // Line boundaries, to tell lines that hold only actions.
    let mut line_starts = vec![0];
    line_starts.extend(
        template
            .bytes()
            .enumerate()
            .filter(|&(_, c)| c == b'\n')
            .map(|(i, _)| i + 1),
    );
    let line_of = |offset: usize| line_starts.partition_point(|&s| s <= offset) - 1;
    let line_range = |line: usize| {
        let start = line_starts[line];
        let end = line_starts.get(line + 1).map_or(template.len(), |&s| s - 1);
        start..end
    };
    let blank = |out: &mut Vec<u8>, r: Range<usize>| {
        for b in &mut out[r] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
    };
    let mut last_line_done = usize::MAX;
    for r in &ranges {
        let text = &template[r.clone()];
        let control = is_control(text);
        let line = line_of(r.start);
        let lr = line_range(line);
        // Everything on the line outside actions.
        let others = line_has_text_outside(template, lr.clone(), &ranges);
        if control {
            blank(&mut out, r.clone());
            continue;
        }
        kept.push(Action {
            range: r.clone(),
            text: text.to_owned(),
        });
        if !others && line_of(r.end.saturating_sub(1)) == line {
            if last_line_done == line {
                blank(&mut out, r.clone());
                continue;
            }
            last_line_done = line;
            // An output-only line: a block value when the line above is `key:`.
            let key_indent = (line > 0)
                .then(|| key_above(template, &ranges, line_starts.as_slice(), line))
                .flatten();
            if let Some(key_indent) = key_indent {
                // The placeholder must sit deeper than its key; an action at
                // column 0 (`{{ toYaml .Values.env | indent 12 }}`) lends its
                // own bytes for the indentation.
                let column = r.start - lr.start;
                let pad = (key_indent + 1).saturating_sub(column);
                if r.len() >= pad + 2 {
                    let start = r.start + pad;
                    for b in &mut out[r.start..start] {
                        *b = b' ';
                    }
                    out[start] = b'"';
                    for b in &mut out[start + 1..r.end - 1] {
                        *b = b'_';
                    }
                    out[r.end - 1] = b'"';
                } else {
                    blank(&mut out, r.clone());
                }
            } else {
                blank(&mut out, r.clone());
            }
            continue;
        }
        for b in &mut out[r.clone()] {
            if *b != b'\n' {
                *b = b'_';
            }
        }
    }
    Sanitized {
        // Only ASCII bytes were written over whole actions (which start and
        // end with ASCII braces), so the result is UTF-8.
        text: String::from_utf8(out).unwrap_or_default(),
        actions: kept,
    }
}

/// True when the line has characters (other than blanks) outside actions.
fn line_has_text_outside(template: &str, line: Range<usize>, actions: &[Range<usize>]) -> bool {
    let b = template.as_bytes();
    let mut i = line.start;
    while i < line.end {
        if let Some(a) = actions.iter().find(|a| a.start <= i && i < a.end) {
            i = a.end;
            continue;
        }
        if !b[i].is_ascii_whitespace() {
            return true;
        }
        i += 1;
    }
    false
}

/// The indentation of the nearest line above `line` with text outside
/// actions, when that line ends with `key:`.
fn key_above(
    template: &str,
    actions: &[Range<usize>],
    starts: &[usize],
    line: usize,
) -> Option<usize> {
    let mut l = line;
    while l > 0 {
        l -= 1;
        let start = starts[l];
        let end = starts.get(l + 1).map_or(template.len(), |&s| s - 1);
        if !line_has_text_outside(template, start..end, actions) {
            continue;
        }
        let raw = &template[start..end];
        let text = raw.trim_end();
        let text = text.split(" #").next().unwrap_or(text).trim_end();
        let indent = raw.len() - raw.trim_start().len();
        let indent = if raw.trim_start().starts_with("- ") {
            indent + 2
        } else {
            indent
        };
        return text.ends_with(':').then_some(indent);
    }
    None
}

/// When a template cannot be read even with its actions replaced, its lines
/// are read one by one: every line that runs a known program is a step of
/// its own, in the phase its hook annotation names.
pub fn scan_lines(doc: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for raw in doc.split_inclusive('\n') {
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let t = line.trim_start();
        if t.is_empty() || t.starts_with('#') || t.starts_with("{{") && t.ends_with("}}") {
            continue;
        }
        let mut value_at = start + (line.len() - t.len());
        let mut value = t;
        if let Some(rest) = value.strip_prefix("- ") {
            value_at += value.len() - rest.trim_start().len();
            value = rest.trim_start();
        }
        if let Some((key, rest)) = value.split_once(':')
            && !key.contains(char::is_whitespace)
            && !key.starts_with(['"', '\'', '['])
            && (rest.is_empty() || rest.starts_with(' '))
        {
            let rest_trimmed = rest.trim_start();
            value_at += value.len() - rest_trimmed.len();
            value = rest_trimmed;
        }
        let text = if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
            inner
                .split(',')
                .map(|w| w.trim().trim_matches(['"', '\'']))
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            value.trim_matches(['"', '\'']).to_owned()
        };
        let runs_tool = text.split_whitespace().any(|w| {
            let name = w.rsplit('/').next().unwrap_or(w);
            crate::tools::is_tool_program(name)
                || matches!(name, "manage.py" | "artisan" | "mix" | "dotnet")
        });
        if runs_tool {
            out.push((value_at..start + line.len(), text));
        }
    }
    out
}

/// The value of a hook annotation written literally in a template.
pub fn annotation(doc: &str, key: &str) -> Option<String> {
    doc.lines().find_map(|l| {
        let t = l.trim_start().trim_start_matches(['"', '\'']);
        let rest = t.strip_prefix(key)?;
        let value = rest.trim_start_matches(['"', '\'']).strip_prefix(':')?;
        Some(value.trim().trim_matches(['"', '\'']).to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;

    const JOB: &str = r#"{{- if .Values.migrate.enabled }}
apiVersion: batch/v1
kind: Job
metadata:
  name: "{{ include "api.fullname" . }}-migrate"
  labels:
    {{- include "api.labels" . | nindent 4 }}
  annotations:
    "helm.sh/hook": pre-upgrade
spec:
  template:
    spec:
      containers:
        - name: migrate
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          command: ["alembic", "stamp", "head"]
          args:
            {{- toYaml .Values.migrate.args | nindent 12 }}
        - name: second
          command:
            - /bin/sh
            - -c
            - {{ .Values.migrate.command | quote }}
{{- end }}
"#;

    #[test]
    fn keeps_offsets_and_lines_and_parses() {
        let s = sanitize(JOB);
        assert_eq!(s.text.len(), JOB.len());
        assert_eq!(s.text.lines().count(), JOB.lines().count());
        let roots = yaml::parse_document(&s.text).expect("parses");
        let c = roots[0]
            .path(&["spec", "template", "spec", "containers"])
            .and_then(yaml::Node::as_seq)
            .expect("containers");
        assert_eq!(c[0].get("command").unwrap().as_seq().unwrap().len(), 3);
        let args = c[0].get("args").unwrap();
        let action = s.templated(JOB, args.span.clone()).expect("args templated");
        assert!(action.text.contains(".Values.migrate.args"));
        let item = &c[1].get("command").unwrap().as_seq().unwrap()[2];
        let action = s.templated(JOB, item.span.clone()).expect("item templated");
        assert!(action.text.contains(".Values.migrate.command | quote"));
        let name = roots[0].path(&["metadata", "name"]).unwrap();
        assert!(
            s.templated(JOB, name.span.clone()).is_none(),
            "partly literal"
        );
    }

    #[test]
    fn a_block_value_at_column_zero_is_indented_under_its_key() {
        let t = "spec:\n  containers:\n    - name: a\n      env:\n{{ toYaml .Values.env | indent 8 }}\n      command: [alembic, stamp, head]\n";
        let s = sanitize(t);
        let roots = yaml::parse_document(&s.text).expect("parses");
        let c = &roots[0]
            .path(&["spec", "containers"])
            .unwrap()
            .as_seq()
            .unwrap()[0];
        assert!(c.get("command").is_some());
        assert!(s.templated(t, c.get("env").unwrap().span.clone()).is_some());
    }

    #[test]
    fn actions_skip_strings_and_survive_unclosed() {
        let t = r#"a {{ printf "}}" }} b {{ x"#;
        let r = actions(t);
        assert_eq!(&t[r[0].clone()], r#"{{ printf "}}" }}"#);
        assert_eq!(r[1].end, t.len());
    }

    #[test]
    fn control_actions_print_nothing() {
        for c in [
            "{{- if .Values.x }}",
            "{{ end }}",
            "{{/* note */}}",
            "{{- $n := 3 }}",
            "{{- else if .a }}",
        ] {
            assert!(is_control(c), "{c}");
        }
        for o in ["{{ .Values.x }}", "{{ include \"a\" . }}", "{{ $x }}"] {
            assert!(!is_control(o), "{o}");
        }
    }

    #[test]
    fn lines_read_one_by_one_keep_the_command_and_its_place() {
        let doc = "metadata:\n  annotations:\n    \"helm.sh/hook\": pre-upgrade\nspec:\n  command: [\"alembic\", \"stamp\", \"head\"]\n  image: app:1\n  args:\n    - python manage.py migrate --fake\n";
        let found = scan_lines(doc);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].1, "alembic stamp head");
        assert_eq!(
            &doc[found[0].0.clone()],
            "[\"alembic\", \"stamp\", \"head\"]"
        );
        assert_eq!(found[1].1, "python manage.py migrate --fake");
        assert_eq!(
            annotation(doc, "helm.sh/hook").as_deref(),
            Some("pre-upgrade")
        );
    }
}
