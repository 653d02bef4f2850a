//! From a position in Helm's rendered output back to the template line that
//! produced it. Rendering drops `{{- … }}` lines and expands `include` and
//! `nindent`, so lines do not correspond one to one; the rendered line is
//! found in the template by its text: literally, or through a pattern where
//! each action matches anything. A position inside an action's output maps to
//! the action's `{{`.

/// A template, split into lines with their action spans.
pub struct TemplateMap<'a> {
    lines: Vec<Line<'a>>,
}

struct Line<'a> {
    /// The line without its indentation.
    text: &'a str,
    /// Columns (in chars) of the indentation.
    indent: usize,
    /// Literal pieces and actions of `text`, in order.
    pieces: Vec<Piece<'a>>,
    /// The line can print something: literal text or an output action (a
    /// line of `{{- if … }}`/`{{- end }}` prints nothing).
    prints: bool,
}

/// A literal piece or an action of a template line, with the column (in
/// chars, within the trimmed line) where it starts.
#[derive(Debug)]
struct Piece<'a> {
    /// `None` for an action, which matches any text.
    literal: Option<&'a str>,
    col: usize,
}

impl<'a> TemplateMap<'a> {
    pub fn new(template: &'a str) -> TemplateMap<'a> {
        let lines = template
            .lines()
            .map(|raw| {
                let text = raw.trim_start();
                let indent = raw[..raw.len() - text.len()].chars().count();
                let text = text.trim_end();
                let pieces = pieces(text);
                let prints = pieces.iter().any(|p| p.literal.is_some())
                    || super::template::actions(text)
                        .iter()
                        .any(|r| !super::template::is_control(&text[r.clone()]));
                Line {
                    text,
                    indent,
                    pieces,
                    prints,
                }
            })
            .collect();
        TemplateMap { lines }
    }

    /// The template (line, column), 1-based, of rendered `line`:`column` in
    /// `rendered` (one rendered document).
    pub fn locate(&self, rendered: &str, line: u32, column: u32) -> Option<(u32, u32)> {
        let rendered_lines: Vec<&str> = rendered.lines().collect();
        let raw = *rendered_lines.get(line.checked_sub(1)? as usize)?;
        let text = raw.trim();
        let indent = raw.chars().count() - raw.trim_start().chars().count();
        let col_in_text = (column as usize).saturating_sub(1 + indent);
        // Which occurrence of this rendered text it is: the n-th maps to the n-th match.
        let ordinal = rendered_lines[..line as usize - 1]
            .iter()
            .filter(|l| l.trim() == text)
            .count();

        let literal: Vec<usize> = (0..self.lines.len())
            .filter(|&i| {
                self.lines[i].text == text
                    && self.lines[i].pieces.iter().all(|p| p.literal.is_some())
            })
            .collect();
        if let Some(&i) = literal.get(ordinal).or(literal.last()) {
            let l = &self.lines[i];
            return Some((i as u32 + 1, (l.indent + col_in_text) as u32 + 1));
        }
        // Lines with actions that match; the most literal text wins (a line
        // that is one `{{ include … }}` matches anything, so it comes last).
        let mut matched: Vec<(usize, usize, usize)> = Vec::new();
        for (i, l) in self.lines.iter().enumerate() {
            if l.pieces.iter().any(|p| p.literal.is_none())
                && l.prints
                && let Some(col) = match_col(&l.pieces, text, col_in_text)
            {
                let literal: usize = l
                    .pieces
                    .iter()
                    .filter_map(|p| p.literal)
                    .map(str::len)
                    .sum();
                matched.push((literal, i, l.indent + col));
            }
        }
        let best = matched.iter().map(|m| m.0).max()?;
        matched.retain(|m| m.0 == best);
        let &(_, i, col) = matched.get(ordinal).or(matched.last())?;
        Some((i as u32 + 1, col as u32 + 1))
    }
}

fn pieces(text: &str) -> Vec<Piece<'_>> {
    let col = |byte: usize| text[..byte].chars().count();
    let mut out = Vec::new();
    let mut at = 0;
    let mut trim_next = false;
    for r in super::template::actions(text) {
        let action = &text[r.clone()];
        // `{{-` eats the blanks before it and `-}}` the blanks after it.
        let mut lit = &text[at..r.start];
        let mut lit_start = at;
        if trim_next {
            let t = lit.trim_start();
            lit_start += lit.len() - t.len();
            lit = t;
        }
        if action.starts_with("{{-") {
            lit = lit.trim_end();
        }
        if !lit.is_empty() {
            out.push(Piece {
                literal: Some(lit),
                col: col(lit_start),
            });
        }
        out.push(Piece {
            literal: None,
            col: col(r.start),
        });
        trim_next = action.ends_with("-}}");
        at = r.end;
    }
    let mut lit = &text[at..];
    let mut lit_start = at;
    if trim_next {
        let t = lit.trim_start();
        lit_start += lit.len() - t.len();
        lit = t;
    }
    if !lit.is_empty() {
        out.push(Piece {
            literal: Some(lit),
            col: col(lit_start),
        });
    }
    out
}

