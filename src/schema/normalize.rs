//! Canonical spellings, so that aliases never look like drift: `int4` and
//! `integer`, `character varying(255)` and `VARCHAR(255)`, `now()` and
//! `CURRENT_TIMESTAMP`, `'pending'::order_status` and `'pending'`.

/// The canonical name of a type written as text (SQL DDL, SQLite declared
/// types, MySQL `COLUMN_TYPE`, SQLAlchemy renderings).
pub fn type_name(raw: &str) -> String {
    let lower = raw.trim().to_ascii_lowercase();
    let lower = collapse_spaces(&lower);
    // Split `name(args) suffix` (e.g. `varchar(255)`, `numeric(12, 2)`, `int(11) unsigned`).
    let (base, args, suffix) = match (lower.find('('), lower.rfind(')')) {
        (Some(open), Some(close)) if close > open => (
            lower[..open].trim().to_string(),
            Some(strip_unquoted_spaces(&lower[open + 1..close])),
            lower[close + 1..].trim().to_string(),
        ),
        _ => (lower.clone(), None, String::new()),
    };
    let (base, array) = match base.strip_suffix("[]") {
        Some(b) => (b.trim().to_string(), "[]"),
        None => (base, ""),
    };
    let canonical_base = match base.as_str() {
        "int" | "int4" | "integer" | "mediumint" | "serial" | "serial4" => "integer",
        "int8" | "bigint" | "bigserial" | "serial8" => "bigint",
        "int2" | "smallint" | "smallserial" | "serial2" => "smallint",
        "tinyint" if args.as_deref() == Some("1") => return "boolean".into(),
        "bool" | "boolean" => "boolean",
        "float8" | "double precision" | "double" => "double precision",
        "float4" | "real" => "real",
        "float" if args.is_none() => "double precision",
        "decimal" | "numeric" | "dec" => "numeric",
        "character varying" | "varchar" | "nvarchar" | "varchar2" => "varchar",
        "character" | "char" | "bpchar" | "nchar" => "char",
        "timestamp with time zone" | "timestamptz" => "timestamptz",
        "timestamp without time zone" | "timestamp" => "timestamp",
        "time with time zone" | "timetz" => "timetz",
        "time without time zone" | "time" => "time",
        "bytea" | "blob" | "binary" if args.is_none() => "bytea",
        other => other,
    };
    // Display widths of integer types (MySQL `int(11)`) carry no meaning.
    let keep_args = !matches!(
        canonical_base,
        "integer" | "bigint" | "smallint" | "tinyint"
    );
    let mut out = canonical_base.to_string();
    if let (Some(a), true) = (args, keep_args)
        && !a.is_empty()
    {
        out.push('(');
        out.push_str(&a);
        out.push(')');
    }
    out.push_str(array);
    let suffix = suffix.replace("zerofill", "").trim().to_string();
    if !suffix.is_empty() && !suffix.starts_with("character set") && !suffix.starts_with("collate")
    {
        out.push(' ');
        out.push_str(&suffix);
    }
    out
}

