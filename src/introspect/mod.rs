//! Introspection: the live schema from the catalogs of each engine, inside
//! the read-only, time-limited session opened by `db`.

pub mod mysql;
pub mod postgres;
pub mod sqlite;

use crate::db::{self, Connection};
use crate::schema::Schema;

/// What to introspect.
#[derive(Debug, Clone, Default)]
pub struct IntrospectOptions {
    /// PostgreSQL schemas to read; empty means every schema but the system ones.
    pub schemas: Vec<String>,
}

/// A catalog query that failed, with the part of the schema it was reading.
#[derive(Debug, thiserror::Error)]
#[error("reading {what}: {message}")]
pub struct QueryError {
    pub what: &'static str,
    pub message: String,
}

pub(crate) type Rows = Vec<Vec<Option<String>>>;

pub(crate) async fn run(
    conn: &mut Connection,
    what: &'static str,
    sql: &str,
) -> Result<Rows, QueryError> {
    conn.text_rows(sql).await.map_err(|e| QueryError {
        what,
        message: db::clean_message(&e),
    })
}

/// Field `i` of a text row, empty when NULL.
pub(crate) fn field(row: &[Option<String>], i: usize) -> &str {
    row.get(i).and_then(|v| v.as_deref()).unwrap_or("")
}

/// A boolean field as PostgreSQL (`true`), MySQL (`1`) or SQLite (`1`) print it.
pub(crate) fn flag(row: &[Option<String>], i: usize) -> bool {
    matches!(field(row, i), "true" | "t" | "1" | "YES" | "yes")
}

/// Introspects the connected database.
pub async fn introspect(
    conn: &mut Connection,
    opts: &IntrospectOptions,
) -> Result<Schema, QueryError> {
    introspect_with(conn, None, opts).await.map(|(s, _)| s)
}

/// Introspects, using `second` (a connection sharing `conn`'s snapshot) to
/// run part of the work concurrently where the engine allows it; the second
/// connection is handed back.
pub async fn introspect_with(
    conn: &mut Connection,
    second: Option<Connection>,
    opts: &IntrospectOptions,
) -> Result<(Schema, Option<Connection>), QueryError> {
    match conn {
        Connection::Postgres(pg) => {
            let other = match second {
                Some(Connection::Postgres(o)) => Some(o),
                _ => None,
            };
            let (schema, other) = postgres::introspect(pg, other, opts).await?;
            Ok((schema, other.map(Connection::Postgres)))
        }
        Connection::Mysql(_) => mysql::introspect(conn).await.map(|s| (s, second)),
        Connection::Sqlite(_) => sqlite::introspect(conn).await.map(|s| (s, second)),
    }
}