/// Matches `text` against the pieces (an action matches any run of
/// characters) and returns the template column (in chars, within the trimmed
/// line) of character `col` of `text`.
fn match_col(pieces: &[Piece<'_>], text: &str, col: usize) -> Option<usize> {
    let chars: Vec<char> = text.chars().collect();
    let mut path = Vec::new();
    // Backtracking over several actions on a long line is bounded: a line
    // that takes longer than this to match is not mapped.
    let mut budget = 100_000u32;
    if !matches_from(pieces, &chars, 0, &mut path, &mut budget) {
        return None;
    }
    // `path[k]` is where piece k starts in `text`.
    let k = (0..pieces.len())
        .rev()
        .find(|&k| path[k] <= col)
        .unwrap_or(0);
    let piece = &pieces[k];
    Some(match piece.literal {
        None => piece.col,
        Some(_) => piece.col + (col - path[k]),
    })
}

fn matches_from(
    pieces: &[Piece<'_>],
    text: &[char],
    at: usize,
    path: &mut Vec<usize>,
    budget: &mut u32,
) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    let Some((first, rest)) = pieces.split_first() else {
        return at == text.len();
    };
    path.push(at);
    let ok = match first.literal {
        Some(s) => {
            let lit: Vec<char> = s.chars().collect();
            text.len() >= at + lit.len()
                && text[at..at + lit.len()] == lit[..]
                && matches_from(rest, text, at + lit.len(), path, budget)
        }
        None => (at..=text.len()).any(|end| {
            let depth = path.len();
            let ok = matches_from(rest, text, end, path, budget);
            if !ok {
                path.truncate(depth);
            }
            ok
        }),
    };
    if !ok {
        path.pop();
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "api.fullname" . }}-migrate
spec:
  template:
    spec:
      containers:
        - name: migrate
          args:
            - |
              alembic upgrade head
              alembic stamp head
        - name: values
          command:
            - /bin/sh
            - -c
            - {{ .Values.migrate.command | quote }}
"#;

    const RENDERED: &str = r#"---
# Source: api/templates/job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: release-api-migrate
spec:
  template:
    spec:
      containers:
        - name: migrate
          args:
            - |
              alembic upgrade head
              alembic stamp head
        - name: values
          command:
            - /bin/sh
            - -c
            - "alembic upgrade head || true"
"#;

    #[test]
    fn literal_lines_map_to_their_template_line() {
        let map = TemplateMap::new(TEMPLATE);
        // `alembic stamp head` is rendered line 15, column 15.
        assert_eq!(map.locate(RENDERED, 15, 15), Some((13, 15)));
    }

    #[test]
    fn output_of_an_action_maps_to_its_braces() {
        let map = TemplateMap::new(TEMPLATE);
        assert_eq!(map.locate(RENDERED, 20, 16), Some((18, 15)));
        // Literal text after an action keeps its own column.
        assert_eq!(map.locate(RENDERED, 6, 22), Some((4, 41)));
    }

    #[test]
    fn unknown_lines_do_not_map() {
        let map = TemplateMap::new(TEMPLATE);
        assert_eq!(map.locate("x: 1\nnot in the template\n", 2, 1), None);
    }
}
