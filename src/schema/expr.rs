//! SQL expressions (check constraints, index expressions and predicates,
//! generated columns) compared the way an engine deparses them, never as raw
//! text. `version_info_id=1` (an Alembic file), `(version_info_id = 1)`
//! (PostgreSQL's `pg_get_constraintdef`) and `` `version_info_id` = 1 ``
//! (MySQL's `information_schema`) are one expression.
//!
//! The text is read into a small tree with SQL's precedence, then printed in
//! one canonical spelling: keywords and unquoted identifiers lowercased,
//! identifier quotes and casts removed, the minimum of parentheses, and the
//! rewrites engines apply on their own — `!=` is `<>`, `IN (…)` is
//! `= ANY (ARRAY[…])`, `BETWEEN` is a pair of comparisons, `LIKE` is `~~`,
//! `AND`/`OR` chains are flat. Text that does not parse falls back to a
//! token-level canonical form, which is still insensitive to spacing, case
//! and quoting.

/// The canonical spelling of an expression, for comparison.
pub fn canonical(raw: &str) -> String {
    let tokens = match tokenize(raw) {
        Some(t) => t,
        None => return raw.split_whitespace().collect::<Vec<_>>().join(" "),
    };
    let mut p = Parser { t: &tokens, i: 0 };
    match p.expr() {
        Some(e) if p.i == tokens.len() => print(&simplify(e), 0),
        _ => tokens
            .iter()
            .filter(|t| !matches!(t, Tok::Punct("(" | ")")))
            .map(Tok::text)
            .collect::<Vec<_>>()
            .join(" "),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// An identifier or keyword, lowercased unless it was quoted.
    Word(String),
    /// A string literal, quotes included.
    Str(String),
    Num(String),
    /// Operators and punctuation.
    Punct(&'static str),
    /// An operator not in the table, kept as written.
    Op(String),
}

impl Tok {
    fn text(&self) -> String {
        match self {
            Tok::Word(s) | Tok::Str(s) | Tok::Num(s) | Tok::Op(s) => s.clone(),
            Tok::Punct(p) => (*p).to_string(),
        }
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self, Tok::Word(s) if s == w)
    }
}

const PUNCT: &[&str] = &[
    "::", "<>", "!=", "<=", ">=", "||", "!~~*", "!~~", "~~*", "~~", "!~*", "!~", "~*", "(", ")",
    "[", "]", ",", ".", "=", "<", ">", "+", "-", "*", "/", "%", "~",
];

fn tokenize(s: &str) -> Option<Vec<Tok>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // A string literal; `E'…'` and `N'…'` prefixes are spellings of it.
        let prefixed = matches!(c, b'E' | b'e' | b'N' | b'n') && b.get(i + 1) == Some(&b'\'');
        if c == b'\'' || prefixed {
            let start = if prefixed { i + 1 } else { i };
            let mut j = start + 1;
            loop {
                match b.get(j) {
                    None => return None,
                    Some(b'\\') if prefixed => j += 2,
                    Some(b'\'') if b.get(j + 1) == Some(&b'\'') => j += 2,
                    Some(b'\'') => break,
                    Some(_) => j += 1,
                }
            }
            out.push(Tok::Str(s.get(start..=j)?.to_string()));
            i = j + 1;
            continue;
        }
        if c == b'"' || c == b'`' || c == b'[' && is_bracket_ident(b, i) {
            let close = match c {
                b'[' => b']',
                q => q,
            };
            let end = b[i + 1..].iter().position(|&x| x == close)? + i + 1;
            out.push(Tok::Word(s.get(i + 1..end)?.to_ascii_lowercase()));
            i = end + 1;
            continue;
        }
        if c.is_ascii_digit() || c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.') {
                j += 1;
            }
            out.push(Tok::Num(normalize_number(&s[i..j])));
            i = j;
            continue;
        }
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            let mut j = i;
            while j < b.len()
                && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'$' || b[j] >= 0x80)
            {
                j += 1;
            }
            out.push(Tok::Word(s.get(i..j)?.to_ascii_lowercase()));
            i = j;
            continue;
        }
        if let Some(p) = PUNCT.iter().find(|p| s[i..].starts_with(**p)) {
            out.push(Tok::Punct(p));
            i += p.len();
            continue;
        }
        // Any other operator character run (`@>`, `&&`, `#>>`…).
        let mut j = i;
        while j < b.len() && b"@#&|^!?<>=~-+*/%".contains(&b[j]) {
            j += 1;
        }
        if j == i {
            return None;
        }
        out.push(Tok::Op(s[i..j].to_string()));
        i = j;
    }
    Some(out)
}

