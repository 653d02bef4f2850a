//! Connections: URLs (shown redacted everywhere), TLS, timeouts, and a
//! read-only session in which introspection and ledger reads happen.

pub mod cache;
pub mod spelling;

use crate::redact;
use crate::schema::Engine;
use sqlx::Connection as _;
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlSslMode};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgSslMode};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{AssertSqlSafe, Row};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Errors while talking to a database. Every message names the database by
/// its redacted URL and never contains a password.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database URL `{url}`: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("cannot connect to {url}: {source}")]
    Connect {
        url: String,
        #[source]
        source: ServerError,
    },
    #[error("cannot connect to {url}: no such SQLite database file")]
    NoSqliteFile { url: String },
    #[error("timed out after {secs}s connecting to {url}")]
    ConnectTimeout { url: String, secs: u64 },
}

/// What the database server or the driver said: its message (first line,
/// secrets redacted) and error code, with the driver's error as the source.
/// Kinds of failure are told by the code (SQLSTATE, MySQL error number),
/// never by the words of the message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ServerError {
    message: String,
    /// PostgreSQL's SQLSTATE, MySQL/MariaDB's error number, SQLite's
    /// extended result code.
    code: Option<String>,
    #[source]
    source: Box<sqlx::Error>,
}

impl From<sqlx::Error> for ServerError {
    fn from(source: sqlx::Error) -> ServerError {
        let code = match &source {
            sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
            _ => None,
        };
        ServerError {
            message: clean_message(&source),
            code,
            source: Box::new(source),
        }
    }
}

impl ServerError {
    /// The server's message, redacted.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The error code, when the server gave one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The role lacks a privilege: PostgreSQL `42501`
    /// (insufficient_privilege); MySQL/MariaDB 1142 (table), 1143 (column),
    /// 1044 (database) denied.
    pub fn is_permission_denied(&self) -> bool {
        matches!(self.code(), Some("42501" | "1142" | "1143" | "1044"))
    }

    /// The server cancelled a query for taking too long or waiting too long
    /// for a lock: PostgreSQL `57014` (statement_timeout) and `55P03`
    /// (lock_timeout); MySQL 1205 (lock wait) and 3024
    /// (max_execution_time); MariaDB 1969 (max_statement_time); SQLite
    /// `5`/`517` (busy, the busy timeout ran out).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.code(),
            Some("57014" | "55P03" | "1205" | "3024" | "1969" | "5" | "517")
        )
    }
}

/// A database URL: `postgres://`, `mysql://` (or `mariadb://`), `sqlite://`
/// or a path to a SQLite file. `Display` shows it redacted.
#[derive(Clone)]
pub struct DatabaseUrl {
    raw: String,
    engine: Engine,
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<DatabaseUrl, DbError> {
        let s = s.trim();
        let invalid = |reason: &str| DbError::InvalidUrl {
            url: redact::url(s),
            reason: reason.into(),
        };
        let lower = s.to_ascii_lowercase();
        let (engine, raw) =
            if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
                (Engine::Postgres, s.to_string())
            } else if lower.starts_with("mysql://") {
                (Engine::Mysql, s.to_string())
            } else if let Some(rest) = s.strip_prefix("mariadb://") {
                (Engine::Mysql, format!("mysql://{rest}"))
            } else if lower.starts_with("sqlite:") {
                (Engine::Sqlite, s.to_string())
            } else if [".db", ".sqlite", ".sqlite3"]
                .iter()
                .any(|e| lower.ends_with(e))
                || Path::new(s).is_file()
            {
                (Engine::Sqlite, format!("sqlite://{s}"))
            } else if s.is_empty() {
                return Err(invalid("empty (set --database-url or DATABASE_URL)"));
            } else {
                return Err(invalid(
                    "unknown scheme; use postgres://, mysql://, mariadb:// or sqlite://",
                ));
            };
        if engine != Engine::Sqlite {
            url::Url::parse(&raw).map_err(|e| invalid(&e.to_string()))?;
        }
        Ok(DatabaseUrl { raw, engine })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact::url(&self.raw)
    }

    /// The full URL; only for handing to the driver, never for output.
    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The database name (PostgreSQL/MySQL) or file (SQLite).
    pub fn database(&self) -> String {
        match self.engine {
            Engine::Sqlite => self
                .raw
                .trim_start_matches("sqlite://")
                .trim_start_matches("sqlite:")
                .split('?')
                .next()
                .unwrap_or("")
                .to_string(),
            _ => url::Url::parse(&self.raw)
                .map(|u| u.path().trim_start_matches('/').to_string())
                .unwrap_or_default(),
        }
    }

    /// The same server with another database (for shadow databases).
    pub fn with_database(&self, name: &str) -> DatabaseUrl {
        match url::Url::parse(&self.raw) {
            Ok(mut u) if self.engine != Engine::Sqlite => {
                u.set_path(&format!("/{name}"));
                DatabaseUrl {
                    raw: u.to_string(),
                    engine: self.engine,
                }
            }
            _ => self.clone(),
        }
    }

    /// Host, port and database: two URLs with the same identity are the same database.
    pub fn identity(&self) -> String {
        match url::Url::parse(&self.raw) {
            Ok(u) if self.engine != Engine::Sqlite => format!(
                "{}://{}:{}/{}",
                u.scheme(),
                u.host_str().unwrap_or("localhost"),
                u.port().unwrap_or(if self.engine == Engine::Postgres {
                    5432
                } else {
                    3306
                }),
                u.path().trim_start_matches('/')
            ),
            _ => {
                let db = self.database();
                std::fs::canonicalize(&db)
                    .map(|p| p.display().to_string())
                    .unwrap_or(db)
            }
        }
    }
}

