//! Raw SQL in a revision (`op.execute("…")`): what it can do to the schema.
//! Statements that only move data change nothing the model holds; DDL that
//! names its tables relaxes the expectations on those tables (the model does
//! not know what it did to them); anything else is opaque.

use crate::expected::sql;
use crate::schema::Engine;

/// What a piece of raw SQL does to the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawSql {
    /// Data only (`UPDATE`, `INSERT`, `SET`, functions, comments, grants…).
    Data,
    /// DDL on these tables (lowercase, unquoted, without schema), and on
    /// these indexes (whose table the model knows).
    Ddl {
        tables: Vec<String>,
        indexes: Vec<String>,
    },
    /// Could change anything.
    Unknown,
}

/// Classifies a literal SQL text (one or several statements).
pub fn classify(text: &str) -> RawSql {
    let mut tables = Vec::new();
    let mut indexes = Vec::new();
    for st in sql::split(text, Engine::Postgres) {
        match statement(&st.text) {
            Stmt::Data => {}
            Stmt::Tables(t) => tables.extend(t),
            Stmt::Index(i) => indexes.push(i),
            Stmt::Unknown => return RawSql::Unknown,
        }
    }
    if tables.is_empty() && indexes.is_empty() {
        RawSql::Data
    } else {
        tables.sort();
        tables.dedup();
        RawSql::Ddl { tables, indexes }
    }
}

/// An f-string: its literal parts decide. A statement whose kind is known
/// and whose table name is literal is classified; a placeholder where a
/// table name goes makes it unknown.
pub fn classify_template(template: &str) -> RawSql {
    // Placeholders become a marker that cannot be a name.
    let mut text = String::new();
    let mut depth = 0;
    for c in template.chars() {
        match c {
            '{' => {
                if depth == 0 {
                    text.push('\u{1}');
                }
                depth += 1;
            }
            '}' if depth > 0 => depth -= 1,
            _ if depth == 0 => text.push(c),
            _ => {}
        }
    }
    match classify(&text) {
        RawSql::Ddl { tables, indexes }
            if tables.iter().chain(&indexes).any(|t| t.contains('\u{1}')) =>
        {
            RawSql::Unknown
        }
        other => other,
    }
}

enum Stmt {
    Data,
    Tables(Vec<String>),
    Index(String),
    Unknown,
}

fn words(s: &str) -> Vec<String> {
    // Identifiers keep their quotes off; punctuation separates.
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '`') => quote = Some(c),
            (None, '[') => quote = Some(']'),
            (None, c)
                if c.is_alphanumeric() || c == '_' || c == '.' || c == '\u{1}' || c == '$' =>
            {
                cur.push(c)
            }
            (None, c) => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                if c == '(' || c == ',' || c == ';' {
                    out.push(c.to_string());
                }
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `schema.table` → `table`, lowercased.
fn name(w: &str) -> String {
    w.rsplit('.').next().unwrap_or(w).to_ascii_lowercase()
}