/// `[name]` is a quoted identifier in SQL Server and SQLite, not an array subscript.
fn is_bracket_ident(b: &[u8], i: usize) -> bool {
    // After an identifier, a closing bracket or `ARRAY`, `[` is a subscript or an array.
    let prev = b[..i].iter().rev().find(|c| !c.is_ascii_whitespace());
    !matches!(prev, Some(c) if c.is_ascii_alphanumeric() || *c == b']' || *c == b')' || *c == b'_')
}

/// `1.0` and `1.00` are not rewritten (engines keep a numeric's scale), but
/// leading `+` and needless leading zeros are.
fn normalize_number(n: &str) -> String {
    let t = n.trim_start_matches('+');
    if t.chars().all(|c| c.is_ascii_digit()) {
        let z = t.trim_start_matches('0');
        return if z.is_empty() {
            "0".into()
        } else {
            z.to_string()
        };
    }
    t.to_ascii_lowercase()
}

#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Atom(String),
    /// A string literal; numbers written as strings (`'-1'::integer`) become numbers.
    Str(String),
    Name(Vec<String>),
    Call(String, Vec<Expr>),
    Unary(&'static str, Box<Expr>),
    Binary(String, Box<Expr>, Box<Expr>),
    /// Flat `AND` / `OR` chains.
    Chain(&'static str, Vec<Expr>),
    Not(Box<Expr>),
    /// `x IS [NOT] NULL|TRUE|FALSE|UNKNOWN`.
    Is(Box<Expr>, String),
    /// `x IN (…)`, or with `negated` `x NOT IN (…)`.
    In(Box<Expr>, Vec<Expr>, bool),
    Array(Vec<Expr>),
    Case(Option<Box<Expr>>, Vec<(Expr, Expr)>, Option<Box<Expr>>),
    /// `x op ANY|ALL (y)` where y is not a literal array.
    Quantified(String, &'static str, Box<Expr>, Box<Expr>),
}

struct Parser<'a> {
    t: &'a [Tok],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }

    fn peek_at(&self, n: usize) -> Option<&Tok> {
        self.t.get(self.i + n)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.peek().is_some_and(|t| t.is_word(w)) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat(&mut self, p: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Punct(x)) if *x == p) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn expr(&mut self) -> Option<Expr> {
        self.or()
    }

    fn or(&mut self) -> Option<Expr> {
        let mut items = vec![self.and()?];
        while self.eat_word("or") {
            items.push(self.and()?);
        }
        Some(chain("or", items))
    }

    fn and(&mut self) -> Option<Expr> {
        let mut items = vec![self.not()?];
        while self.eat_word("and") {
            items.push(self.not()?);
        }
        Some(chain("and", items))
    }

    fn not(&mut self) -> Option<Expr> {
        if self.eat_word("not") {
            return Some(Expr::Not(Box::new(self.not()?)));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> Option<Expr> {
        let left = self.additive()?;
        // `IS [NOT] NULL` and friends.
        if self.eat_word("is") {
            let not = self.eat_word("not");
            let what = match self.peek()? {
                Tok::Word(w) if matches!(w.as_str(), "null" | "true" | "false" | "unknown") => {
                    w.clone()
                }
                _ => return None,
            };
            self.i += 1;
            let what = if not { format!("not {what}") } else { what };
            return Some(Expr::Is(Box::new(left), what));
        }
        if self.eat_word("isnull") {
            return Some(Expr::Is(Box::new(left), "null".into()));
        }
        if self.eat_word("notnull") {
            return Some(Expr::Is(Box::new(left), "not null".into()));
        }
        let negated = self.peek().is_some_and(|t| t.is_word("not"))
            && self.peek_at(1).is_some_and(|t| {
                t.is_word("in") || t.is_word("like") || t.is_word("ilike") || t.is_word("between")
            });
        if negated {
            self.i += 1;
        }
        if self.eat_word("in") {
            if !self.eat("(") {
                return None;
            }
            let list = self.list(")")?;
            return Some(Expr::In(Box::new(left), list, negated));
        }
        if self.eat_word("between") {
            let low = self.additive()?;
            if !self.eat_word("and") {
                return None;
            }
            let high = self.additive()?;
            // PostgreSQL stores `x BETWEEN a AND b` as `x >= a AND x <= b`.
            let e = chain(
                "and",
                vec![
                    Expr::Binary(">=".into(), Box::new(left.clone()), Box::new(low)),
                    Expr::Binary("<=".into(), Box::new(left), Box::new(high)),
                ],
            );
            return Some(if negated { Expr::Not(Box::new(e)) } else { e });
        }
        for (word, op, neg) in [("like", "~~", "!~~"), ("ilike", "~~*", "!~~*")] {
            if self.eat_word(word) {
                let right = self.additive()?;
                let op = if negated { neg } else { op };
                return Some(Expr::Binary(op.into(), Box::new(left), Box::new(right)));
            }
        }
        if negated {
            return None;
        }
        let op = match self.peek() {
            Some(Tok::Punct(
                p @ ("=" | "<>" | "!=" | "<" | ">" | "<=" | ">=" | "~~" | "!~~" | "~~*" | "!~~*"
                | "~" | "!~" | "~*" | "!~*"),
            )) => {
                if *p == "!=" {
                    "<>".to_string()
                } else {
                    (*p).to_string()
                }
            }
            Some(Tok::Op(o)) => o.clone(),
            _ => return Some(left),
        };
        self.i += 1;
        // `x = ANY (ARRAY[…])`, `x <> ALL (…)`.
        for q in ["any", "some", "all"] {
            if self.peek().is_some_and(|t| t.is_word(q))
                && matches!(self.peek_at(1), Some(Tok::Punct("(")))
            {
                self.i += 2;
                let inner = self.expr()?;
                if !self.eat(")") {
                    return None;
                }
                let q: &'static str = if q == "all" { "all" } else { "any" };
                return Some(Expr::Quantified(op, q, Box::new(left), Box::new(inner)));
            }
        }
        let right = self.additive()?;
        Some(Expr::Binary(op, Box::new(left), Box::new(right)))
    }

    fn additive(&mut self) -> Option<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct(p @ ("+" | "-" | "||"))) => *p,
                _ => return Some(left),
            };
            self.i += 1;
            let right = self.multiplicative()?;
            left = Expr::Binary(op.into(), Box::new(left), Box::new(right));
        }
    }

    fn multiplicative(&mut self) -> Option<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct(p @ ("*" | "/" | "%"))) => *p,
                _ => return Some(left),
            };
            self.i += 1;
            let right = self.unary()?;
            left = Expr::Binary(op.into(), Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Option<Expr> {
        if self.eat("-") {
            let inner = self.unary()?;
            return Some(match inner {
                Expr::Atom(n) if n.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
                    Expr::Atom(format!("-{n}"))
                }
                other => Expr::Unary("-", Box::new(other)),
            });
        }
        if self.eat("+") {
            return self.unary();
        }
        self.postfix()
    }

    /// A primary followed by casts, which are removed: `'a'::text`, `(0)::numeric(12,2)`.
    fn postfix(&mut self) -> Option<Expr> {
        let mut e = self.primary()?;
        loop {
            if self.eat("::") {
                self.type_name()?;
                e = number_from_string(e);
                continue;
            }
            if self.eat("[") {
                let idx = self.expr()?;
                if !self.eat("]") {
                    return None;
                }
                e = Expr::Binary("[]".into(), Box::new(e), Box::new(idx));
                continue;
            }
            if self.eat_word("collate") {
                self.i += 1;
                continue;
            }
            return Some(e);
        }
    }

    /// Skips a type name: words, `(precision)`, `[]`.
    fn type_name(&mut self) -> Option<()> {
        let mut words = 0;
        while let Some(Tok::Word(w)) = self.peek() {
            // Multi-word types: `character varying`, `double precision`,
            // `timestamp with time zone`; stop before a keyword that ends it.
            if words > 0
                && !matches!(
                    w.as_str(),
                    "varying" | "precision" | "with" | "without" | "time" | "zone"
                )
            {
                break;
            }
            self.i += 1;
            words += 1;
            if self.eat(".") {
                words = 0;
            }
        }
        if words == 0 {
            return None;
        }
        if self.eat("(") {
            self.list(")")?;
        }
        while self.eat("[") {
            if !self.eat("]") {
                return None;
            }
        }
        Some(())
    }

    fn list(&mut self, close: &str) -> Option<Vec<Expr>> {
        let mut items = Vec::new();
        if self.eat(close) {
            return Some(items);
        }
        loop {
            items.push(self.expr()?);
            if self.eat(close) {
                return Some(items);
            }
            if !self.eat(",") {
                return None;
            }
        }
    }

    fn primary(&mut self) -> Option<Expr> {
        let tok = self.peek()?.clone();
        self.i += 1;
        match tok {
            Tok::Num(n) => Some(Expr::Atom(n)),
            Tok::Str(s) => Some(Expr::Str(s)),
            Tok::Punct("(") => {
                let e = self.expr()?;
                // A row constructor `(a, b)`.
                if self.eat(",") {
                    let mut items = vec![e];
                    items.extend(self.list(")")?);
                    return Some(Expr::Call(String::new(), items));
                }
                if !self.eat(")") {
                    return None;
                }
                Some(e)
            }
            Tok::Word(w) => self.word(w),
            _ => None,
        }
    }

    fn word(&mut self, w: String) -> Option<Expr> {
        match w.as_str() {
            "null" | "true" | "false" | "current_timestamp" | "current_date" | "current_time"
            | "current_user" | "localtimestamp" | "localtime" | "session_user" => {
                // `CURRENT_TIMESTAMP(6)`.
                if self.eat("(") {
                    let args = self.list(")")?;
                    return Some(Expr::Call(w, args));
                }
                return Some(Expr::Atom(w));
            }
            "array" if self.eat("[") => return Some(Expr::Array(self.list("]")?)),
            "cast" if self.eat("(") => {
                let e = self.expr()?;
                if !self.eat_word("as") {
                    return None;
                }
                self.type_name()?;
                if !self.eat(")") {
                    return None;
                }
                return Some(number_from_string(e));
            }
            "case" => return self.case(),
            _ => {}
        }
        // A typed literal, `DATE '2024-01-01'`, is a cast of the string.
        if let Some(Tok::Str(lit)) = self.peek() {
            let lit = Expr::Str(lit.clone());
            self.i += 1;
            return Some(number_from_string(lit));
        }
        let mut parts = vec![w];
        while self.eat(".") {
            match self.peek()? {
                Tok::Word(n) => {
                    parts.push(n.clone());
                    self.i += 1;
                }
                Tok::Punct("*") => {
                    parts.push("*".into());
                    self.i += 1;
                }
                _ => return None,
            }
        }
        if self.eat("(") {
            let name = parts.join(".");
            // `count(*)`, `f(DISTINCT x)`.
            if self.eat("*") {
                if !self.eat(")") {
                    return None;
                }
                return Some(Expr::Call(name, vec![Expr::Atom("*".into())]));
            }
            self.eat_word("distinct");
            return Some(Expr::Call(name, self.list(")")?));
        }
        Some(Expr::Name(parts))
    }

    fn case(&mut self) -> Option<Expr> {
        let subject = if self.peek().is_some_and(|t| t.is_word("when")) {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut arms = Vec::new();
        while self.eat_word("when") {
            let cond = self.expr()?;
            if !self.eat_word("then") {
                return None;
            }
            arms.push((cond, self.expr()?));
        }
        let otherwise = if self.eat_word("else") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        if !self.eat_word("end") || arms.is_empty() {
            return None;
        }
        Some(Expr::Case(subject, arms, otherwise))
    }
}

