//! A tool's ledger as preflight defines it: how it is recognised and read
//! (`LedgerDef`), what it says (`Ledger`), and what every reader shares (the
//! table being read, with quoting and text casts in each engine's spelling;
//! the readers several tools use). Every query selects text, so one reader
//! serves PostgreSQL, MySQL/MariaDB and SQLite; the tools' own queries and
//! readers live in `tools/<tool>.rs`.

use super::tool::Tool;
use crate::db::quote_ident;
use crate::schema::{Engine, QName, Schema};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a tool's ledger is recognised and read.
pub struct LedgerDef {
    /// The table's default name, lowercase.
    pub table: &'static str,
    /// Columns that tell it apart from other tools' tables of the same name.
    pub columns: &'static [&'static str],
    /// A further condition on the schema (Rails keeps `ar_internal_metadata`
    /// beside `schema_migrations`; dbmate does not).
    pub also: Option<fn(&Schema) -> bool>,
    /// Recognised under any table name when its columns are exactly these
    /// (tools whose table name is configurable and whose shape is unique).
    pub any_name_with_exactly: Option<&'static [&'static str]>,
    /// Tables the tool keeps beside its ledger (locks, metadata): never drift.
    pub companions: &'static [&'static str],
    /// What one ledger entry means for the migrations before it.
    pub entries: Entries,
    /// The query reading the ledger; every column is selected as text.
    pub query: fn(&LedgerTable) -> String,
    /// Reads the rows into the ledger (pure: tested without a database).
    pub read: fn(&mut Ledger, &[Row]),
}

impl LedgerDef {
    /// Nothing beyond the table: a tool file states its table, columns,
    /// entries, query and reader and spreads this for the rest.
    pub const DEFAULT: LedgerDef = LedgerDef {
        table: "",
        columns: &[],
        also: None,
        any_name_with_exactly: None,
        companions: &[],
        entries: Entries::EachApplied,
        query: |_| String::new(),
        read: |_, _| {},
    };
}

/// What the rows of a ledger say about which migrations were applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entries {
    /// One row per applied migration.
    EachApplied,
    /// One version that implies every earlier one (golang-migrate).
    Cumulative,
    /// The heads of a revision graph; their ancestors are applied (Alembic).
    Heads,
}

impl LedgerDef {
    /// How specific a match is, so that tools sharing a table name are told
    /// apart by the most specific description that fits.
    pub(crate) fn specificity(&self) -> usize {
        self.columns.len() + usize::from(self.also.is_some())
    }
}

/// What a ledger says.
#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    pub tool: Tool,
    /// The ledger table, schema-qualified when not in the default schema.
    pub table: String,
    /// Applied migrations, in the order they were applied (or sorted by version).
    pub applied: Vec<String>,
    /// The current version(s): Alembic's heads, golang-migrate's version, or
    /// the last applied migration.
    pub current: Vec<String>,
    /// Failed or half-applied migrations (golang-migrate `dirty`, Flyway
    /// `success = false`, Prisma rows never finished, sqlx `success = false`,
    /// Liquibase `FAILED`, Atlas errors).
    pub dirty: Vec<String>,
    /// Recorded checksums by migration (Flyway CRC32, Prisma SHA-256, sqlx SHA-384).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checksums: BTreeMap<String, String>,
    /// Things worth knowing (a Flyway baseline, several Alembic heads).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Ledger {
    pub fn new(tool: Tool, table: &QName) -> Ledger {
        Ledger {
            tool,
            table: table.to_string(),
            applied: Vec::new(),
            current: Vec::new(),
            dirty: Vec::new(),
            checksums: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// The version to show: the current version(s) joined.
    pub fn version(&self) -> String {
        if self.current.is_empty() {
            "(empty)".into()
        } else {
            self.current.join(",")
        }
    }
}
/// One row of a ledger query, every field as text (`None` for NULL).
pub type Row = Vec<Option<String>>;

/// Field `i` of a row, empty when NULL.
pub fn field(row: &[Option<String>], i: usize) -> &str {
    crate::introspect::field(row, i)
}

/// A boolean field as PostgreSQL (`true`), MySQL (`1`) or SQLite (`1`) print it.
pub fn flag(row: &[Option<String>], i: usize) -> bool {
    crate::introspect::flag(row, i)
}

/// The ledger table being read, for building its query.
pub struct LedgerTable<'a> {
    pub engine: Engine,
    pub name: &'a QName,
    /// Its columns as the engine spells them.
    pub columns: Vec<String>,
}

impl LedgerTable<'_> {
    /// The quoted, schema-qualified table.
    pub fn from(&self) -> String {
        let t = quote_ident(self.engine, &self.name.name);
        if self.name.schema.is_empty() {
            t
        } else {
            format!("{}.{t}", quote_ident(self.engine, &self.name.schema))
        }
    }

    /// A column by case-insensitive name, quoted with its real spelling.
    pub fn col(&self, name: &str) -> String {
        let real = self
            .columns
            .iter()
            .find(|c| c.eq_ignore_ascii_case(name))
            .map_or(name, String::as_str);
        quote_ident(self.engine, real)
    }

    pub fn has(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c.eq_ignore_ascii_case(name))
    }

    /// `CAST(col AS TEXT)` in the engine's spelling.
    pub fn text(&self, name: &str) -> String {
        let ty = if self.engine == Engine::Mysql {
            "CHAR"
        } else {
            "TEXT"
        };
        format!("CAST({} AS {ty})", self.col(name))
    }

    /// A binary column as lowercase hex.
    pub fn hex(&self, name: &str) -> String {
        match self.engine {
            Engine::Postgres => format!("encode({}, 'hex')", self.col(name)),
            _ => format!("lower(hex({}))", self.col(name)),
        }
    }

    /// `SELECT <cols as text> FROM <table> ORDER BY <order>`.
    pub fn select(&self, cols: &[&str], order: Option<&str>) -> String {
        let fields: Vec<String> = cols.iter().map(|c| self.text(c)).collect();
        let mut sql = format!("SELECT {} FROM {}", fields.join(", "), self.from());
        if let Some(o) = order {
            sql.push_str(&format!(" ORDER BY {}", self.col(o)));
        }
        sql
    }
}

/// One row per applied migration, named by the first field, in row order.
pub fn each_row_applied(l: &mut Ledger, rows: &[Row]) {
    l.applied = rows.iter().map(|r| field(r, 0).to_string()).collect();
    l.current = l.applied.last().cloned().into_iter().collect();
}

/// One row per applied migration, named by a version (sorted as versions).
pub fn versions_applied(l: &mut Ledger, rows: &[Row]) {
    l.applied = rows.iter().map(|r| field(r, 0).to_string()).collect();
    sort_versions(&mut l.applied);
    l.current = l.applied.last().cloned().into_iter().collect();
}

/// Numeric versions sort as numbers (`9` before `10`), others as text.
pub fn sort_versions(v: &mut [String]) {
    v.sort_by(|a, b| match (a.parse::<u128>(), b.parse::<u128>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    });
}

/// Test helper: rows from string slices (`None` for NULL).
#[cfg(test)]
pub fn rows(data: &[&[Option<&str>]]) -> Vec<Row> {
    data.iter()
        .map(|r| r.iter().map(|f| f.map(str::to_owned)).collect())
        .collect()
}