/// How to connect and how long anything may take.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub connect_timeout: Duration,
    /// Longest a single statement may run (server-side).
    pub statement_timeout: Duration,
    /// Longest to wait for a lock before giving up (server-side).
    pub lock_timeout: Duration,
    /// CA certificate for `verify-ca`/`verify-full`; with no `sslmode` in the
    /// URL, giving one selects `verify-full`.
    pub ca_file: Option<PathBuf>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            connect_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
            lock_timeout: Duration::from_secs(5),
            ca_file: None,
        }
    }
}

/// An open connection to one of the engines.
pub enum Connection {
    Postgres(PgConnection),
    Mysql(MySqlConnection),
    Sqlite(SqliteConnection),
}

/// Opens a connection. SQLite files are opened read-only and never created.
pub async fn connect(url: &DatabaseUrl, opts: &ConnectOptions) -> Result<Connection, DbError> {
    let redacted = url.redacted();
    let conn_err = |e: sqlx::Error| DbError::Connect {
        url: redacted.clone(),
        source: e.into(),
    };
    let fut = async {
        Ok::<Connection, DbError>(match url.engine {
            Engine::Postgres => {
                let mut o = PgConnectOptions::from_str(url.expose()).map_err(conn_err)?;
                o = o.application_name("preflight").statement_cache_capacity(0);
                if let Some(ca) = &opts.ca_file {
                    o = o.ssl_root_cert(ca);
                    if !url.expose().contains("sslmode=") {
                        o = o.ssl_mode(PgSslMode::VerifyFull);
                    }
                }
                Connection::Postgres(PgConnection::connect_with(&o).await.map_err(conn_err)?)
            }
            Engine::Mysql => {
                let mut o = MySqlConnectOptions::from_str(url.expose()).map_err(conn_err)?;
                if let Some(ca) = &opts.ca_file {
                    o = o.ssl_ca(ca);
                    if !url.expose().contains("ssl-mode=") {
                        o = o.ssl_mode(MySqlSslMode::VerifyIdentity);
                    }
                }
                Connection::Mysql(MySqlConnection::connect_with(&o).await.map_err(conn_err)?)
            }
            Engine::Sqlite => {
                let path = url.database();
                if !path.starts_with(':') && !Path::new(&path).is_file() {
                    return Err(DbError::NoSqliteFile {
                        url: redacted.clone(),
                    });
                }
                let o = SqliteConnectOptions::from_str(url.expose())
                    .map_err(conn_err)?
                    .read_only(true)
                    .create_if_missing(false)
                    .busy_timeout(opts.lock_timeout);
                Connection::Sqlite(SqliteConnection::connect_with(&o).await.map_err(conn_err)?)
            }
        })
    };
    match tokio::time::timeout(opts.connect_timeout, fut).await {
        Ok(r) => r,
        Err(_) => Err(DbError::ConnectTimeout {
            url: redacted,
            secs: opts.connect_timeout.as_secs(),
        }),
    }
}

