//! A shell-aware reader for release commands.
//!
//! Release commands are short POSIX shell scripts (`cd /app && alembic upgrade
//! head`). This is not a shell: it never expands anything. It splits a script
//! into simple commands with their words (quotes removed, source spans kept),
//! records how each command is linked to the one before it (`&&`, `||`, `;`,
//! `|`), and where it sits (`if` condition or branch, subshell, loop). Text that
//! only *mentions* a command — comments, quoted arguments, heredoc bodies — never
//! becomes a command. Anything it does not understand degrades to words, so it
//! never fails: a linter must read whatever a spec contains.

use super::word::{Word, WordBuilder};
use std::ops::Range;

/// How a command is connected to the command before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// The first command of the script or of a nested block.
    First,
    /// `a && b`: runs when the previous command succeeded.
    And,
    /// `a || b`: runs when the previous command failed.
    Or,
    /// `a; b` or a newline: runs whatever the previous command did.
    Seq,
    /// `a | b`: the previous command's status is lost unless `pipefail` is set.
    Pipe,
    /// `a & b`: the previous command ran in the background.
    Background,
}

/// Where a command sits in the control structure of the script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    /// Top level, a `{ }` group or a subshell.
    Plain,
    /// The condition list of `if`/`elif` number `id`.
    IfCondition(u32),
    /// The `then` branch of `if` number `id`.
    Then(u32),
    /// The `else` branch of `if` number `id`.
    Else(u32),
    /// A loop condition or body: may run any number of times, or never.
    Loop,
    /// A `case` arm: runs only for some values.
    Case,
    /// The body of a function definition: runs only when called.
    Function,
}

/// A here-document attached to a command (`cat <<EOF ... EOF`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    pub body: Word,
}

/// One simple command: assignments, words, redirections stripped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// `NAME=value` words before the command name.
    pub assignments: Vec<Word>,
    /// The command name and its arguments.
    pub words: Vec<Word>,
    pub heredocs: Vec<Heredoc>,
    /// Scripts inside `$(...)` or backticks in this command's words; they run
    /// before the command itself.
    pub substitutions: Vec<Script>,
    pub link: Link,
    /// `! cmd`: the exit status is inverted.
    pub negated: bool,
    pub branch: Branch,
    /// Nesting depth of subshells, groups and control structures.
    pub depth: u32,
    /// Byte range from the first word to the last one.
    pub span: Range<usize>,
}

/// A parsed script: its simple commands in source order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    pub commands: Vec<SimpleCommand>,
}

/// Parses `src` as a shell script. Never fails.
pub fn parse(src: &str) -> Script {
    parse_nested(src, 0)
}

/// Parses a script found `nesting` levels deep inside other scripts.
pub fn parse_nested(src: &str, nesting: u32) -> Script {
    let mut p = Parser::new(src, nesting);
    p.run();
    p.into_script()
}

/// Maximum nesting of `$(...)` and `sh -c` scripts that is analysed; deeper
/// nesting is kept as plain words (protects against pathological inputs).
pub const MAX_NESTING: u32 = 16;

static NEXT_IF_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

#[derive(Debug, Clone, Copy)]
enum Frame {
    If { id: u32 },
    Loop,
    Case,
    Group,
    Subshell,
    Function,
}

struct PendingHeredoc {
    command: usize,
    delimiter: String,
    strip_tabs: bool,
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    nesting: u32,
    commands: Vec<SimpleCommand>,
    frames: Vec<Frame>,
    branch: Branch,
    branch_stack: Vec<Branch>,
    // current command being built
    assignments: Vec<Word>,
    words: Vec<Word>,
    substitutions: Vec<Script>,
    heredocs_for_current: Vec<(String, bool)>,
    link: Link,
    negated: bool,
    pending_heredocs: Vec<PendingHeredoc>,
    /// After `for NAME`, words up to `do` are not a command.
    skipping_for_header: bool,
    /// After `case WORD`, words up to `in` are not a command.
    skipping_case_header: bool,
}

