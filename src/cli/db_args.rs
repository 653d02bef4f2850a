//! Command-line options shared by the commands that talk to databases.

use crate::db::{ConnectOptions, DatabaseUrl};
use crate::introspect::IntrospectOptions;
use std::path::PathBuf;
use std::time::Duration;

pub use crate::duration::parse_duration;

#[derive(Debug, Clone, clap::Args)]
pub struct DbArgs {
    /// Database URL: postgres://, mysql://, mariadb://, sqlite:// or a SQLite file.
    /// TLS through the URL (`?sslmode=require`, `verify-full`); shown redacted everywhere.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// CA certificate for verifying the server (selects `verify-full` when the URL sets no mode).
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// PostgreSQL schemas to check (repeatable) [default: all but the system schemas].
    #[arg(long = "schema")]
    pub schemas: Vec<String>,
    /// Longest wait for a connection.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// Longest any single catalog query may run (server-side).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub statement_timeout: Duration,
    /// Longest to wait for a lock held by someone else (server-side).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub lock_timeout: Duration,
}

impl DbArgs {
    pub fn url(&self) -> Result<DatabaseUrl, String> {
        let raw = self
            .database_url
            .as_deref()
            .ok_or("no database: pass --database-url or set DATABASE_URL")?;
        DatabaseUrl::parse(raw).map_err(|e| e.to_string())
    }

    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            connect_timeout: self.connect_timeout,
            statement_timeout: self.statement_timeout,
            lock_timeout: self.lock_timeout,
            ca_file: self.ca_file.clone(),
        }
    }

    pub fn introspect_options(&self) -> IntrospectOptions {
        IntrospectOptions {
            schemas: self.schemas.clone(),
        }
    }
}

/// A runtime for the commands that talk to databases.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5d").is_err());
    }
}
