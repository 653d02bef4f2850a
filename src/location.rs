//! Positions in source files: byte offsets → line, column and the line's text.

use serde::Serialize;
use std::ops::Range;

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A located range with the text of its first line, for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub start: Position,
    pub end: Position,
    /// The full text of the start line, without its line break.
    pub source_line: String,
}

/// The text of one document (or a whole file) and where it starts in its file.
#[derive(Debug, Clone, Copy)]
pub struct Unit<'a> {
    pub text: &'a str,
    /// 1-based line number of the text's first line in the file.
    pub first_line: u32,
}

impl<'a> Unit<'a> {
    pub fn new(text: &'a str, first_line: u32) -> Self {
        Unit { text, first_line }
    }

    /// Line and column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = floor_char_boundary(self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let newlines = memchr::memchr_iter(b'\n', before.as_bytes()).count();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        Position {
            line: self.first_line + newlines as u32,
            column: before[line_start..].chars().count() as u32 + 1,
        }
    }

    /// Locates a byte range; the end is clamped to the start line's end when the
    /// range spans lines, so a caret never runs past the printed line.
    pub fn locate(&self, range: Range<usize>) -> Located {
        let start_off = floor_char_boundary(self.text, range.start.min(self.text.len()));
        let line_start = self.text[..start_off].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start_off..]
            .find('\n')
            .map_or(self.text.len(), |i| start_off + i);
        let source_line = self.text[line_start..line_end]
            .trim_end_matches('\r')
            .to_owned();
        let start = self.position(start_off);
        let end = if range.end > line_end || range.end <= start_off {
            Position {
                line: start.line,
                column: source_line.chars().count() as u32 + 1,
            }
        } else {
            self.position(range.end)
        };
        let end = if end <= start {
            Position {
                line: start.line,
                column: start.column + 1,
            }
        } else {
            end
        };
        Located {
            start,
            end,
            source_line,
        }
    }

    /// The lines of the text as (1-based file line number, byte range).
    pub fn line_range(&self, line: u32) -> Option<Range<usize>> {
        let idx = line.checked_sub(self.first_line)? as usize;
        let mut start = 0;
        for _ in 0..idx {
            start += self.text[start..].find('\n')? + 1;
        }
        let end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        Some(start..end)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_from_the_units_first_line_and_columns_in_chars() {
        let unit = Unit::new("kind: Job\nname: é-migrate\n", 10);
        assert_eq!(
            unit.position(0),
            Position {
                line: 10,
                column: 1
            }
        );
        let off = unit.text.find("-migrate").unwrap();
        assert_eq!(
            unit.position(off),
            Position {
                line: 11,
                column: 8
            }
        );
        let loc = unit.locate(off..off + 8);
        assert_eq!(loc.source_line, "name: é-migrate");
        assert_eq!(loc.end.column, 16);
    }

    #[test]
    fn multi_line_ranges_end_at_the_first_lines_end() {
        let unit = Unit::new("a: |\n  one\n  two\n", 1);
        let loc = unit.locate(7..15);
        assert_eq!(loc.start, Position { line: 2, column: 3 });
        assert_eq!(loc.end, Position { line: 2, column: 6 });
    }
}