fn is_operator_byte(b: u8) -> bool {
    matches!(b, b'|' | b'&' | b';' | b'<' | b'>' | b'(' | b')' | b'\n')
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r'
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, nesting: u32) -> Self {
        Parser {
            src,
            pos: 0,
            nesting,
            commands: Vec::new(),
            frames: Vec::new(),
            branch: Branch::Plain,
            branch_stack: Vec::new(),
            assignments: Vec::new(),
            words: Vec::new(),
            substitutions: Vec::new(),
            heredocs_for_current: Vec::new(),
            link: Link::First,
            negated: false,
            pending_heredocs: Vec::new(),
            skipping_for_header: false,
            skipping_case_header: false,
        }
    }

    fn into_script(self) -> Script {
        Script {
            commands: self.commands,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.src.as_bytes().get(self.pos + n).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.src.as_bytes()[self.pos..].starts_with(s.as_bytes())
    }

    fn run(&mut self) {
        while self.pos < self.src.len() {
            let Some(b) = self.peek() else { break };
            if is_blank(b) {
                self.pos += 1;
            } else if b == b'\\' && self.peek_at(1) == Some(b'\n') {
                self.pos += 2; // line continuation
            } else if b == b'#' {
                self.skip_comment();
            } else if b == b'\n' {
                self.pos += 1;
                self.end_command(Link::Seq);
                self.read_heredoc_bodies();
            } else if self.starts_with("&&") {
                self.pos += 2;
                self.end_command(Link::And);
            } else if self.starts_with("||") {
                self.pos += 2;
                self.end_command(Link::Or);
            } else if self.starts_with(";;") || self.starts_with(";&") {
                self.pos += 2;
                self.end_command(Link::Seq);
            } else if b == b';' {
                self.pos += 1;
                self.end_command(Link::Seq);
            } else if self.starts_with("|&") {
                self.pos += 2;
                self.end_command(Link::Pipe);
            } else if b == b'|' {
                self.pos += 1;
                self.end_command(Link::Pipe);
            } else if self.starts_with("&>") {
                self.read_redirection();
            } else if b == b'&' {
                self.pos += 1;
                self.end_command(Link::Background);
            } else if b == b'<' || b == b'>' {
                self.read_redirection();
            } else if b == b'(' {
                self.pos += 1;
                self.open_paren();
            } else if b == b')' {
                self.pos += 1;
                self.close_paren();
            } else {
                self.read_word_or_fd_redirection();
            }
        }
        self.end_command(Link::Seq);
    }

    fn skip_comment(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }

    fn open_paren(&mut self) {
        if self.words.is_empty() && self.assignments.is_empty() {
            if self.peek() == Some(b'(') {
                // `((` arithmetic command: skip to the matching `))`.
                self.skip_balanced_parens(1);
                return;
            }
            self.push_frame(Frame::Subshell, self.branch);
        } else if self.words.len() == 1 && self.peek() == Some(b')') {
            // `name()` function definition: the body is a group that runs only when called.
            self.pos += 1;
            self.words.clear();
            self.push_frame(Frame::Function, Branch::Function);
            self.skip_blanks_and_newlines();
            if self.peek() == Some(b'{') {
                self.pos += 1;
            }
        } else {
            // `(` in the middle of a command (array assignment, odd syntax): keep as text.
            self.words.push(Word::literal("(", self.pos - 1));
        }
    }

    fn close_paren(&mut self) {
        if matches!(self.frames.last(), Some(Frame::Case)) {
            // `pattern)` in a case arm: the words so far were the pattern.
            self.words.clear();
            self.assignments.clear();
            return;
        }
        self.end_command(Link::Seq);
        if matches!(self.frames.last(), Some(Frame::Subshell)) {
            self.pop_frame();
        }
    }

    fn skip_blanks_and_newlines(&mut self) {
        while let Some(b) = self.peek() {
            if is_blank(b) || b == b'\n' {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// Skips over a `(`-balanced region; `depth` opening parens are already consumed.
    fn skip_balanced_parens(&mut self, mut depth: u32) {
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                b'\'' => self.skip_until(b'\''),
                b'"' => self.skip_double_quoted(),
                b'\\' => self.skip_char(),
                _ => {}
            }
        }
    }

    /// Advances past one whole character (after a backslash).
    fn skip_char(&mut self) {
        if let Some(c) = self.src.get(self.pos..).and_then(|r| r.chars().next()) {
            self.pos += c.len_utf8();
        }
    }

    fn skip_until(&mut self, end: u8) {
        while let Some(b) = self.peek() {
            self.pos += 1;
            if b == end {
                return;
            }
        }
    }

    fn skip_double_quoted(&mut self) {
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.skip_char(),
                b'"' => return,
                _ => {}
            }
        }
    }

    fn read_redirection(&mut self) {
        // Operators: < > >> >| <> <& >& &> &>> << <<- <<<
        let heredoc = self.starts_with("<<") && !self.starts_with("<<<");
        let strip_tabs = self.starts_with("<<-");
        let ops = [
            "&>>", "<<-", "<<<", "&>", ">>", ">|", "<>", "<&", ">&", "<<", "<", ">",
        ];
        for op in ops {
            if self.starts_with(op) {
                self.pos += op.len();
                break;
            }
        }
        while self.peek().is_some_and(is_blank) {
            self.pos += 1;
        }
        // The target word (file name, fd number or heredoc delimiter) is not an argument.
        if self.peek().is_some_and(|b| !is_operator_byte(b)) {
            let target = self.read_word();
            if heredoc {
                self.heredocs_for_current.push((target.text, strip_tabs));
            }
        }
    }

    fn read_word_or_fd_redirection(&mut self) {
        // `2>&1`, `1>log`: digits directly followed by a redirection operator.
        let bytes = self.src.as_bytes();
        let mut i = self.pos;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i > self.pos && i < bytes.len() && (bytes[i] == b'<' || bytes[i] == b'>') {
            self.pos = i;
            self.read_redirection();
            return;
        }
        let word = self.read_word();
        self.accept_word(word);
    }

    /// Reads one word starting at `self.pos` up to an unquoted blank or operator.
    fn read_word(&mut self) -> Word {
        let start = self.pos;
        let mut w = Word::builder(start);
        while let Some(b) = self.peek() {
            if is_blank(b) || is_operator_byte(b) {
                break;
            }
            match b {
                b'\'' => {
                    w.quoted = true;
                    self.pos += 1;
                    let body_start = self.pos;
                    self.skip_until(b'\'');
                    let end = if self.src.as_bytes()[self.pos - 1] == b'\'' && self.pos > body_start
                    {
                        self.pos - 1
                    } else {
                        self.pos
                    };
                    w.push_str(&self.src[body_start..end], body_start);
                }
                b'"' => {
                    w.quoted = true;
                    self.pos += 1;
                    self.read_double_quoted(&mut w);
                }
                b'\\' => {
                    self.pos += 1;
                    if let Some(c) = self.src[self.pos..].chars().next() {
                        if c != '\n' {
                            w.push(c, self.pos);
                        }
                        self.pos += c.len_utf8();
                    }
                }
                b'$' => self.read_dollar(&mut w, false),
                b'`' => self.read_backticks(&mut w),
                _ => {
                    let c = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
                    w.push(c, self.pos);
                    self.pos += c.len_utf8().max(1);
                }
            }
        }
        w.finish(self.pos)
    }

    fn read_double_quoted(&mut self, w: &mut WordBuilder) {
        while let Some(b) = self.peek() {
            match b {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => {
                    let next = self.peek_at(1);
                    match next {
                        Some(b'"' | b'\\' | b'$' | b'`') => {
                            w.push(next.map(char::from).unwrap_or('\\'), self.pos + 1);
                            self.pos += 2;
                        }
                        Some(b'\n') => self.pos += 2,
                        _ => {
                            w.push('\\', self.pos);
                            self.pos += 1;
                        }
                    }
                }
                b'$' => self.read_dollar(w, true),
                b'`' => self.read_backticks(w),
                _ => {
                    let c = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
                    w.push(c, self.pos);
                    self.pos += c.len_utf8().max(1);
                }
            }
        }
    }

    /// `$NAME`, `${...}`, `$(...)`, `$((...))`, `$'...'`. Expansions are kept
    /// verbatim in the word's text; command substitutions are also parsed.
    fn read_dollar(&mut self, w: &mut WordBuilder, in_double_quotes: bool) {
        let start = self.pos;
        match self.peek_at(1) {
            Some(b'(') if self.peek_at(2) == Some(b'(') => {
                self.pos += 3;
                self.skip_balanced_parens(2);
                w.dynamic = true;
                w.push_str(&self.src[start..self.pos], start);
            }
            Some(b'(') => {
                self.pos += 2;
                let body_start = self.pos;
                self.skip_balanced_parens(1);
                let body_end = if self.src.as_bytes().get(self.pos - 1) == Some(&b')') {
                    self.pos - 1
                } else {
                    self.pos
                };
                self.push_substitution(body_start..body_end);
                w.dynamic = true;
                w.push_str(&self.src[start..self.pos], start);
            }
            Some(b'{') => {
                self.pos += 2;
                let mut depth = 1;
                while let Some(b) = self.peek() {
                    self.pos += 1;
                    match b {
                        b'{' => depth += 1,
                        b'}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                w.dynamic = true;
                w.push_str(&self.src[start..self.pos], start);
            }
            Some(b'\'') if !in_double_quotes => {
                // ANSI-C quoting: $'...' with backslash escapes.
                w.quoted = true;
                self.pos += 2;
                while let Some(b) = self.peek() {
                    match b {
                        b'\'' => {
                            self.pos += 1;
                            break;
                        }
                        b'\\' => {
                            let at = self.pos;
                            self.pos += 1;
                            let esc = self.src[self.pos..].chars().next().unwrap_or('\\');
                            let c = match esc {
                                'n' => '\n',
                                't' => '\t',
                                'r' => '\r',
                                other => other,
                            };
                            w.push(c, at);
                            self.skip_char();
                        }
                        _ => {
                            let c = self.src[self.pos..].chars().next().unwrap_or('\u{fffd}');
                            w.push(c, self.pos);
                            self.pos += c.len_utf8().max(1);
                        }
                    }
                }
            }
            Some(c) if c == b'_' || c.is_ascii_alphanumeric() || b"@*#?$!-".contains(&c) => {
                self.pos += 1;
                if c.is_ascii_alphabetic() || c == b'_' {
                    while self
                        .peek()
                        .is_some_and(|b| b == b'_' || b.is_ascii_alphanumeric())
                    {
                        self.pos += 1;
                    }
                } else {
                    self.pos += 1;
                }
                w.dynamic = true;
                w.push_str(&self.src[start..self.pos], start);
            }
            _ => {
                w.push('$', start);
                self.pos += 1;
            }
        }
    }

    fn read_backticks(&mut self, w: &mut WordBuilder) {
        let start = self.pos;
        self.pos += 1;
        let body_start = self.pos;
        while let Some(b) = self.peek() {
            self.pos += 1;
            match b {
                b'\\' => self.skip_char(),
                b'`' => break,
                _ => {}
            }
        }
        let body_end =
            if self.src.as_bytes().get(self.pos - 1) == Some(&b'`') && self.pos > body_start {
                self.pos - 1
            } else {
                self.pos
            };
        self.push_substitution(body_start..body_end);
        w.dynamic = true;
        w.push_str(&self.src[start..self.pos], start);
    }

    fn push_substitution(&mut self, body: Range<usize>) {
        if self.nesting >= MAX_NESTING || body.is_empty() {
            return;
        }
        let mut inner = Parser::new(&self.src[body.clone()], self.nesting + 1);
        inner.run();
        let mut script = inner.into_script();
        shift_script(&mut script, body.start);
        self.substitutions.push(script);
    }

    fn accept_word(&mut self, word: Word) {
        let at_command_start = self.words.is_empty() && self.assignments.is_empty();
        if self.skipping_for_header {
            if !word.quoted && word.text == "do" {
                self.skipping_for_header = false;
            }
            return;
        }
        if self.skipping_case_header {
            if !word.quoted && word.text == "in" {
                self.skipping_case_header = false;
            }
            return;
        }
        if at_command_start && !word.quoted && self.reserved_word(&word) {
            return;
        }
        if self.words.is_empty() && !word.quoted_prefix_before_eq() && is_assignment(&word) {
            self.assignments.push(word);
            return;
        }
        self.words.push(word);
    }

    /// Handles shell reserved words at command position; returns true when consumed.
    fn reserved_word(&mut self, word: &Word) -> bool {
        match word.text.as_str() {
            "if" => {
                // Ids only need to be unique among the scripts of one release
                // step, which may be spliced together (`sh -c` inside `sh -c`).
                let id = NEXT_IF_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                self.push_frame(Frame::If { id }, Branch::IfCondition(id));
            }
            "then" => {
                if let Some(Frame::If { id }) = self.frames.last().copied() {
                    self.branch = Branch::Then(id);
                }
            }
            "elif" => {
                if let Some(Frame::If { id }) = self.frames.last().copied() {
                    self.branch = Branch::IfCondition(id);
                }
            }
            "else" => {
                if let Some(Frame::If { id }) = self.frames.last().copied() {
                    self.branch = Branch::Else(id);
                }
            }
            "fi" => {
                if matches!(self.frames.last(), Some(Frame::If { .. })) {
                    self.pop_frame();
                }
            }
            "while" | "until" => self.push_frame(Frame::Loop, Branch::Loop),
            "for" | "select" => {
                self.push_frame(Frame::Loop, Branch::Loop);
                self.skipping_for_header = true;
            }
            "do" => {}
            "done" => {
                if matches!(self.frames.last(), Some(Frame::Loop)) {
                    self.pop_frame();
                }
            }
            "case" => {
                self.push_frame(Frame::Case, Branch::Case);
                self.skipping_case_header = true;
            }
            "esac" => {
                if matches!(self.frames.last(), Some(Frame::Case)) {
                    self.pop_frame();
                }
            }
            "{" => self.push_frame(Frame::Group, self.branch),
            "}" => {
                if matches!(self.frames.last(), Some(Frame::Group | Frame::Function)) {
                    self.pop_frame();
                }
            }
            "!" => self.negated = !self.negated,
            "time" => {}
            "function" => {
                // `function name { ... }` or `function name() { ... }`
                self.skip_blanks_and_newlines();
                let _name = self.read_word();
                self.skip_blanks_and_newlines();
                if self.starts_with("()") {
                    self.pos += 2;
                    self.skip_blanks_and_newlines();
                }
                if self.peek() == Some(b'{') {
                    self.pos += 1;
                }
                self.push_frame(Frame::Function, Branch::Function);
            }
            _ => return false,
        }
        true
    }

    fn push_frame(&mut self, frame: Frame, branch: Branch) {
        self.frames.push(frame);
        self.branch_stack.push(self.branch);
        // Inside a function body everything stays "only when called".
        self.branch = if self.branch == Branch::Function {
            Branch::Function
        } else {
            branch
        };
    }

    fn pop_frame(&mut self) {
        self.frames.pop();
        self.branch = self.branch_stack.pop().unwrap_or(Branch::Plain);
    }

    fn end_command(&mut self, next_link: Link) {
        if self.words.is_empty() && self.assignments.is_empty() {
            // Nothing to emit; an operator after a reserved word keeps the link
            // (`a || { b; }`), a lone separator does not change it.
            if matches!(next_link, Link::And | Link::Or | Link::Pipe) {
                self.link = next_link;
            }
            self.substitutions.clear();
            self.negated = false;
            return;
        }
        let words = std::mem::take(&mut self.words);
        let assignments = std::mem::take(&mut self.assignments);
        let first = assignments
            .first()
            .or(words.first())
            .map_or(0, |w| w.span.start);
        let last = words
            .last()
            .or(assignments.last())
            .map_or(first, |w| w.span.end);
        let index = self.commands.len();
        for (delimiter, strip_tabs) in self.heredocs_for_current.drain(..) {
            self.pending_heredocs.push(PendingHeredoc {
                command: index,
                delimiter,
                strip_tabs,
            });
        }
        self.commands.push(SimpleCommand {
            assignments,
            words,
            heredocs: Vec::new(),
            substitutions: std::mem::take(&mut self.substitutions),
            link: self.link,
            negated: std::mem::take(&mut self.negated),
            branch: self.branch,
            depth: self.frames.len() as u32,
            span: first..last,
        });
        self.link = next_link;
    }

    fn read_heredoc_bodies(&mut self) {
        let pending = std::mem::take(&mut self.pending_heredocs);
        for hd in pending {
            let body_start = self.pos;
            let mut body_end = self.src.len();
            loop {
                if self.pos >= self.src.len() {
                    break;
                }
                let line_end = self.src[self.pos..]
                    .find('\n')
                    .map_or(self.src.len(), |i| self.pos + i);
                let line = &self.src[self.pos..line_end];
                let candidate = if hd.strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if candidate.trim_end_matches('\r') == hd.delimiter {
                    body_end = self.pos;
                    self.pos = (line_end + 1).min(self.src.len());
                    break;
                }
                self.pos = (line_end + 1).min(self.src.len());
            }
            let body_end = body_end.max(body_start);
            if let Some(cmd) = self.commands.get_mut(hd.command) {
                cmd.heredocs.push(Heredoc {
                    body: Word::literal(&self.src[body_start..body_end], body_start),
                });
            }
        }
    }
}

fn is_assignment(word: &Word) -> bool {
    match word.text.split_once('=') {
        Some((name, _)) => is_name(name),
        None => false,
    }
}

impl Word {
    /// True when a quote appears before the first `=` (then `"A"=b` is not an assignment).
    fn quoted_prefix_before_eq(&self) -> bool {
        match self.text.find('=') {
            Some(eq) => self.source_offset(eq) != self.span.start + eq,
            None => true,
        }
    }
}

/// Moves every span of `script` by `offset` bytes (for nested scripts).
fn shift_script(script: &mut Script, offset: usize) {
    script.map_spans(&|range: Range<usize>| range.start + offset..range.end + offset);
}

impl Script {
    /// Rewrites every span of the script (commands, words, heredocs and nested
    /// substitutions) through `f`, e.g. to express an `sh -c` script in the
    /// coordinates of the command that contains it.
    pub fn map_spans(&mut self, f: &dyn Fn(Range<usize>) -> Range<usize>) {
        for cmd in &mut self.commands {
            cmd.span = f(cmd.span.clone());
            for w in cmd.words.iter_mut().chain(cmd.assignments.iter_mut()) {
                w.map_spans(f);
            }
            for hd in &mut cmd.heredocs {
                hd.body.map_spans(f);
            }
            for s in &mut cmd.substitutions {
                s.map_spans(f);
            }
        }
    }
}

#[cfg(test)]
mod tests;
