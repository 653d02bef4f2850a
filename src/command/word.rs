//! Words of a shell command, with the map from their text back to the source.

use std::ops::Range;

/// A shell word after quote removal, with its location in the source text.
///
/// The text of a word is not a contiguous slice of the source once quotes or
/// escapes are removed (`"al"'em'bic` is `alembic`), so a word keeps a small
/// offset map: each breakpoint says "text offset `t` comes from source offset
/// `s`", and offsets between breakpoints advance together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Byte range of the whole word (quotes included) in the source it was parsed from.
    pub span: Range<usize>,
    /// True when any part of the word was quoted.
    pub quoted: bool,
    /// True when the word contains an expansion (`$VAR`, `$(...)`, backticks)
    /// whose value is only known at run time.
    pub dynamic: bool,
    map: Vec<(u32, u32)>,
}

impl Word {
    pub(crate) fn builder(start: usize) -> WordBuilder {
        WordBuilder {
            text: String::new(),
            start,
            map: Vec::new(),
            expected_src: usize::MAX,
            quoted: false,
            dynamic: false,
        }
    }

    /// A word whose text is exactly the source range (no quotes, no escapes).
    pub fn literal(text: &str, start: usize) -> Word {
        Word {
            text: text.to_owned(),
            span: start..start + text.len(),
            quoted: false,
            dynamic: false,
            map: vec![(0, start as u32)],
        }
    }

    /// Source offset of the byte at `text_offset` in this word's text.
    pub fn source_offset(&self, text_offset: usize) -> usize {
        let t = text_offset as u32;
        let idx = self.map.partition_point(|&(tt, _)| tt <= t);
        match idx.checked_sub(1).and_then(|i| self.map.get(i)) {
            Some(&(tt, ss)) => (ss + (t - tt)) as usize,
            None => self.span.start,
        }
    }

    /// Maps a byte range of this word's text to a range of the source.
    pub fn source_range(&self, text_range: Range<usize>) -> Range<usize> {
        let start = self.source_offset(text_range.start);
        let end = if text_range.end > text_range.start {
            self.source_offset(text_range.end - 1) + 1
        } else {
            start
        };
        start..end.max(start)
    }

    /// This word with a byte range of its text replaced (a CI expression by
    /// one of its values); the replacement maps to where the range began in
    /// the source, the rest keeps its own places.
    pub fn with_replaced(&self, range: Range<usize>, replacement: &str) -> Word {
        let mut b = Word::builder(self.span.start);
        b.quoted = self.quoted;
        b.dynamic = self.dynamic;
        for (i, c) in self.text[..range.start].char_indices() {
            b.push(c, self.source_offset(i));
        }
        let at = self.source_offset(range.start);
        for c in replacement.chars() {
            b.push(c, at);
        }
        for (i, c) in self.text[range.end..].char_indices() {
            b.push(c, self.source_offset(range.end + i));
        }
        b.finish(self.span.end)
    }

    /// Rewrites this word's spans through `f`, which maps a byte range of the
    /// current source to a byte range of an outer source. Breakpoints are mapped
    /// one by one, so a word stays exact across nested quoting levels.
    pub fn map_spans(&mut self, f: &dyn Fn(Range<usize>) -> Range<usize>) {
        self.span = f(self.span.clone());
        for bp in &mut self.map {
            let s = bp.1 as usize;
            bp.1 = f(s..s + 1).start as u32;
        }
    }
}

pub(crate) struct WordBuilder {
    text: String,
    start: usize,
    map: Vec<(u32, u32)>,
    expected_src: usize,
    pub(crate) quoted: bool,
    pub(crate) dynamic: bool,
}

impl WordBuilder {
    pub(crate) fn push(&mut self, c: char, src: usize) {
        if src != self.expected_src {
            self.map.push((self.text.len() as u32, src as u32));
        }
        self.text.push(c);
        self.expected_src = src + c.len_utf8();
    }

    pub(crate) fn push_str(&mut self, s: &str, src: usize) {
        for (i, c) in s.char_indices() {
            self.push(c, src + i);
        }
    }

    pub(crate) fn finish(self, end: usize) -> Word {
        let mut map = self.map;
        if map.is_empty() {
            map.push((0, self.start as u32));
        }
        Word {
            text: self.text,
            span: self.start..end,
            quoted: self.quoted,
            dynamic: self.dynamic,
            map,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_text_offsets_through_removed_quotes() {
        // source: "al"'em'bic  -> text alembic
        let src = r#""al"'em'bic"#;
        let mut b = Word::builder(0);
        b.push_str("al", 1);
        b.push_str("em", 5);
        b.push_str("bic", 8);
        let w = b.finish(src.len());
        assert_eq!(w.text, "alembic");
        assert_eq!(w.source_offset(0), 1);
        assert_eq!(w.source_offset(2), 5);
        assert_eq!(w.source_offset(4), 8);
        assert_eq!(&src[w.source_range(4..7)], "bic");
    }

    #[test]
    fn a_replaced_range_points_at_what_it_replaced() {
        let src = "flyway ${{ inputs.command }} -x";
        let w = Word::literal(src, 10);
        let r = w.with_replaced(7..28, "clean");
        assert_eq!(r.text, "flyway clean -x");
        assert_eq!(r.source_offset(7), 17, "the value sits at the expression");
        assert_eq!(r.source_offset(13), 39, "what follows keeps its place");
        assert_eq!(r.source_offset(0), 10);
    }
}
