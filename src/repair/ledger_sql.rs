//! Exact SQL on a ledger table, for tools that have no command to take a
//! revision out of their ledger: one `DELETE` naming exactly the rows, with
//! the table and columns spelled as the live database spells them.

use crate::db::quote_ident;
use crate::definitions::Ledger;
use crate::definitions::RowKey;
use crate::schema::{Engine, QName, Schema, Table};

/// Why the ledger rows cannot be written as a `DELETE`.
#[derive(Debug, thiserror::Error)]
pub enum NoDelete {
    #[error("the ledger table {0} is not in the live schema")]
    NoTable(String),
    #[error("{table} has no column {column}")]
    NoColumn { table: String, column: String },
    #[error("{0} is not a Liquibase change set key (file::id::author)")]
    NotLiquibaseKey(String),
}

/// `DELETE FROM <ledger> WHERE <key> IN (…);` for these entries.
pub fn delete(
    engine: Engine,
    ledger: &Ledger,
    live: &Schema,
    key: RowKey,
    entries: &[String],
) -> Result<String, NoDelete> {
    let wanted = super::ledger_qname(ledger);
    let (name, table) =
        find(live, &wanted).ok_or_else(|| NoDelete::NoTable(ledger.table.clone()))?;
    let col = |c: &str| -> Result<String, NoDelete> {
        table
            .columns
            .iter()
            .find(|x| x.name.eq_ignore_ascii_case(c))
            .map(|x| quote_ident(engine, &x.name))
            .ok_or_else(|| NoDelete::NoColumn {
                table: ledger.table.clone(),
                column: c.to_string(),
            })
    };
    let from = qualified(engine, name);
    let condition = match key {
        RowKey::Column(c) => {
            let values: Vec<String> = entries.iter().map(|e| literal(e)).collect();
            format!("{} IN ({})", col(c)?, values.join(", "))
        }
        RowKey::Liquibase => {
            let (f, i, a) = (col("filename")?, col("id")?, col("author")?);
            let mut parts = Vec::new();
            for e in entries {
                let mut it = e.splitn(3, "::");
                let (Some(file), Some(id), Some(author)) = (it.next(), it.next(), it.next()) else {
                    return Err(NoDelete::NotLiquibaseKey(e.clone()));
                };
                parts.push(format!(
                    "({f} = {} AND {i} = {} AND {a} = {})",
                    literal(file),
                    literal(id),
                    literal(author)
                ));
            }
            parts.join("\n   OR ")
        }
    };
    Ok(format!("DELETE FROM {from} WHERE {condition};"))
}

/// The live table a ledger names (the default schema may be left out).
pub fn find<'s>(live: &'s Schema, wanted: &QName) -> Option<(&'s QName, &'s Table)> {
    live.tables.iter().find(|(q, _)| {
        q.name.eq_ignore_ascii_case(&wanted.name)
            && (q.schema == wanted.schema
                || wanted.schema.is_empty()
                    && live
                        .engine
                        .is_none_or(|e| q.schema == e.default_schema() || q.schema.is_empty()))
    })
}

pub fn qualified(engine: Engine, q: &QName) -> String {
    let t = quote_ident(engine, &q.name);
    if q.schema.is_empty() || q.schema == engine.default_schema() {
        t
    } else {
        format!("{}.{t}", quote_ident(engine, &q.schema))
    }
}

/// A SQL string literal.
pub fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Column;

    fn live(engine: Engine, schema: &str, table: &str, cols: &[&str]) -> Schema {
        let mut s = Schema::new(engine);
        s.tables.insert(
            QName::new(schema, table),
            Table {
                columns: cols.iter().map(|c| Column::named(*c)).collect(),
                ..Table::default()
            },
        );
        s
    }

    fn ledger(tool: &str, table: &str) -> Ledger {
        Ledger::new(
            crate::tools::find(tool).expect("tool"),
            &QName::parse(table),
        )
    }

    #[test]
    fn names_exactly_the_rows_in_the_live_spelling() {
        let s = live(
            Engine::Postgres,
            "public",
            "__EFMigrationsHistory",
            &["MigrationId", "ProductVersion"],
        );
        let sql = delete(
            Engine::Postgres,
            &ledger("efcore", "__EFMigrationsHistory"),
            &s,
            RowKey::Column("migrationid"),
            &["20240101_Init".into(), "O'Brien".into()],
        )
        .expect("sql");
        assert_eq!(
            sql,
            "DELETE FROM \"__EFMigrationsHistory\" WHERE \"MigrationId\" IN ('20240101_Init', 'O''Brien');"
        );
    }

    #[test]
    fn mysql_quotes_and_other_schemas() {
        let s = live(Engine::Mysql, "app", "knex_migrations", &["id", "name"]);
        let sql = delete(
            Engine::Mysql,
            &ledger("knex", "app.knex_migrations"),
            &s,
            RowKey::Column("name"),
            &["1_a.js".into()],
        )
        .expect("sql");
        assert_eq!(
            sql,
            "DELETE FROM `app`.`knex_migrations` WHERE `name` IN ('1_a.js');"
        );
    }

    #[test]
    fn liquibase_rows_by_their_three_parts() {
        let s = live(
            Engine::Postgres,
            "public",
            "databasechangelog",
            &["id", "author", "filename"],
        );
        let sql = delete(
            Engine::Postgres,
            &ledger("liquibase", "databasechangelog"),
            &s,
            RowKey::Liquibase,
            &["db/changelog.xml::2::alice".into()],
        )
        .expect("sql");
        assert!(
            sql.contains(
                "(\"filename\" = 'db/changelog.xml' AND \"id\" = '2' AND \"author\" = 'alice')"
            ),
            "{sql}"
        );
        let bad = delete(
            Engine::Postgres,
            &ledger("liquibase", "databasechangelog"),
            &s,
            RowKey::Liquibase,
            &["no-separators".into()],
        );
        assert!(bad.is_err());
    }

    #[test]
    fn a_missing_table_or_column_is_said() {
        let s = live(Engine::Sqlite, "main", "other", &["x"]);
        let e = delete(
            Engine::Sqlite,
            &ledger("knex", "knex_migrations"),
            &s,
            RowKey::Column("name"),
            &["a".into()],
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("knex_migrations"), "{e}");
    }
}