/// `12, 2` → `12,2`, keeping spaces inside quoted labels (`enum('in progress')`).
fn strip_unquoted_spaces(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_quote = false;
    for c in s.chars() {
        if c == '\'' {
            in_quote = !in_quote;
        }
        if in_quote || !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Canonical form of a default expression, for comparison only.
pub fn default_expr(raw: &str, data_type: Option<&str>) -> String {
    let mut s = raw.trim().to_string();
    // Outer parentheses: `(CURRENT_TIMESTAMP)`, `('0')`.
    while s.starts_with('(') && s.ends_with(')') && balanced(&s[1..s.len() - 1]) {
        s = s[1..s.len() - 1].trim().to_string();
    }
    let s = strip_casts(&s);
    let lower = s.to_ascii_lowercase();
    let is_bool = data_type.is_some_and(|t| t == "boolean");
    let unquoted = lower
        .strip_prefix('\'')
        .and_then(|r| r.strip_suffix('\''))
        .unwrap_or(&lower);
    match unquoted {
        "now()"
        | "current_timestamp"
        | "current_timestamp()"
        | "transaction_timestamp()"
        | "localtimestamp"
        | "statement_timestamp()"
        | "getdate()"
        | "current_timestamp(6)" => return "current_timestamp".into(),
        "current_date" | "curdate()" => return "current_date".into(),
        "null" => return "null".into(),
        _ => {}
    }
    if is_bool {
        match unquoted {
            "true" | "1" | "t" | "y" | "yes" | "on" => return "true".into(),
            "false" | "0" | "f" | "n" | "no" | "off" => return "false".into(),
            _ => {}
        }
    }
    if lower.starts_with("nextval(") {
        return "autoincrement".into();
    }
    // A quoted number and the number are the same default.
    if unquoted.parse::<f64>().is_ok() {
        return unquoted.trim_start_matches('+').to_string();
    }
    if lower.starts_with('\'') {
        return s.to_string();
    }
    expression(&s)
}

/// Removes PostgreSQL casts: `'x'::character varying` → `'x'`,
/// `'{}'::jsonb` → `'{}'`, `(0)::numeric(12,2)` → `(0)`, `x::text[]` → `x`.
fn strip_casts(s: &str) -> String {
    const MULTI_WORD: &[&str] = &[
        "character varying",
        "double precision",
        "timestamp with time zone",
        "timestamp without time zone",
        "time with time zone",
        "time without time zone",
        "bit varying",
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    let mut in_quote = false;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            in_quote = !in_quote;
        }
        if !in_quote && rest.starts_with("::") {
            rest = &rest[2..];
            let lower = rest.to_ascii_lowercase();
            match MULTI_WORD.iter().find(|m| lower.starts_with(**m)) {
                Some(m) => rest = &rest[m.len()..],
                None => {
                    let n = rest
                        .find(|ch: char| {
                            !(ch.is_alphanumeric() || ch == '_' || ch == '.' || ch == '"')
                        })
                        .unwrap_or(rest.len());
                    rest = &rest[n..];
                }
            }
            if rest.starts_with('(')
                && let Some(end) = rest.find(')')
            {
                rest = &rest[end + 1..];
            }
            while let Some(r) = rest.strip_prefix("[]") {
                rest = r;
            }
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

fn balanced(s: &str) -> bool {
    let mut depth = 0i32;
    let mut in_quote = false;
    for c in s.chars() {
        match c {
            '\'' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

/// Canonical form of an SQL expression (check constraints, index predicates
/// and expressions, view bodies), as `schema::expr` reads it.
pub fn expression(raw: &str) -> String {
    let raw = raw.trim();
    // Most index keys are plain column names.
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return raw.to_ascii_lowercase();
    }
    super::expr::canonical(raw)
}

/// An index key split into its expression and its ordering as written:
/// `lower(b) DESC NULLS LAST` → (`lower(b)`, `DESC NULLS LAST`).
pub fn split_ordering(raw: &str) -> (&str, &str) {
    let raw = raw.trim();
    let mut cut = raw.len();
    loop {
        let lower = raw[..cut].to_ascii_lowercase();
        let Some(r) = ["nulls first", "nulls last", "desc", "asc"]
            .iter()
            .find_map(|w| strip_word_suffix(&lower, w))
        else {
            break;
        };
        cut = r;
    }
    (raw[..cut].trim_end(), raw[cut..].trim())
}

/// Canonical form of one index key: its expression, then ` desc` when
/// descending; `ASC` and the default null ordering are left out
/// (`sa.text("created_at ASC")` is the plain column).
pub fn index_key(raw: &str) -> String {
    let raw = raw.trim();
    if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return raw.to_ascii_lowercase();
    }
    let (expr, ordering) = split_ordering(raw);
    let ordering = ordering.to_ascii_lowercase();
    let desc = ordering.split_whitespace().any(|w| w == "desc");
    // Some(true): NULLS FIRST
    let nulls = if ordering.contains("nulls first") {
        Some(true)
    } else if ordering.contains("nulls last") {
        Some(false)
    } else {
        None
    };
    let mut out = expression(expr);
    if desc {
        out.push_str(" desc");
    }
    // The default: NULLS LAST ascending, NULLS FIRST descending.
    match nulls {
        Some(true) if !desc => out.push_str(" nulls first"),
        Some(false) if desc => out.push_str(" nulls last"),
        _ => {}
    }
    out
}

/// The length of `s` without a trailing ` <word>` (outside quotes and parentheses).
fn strip_word_suffix(s: &str, word: &str) -> Option<usize> {
    let t = s.trim_end();
    let cut = t.strip_suffix(word)?;
    (cut.ends_with(|c: char| c.is_whitespace() || c == ')') && !cut.trim().is_empty())
        .then(|| cut.trim_end().len())
}

/// Canonical referential action (`CASCADE`, `SET NULL`, `NO ACTION`, …).
pub fn action(raw: &str) -> String {
    let a = collapse_spaces(&raw.trim().to_ascii_uppercase().replace('_', " "));
    match a.as_str() {
        "" | "NONE" => "NO ACTION".into(),
        _ => a,
    }
}

/// Actions compared for drift: `RESTRICT` and `NO ACTION` both refuse the
/// change (they differ only in when PostgreSQL checks, and InnoDB treats them
/// as one), so MySQL's `RESTRICT` default is not drift.
pub fn action_effect(raw: &str) -> String {
    match action(raw).as_str() {
        "RESTRICT" => "NO ACTION".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_aliases_are_one_type() {
        for (a, b) in [
            ("int4", "INTEGER"),
            ("int(11)", "integer"),
            ("character varying(255)", "VARCHAR(255)"),
            ("numeric(12, 2)", "DECIMAL(12,2)"),
            ("timestamp with time zone", "timestamptz"),
            ("bool", "BOOLEAN"),
            ("tinyint(1)", "boolean"),
            ("double", "float8"),
            ("_int4", "_int4"),
            ("integer[]", "int4[]"),
            ("bigint(20) unsigned", "bigint unsigned"),
            ("varchar(50) CHARACTER SET utf8mb4", "varchar(50)"),
            ("enum('in progress', 'done')", "ENUM('in progress','done')"),
        ] {
            assert_eq!(type_name(a), type_name(b), "{a} vs {b}");
        }
        assert_ne!(type_name("varchar(50)"), type_name("varchar(255)"));
        assert_ne!(type_name("timestamp"), type_name("timestamptz"));
    }

    #[test]
    fn default_spellings_are_one_default() {
        let d = |raw, t: Option<&str>| default_expr(raw, t);
        assert_eq!(d("now()", None), d("CURRENT_TIMESTAMP", None));
        assert_eq!(d("(CURRENT_TIMESTAMP)", None), "current_timestamp");
        assert_eq!(
            d("'pending'::character varying", None),
            d("'pending'", None)
        );
        assert_eq!(d("'pending'::order_status", None), "'pending'");
        assert_eq!(d("'0'::numeric", None), d("0", None));
        assert_eq!(d("true", Some("boolean")), d("1", Some("boolean")));
        assert_eq!(d("'f'", Some("boolean")), d("false", Some("boolean")));
        assert_eq!(
            d("nextval('users_id_seq'::regclass)", None),
            "autoincrement"
        );
        assert_ne!(d("'a'", None), d("'b'", None));
    }

    #[test]
    fn index_keys_leave_out_default_orderings() {
        assert_eq!(index_key("created_at ASC"), index_key("created_at"));
        assert_eq!(
            index_key("created_at DESC NULLS FIRST"),
            index_key("created_at desc")
        );
        assert_ne!(index_key("created_at DESC"), index_key("created_at"));
        assert_eq!(
            index_key("(lower(email))"),
            index_key("lower((email)::text)")
        );
        assert_eq!(
            index_key("(lower(email)) DESC"),
            index_key("lower(email) desc")
        );
    }

    #[test]
    fn expressions_fold_case_quotes_and_casts() {
        assert_eq!(
            expression("(\"Price\" > (0)::numeric)"),
            expression("price > 0")
        );
        assert_eq!(expression("status = 'Active'"), "status = 'Active'");
        assert_eq!(
            expression(
                "((status)::text = ANY ((ARRAY['a'::character varying, 'b'::character varying])::text[]))"
            ),
            expression("status::text = ANY (ARRAY['a', 'b'])")
        );
    }
}