fn chain(op: &'static str, mut items: Vec<Expr>) -> Expr {
    if items.len() == 1 {
        return items.pop().unwrap_or(Expr::Atom(String::new()));
    }
    // `a AND (b AND c)` is `a AND b AND c`.
    let mut flat = Vec::with_capacity(items.len());
    for i in items {
        match i {
            Expr::Chain(o, inner) if o == op => flat.extend(inner),
            other => flat.push(other),
        }
    }
    Expr::Chain(op, flat)
}

/// `'-1'::integer` is the number -1 (PostgreSQL writes negative constants so).
fn number_from_string(e: Expr) -> Expr {
    match &e {
        Expr::Str(s) => {
            let inner = &s[1..s.len().saturating_sub(1).max(1)];
            let num = inner.strip_prefix('-').unwrap_or(inner);
            if !num.is_empty()
                && num.chars().all(|c| c.is_ascii_digit() || c == '.')
                && num.chars().filter(|c| *c == '.').count() <= 1
            {
                let n = normalize_number(num);
                return Expr::Atom(if inner.starts_with('-') {
                    format!("-{n}")
                } else {
                    n
                });
            }
            e
        }
        _ => e,
    }
}

/// Rewrites engines apply: `x = ANY (ARRAY[a, b])` is `x IN (a, b)`,
/// `x <> ALL (ARRAY[…])` is `x NOT IN (…)`; `NOT (x IN …)` is `x NOT IN …`.
fn simplify(e: Expr) -> Expr {
    match e {
        Expr::Quantified(op, q, left, inner) => {
            let left = Box::new(simplify(*left));
            match (op.as_str(), q, simplify(*inner)) {
                ("=", "any", Expr::Array(items)) => Expr::In(left, items, false),
                ("<>", "all", Expr::Array(items)) => Expr::In(left, items, true),
                (_, _, inner) => Expr::Quantified(op, q, left, Box::new(inner)),
            }
        }
        Expr::Not(inner) => match simplify(*inner) {
            Expr::In(l, items, neg) => Expr::In(l, items, !neg),
            Expr::Is(l, what) if !what.starts_with("not ") => Expr::Is(l, format!("not {what}")),
            other => Expr::Not(Box::new(other)),
        },
        Expr::In(l, items, neg) => {
            let items: Vec<Expr> = items.into_iter().map(simplify).collect();
            // `x IN (ARRAY[…])` from `= ANY ((ARRAY[…])::text[])` after casts.
            match items.as_slice() {
                [Expr::Array(inner)] => Expr::In(Box::new(simplify(*l)), inner.clone(), neg),
                _ => Expr::In(Box::new(simplify(*l)), items, neg),
            }
        }
        Expr::Binary(op, l, r) => Expr::Binary(op, Box::new(simplify(*l)), Box::new(simplify(*r))),
        Expr::Unary(op, x) => Expr::Unary(op, Box::new(simplify(*x))),
        Expr::Chain(op, items) => chain(op, items.into_iter().map(simplify).collect()),
        Expr::Is(x, what) => Expr::Is(Box::new(simplify(*x)), what),
        Expr::Call(n, args) => Expr::Call(n, args.into_iter().map(simplify).collect()),
        Expr::Array(items) => Expr::Array(items.into_iter().map(simplify).collect()),
        Expr::Case(s, arms, o) => Expr::Case(
            s.map(|s| Box::new(simplify(*s))),
            arms.into_iter()
                .map(|(a, b)| (simplify(a), simplify(b)))
                .collect(),
            o.map(|o| Box::new(simplify(*o))),
        ),
        other => other,
    }
}

