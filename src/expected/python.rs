//! Just enough Python to read Alembic revision files without running them:
//! module-level assignments, function bodies, and call expressions with
//! literal, name, list and nested-call arguments. Anything else becomes
//! `Expr::Other`; nothing here fails on unexpected input.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Str(String),
    /// An f-string: its text with the `{…}` placeholders as written.
    FStr(String),
    Num(String),
    Bool(bool),
    None,
    /// A dotted name: `sa.Integer`, `batch_op`.
    Name(String),
    Call(Box<Call>),
    /// A list or tuple.
    List(Vec<Expr>),
    Other,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Dotted function name (`op.create_table`); empty when the callee is not a name.
    pub func: String,
    pub args: Vec<Expr>,
    pub kwargs: Vec<(String, Expr)>,
    pub line: u32,
}

impl Expr {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::Str(s) => Some(s),
            _ => None,
        }
    }

    #[cfg(test)]
    pub fn as_call(&self) -> Option<&Call> {
        match self {
            Expr::Call(c) => Some(c),
            _ => None,
        }
    }
}

impl Call {
    pub fn kwarg(&self, name: &str) -> Option<&Expr> {
        self.kwargs.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// The last component of the function name: `create_table`.
    pub fn method(&self) -> &str {
        self.func.rsplit('.').next().unwrap_or(&self.func)
    }

    /// The receiver: `op` for `op.create_table`.
    pub fn receiver(&self) -> &str {
        self.func.rsplit_once('.').map_or("", |(r, _)| r)
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    FStr(String),
    Num(String),
    Op(&'static str),
    Newline,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    line: u32,
    /// Indentation of the logical line this token starts, if it starts one.
    indent: Option<usize>,
}

const OPS: &[&str] = &[
    "**=", "//=", ">>=", "<<=", "...", "->", ":=", "==", "!=", "<=", ">=", "**", "//", "<<", ">>",
    "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=", "(", ")", "[", "]", "{", "}", ",", ":",
    ".", ";", "=", "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "~", "@",
];

fn tokenize(src: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut line = 1u32;
    let mut depth = 0usize;
    let mut at_line_start = true;
    while i < chars.len() {
        let c = chars[i];
        if at_line_start {
            let mut indent = 0usize;
            while i < chars.len() && (chars[i] == ' ' || chars[i] == '\t') {
                indent += if chars[i] == '\t' { 8 } else { 1 };
                i += 1;
            }
            if i >= chars.len() {
                break;
            }
            if chars[i] == '\n' || chars[i] == '#' || chars[i] == '\r' {
                // Blank or comment-only line.
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                if i < chars.len() {
                    i += 1;
                    line += 1;
                }
                continue;
            }
            at_line_start = false;
            let start_indent = Some(indent);
            let before = out.len();
            i = lex_one(&chars, i, &mut line, &mut depth, &mut out);
            if let Some(t) = out.get_mut(before) {
                t.indent = start_indent;
            }
            continue;
        }
        if c == '\n' {
            line += 1;
            i += 1;
            if depth == 0 {
                out.push(Token {
                    tok: Tok::Newline,
                    line,
                    indent: None,
                });
                at_line_start = true;
            }
            continue;
        }
        if c == '\\' && chars.get(i + 1) == Some(&'\n') {
            i += 2;
            line += 1;
            continue;
        }
        if c == ' ' || c == '\t' || c == '\r' {
            i += 1;
            continue;
        }
        if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        i = lex_one(&chars, i, &mut line, &mut depth, &mut out);
    }
    out.push(Token {
        tok: Tok::Newline,
        line,
        indent: None,
    });
    out
}

/// Lexes one token at `i`; returns the position after it.
fn lex_one(
    chars: &[char],
    i: usize,
    line: &mut u32,
    depth: &mut usize,
    out: &mut Vec<Token>,
) -> usize {
    let c = chars[i];
    let start_line = *line;
    // String prefixes: r, b, u, f and combinations.
    let mut j = i;
    while j < chars.len()
        && j - i < 2
        && matches!(chars[j].to_ascii_lowercase(), 'r' | 'b' | 'u' | 'f')
    {
        j += 1;
    }
    if j < chars.len()
        && (chars[j] == '\'' || chars[j] == '"')
        && (j == i || chars[i].is_ascii_alphabetic())
    {
        let raw = chars[i..j].iter().any(|p| p.eq_ignore_ascii_case(&'r'));
        let formatted = chars[i..j].iter().any(|p| p.eq_ignore_ascii_case(&'f'));
        let q = chars[j];
        let triple = chars.get(j + 1) == Some(&q) && chars.get(j + 2) == Some(&q);
        let mut k = if triple { j + 3 } else { j + 1 };
        let mut s = String::new();
        while k < chars.len() {
            let ch = chars[k];
            if ch == '\n' {
                *line += 1;
                if !triple {
                    break; // unterminated single-line string
                }
            }
            if ch == '\\' && k + 1 < chars.len() {
                let next = chars[k + 1];
                if next == '\n' {
                    *line += 1;
                }
                if raw {
                    s.push(ch);
                    s.push(next);
                } else {
                    s.push(match next {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
                k += 2;
                continue;
            }
            if ch == q
                && (!triple || (chars.get(k + 1) == Some(&q) && chars.get(k + 2) == Some(&q)))
            {
                k += if triple { 3 } else { 1 };
                break;
            }
            s.push(ch);
            k += 1;
        }
        out.push(Token {
            tok: if formatted && s.contains('{') {
                Tok::FStr(s)
            } else {
                Tok::Str(s)
            },
            line: start_line,
            indent: None,
        });
        return k;
    }
    if c.is_alphabetic() || c == '_' {
        let mut k = i;
        while k < chars.len() && (chars[k].is_alphanumeric() || chars[k] == '_') {
            k += 1;
        }
        out.push(Token {
            tok: Tok::Name(chars[i..k].iter().collect()),
            line: start_line,
            indent: None,
        });
        return k;
    }
    if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
        let mut k = i;
        while k < chars.len()
            && (chars[k].is_ascii_alphanumeric() || chars[k] == '.' || chars[k] == '_')
        {
            k += 1;
        }
        out.push(Token {
            tok: Tok::Num(chars[i..k].iter().collect()),
            line: start_line,
            indent: None,
        });
        return k;
    }
    for op in OPS {
        if op
            .chars()
            .enumerate()
            .all(|(n, oc)| chars.get(i + n) == Some(&oc))
        {
            match *op {
                "(" | "[" | "{" => *depth += 1,
                ")" | "]" | "}" => *depth = depth.saturating_sub(1),
                _ => {}
            }
            out.push(Token {
                tok: Tok::Op(op),
                line: start_line,
                indent: None,
            });
            return i + op.chars().count();
        }
    }
    i + 1 // unknown character: skip
}

/// A parsed module: top-level assignments and function bodies.
#[derive(Debug, Default)]
pub struct Module {
    pub assignments: HashMap<String, Expr>,
    /// Function name → its parameters and the statements of its body.
    pub functions: HashMap<String, Function>,
}

#[derive(Debug, Clone, Default)]
pub struct Function {
    pub params: Vec<String>,
    pub body: Vec<Statement>,
}

/// What a function body does, as far as reading it without running goes:
/// calls (also those nested in conditions, which are flattened), names
/// bound by `with … as`, simple assignments, and `for` loops.
#[derive(Debug, Clone)]
pub enum Statement {
    /// A call (as a statement or inside one): `op.add_column(…)`.
    Call(Call),
    /// `with <call> as <name>:` — the name is bound to the call's result.
    With { call: Call, alias: String },
    /// `name = <expr>`.
    Assign { name: String, value: Expr },
    /// `for <var> in <iter>: <body>` (a tuple target binds its first name).
    For {
        var: String,
        iter: Expr,
        body: Vec<Statement>,
    },
}

pub fn parse_module(src: &str) -> Module {
    let tokens = tokenize(src);
    let mut m = Module::default();
    let mut i = 0;
    while i < tokens.len() {
        let indent = tokens[i].indent;
        match (&tokens[i].tok, indent) {
            (Tok::Name(kw), Some(0)) if kw == "def" || kw == "async" => {
                let name_at = if kw == "async" { i + 2 } else { i + 1 };
                let name = match tokens.get(name_at).map(|t| &t.tok) {
                    Some(Tok::Name(n)) => n.clone(),
                    _ => String::new(),
                };
                // The body runs until the next line indented at column 0.
                let mut j = name_at + 1;
                while j < tokens.len() && tokens[j].indent != Some(0) {
                    j += 1;
                }
                let (params, body_at) = parse_params(&tokens, name_at + 1, j);
                let body = parse_body(&tokens[body_at..j]);
                m.functions.insert(name, Function { params, body });
                i = j;
            }
            (Tok::Name(n), Some(0))
                if matches!(
                    tokens.get(i + 1).map(|t| &t.tok),
                    Some(Tok::Op("=")) | Some(Tok::Op(":"))
                ) =>
            {
                let name = n.clone();
                let mut j = i + 2;
                // `name: Type = value`
                if tokens.get(i + 1).map(|t| &t.tok) == Some(&Tok::Op(":")) {
                    while j < tokens.len() && !matches!(tokens[j].tok, Tok::Op("=") | Tok::Newline)
                    {
                        j += 1;
                    }
                    j += 1;
                }
                let mut p = ExprParser {
                    tokens: &tokens,
                    pos: j,
                    depth: 0,
                };
                let value = p.expr();
                m.assignments.insert(name, value);
                i = p.pos.max(i + 1);
            }
            _ => i += 1,
        }
    }
    m
}

/// `(a, b=1, *args, **kw)` after a function name: the parameter names, and
/// where the body starts.
fn parse_params(tokens: &[Token], from: usize, to: usize) -> (Vec<String>, usize) {
    let mut params = Vec::new();
    if tokens.get(from).map(|t| &t.tok) != Some(&Tok::Op("(")) {
        return (params, from);
    }
    let mut depth = 0usize;
    let mut expect_name = true;
    let mut i = from;
    while i < to {
        match &tokens[i].tok {
            Tok::Op("(" | "[" | "{") => {
                depth += 1;
            }
            Tok::Op(")" | "]" | "}") => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return (params, i + 1);
                }
            }
            Tok::Op(",") if depth == 1 => expect_name = true,
            Tok::Name(n) if depth == 1 && expect_name => {
                if n != "self" {
                    params.push(n.clone());
                }
                expect_name = false;
            }
            Tok::Op("*" | "**" | "/") if depth == 1 => {}
            _ if depth == 1 => expect_name = false,
            _ => {}
        }
        i += 1;
    }
    (params, to)
}

fn parse_body(tokens: &[Token]) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        // `for NAME[, NAME…] in EXPR:` and its indented block.
        if tokens[i].tok == Tok::Name("for".into())
            && let Some(indent) = tokens[i].indent
        {
            let var = match tokens.get(i + 1).map(|t| &t.tok) {
                Some(Tok::Name(v)) => v.clone(),
                _ => String::new(),
            };
            let mut k = i + 1;
            while k < tokens.len()
                && tokens[k].tok != Tok::Name("in".into())
                && tokens[k].tok != Tok::Newline
            {
                k += 1;
            }
            let mut p = ExprParser {
                tokens,
                pos: k + 1,
                depth: 0,
            };
            let iter = p.expr();
            let mut end = p.pos;
            while end < tokens.len() && tokens[end].indent.is_none_or(|x| x > indent) {
                end += 1;
            }
            let body_start = (p.pos + 1).min(end);
            out.push(Statement::For {
                var,
                iter,
                body: parse_body(&tokens[body_start..end]),
            });
            i = end.max(i + 1);
            continue;
        }
        // `name = EXPR` at the start of a line.
        if tokens[i].indent.is_some()
            && let Tok::Name(name) = &tokens[i].tok
            && tokens.get(i + 1).map(|t| &t.tok) == Some(&Tok::Op("="))
        {
            let mut p = ExprParser {
                tokens,
                pos: i + 2,
                depth: 0,
            };
            let value = p.expr();
            // A call on the right is a statement of its own too.
            if let Expr::Call(c) = &value {
                out.push(Statement::Call((**c).clone()));
            }
            out.push(Statement::Assign {
                name: name.clone(),
                value,
            });
            i = p.pos.max(i + 1);
            continue;
        }
        // `with EXPR as NAME:`
        if tokens[i].tok == Tok::Name("with".into()) {
            let mut p = ExprParser {
                tokens,
                pos: i + 1,
                depth: 0,
            };
            let e = p.expr();
            if tokens.get(p.pos).map(|t| &t.tok) == Some(&Tok::Name("as".into()))
                && let (Expr::Call(call), Some(Tok::Name(alias))) =
                    (e, tokens.get(p.pos + 1).map(|t| &t.tok))
            {
                out.push(Statement::With {
                    call: *call,
                    alias: alias.clone(),
                });
                i = p.pos + 2;
                continue;
            }
            i = p.pos.max(i + 1);
            continue;
        }
        // A call starting at a name: parse it whole, then continue after it.
        if let Tok::Name(_) = &tokens[i].tok {
            let is_call = {
                let mut k = i + 1;
                while matches!(tokens.get(k).map(|t| &t.tok), Some(Tok::Op(".")))
                    && matches!(tokens.get(k + 1).map(|t| &t.tok), Some(Tok::Name(_)))
                {
                    k += 2;
                }
                matches!(tokens.get(k).map(|t| &t.tok), Some(Tok::Op("(")))
            };
            if is_call {
                let mut p = ExprParser {
                    tokens,
                    pos: i,
                    depth: 0,
                };
                if let Expr::Call(c) = p.expr() {
                    out.push(Statement::Call(*c));
                }
                i = p.pos.max(i + 1);
                continue;
            }
        }
        i += 1;
    }
    out
}

struct ExprParser<'a> {
    tokens: &'a [Token],
    pos: usize,
    depth: usize,
}

