//! One reader per ledger format. Every query selects text (cast in SQL), so
//! the same code reads PostgreSQL, MySQL/MariaDB and SQLite.

use super::{Ledger, LedgerTool};
use crate::db::{Connection, quote_ident};
use crate::introspect::{QueryError, field, flag};
use crate::schema::{Engine, QName, Schema};
use std::collections::{BTreeMap, HashMap};

struct Table<'a> {
    engine: Engine,
    name: &'a QName,
    columns: Vec<String>,
}

impl Table<'_> {
    /// The quoted, schema-qualified table.
    fn from(&self) -> String {
        let t = quote_ident(self.engine, &self.name.name);
        if self.name.schema.is_empty() {
            t
        } else {
            format!("{}.{t}", quote_ident(self.engine, &self.name.schema))
        }
    }

    /// A column by case-insensitive name, quoted with its real spelling.
    fn col(&self, name: &str) -> String {
        let real = self
            .columns
            .iter()
            .find(|c| c.eq_ignore_ascii_case(name))
            .map_or(name, String::as_str);
        quote_ident(self.engine, real)
    }

    fn has(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    /// `CAST(col AS TEXT)` in the engine's spelling.
    fn text(&self, name: &str) -> String {
        let ty = if self.engine == Engine::Mysql {
            "CHAR"
        } else {
            "TEXT"
        };
        format!("CAST({} AS {ty})", self.col(name))
    }

    /// A binary column as lowercase hex.
    fn hex(&self, name: &str) -> String {
        match self.engine {
            Engine::Postgres => format!("encode({}, 'hex')", self.col(name)),
            _ => format!("lower(hex({}))", self.col(name)),
        }
    }
}