/// Opens a connection that may write (shadow databases, tests). SQLite files
/// are created when missing.
pub async fn connect_writable(url: &DatabaseUrl) -> Result<Connection, DbError> {
    let redacted = url.redacted();
    let conn_err = |e: sqlx::Error| DbError::Connect {
        url: redacted.clone(),
        source: e.into(),
    };
    Ok(match url.engine {
        Engine::Postgres => Connection::Postgres(
            PgConnection::connect(url.expose())
                .await
                .map_err(conn_err)?,
        ),
        Engine::Mysql => Connection::Mysql(
            MySqlConnection::connect(url.expose())
                .await
                .map_err(conn_err)?,
        ),
        Engine::Sqlite => {
            let o = SqliteConnectOptions::from_str(url.expose())
                .map_err(conn_err)?
                .create_if_missing(true);
            Connection::Sqlite(SqliteConnection::connect_with(&o).await.map_err(conn_err)?)
        }
    })
}

/// A driver error as one line, without anything that could be a secret.
pub fn clean_message(e: &sqlx::Error) -> String {
    let m = match e {
        sqlx::Error::Database(d) => d.message().to_string(),
        other => other.to_string(),
    };
    redact::text(m.lines().next().unwrap_or("")).into_owned()
}

/// Quotes an identifier for the engine.
pub fn quote_ident(engine: Engine, name: &str) -> String {
    match engine {
        Engine::Mysql => format!("`{}`", name.replace('`', "``")),
        _ => format!("\"{}\"", name.replace('"', "\"\"")),
    }
}

impl Connection {
    pub fn engine(&self) -> Engine {
        match self {
            Connection::Postgres(_) => Engine::Postgres,
            Connection::Mysql(_) => Engine::Mysql,
            Connection::Sqlite(_) => Engine::Sqlite,
        }
    }