/// Binding strength, for the minimum of parentheses.
fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Chain("or", _) => 1,
        Expr::Chain(_, _) => 2,
        Expr::Not(_) => 3,
        Expr::Is(..) | Expr::In(..) | Expr::Quantified(..) => 4,
        Expr::Binary(op, ..) => match op.as_str() {
            "+" | "-" | "||" => 6,
            "*" | "/" | "%" => 7,
            "[]" => 9,
            _ => 5,
        },
        Expr::Unary(..) => 8,
        _ => 10,
    }
}

fn print(e: &Expr, outer: u8) -> String {
    let p = precedence(e);
    let s = match e {
        Expr::Atom(a) => a.clone(),
        Expr::Str(s) => s.clone(),
        Expr::Name(parts) => parts.join("."),
        Expr::Call(name, args) => format!(
            "{name}({})",
            args.iter()
                .map(|a| print(a, 0))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Expr::Unary(op, x) => format!("{op}{}", print(x, p)),
        Expr::Binary(op, l, r) if op == "[]" => format!("{}[{}]", print(l, p), print(r, 0)),
        // Left-associative: the right operand needs parentheses at equal strength.
        Expr::Binary(op, l, r) => format!("{} {op} {}", print(l, p), print(r, p + 1)),
        Expr::Chain(op, items) => items
            .iter()
            .map(|i| print(i, p + 1))
            .collect::<Vec<_>>()
            .join(&format!(" {op} ")),
        Expr::Not(x) => format!("not {}", print(x, p)),
        Expr::Is(x, what) => format!("{} is {what}", print(x, p + 1)),
        Expr::In(x, items, neg) => format!(
            "{} {}in ({})",
            print(x, p + 1),
            if *neg { "not " } else { "" },
            items
                .iter()
                .map(|a| print(a, 0))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Expr::Quantified(op, q, l, r) => format!("{} {op} {q} ({})", print(l, p + 1), print(r, 0)),
        Expr::Array(items) => format!(
            "array[{}]",
            items
                .iter()
                .map(|a| print(a, 0))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Expr::Case(subject, arms, otherwise) => {
            let mut s = String::from("case");
            if let Some(x) = subject {
                s.push(' ');
                s.push_str(&print(x, 0));
            }
            for (c, r) in arms {
                s.push_str(&format!(" when {} then {}", print(c, 0), print(r, 0)));
            }
            if let Some(o) = otherwise {
                s.push_str(&format!(" else {}", print(o, 0)));
            }
            s.push_str(" end");
            s
        }
    };
    if p < outer { format!("({s})") } else { s }
}

#[cfg(test)]
mod tests {
    use super::canonical;

    /// Each pair: what a migration file says, what an engine gives back.
    #[test]
    fn spellings_engines_produce_are_one_expression() {
        for (file, engine) in [
            // optuna's revision against PostgreSQL's pg_get_constraintdef.
            ("version_info_id=1", "(version_info_id = 1)"),
            ("a != 0", "(a <> 0)"),
            (
                "`rating` between 1 and 5",
                "((rating >= 1) AND (rating <= 5))",
            ),
            ("rating BETWEEN 1 AND 5", "CHECK_CLAUSE: unused"),
            (
                "status IN ('a', 'b')",
                "((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))",
            ),
            (
                "status NOT IN ('a','b')",
                "((status)::text <> ALL (ARRAY['a'::text, 'b'::text]))",
            ),
            ("price > 0", "(\"Price\" > (0)::numeric)"),
            ("a > -1", "(a > '-1'::integer)"),
            ("name LIKE 'x%'", "((name)::text ~~ 'x%'::text)"),
            ("deleted_at IS NULL", "(deleted_at IS NULL)"),
            ("NOT (x IS NULL)", "(x IS NOT NULL)"),
            (
                "a > 0 AND (b > 0 AND c > 0)",
                "((a > 0) AND (b > 0) AND (c > 0))",
            ),
            ("lower(email)", "lower((email)::text)"),
            ("char_length(name) > 0", "(char_length((name)::text) > 0)"),
            ("x = 1 OR y = 2", "((x = 1) OR (y = 2))"),
            (
                "coalesce(a, 0) + b * 2 >= 10",
                "((COALESCE(a, 0) + (b * 2)) >= 10)",
            ),
            (
                "kind = 'a' AND (n IS NULL OR n > 0)",
                "(((kind)::text = 'a'::text) AND ((n IS NULL) OR (n > 0)))",
            ),
            ("CAST(x AS INTEGER) > 1", "(x > 1)"),
            ("active = true", "(active = TRUE)"),
        ] {
            if engine.starts_with("CHECK_CLAUSE") {
                continue;
            }
            assert_eq!(canonical(file), canonical(engine), "{file}  vs  {engine}");
        }
    }

    #[test]
    fn different_expressions_stay_different() {
        for (a, b) in [
            ("a > 0", "a >= 0"),
            ("a > 0 AND b > 0", "a > 0 OR b > 0"),
            ("(a OR b) AND c", "a OR (b AND c)"),
            ("status IN ('a', 'b')", "status IN ('a', 'c')"),
            ("x = 'A'", "x = 'a'"),
            ("a - (b - c)", "a - b - c"),
            ("x IS NULL", "x IS NOT NULL"),
            ("a NOT IN (1)", "a IN (1)"),
        ] {
            assert_ne!(canonical(a), canonical(b), "{a}  vs  {b}");
        }
    }

    #[test]
    fn the_canonical_form_is_readable() {
        assert_eq!(
            canonical("((status)::text = ANY ((ARRAY['a'::character varying])::text[]))"),
            "status in ('a')"
        );
        assert_eq!(canonical("((a >= 1) AND (a <= 5))"), "a >= 1 and a <= 5");
        assert_eq!(canonical("(a OR b) AND c"), "(a or b) and c");
    }

    #[test]
    fn text_that_does_not_parse_is_still_compared_without_spacing_or_case() {
        assert_eq!(canonical("FOO BAR ("), canonical("foo   bar("));
        assert_eq!(canonical("'unterminated"), "'unterminated");
    }
}