pub(super) async fn read(
    conn: &mut Connection,
    tool: LedgerTool,
    name: &QName,
    schema: &Schema,
) -> Result<Ledger, QueryError> {
    let t = Table {
        engine: conn.engine(),
        name,
        columns: schema
            .tables
            .get(name)
            .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default(),
    };
    let mut l = Ledger::new(tool, name);
    let from = t.from();
    let q = |sql: String| sql;
    match tool {
        LedgerTool::Alembic => {
            // One row per head; nothing else is recorded.
            let rows = run(
                conn,
                q(format!(
                    "SELECT {} FROM {from} ORDER BY 1",
                    t.text("version_num")
                )),
            )
            .await?;
            l.current = rows.iter().map(|r| field(r, 0).to_string()).collect();
            l.applied = l.current.clone();
            if l.current.len() > 1 {
                l.notes.push(format!(
                    "{} heads (branches): {}",
                    l.current.len(),
                    l.current.join(", ")
                ));
            }
        }
        LedgerTool::Django => {
            let rows = run(
                conn,
                q(format!(
                    "SELECT {}, {} FROM {from} ORDER BY {}",
                    t.text("app"),
                    t.text("name"),
                    t.col("id")
                )),
            )
            .await?;
            let mut last: BTreeMap<String, String> = BTreeMap::new();
            for r in &rows {
                let key = format!("{}.{}", field(r, 0), field(r, 1));
                last.insert(field(r, 0).to_string(), key.clone());
                l.applied.push(key);
            }
            l.current = last.into_values().collect();
        }
        LedgerTool::Flyway => {
            let rows = run(
                conn,
                q(format!(
                    "SELECT {}, {}, {}, {}, {} FROM {from} ORDER BY {}",
                    t.text("version"),
                    t.text("type"),
                    t.text("checksum"),
                    t.text("success"),
                    t.text("script"),
                    t.col("installed_rank")
                )),
            )
            .await?;
            for r in &rows {
                let version = field(r, 0);
                let kind = field(r, 1);
                if version.is_empty() {
                    continue; // repeatable migrations have no version
                }
                if !flag(r, 3) {
                    l.dirty.push(version.to_string());
                    continue;
                }
                if kind == "BASELINE" {
                    l.notes.push(format!(
                        "baseline at version {version}: earlier migrations were never run by Flyway"
                    ));
                }
                if matches!(kind, "DELETE" | "UNDO_SQL" | "UNDO_JDBC") {
                    l.applied.retain(|v| v != version);
                    continue;
                }
                if let Some(c) = r.get(2).cloned().flatten() {
                    l.checksums.insert(version.to_string(), c);
                }
                l.applied.push(version.to_string());
            }
            l.current = l.applied.last().cloned().into_iter().collect();
        }
        LedgerTool::GolangMigrate => {
            // A single row: the version and whether it was left half-applied.
            let rows = run(
                conn,
                q(format!(
                    "SELECT {}, {} FROM {from}",
                    t.text("version"),
                    t.text("dirty")
                )),
            )
            .await?;
            if let Some(r) = rows.first() {
                l.current = vec![field(r, 0).to_string()];
                l.applied = l.current.clone();
                if flag(r, 1) {
                    l.dirty = l.current.clone();
                }
            }
        }
        LedgerTool::Rails | LedgerTool::Dbmate | LedgerTool::Ecto | LedgerTool::Diesel => {
            let rows = run(conn, q(format!("SELECT {} FROM {from}", t.text("version")))).await?;
            l.applied = rows.iter().map(|r| field(r, 0).to_string()).collect();
            sort_versions(&mut l.applied);
            l.current = l.applied.last().cloned().into_iter().collect();
        }
        LedgerTool::Prisma => {
            let rows = run(
                conn,
                q(format!(
                    "SELECT {}, {}, {}, {} FROM {from} ORDER BY {}",
                    t.text("migration_name"),
                    t.text("checksum"),
                    t.text("finished_at"),
                    t.text("rolled_back_at"),
                    t.col("started_at")
                )),
            )
            .await?;
            for r in &rows {
                let name = field(r, 0).to_string();
                let finished = r.get(2).is_some_and(Option::is_some);
                let rolled_back = r.get(3).is_some_and(Option::is_some);
                if rolled_back {
                    continue;
                }
                if !finished {
                    l.dirty.push(name);
                    continue;
                }
                l.checksums.insert(name.clone(), field(r, 1).to_string());
                l.applied.push(name);
            }
            l.current = l.applied.last().cloned().into_iter().collect();
        }
        LedgerTool::Sqlx => {
            let rows = run(
                conn,
                q(format!(
                    "SELECT {}, {}, {} FROM {from} ORDER BY {}",
                    t.text("version"),
                    t.text("success"),
                    t.hex("checksum"),
                    t.col("version")
                )),
            )
            .await?;
            for r in &rows {
                let v = field(r, 0).to_string();
                if !flag(r, 1) {
                    l.dirty.push(v);
                    continue;
                }
                l.checksums.insert(v.clone(), field(r, 2).to_string());
                l.applied.push(v);
            }
            l.current = l.applied.last().cloned().into_iter().collect();
        }
        LedgerTool::Liquibase => {
            let rows = run(
                conn,
                q(format!(
                    "SELECT {}, {}, {}, {}, {} FROM {from} ORDER BY {}",
                    t.text("id"),
                    t.text("author"),
                    t.text("filename"),
                    t.text("exectype"),
                    t.text("md5sum"),
                    t.col("orderexecuted")
                )),
            )
            .await?;
            for r in &rows {
                let key = format!("{}::{}::{}", field(r, 2), field(r, 0), field(r, 1));
                match field(r, 3) {
                    "FAILED" => l.dirty.push(key),
                    "SKIPPED" => {}
                    _ => {
                        if let Some(md5) = r.get(4).cloned().flatten() {
                            l.checksums.insert(key.clone(), md5);
                        }
                        l.applied.push(key);
                    }
                }
            }
            l.current = l.applied.last().cloned().into_iter().collect();
        }
        LedgerTool::Knex
        | LedgerTool::NodePgMigrate
        | LedgerTool::Sequelize
        | LedgerTool::Typeorm => {
            let order = if t.has("id") {
                t.col("id")
            } else {
                t.col("name")
            };
            let rows = run(
                conn,
                q(format!(
                    "SELECT {} FROM {from} ORDER BY {order}",
                    t.text("name")
                )),
            )
            .await?;
            l.applied = rows.iter().map(|r| field(r, 0).to_string()).collect();
            l.current = l.applied.last().cloned().into_iter().collect();
        }
        LedgerTool::Laravel => {
            let rows = run(
                conn,
                q(format!(
                    "SELECT {} FROM {from} ORDER BY {}, {}",
                    t.text("migration"),
                    t.col("batch"),
                    t.col("id")
                )),
            )
            .await?;
            l.applied = rows.iter().map(|r| field(r, 0).to_string()).collect();
            l.current = l.applied.last().cloned().into_iter().collect();
        }
        LedgerTool::EfCore => {
            let rows = run(
                conn,
                q(format!(
                    "SELECT {} FROM {from} ORDER BY 1",
                    t.text("migrationid")
                )),
            )
            .await?;
            l.applied = rows.iter().map(|r| field(r, 0).to_string()).collect();
            l.current = l.applied.last().cloned().into_iter().collect();
        }
        LedgerTool::Goose => {
            // The latest row per version says whether it is applied.
            let rows = run(
                conn,
                q(format!(
                    "SELECT {}, {} FROM {from} ORDER BY {}",
                    t.text("version_id"),
                    t.text("is_applied"),
                    t.col("id")
                )),
            )
            .await?;
            let mut state: HashMap<String, bool> = HashMap::new();
            let mut order: Vec<String> = Vec::new();
            for r in &rows {
                let v = field(r, 0).to_string();
                if v == "0" {
                    continue; // goose's initial marker row
                }
                if !state.contains_key(&v) {
                    order.push(v.clone());
                }
                state.insert(v, flag(r, 1));
            }
            l.applied = order
                .into_iter()
                .filter(|v| state.get(v) == Some(&true))
                .collect();
            sort_versions(&mut l.applied);
            l.current = l.applied.last().cloned().into_iter().collect();
        }
        LedgerTool::Atlas => {
            let rows = run(
                conn,
                q(format!(
                    "SELECT {}, {}, {}, {} FROM {from} ORDER BY {}",
                    t.text("version"),
                    t.text("applied"),
                    t.text("total"),
                    t.text("error"),
                    t.col("version")
                )),
            )
            .await?;
            for r in &rows {
                let v = field(r, 0).to_string();
                let partial = field(r, 1) != field(r, 2);
                if partial
                    || r.get(3)
                        .is_some_and(|e| e.as_deref().is_some_and(|e| !e.is_empty()))
                {
                    l.dirty.push(v);
                } else {
                    l.applied.push(v);
                }
            }
            l.current = l.applied.last().cloned().into_iter().collect();
        }
    }
    Ok(l)
}

async fn run(conn: &mut Connection, sql: String) -> Result<Vec<Vec<Option<String>>>, QueryError> {
    crate::introspect::run(conn, "the migration ledger", &sql).await
}

/// Numeric versions sort as numbers (`9` before `10`), others as text.
pub fn sort_versions(v: &mut [String]) {
    v.sort_by(|a, b| match (a.parse::<u128>(), b.parse::<u128>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    });
}
