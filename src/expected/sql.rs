//! Splitting SQL scripts into statements, the way the database's own client
//! would: quotes, comments, PostgreSQL dollar quoting, MySQL `DELIMITER`,
//! SQLite trigger bodies, and `psql` meta-commands (`\connect`, pg_dump's
//! `\restrict`) which are not SQL and are skipped.

use crate::schema::Engine;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    /// 1-based line where the statement starts.
    pub line: u32,
}

// Long on purpose: a single-pass state machine over the characters (quotes, comments,
// dollar quotes, DELIMITER, BEGIN … END bodies); its states share the cursor and the current statement.
pub fn split(sql: &str, engine: Engine) -> Vec<Statement> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start_line = 1u32;
    let mut line = 1u32;
    let mut delimiter = String::from(";");
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    let mut at_line_start = true;
    let mut trigger_depth = 0i32;
    let flush = |current: &mut String, out: &mut Vec<Statement>, start_line: u32| {
        let t = current.trim();
        if !t.is_empty() && !is_only_comments(t) {
            out.push(Statement {
                text: t.to_string(),
                line: start_line,
            });
        }
        current.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        if at_line_start {
            // Client commands that are not SQL.
            let rest: String = chars[i..].iter().take_while(|&&ch| ch != '\n').collect();
            let trimmed = rest.trim_start();
            if engine == Engine::Postgres && trimmed.starts_with('\\') && current.trim().is_empty()
            {
                i += rest.chars().count();
                continue;
            }
            if engine == Engine::Mysql && trimmed.to_ascii_uppercase().starts_with("DELIMITER ") {
                flush(&mut current, &mut out, start_line);
                delimiter = trimmed[10..].trim().to_string();
                i += rest.chars().count();
                continue;
            }
            at_line_start = false;
        }
        if current.trim().is_empty() && !c.is_whitespace() {
            start_line = line;
        }
        if c == '\n' {
            line += 1;
            at_line_start = true;
            current.push(c);
            i += 1;
            continue;
        }
        // Comments.
        if (c == '-' && chars.get(i + 1) == Some(&'-')) || (c == '#' && engine == Engine::Mysql) {
            while i < chars.len() && chars[i] != '\n' {
                current.push(chars[i]);
                i += 1;
            }
            continue;
        }
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    current.push_str("/*");
                    i += 2;
                    continue;
                }
                if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    current.push_str("*/");
                    i += 2;
                    if depth == 0 || engine != Engine::Postgres {
                        break;
                    }
                    continue;
                }
                if chars[i] == '\n' {
                    line += 1;
                }
                current.push(chars[i]);
                i += 1;
            }
            continue;
        }
        // Quoted strings and identifiers.
        if c == '\'' || c == '"' || (c == '`' && engine == Engine::Mysql) {
            current.push(c);
            i += 1;
            while i < chars.len() {
                let ch = chars[i];
                current.push(ch);
                i += 1;
                if ch == '\n' {
                    line += 1;
                }
                if ch == '\\' && engine == Engine::Mysql && c != '`' && i < chars.len() {
                    current.push(chars[i]);
                    i += 1;
                    continue;
                }
                if ch == c {
                    if chars.get(i) == Some(&c) {
                        current.push(c);
                        i += 1;
                        continue;
                    }
                    break;
                }
            }
            continue;
        }
        // PostgreSQL dollar quoting: $$ … $$, $fn$ … $fn$.
        if c == '$' && engine == Engine::Postgres {
            let tag_end = chars[i + 1..]
                .iter()
                .position(|ch| !(ch.is_alphanumeric() || *ch == '_'))
                .map(|p| i + 1 + p);
            if let Some(te) = tag_end.filter(|&te| chars.get(te) == Some(&'$')) {
                let tag: String = chars[i..=te].iter().collect();
                if !tag[1..tag.len() - 1].starts_with(|ch: char| ch.is_ascii_digit()) {
                    current.push_str(&tag);
                    i = te + 1;
                    let tag_chars: Vec<char> = tag.chars().collect();
                    while i < chars.len() {
                        if chars[i..].starts_with(&tag_chars) {
                            current.push_str(&tag);
                            i += tag_chars.len();
                            break;
                        }
                        if chars[i] == '\n' {
                            line += 1;
                        }
                        current.push(chars[i]);
                        i += 1;
                    }
                    continue;
                }
            }
        }
        // SQLite trigger bodies: `CREATE TRIGGER … BEGIN …; …; END;`.
        if engine == Engine::Sqlite
            && c.is_ascii_alphabetic()
            && (i == 0 || !chars[i - 1].is_alphanumeric())
        {
            let word: String = chars[i..]
                .iter()
                .take_while(|ch| ch.is_alphanumeric() || **ch == '_')
                .collect();
            let upper = word.to_ascii_uppercase();
            let head = current.trim_start().to_ascii_uppercase();
            if upper == "BEGIN" && head.starts_with("CREATE") && head.contains("TRIGGER") {
                trigger_depth += 1;
            } else if upper == "END" && trigger_depth > 0 {
                trigger_depth -= 1;
            }
            current.push_str(&word);
            i += word.chars().count();
            continue;
        }
        // The delimiter.
        let delim: Vec<char> = delimiter.chars().collect();
        if trigger_depth == 0 && chars[i..].starts_with(&delim) {
            flush(&mut current, &mut out, start_line);
            i += delim.len();
            continue;
        }
        current.push(c);
        i += 1;
    }
    flush(&mut current, &mut out, start_line);
    out
}

fn is_only_comments(s: &str) -> bool {
    s.lines().all(|l| {
        let t = l.trim();
        t.is_empty()
            || t.starts_with("--")
            || (t.starts_with("/*") && t.ends_with("*/") && !t.starts_with("/*!"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str, e: Engine) -> Vec<String> {
        split(sql, e).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn splits_like_the_clients_do() {
        let pg = "\\restrict abc\nSET x = 1;\n-- a; comment\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\nINSERT INTO t VALUES ('a;b', 'it''s');\n";
        assert_eq!(
            texts(pg, Engine::Postgres),
            [
                "SET x = 1",
                "-- a; comment\nCREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
                "INSERT INTO t VALUES ('a;b', 'it''s')"
            ]
        );
        let my = "/*!40101 SET NAMES utf8 */;\nDELIMITER ;;\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END ;;\nDELIMITER ;\nSELECT 'a\\';b';";
        assert_eq!(
            texts(my, Engine::Mysql),
            [
                "/*!40101 SET NAMES utf8 */",
                "CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END",
                "SELECT 'a\\';b'"
            ]
        );
        let lite = "CREATE TABLE a (x int);\nCREATE TRIGGER tr AFTER INSERT ON a BEGIN UPDATE a SET x = 1; DELETE FROM a; END;\nSELECT 1";
        assert_eq!(split(lite, Engine::Sqlite).len(), 3);
        assert_eq!(split(lite, Engine::Sqlite)[1].line, 2);
    }
}
