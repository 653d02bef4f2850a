//! What every ledger reader shares: the table being read (quoting, text
//! casts in each engine's spelling) and the readers several tools use.
//! Every query selects text, so one reader serves PostgreSQL, MySQL/MariaDB
//! and SQLite; the tools' own queries and readers live in `tools/<tool>.rs`.

use super::Ledger;
use crate::db::quote_ident;
use crate::schema::{Engine, QName};

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