const MAX_DEPTH: usize = 64;

impl<'a> ExprParser<'a> {
    fn peek(&self) -> Option<&'a Tok> {
        let tokens: &'a [Token] = self.tokens;
        tokens.get(self.pos).map(|t| &t.tok)
    }

    fn is_op(&self, op: &str) -> bool {
        matches!(self.peek(), Some(Tok::Op(o)) if *o == op)
    }

    /// An expression; binary operators and conditionals make it `Other`
    /// (string concatenation of literals is kept).
    fn expr(&mut self) -> Expr {
        if self.depth > MAX_DEPTH {
            self.skip_to_delimiter();
            return Expr::Other;
        }
        self.depth += 1;
        let mut e = self.unary();
        loop {
            match self.peek() {
                Some(Tok::Op(op))
                    if [
                        "+", "-", "*", "/", "%", "|", "&", "==", "!=", "<", ">", "<=", ">=", "**",
                        "//", "@",
                    ]
                    .contains(op) =>
                {
                    self.pos += 1;
                    let rhs = self.unary();
                    e = match (e, rhs, *op) {
                        (Expr::Str(a), Expr::Str(b), "+") => Expr::Str(a + &b),
                        _ => Expr::Other,
                    };
                }
                Some(Tok::Name(n))
                    if ["if", "and", "or", "in", "is", "not", "for"].contains(&n.as_str()) =>
                {
                    self.skip_to_delimiter();
                    e = Expr::Other;
                }
                _ => break,
            }
        }
        self.depth -= 1;
        e
    }

    fn unary(&mut self) -> Expr {
        if self.is_op("-") || self.is_op("+") || self.is_op("~") {
            self.pos += 1;
            return match self.atom() {
                Expr::Num(n) => Expr::Num(format!("-{n}")),
                _ => Expr::Other,
            };
        }
        if self.peek() == Some(&Tok::Name("not".into()))
            || self.peek() == Some(&Tok::Name("lambda".into()))
        {
            self.skip_to_delimiter();
            return Expr::Other;
        }
        self.atom()
    }

    fn atom(&mut self) -> Expr {
        let line = self.tokens.get(self.pos).map_or(0, |t| t.line);
        let mut e = match self.peek().cloned() {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                let mut s = s;
                while let Some(Tok::Str(more)) = self.peek().cloned() {
                    s.push_str(&more);
                    self.pos += 1;
                }
                Expr::Str(s)
            }
            Some(Tok::FStr(s)) => {
                self.pos += 1;
                Expr::FStr(s)
            }
            Some(Tok::Num(n)) => {
                self.pos += 1;
                Expr::Num(n)
            }
            Some(Tok::Name(n)) => {
                self.pos += 1;
                match n.as_str() {
                    "True" => Expr::Bool(true),
                    "False" => Expr::Bool(false),
                    "None" => Expr::None,
                    _ => Expr::Name(n),
                }
            }
            Some(Tok::Op("(")) | Some(Tok::Op("[")) => {
                let close = if self.is_op("(") { ")" } else { "]" };
                self.pos += 1;
                let items = self.items(close);
                // `(x)` is x; `(x,)` and `[x]` are sequences.
                match (close, items) {
                    (")", (mut v, false)) if v.len() == 1 => v.remove(0),
                    (_, (v, _)) => Expr::List(v),
                }
            }
            Some(Tok::Op("{")) => {
                self.pos += 1;
                self.skip_balanced("}");
                Expr::Other
            }
            _ => {
                self.skip_to_delimiter();
                return Expr::Other;
            }
        };
        // Trailers: `.name`, `(args)`, `[index]`.
        loop {
            if self.is_op(".") {
                if let Some(Tok::Name(n)) = self.tokens.get(self.pos + 1).map(|t| &t.tok) {
                    e = match e {
                        Expr::Name(base) => Expr::Name(format!("{base}.{n}")),
                        // A method chain keeps its shape: `sa.delete(t).where(…)`
                        // is read as a call of `sa.delete().where`.
                        Expr::Call(c) if !c.func.is_empty() => {
                            Expr::Name(format!("{}().{n}", c.func))
                        }
                        _ => Expr::Other,
                    };
                    self.pos += 2;
                    continue;
                }
                break;
            }
            if self.is_op("(") {
                self.pos += 1;
                let func = match &e {
                    Expr::Name(n) => n.clone(),
                    _ => String::new(),
                };
                let (args, kwargs) = self.call_args();
                e = Expr::Call(Box::new(Call {
                    func,
                    args,
                    kwargs,
                    line,
                }));
                continue;
            }
            if self.is_op("[") {
                self.pos += 1;
                self.skip_balanced("]");
                e = Expr::Other;
                continue;
            }
            break;
        }
        e
    }

    /// Items up to `close`; the flag says whether a trailing comma was seen.
    fn items(&mut self, close: &str) -> (Vec<Expr>, bool) {
        let mut v = Vec::new();
        let mut comma = false;
        while self.peek().is_some() && !self.is_op(close) {
            let before = self.pos;
            v.push(self.expr());
            comma = false;
            if self.is_op(",") {
                self.pos += 1;
                comma = true;
            } else if !self.is_op(close) {
                self.skip_to_delimiter();
                if self.is_op(",") {
                    self.pos += 1;
                }
            }
            if self.pos == before {
                self.pos += 1; // a stray closing bracket: never loop in place
            }
        }
        if self.is_op(close) {
            self.pos += 1;
        }
        (v, comma)
    }

    fn call_args(&mut self) -> (Vec<Expr>, Vec<(String, Expr)>) {
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        while self.peek().is_some() && !self.is_op(")") {
            let before = self.pos;
            if self.is_op("*") || self.is_op("**") {
                self.pos += 1;
                let _ = self.expr();
            } else if let (Some(Tok::Name(k)), Some(Tok::Op("="))) = (
                self.peek().cloned(),
                self.tokens.get(self.pos + 1).map(|t| t.tok.clone()),
            ) {
                self.pos += 2;
                kwargs.push((k, self.expr()));
            } else {
                args.push(self.expr());
            }
            if self.is_op(",") {
                self.pos += 1;
            } else if !self.is_op(")") {
                self.skip_to_delimiter();
                if self.is_op(",") {
                    self.pos += 1;
                }
            }
            if self.pos == before {
                self.pos += 1;
            }
        }
        if self.is_op(")") {
            self.pos += 1;
        }
        (args, kwargs)
    }

    /// Skips to the next `,`, closing bracket or newline at this depth.
    fn skip_to_delimiter(&mut self) {
        while let Some(t) = self.peek() {
            match t {
                Tok::Op("," | ")" | "]" | "}") | Tok::Newline => return,
                Tok::Op("(") => {
                    self.pos += 1;
                    self.skip_balanced(")");
                }
                Tok::Op("[") => {
                    self.pos += 1;
                    self.skip_balanced("]");
                }
                Tok::Op("{") => {
                    self.pos += 1;
                    self.skip_balanced("}");
                }
                _ => self.pos += 1,
            }
        }
    }

    fn skip_balanced(&mut self, close: &str) {
        let mut depth = 1;
        while let Some(t) = self.peek() {
            self.pos += 1;
            match t {
                Tok::Op("(" | "[" | "{") => depth += 1,
                Tok::Op(o) if *o == close || matches!(*o, ")" | "]" | "}") => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_revision_headers_and_calls() {
        let src = r#"
"""add sessions

Revision ID: 017_add_sessions
"""
from alembic import op
import sqlalchemy as sa

revision = "017_add_sessions"
down_revision: Union[str, None] = '016_add_time_entry_and_pos'
branch_labels = None
depends_on = ("a", "b")
kind = sa.Enum("x", "y", name="kind")

def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),  # owner
        sa.Column("note", sa.String(length=255), server_default=sa.text("'x'")),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_sessions_user_id"), "sessions", ["user_id"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA foreign_keys=ON")


def downgrade():
    op.drop_table("sessions")
"#;
        let m = parse_module(src);
        assert_eq!(
            m.assignments.get("revision"),
            Some(&Expr::Str("017_add_sessions".into()))
        );
        assert_eq!(
            m.assignments.get("down_revision"),
            Some(&Expr::Str("016_add_time_entry_and_pos".into()))
        );
        assert_eq!(
            m.assignments.get("depends_on"),
            Some(&Expr::List(vec![
                Expr::Str("a".into()),
                Expr::Str("b".into())
            ]))
        );
        let up = &m.functions["upgrade"].body;
        let funcs: Vec<String> = up
            .iter()
            .map(|s| match s {
                Statement::Call(c) => c.func.clone(),
                Statement::With { call, alias } => format!("with {} as {alias}", call.func),
                Statement::Assign { name, .. } => format!("{name} ="),
                Statement::For { var, .. } => format!("for {var}"),
            })
            .collect();
        assert_eq!(
            funcs,
            [
                "op.create_table",
                "op.create_index",
                "with op.batch_alter_table as batch_op",
                "batch_op.add_column",
                "op.execute"
            ]
        );
        let Statement::Call(ct) = &up[0] else {
            panic!()
        };
        assert_eq!(ct.args.len(), 5);
        let col = ct.args[2].as_call().unwrap();
        assert_eq!(col.func, "sa.Column");
        assert_eq!(
            col.args[2].as_call().unwrap().kwarg("ondelete"),
            Some(&Expr::Str("CASCADE".into()))
        );
        assert_eq!(m.functions["downgrade"].body.len(), 1);
    }

    #[test]
    fn loops_assignments_helpers_and_f_strings() {
        let src = r#"
TABLES = ["a", "b"]

def _add_flag(table, column="flag"):
    op.add_column(table, sa.Column(column, sa.Boolean()))

def upgrade():
    name = "events"
    op.create_table(name, sa.Column("id", sa.Integer()))
    for t in TABLES:
        _add_flag(t)
        op.execute(f"UPDATE {t} SET flag = false")
    op.drop_index("ix_x")
"#;
        let m = parse_module(src);
        assert_eq!(m.functions["_add_flag"].params, ["table", "column"]);
        let up = &m.functions["upgrade"].body;
        assert!(
            matches!(&up[0], Statement::Assign { name, value: Expr::Str(v) } if name == "name" && v == "events")
        );
        let Statement::For {
            var, iter, body, ..
        } = &up[2]
        else {
            panic!("{up:?}")
        };
        assert_eq!((var.as_str(), iter), ("t", &Expr::Name("TABLES".into())));
        assert_eq!(body.len(), 2);
        let Statement::Call(exec) = &body[1] else {
            panic!()
        };
        assert_eq!(
            exec.args[0],
            Expr::FStr("UPDATE {t} SET flag = false".into())
        );
        assert!(matches!(&up[3], Statement::Call(c) if c.func == "op.drop_index"));
    }

    #[test]
    fn garbage_never_panics() {
        for src in [
            "def upgrade(:\n  op.create_table(\"x\"",
            "x = (((((",
            "op.f(\"a\" + 'b' + c)",
            "'''unterminated",
            "def\n",
            "\u{0}\u{1}((]]",
            "x = (1 ]",
            "def upgrade():\n  op.f(1 ] 2)\n",
        ] {
            let _ = parse_module(src);
        }
        let deep = format!("x = {}1{}", "(".repeat(10_000), ")".repeat(10_000));
        let _ = parse_module(&deep);
    }
}