fn statement(text: &str) -> Stmt {
    let w = words(text);
    let upper: Vec<String> = w.iter().map(|x| x.to_ascii_uppercase()).collect();
    let kw = |i: usize| upper.get(i).map(String::as_str).unwrap_or("");
    // Skip `IF [NOT] EXISTS`, `ONLY`, `CONCURRENTLY` and the like after position `i`.
    let skip = |mut i: usize| {
        while matches!(
            kw(i),
            "IF" | "NOT" | "EXISTS" | "ONLY" | "CONCURRENTLY" | "TEMPORARY" | "TEMP" | "UNLOGGED"
        ) {
            i += 1;
        }
        i
    };
    match kw(0) {
        "" => Stmt::Data,
        "SELECT" | "INSERT" | "UPDATE" | "DELETE" | "WITH" | "MERGE" | "COPY" | "SET" | "RESET"
        | "COMMENT" | "GRANT" | "REVOKE" | "ANALYZE" | "VACUUM" | "PRAGMA" | "BEGIN" | "COMMIT"
        | "ROLLBACK" | "SAVEPOINT" | "RELEASE" | "NOTIFY" | "LISTEN" | "REFRESH" | "LOCK"
        | "CALL" | "EXPLAIN" | "TRUNCATE" | "CLUSTER" | "REINDEX" | "SHOW" | "USE" | "DISCARD"
        | "CHECKPOINT" | "SECURITY" => Stmt::Data,
        "CREATE" | "DROP" | "ALTER" => {
            let mut i = 1;
            while matches!(
                kw(i),
                "OR" | "REPLACE"
                    | "UNIQUE"
                    | "TEMPORARY"
                    | "TEMP"
                    | "UNLOGGED"
                    | "GLOBAL"
                    | "LOCAL"
                    | "MATERIALIZED"
                    | "DEFINER"
                    | "ALGORITHM"
            ) {
                i += 1;
            }
            match kw(i) {
                "TABLE" => {
                    let j = skip(i + 1);
                    let Some(first) = w.get(j) else {
                        return Stmt::Unknown;
                    };
                    let mut tables = vec![name(first)];
                    if kw(0) == "DROP" {
                        // `DROP TABLE a, b`
                        let mut k = j + 1;
                        while kw(k) == "," {
                            if let Some(n) = w.get(k + 1) {
                                tables.push(name(n));
                            }
                            k += 2;
                        }
                    }
                    // `ALTER TABLE a RENAME TO b`
                    if let Some(k) = upper.iter().position(|x| x == "RENAME")
                        && kw(k + 1) == "TO"
                        && let Some(n) = w.get(k + 2)
                    {
                        tables.push(name(n));
                    }
                    Stmt::Tables(tables)
                }
                "INDEX" => {
                    if kw(0) == "CREATE" {
                        match upper.iter().position(|x| x == "ON") {
                            Some(k) => match w.get(skip(k + 1)) {
                                Some(t) => Stmt::Tables(vec![name(t)]),
                                None => Stmt::Unknown,
                            },
                            None => Stmt::Unknown,
                        }
                    } else {
                        // `DROP INDEX [IF EXISTS] name [ON table]`, `ALTER INDEX name RENAME …`
                        match upper.iter().position(|x| x == "ON") {
                            Some(k) => match w.get(k + 1) {
                                Some(t) => Stmt::Tables(vec![name(t)]),
                                None => Stmt::Unknown,
                            },
                            None => match w.get(skip(i + 1)) {
                                Some(ix) => Stmt::Index(name(ix)),
                                None => Stmt::Unknown,
                            },
                        }
                    }
                }
                // Objects the model does not hold.
                "FUNCTION" | "PROCEDURE" | "TRIGGER" | "EXTENSION" | "TYPE" | "SEQUENCE"
                | "SCHEMA" | "STATISTICS" | "POLICY" | "RULE" | "VIEW" | "ROLE" | "USER"
                | "DOMAIN" | "AGGREGATE" | "OPERATOR" | "COLLATION" | "PUBLICATION"
                | "SUBSCRIPTION" | "EVENT" | "SERVER" | "DATABASE" | "TEXT" | "CAST" => Stmt::Data,
                _ => Stmt::Unknown,
            }
        }
        // MySQL: `RENAME TABLE a TO b, c TO d`
        "RENAME" if kw(1) == "TABLE" => Stmt::Tables(
            w.iter()
                .skip(2)
                .filter(|x| !matches!(x.to_ascii_uppercase().as_str(), "TO" | ","))
                .map(|x| name(x))
                .collect(),
        ),
        _ => Stmt::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(t: &[&str]) -> RawSql {
        RawSql::Ddl {
            tables: t.iter().map(|s| s.to_string()).collect(),
            indexes: Vec::new(),
        }
    }

    #[test]
    fn data_changes_nothing_the_model_holds() {
        for sql in [
            "UPDATE users SET active = true WHERE active IS NULL",
            "INSERT INTO roles (name) VALUES ('admin'); DELETE FROM roles WHERE name = 'x'",
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            "CREATE OR REPLACE FUNCTION f() RETURNS trigger AS $$ BEGIN ALTER TABLE x ADD y int; END $$ LANGUAGE plpgsql",
            "PRAGMA foreign_keys=ON",
            "SET statement_timeout = 0",
            "COMMENT ON TABLE users IS 'people'",
            "",
        ] {
            assert_eq!(classify(sql), RawSql::Data, "{sql}");
        }
    }

    #[test]
    fn ddl_names_its_tables() {
        assert_eq!(
            classify("ALTER TABLE business_members RENAME TO business_users"),
            tables(&["business_members", "business_users"])
        );
        assert_eq!(
            classify("DROP TABLE IF EXISTS a, public.b"),
            tables(&["a", "b"])
        );
        assert_eq!(
            classify("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix ON ONLY \"Events\" USING gin (x)"),
            tables(&["events"])
        );
        assert_eq!(classify("RENAME TABLE a TO b"), tables(&["a", "b"]));
        assert_eq!(
            classify("DROP INDEX ix_users_email"),
            RawSql::Ddl {
                tables: Vec::new(),
                indexes: vec!["ix_users_email".into()]
            }
        );
        assert_eq!(classify("DO $$ BEGIN EXECUTE 'x'; END $$"), RawSql::Unknown);
    }

    #[test]
    fn templates_are_known_only_where_their_names_are_literal() {
        assert_eq!(
            classify_template("UPDATE {t} SET flag = false"),
            RawSql::Data
        );
        assert_eq!(
            classify_template("ALTER TABLE {t} ADD COLUMN x int"),
            RawSql::Unknown
        );
        assert_eq!(
            classify_template("ALTER TABLE users ADD COLUMN {col} int"),
            tables(&["users"])
        );
    }
}
