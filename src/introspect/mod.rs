//! Introspection: the live schema from the catalogs of each engine, inside
//! the read-only, time-limited session opened by `db`.

pub(crate) mod mysql;
pub(crate) mod postgres;
pub(crate) mod sqlite;

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
pub enum QueryError {
    #[error("reading {what}: {source}")]
    Server {
        what: &'static str,
        #[source]
        source: db::ServerError,
    },
    /// The second connection's reader (PostgreSQL) did not finish.
    #[error("reading {what}: the concurrent reader stopped")]
    Reader {
        what: &'static str,
        #[source]
        source: tokio::task::JoinError,
    },
}

impl QueryError {
    /// What the server said, when it said something.
    pub fn server(&self) -> Option<&db::ServerError> {
        match self {
            QueryError::Server { source, .. } => Some(source),
            QueryError::Reader { .. } => None,
        }
    }

    /// The role may not read what was queried.
    pub fn is_permission_denied(&self) -> bool {
        self.server()
            .is_some_and(db::ServerError::is_permission_denied)
    }

    /// The server cancelled the query (statement or lock timeout).
    pub fn is_timeout(&self) -> bool {
        self.server().is_some_and(db::ServerError::is_timeout)
    }
}

pub(crate) type Rows = Vec<Vec<Option<String>>>;

pub(crate) async fn run(
    conn: &mut Connection,
    what: &'static str,
    sql: &str,
) -> Result<Rows, QueryError> {
    conn.text_rows(sql).await.map_err(|e| QueryError::Server {
        what,
        source: e.into(),
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