    /// Runs statements that return nothing (session setup, DDL on shadow databases).
    pub async fn execute(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_string());
        match self {
            Connection::Postgres(c) => sqlx::raw_sql(sql).execute(c).await.map(|_| ()),
            Connection::Mysql(c) => sqlx::raw_sql(sql).execute(c).await.map(|_| ()),
            Connection::Sqlite(c) => sqlx::raw_sql(sql).execute(c).await.map(|_| ()),
        }
    }

    /// Runs a query whose columns are all text (cast in SQL) and returns the rows.
    pub async fn text_rows(&mut self, sql: &str) -> Result<Vec<Vec<Option<String>>>, sqlx::Error> {
        fn collect<R: Row>(rows: Vec<R>) -> Result<Vec<Vec<Option<String>>>, sqlx::Error>
        where
            for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
            usize: sqlx::ColumnIndex<R>,
        {
            rows.iter()
                .map(|r| {
                    (0..r.len())
                        .map(|i| r.try_get::<Option<String>, _>(i))
                        .collect()
                })
                .collect()
        }
        let q = AssertSqlSafe(sql.to_string());
        match self {
            Connection::Postgres(c) => collect(sqlx::query(q).fetch_all(c).await?),
            Connection::Mysql(c) => collect(sqlx::query(q).fetch_all(c).await?),
            Connection::Sqlite(c) => collect(sqlx::query(q).fetch_all(c).await?),
        }
    }

    /// Starts the read-only, time-limited transaction every check runs in.
    pub async fn begin_read_only(&mut self, opts: &ConnectOptions) -> Result<(), sqlx::Error> {
        let stmt_ms = opts.statement_timeout.as_millis().max(1);
        let lock_ms = opts.lock_timeout.as_millis().max(1);
        match self {
            Connection::Postgres(_) => {
                self.execute(&format!(
                    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = {stmt_ms}; SET LOCAL lock_timeout = {lock_ms}; SET LOCAL idle_in_transaction_session_timeout = {}",
                    stmt_ms * 4
                ))
                .await
            }
            Connection::Mysql(_) => {
                let mariadb = self
                    .text_rows("SELECT VERSION()")
                    .await?
                    .first()
                    .and_then(|r| r.first().cloned().flatten())
                    .is_some_and(|v| v.to_ascii_lowercase().contains("mariadb"));
                let lock_s = opts.lock_timeout.as_secs().max(1);
                let limit = if mariadb {
                    format!("SET SESSION max_statement_time = {}", stmt_ms as f64 / 1000.0)
                } else {
                    format!("SET SESSION max_execution_time = {stmt_ms}")
                };
                self.execute(&format!("SET SESSION lock_wait_timeout = {lock_s}")).await?;
                self.execute(&format!("SET SESSION innodb_lock_wait_timeout = {lock_s}")).await?;
                self.execute(&limit).await?;
                self.execute("START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT").await
            }
            Connection::Sqlite(_) => self.execute("PRAGMA query_only = ON; BEGIN").await,
        }
    }

    /// Exports the current transaction's snapshot so a second connection can
    /// read the same state (PostgreSQL primaries only; `None` elsewhere).
    pub async fn export_snapshot(&mut self) -> Option<String> {
        if !matches!(self, Connection::Postgres(_)) {
            return None;
        }
        // A standby cannot export snapshots, and a failed statement would
        // abort the transaction: ask first.
        let standby = self
            .text_rows("SELECT pg_is_in_recovery()::text")
            .await
            .ok()?;
        if standby
            .first()
            .and_then(|r| r.first().cloned().flatten())
            .as_deref()
            != Some("false")
        {
            return None;
        }
        self.text_rows("SELECT pg_export_snapshot()")
            .await
            .ok()?
            .first()?
            .first()?
            .clone()
    }

    /// Starts a read-only transaction on the snapshot another connection exported.
    pub async fn begin_read_only_at(
        &mut self,
        opts: &ConnectOptions,
        snapshot: &str,
    ) -> Result<(), sqlx::Error> {
        let stmt_ms = opts.statement_timeout.as_millis().max(1);
        let lock_ms = opts.lock_timeout.as_millis().max(1);
        let snapshot = snapshot.replace('\'', "''");
        self.execute(&format!(
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'; SET LOCAL statement_timeout = {stmt_ms}; SET LOCAL lock_timeout = {lock_ms}"
        ))
        .await
    }

    /// Ends the read-only transaction (nothing was written).
    pub async fn rollback(&mut self) -> Result<(), sqlx::Error> {
        self.execute("ROLLBACK").await
    }

    /// A round trip to the server: is the connection still usable?
    pub async fn ping(&mut self) -> Result<(), sqlx::Error> {
        match self {
            Connection::Postgres(c) => c.ping().await,
            Connection::Mysql(c) => c.ping().await,
            Connection::Sqlite(c) => c.ping().await,
        }
    }

    pub async fn close(self) {
        let _ = match self {
            Connection::Postgres(c) => c.close().await,
            Connection::Mysql(c) => c.close().await,
            Connection::Sqlite(c) => c.close().await,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_detected_and_shown_redacted() {
        let u = DatabaseUrl::parse("postgres://doadmin:AVNS_s3cret@db-postgresql-blr1.ondigitalocean.com:25060/defaultdb?sslmode=require").unwrap();
        assert_eq!(u.engine(), Engine::Postgres);
        assert_eq!(
            u.to_string(),
            "postgres://doadmin:***@db-postgresql-blr1.ondigitalocean.com:25060/defaultdb?sslmode=require"
        );
        assert!(!format!("{u:?}").contains("s3cret"));
        assert_eq!(u.database(), "defaultdb");
        assert_eq!(
            DatabaseUrl::parse("mariadb://root@localhost/app")
                .unwrap()
                .engine(),
            Engine::Mysql
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://incident.db").unwrap().engine(),
            Engine::Sqlite
        );
        assert_eq!(
            DatabaseUrl::parse("data/app.sqlite3").unwrap().engine(),
            Engine::Sqlite
        );
        let e = DatabaseUrl::parse("oracle://scott:tiger@x/y")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown scheme") && !e.contains("tiger"), "{e}");
    }

    #[test]
    fn shadow_urls_keep_the_server() {
        let u = DatabaseUrl::parse("postgres://u:p@h:5433/app").unwrap();
        let s = u.with_database("preflight_shadow_1");
        assert_eq!(s.identity(), "postgres://h:5433/preflight_shadow_1");
        assert_ne!(s.identity(), u.identity());
    }
}
