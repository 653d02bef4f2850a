//! SQLite introspection through the `pragma_*` table-valued functions, joined
//! against `sqlite_schema`: one query per kind of object, not per table.

use super::{Rows, field, flag};
use crate::db::Connection;
use crate::schema::normalize;
use crate::schema::{
    Column, Constraint, ConstraintKind, Engine, Index, QName, Schema, Table, View,
};
use std::collections::{BTreeMap, HashMap};

const USER_TABLES: &str = "m.type = 'table' AND m.name NOT LIKE 'sqlite_%'";

// Long on purpose: one pass over SQLite's catalog pragmas (tables, columns, keys, indexes, views) in the order
// they depend on each other; each block is a query and its reading, and splitting them would only pass the
// half-built schema around.
pub async fn introspect(conn: &mut Connection) -> Result<Schema, super::QueryError> {
    let mut schema = Schema::new(Engine::Sqlite);
    let q = |name: &str| QName::new("", name);

    let objects: Rows = super::run(conn, "tables", "SELECT m.type, m.name, m.sql, m.tbl_name FROM sqlite_schema m WHERE m.name NOT LIKE 'sqlite_%'").await?;
    let mut table_sql: HashMap<String, String> = HashMap::new();
    let mut index_sql: HashMap<String, String> = HashMap::new();
    for r in &objects {
        match field(r, 0) {
            "table" => {
                schema.tables.insert(q(field(r, 1)), Table::default());
                table_sql.insert(field(r, 1).to_string(), field(r, 2).to_string());
            }
            "view" => {
                let sql = field(r, 2);
                let definition = split_as(sql)
                    .unwrap_or(sql)
                    .trim()
                    .trim_end_matches(';')
                    .to_string();
                schema.views.insert(
                    q(field(r, 1)),
                    View {
                        definition,
                        materialized: false,
                    },
                );
            }
            "index" => {
                index_sql.insert(field(r, 1).to_string(), field(r, 2).to_string());
            }
            _ => {}
        }
    }

    let cols: Rows = super::run(conn, "columns", &format!(
        "SELECT m.name, p.name, p.type, CAST(p.\"notnull\" AS TEXT), p.dflt_value, CAST(p.pk AS TEXT), CAST(p.hidden AS TEXT) \
         FROM sqlite_schema m JOIN pragma_table_xinfo(m.name) p WHERE {USER_TABLES} ORDER BY m.name, p.cid"
    )).await?;
    let mut pks: BTreeMap<String, Vec<(i64, String)>> = BTreeMap::new();
    for r in &cols {
        let Some(t) = schema.tables.get_mut(&q(field(r, 0))) else {
            continue;
        };
        let pk: i64 = field(r, 5).parse().unwrap_or(0);
        let declared = field(r, 2);
        let hidden = field(r, 6);
        if pk > 0 {
            pks.entry(field(r, 0).to_string())
                .or_default()
                .push((pk, field(r, 1).to_string()));
        }
        t.columns.push(Column {
            name: field(r, 1).to_string(),
            data_type: Some(normalize::type_name(declared)),
            // A primary key column is required (SQLite's NULL-in-PK quirk aside).
            nullable: Some(!flag(r, 3) && pk == 0),
            default: r.get(4).cloned().flatten(),
            identity: None,
            generated: matches!(hidden, "2" | "3").then(String::new),
        });
    }
    for (table, mut cols) in pks {
        cols.sort();
        let columns: Vec<String> = cols.into_iter().map(|(_, c)| c).collect();
        if let Some(t) = schema.tables.get_mut(&q(&table)) {
            if columns.len() == 1
                && t.column(&columns[0]).and_then(|c| c.data_type.as_deref()) == Some("integer")
                && let Some(c) = t.column_mut(&columns[0])
            {
                c.identity = Some("rowid".into()); // INTEGER PRIMARY KEY aliases the rowid
            }
            t.constraints.push(Constraint {
                name: format!("{table}_pkey"),
                kind: ConstraintKind::PrimaryKey { columns },
            });
        }
    }

    let idx: Rows = super::run(conn, "indexes", &format!(
        "SELECT m.name, il.name, CAST(il.\"unique\" AS TEXT), il.origin, CAST(il.partial AS TEXT), ii.name, CAST(ii.\"desc\" AS TEXT), CAST(ii.cid AS TEXT) \
         FROM sqlite_schema m JOIN pragma_index_list(m.name) il JOIN pragma_index_xinfo(il.name) ii \
         WHERE {USER_TABLES} AND ii.key = 1 ORDER BY m.name, il.name, ii.seqno"
    )).await?;
    // (table, index) → (unique, origin, partial, keys)
    type IndexParts = (bool, String, bool, Vec<String>);
    let mut grouped: BTreeMap<(String, String), IndexParts> = BTreeMap::new();
    for r in &idx {
        let (table, name) = (field(r, 0).to_string(), field(r, 1).to_string());
        let expressions = index_sql
            .get(&name)
            .map(|sql| index_keys(sql))
            .unwrap_or_default();
        let e = grouped
            .entry((table, name))
            .or_insert_with(|| (flag(r, 2), field(r, 3).to_string(), flag(r, 4), Vec::new()));
        let position = e.3.len();
        let mut key = match r.get(5).cloned().flatten() {
            Some(col) if field(r, 7) != "-2" => col,
            _ => format!(
                "({})",
                normalize::expression(expressions.get(position).map(String::as_str).unwrap_or("?"))
            ),
        };
        if flag(r, 6) {
            key.push_str(" DESC");
        }
        e.3.push(key);
    }
    for ((table, name), (unique, origin, partial, keys)) in grouped {
        let Some(t) = schema.tables.get_mut(&q(&table)) else {
            continue;
        };
        match origin.as_str() {
            "pk" => {}
            "u" => t.constraints.push(Constraint {
                name,
                kind: ConstraintKind::Unique { columns: keys },
            }),
            _ => {
                let predicate = if partial {
                    index_sql.get(&name).and_then(|s| where_clause(s))
                } else {
                    None
                };
                t.indexes.push(Index {
                    name,
                    keys,
                    unique,
                    predicate,
                    method: None,
                });
            }
        }
    }

    let fks: Rows = super::run(conn, "foreign keys", &format!(
        "SELECT m.name, CAST(f.id AS TEXT), f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete \
         FROM sqlite_schema m JOIN pragma_foreign_key_list(m.name) f WHERE {USER_TABLES} ORDER BY m.name, f.id, f.seq"
    )).await?;
    // (table, id) → (referenced table, columns, referenced columns, on update, on delete)
    type FkParts = (String, Vec<String>, Vec<Option<String>>, String, String);
    let mut fk_groups: BTreeMap<(String, i64), FkParts> = BTreeMap::new();
    for r in &fks {
        let e = fk_groups
            .entry((field(r, 0).to_string(), field(r, 1).parse().unwrap_or(0)))
            .or_insert_with(|| {
                (
                    field(r, 2).to_string(),
                    Vec::new(),
                    Vec::new(),
                    normalize::action(field(r, 5)),
                    normalize::action(field(r, 6)),
                )
            });
        e.1.push(field(r, 3).to_string());
        e.2.push(r.get(4).cloned().flatten());
    }
    for ((table, id), (references, columns, to, on_update, on_delete)) in fk_groups {
        // `REFERENCES users` without columns means the referenced table's primary key.
        let referenced_columns: Vec<String> = if to.iter().all(Option::is_some) {
            to.into_iter().flatten().collect()
        } else {
            schema
                .tables
                .get(&q(&references))
                .and_then(|rt| {
                    rt.constraints.iter().find_map(|c| match &c.kind {
                        ConstraintKind::PrimaryKey { columns } => Some(columns.clone()),
                        _ => None,
                    })
                })
                .unwrap_or_default()
        };
        if let Some(t) = schema.tables.get_mut(&q(&table)) {
            t.constraints.push(Constraint {
                name: format!("{table}_fk{id}"),
                kind: ConstraintKind::ForeignKey {
                    columns,
                    references,
                    referenced_columns,
                    on_delete,
                    on_update,
                },
            });
        }
    }

    // CHECK constraints live only in the CREATE TABLE text.
    for (table, sql) in &table_sql {
        if let Some(t) = schema.tables.get_mut(&q(table)) {
            for (i, (name, expression)) in check_constraints(sql).into_iter().enumerate() {
                t.constraints.push(Constraint {
                    name: name.unwrap_or_else(|| format!("{table}_check{}", i + 1)),
                    kind: ConstraintKind::Check { expression },
                });
            }
        }
    }

    schema.sort();
    Ok(schema)
}

