//! Throwaway shadow databases: created by preflight on the server named by
//! `--shadow-url`, used to apply expected DDL, and always dropped. The target
//! database is never used as a shadow.

use super::ExpectedError;
use crate::db::{self, ConnectOptions, Connection, DatabaseUrl, quote_ident};
use crate::schema::Engine;
use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub struct Shadow {
    /// Connection to the server's maintenance database (PostgreSQL/MySQL),
    /// used to create and drop the shadow database.
    admin: Option<Connection>,
    name: String,
    /// Connection to the shadow database itself.
    pub conn: Connection,
    /// Where other programs reach the shadow database.
    url: Option<DatabaseUrl>,
    /// A SQLite shadow's directory, removed with it.
    dir: Option<PathBuf>,
}

fn fresh_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("preflight_shadow_{}_{nanos:09}", std::process::id())
}

impl Shadow {
    /// Creates a shadow database for `engine`. SQLite shadows live in memory;
    /// the others need `shadow_url`, which must not be the target.
    pub async fn create(
        engine: Engine,
        shadow_url: Option<&DatabaseUrl>,
        target: Option<&DatabaseUrl>,
        opts: &ConnectOptions,
    ) -> Result<Shadow, ExpectedError> {
        if engine == Engine::Sqlite {
            let o = SqliteConnectOptions::from_str("sqlite::memory:")
                .map_err(|e| ExpectedError::plain(db::clean_message(&e)))?;
            let conn = SqliteConnection::connect_with(&o)
                .await
                .map_err(|e| ExpectedError::plain(db::clean_message(&e)))?;
            return Ok(Shadow {
                admin: None,
                name: ":memory:".into(),
                conn: Connection::Sqlite(conn),
                url: None,
                dir: None,
            });
        }
        let Some(url) = shadow_url else {
            return Err(ExpectedError::plain(format!(
                "applying SQL needs a throwaway {} server: pass --shadow-url (preflight creates and drops its own database there, never touching the target)",
                engine.name()
            )));
        };
        if url.engine() != engine {
            return Err(ExpectedError::plain(format!(
                "--shadow-url is {}, but the database is {}",
                url.engine().name(),
                engine.name()
            )));
        }
        if let Some(t) = target
            && t.identity() == url.identity()
        {
            return Err(ExpectedError::plain(format!(
                "--shadow-url {url} is the target database itself; give a maintenance database on a server preflight may create databases on"
            )));
        }
        let mut admin = db::connect(url, opts)
            .await
            .map_err(|e| ExpectedError::plain(e.to_string()))?;
        let name = fresh_name();
        admin
            .execute(&format!("CREATE DATABASE {}", quote_ident(engine, &name)))
            .await
            .map_err(|e| {
                ExpectedError::plain(format!(
                    "cannot create a shadow database on {url}: {}",
                    db::clean_message(&e)
                ))
            })?;
        let shadow_url = url.with_database(&name);
        let conn = match db::connect(&shadow_url, opts).await {
            Ok(c) => c,
            Err(e) => {
                let _ = admin.execute(&drop_sql(engine, &name)).await;
                return Err(ExpectedError::plain(e.to_string()));
            }
        };
        Ok(Shadow {
            admin: Some(admin),
            name,
            conn,
            url: Some(shadow_url),
            dir: None,
        })
    }

    /// A shadow database another program can reach (a migration tool): a
    /// database created on the `shadow_url` server, or for SQLite a file in
    /// a fresh temporary directory.
    pub async fn create_for_tool(
        engine: Engine,
        shadow_url: Option<&DatabaseUrl>,
        opts: &ConnectOptions,
    ) -> Result<Shadow, ExpectedError> {
        if engine != Engine::Sqlite {
            return Shadow::create(engine, shadow_url, None, opts).await;
        }
        let dir = std::env::temp_dir().join(fresh_name());
        std::fs::create_dir(&dir).map_err(|e| ExpectedError::new(&dir, e.to_string()))?;
        let file = dir.join("shadow.db");
        let url = DatabaseUrl::parse(&format!("sqlite://{}", file.display()))
            .map_err(|e| ExpectedError::plain(e.to_string()))?;
        let o = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true);
        let conn = match SqliteConnection::connect_with(&o).await {
            Ok(c) => c,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(ExpectedError::new(&file, db::clean_message(&e)));
            }
        };
        Ok(Shadow {
            admin: None,
            name: file.display().to_string(),
            conn: Connection::Sqlite(conn),
            url: Some(url),
            dir: Some(dir),
        })
    }

    /// The shadow database's URL, for other programs (in-memory SQLite has none).
    pub fn url(&self) -> Option<&DatabaseUrl> {
        self.url.as_ref()
    }

    /// The server is MariaDB (rather than MySQL).
    pub async fn is_mariadb(&mut self) -> bool {
        if self.conn.engine() != Engine::Mysql {
            return false;
        }
        self.conn
            .text_rows("SELECT VERSION()")
            .await
            .ok()
            .and_then(|rows| rows.first().and_then(|r| r.first().cloned().flatten()))
            .is_some_and(|v| v.to_ascii_lowercase().contains("mariadb"))
    }

    /// Drops the shadow database.
    pub async fn drop(self) {
        let engine = self.conn.engine();
        self.conn.close().await;
        if let Some(mut admin) = self.admin {
            let _ = admin.execute(&drop_sql(engine, &self.name)).await;
            admin.close().await;
        }
        if let Some(dir) = self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn drop_sql(engine: Engine, name: &str) -> String {
    match engine {
        Engine::Postgres => format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(engine, name)
        ),
        _ => format!("DROP DATABASE IF EXISTS {}", quote_ident(engine, name)),
    }
}

/// Applies a SQL script to the shadow, statement by statement, so an error
/// names the file and line.
pub async fn apply(conn: &mut Connection, sql: &str, file: &Path) -> Result<(), ExpectedError> {
    let engine = conn.engine();
    for st in super::sql::split(sql, engine) {
        if let Err(e) = conn.execute(&st.text).await {
            return Err(ExpectedError::new(
                file,
                format!("line {}: {}", st.line, db::clean_message(&e)),
            ));
        }
    }
    Ok(())
}