/// The text after the top-level ` AS ` of `CREATE VIEW v AS SELECT …`.
fn split_as(sql: &str) -> Option<&str> {
    let upper = sql.to_ascii_uppercase();
    upper.find(" AS ").map(|i| &sql[i + 4..])
}

/// The key expressions of `CREATE INDEX i ON t (a, lower(b)) WHERE …`.
fn index_keys(sql: &str) -> Vec<String> {
    let Some(open) = sql.find('(') else {
        return Vec::new();
    };
    let inner = balanced_group(&sql[open..]).unwrap_or("");
    split_top_level(inner)
        .into_iter()
        .map(|k| {
            let k = k.trim();
            let u = k.to_ascii_uppercase();
            let k = if u.ends_with(" DESC") || u.ends_with(" ASC") {
                &k[..k.rfind(' ').unwrap_or(k.len())]
            } else {
                k
            };
            k.trim().to_string()
        })
        .collect()
}

fn where_clause(sql: &str) -> Option<String> {
    let upper = sql.to_ascii_uppercase();
    let i = upper.rfind(" WHERE ")?;
    Some(sql[i + 7..].trim().trim_end_matches(';').to_string())
}

/// The contents of the parenthesised group at the start of `s`.
fn balanced_group(s: &str) -> Option<&str> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth -= 1;
                if depth == 0 {
                    return s.get(1..i);
                }
            }
            _ => {}
        }
    }
    None
}

fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

/// `CHECK (…)` clauses of a CREATE TABLE statement, with their names.
fn check_constraints(sql: &str) -> Vec<(Option<String>, String)> {
    let Some(open) = sql.find('(') else {
        return Vec::new();
    };
    let Some(body) = balanced_group(&sql[open..]) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for part in split_top_level(body) {
        let upper = part.to_ascii_uppercase();
        let mut search = 0;
        while let Some(i) = upper[search..].find("CHECK").map(|i| i + search) {
            search = i + 5;
            let after = part[i + 5..].trim_start();
            if !after.starts_with('(') {
                continue;
            }
            let Some(expr) = balanced_group(after) else {
                continue;
            };
            // `CONSTRAINT name CHECK (…)` names it.
            let before = part[..i].trim_end();
            let name = before
                .rsplit_once(char::is_whitespace)
                .map_or(before, |(_, n)| n)
                .trim_matches(['"', '`', '[', ']'])
                .to_string();
            let named =
                before.to_ascii_uppercase().split_whitespace().rev().nth(1) == Some("CONSTRAINT");
            out.push((named.then_some(name), expr.trim().to_string()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_index_keys_are_read_from_sql() {
        let sql = "CREATE TABLE p (id INTEGER PRIMARY KEY, price NUMERIC CHECK (price > 0), CONSTRAINT ck_qty CHECK (qty >= 0 AND (qty < 100)))";
        assert_eq!(
            check_constraints(sql),
            vec![
                (None, "price > 0".to_string()),
                (
                    Some("ck_qty".to_string()),
                    "qty >= 0 AND (qty < 100)".to_string()
                )
            ]
        );
        assert_eq!(
            index_keys("CREATE INDEX i ON t (a, lower(b) DESC) WHERE a > 0"),
            ["a", "lower(b)"]
        );
        assert_eq!(
            where_clause("CREATE INDEX i ON t (a) WHERE a > 0").as_deref(),
            Some("a > 0")
        );
    }
}
