//! Test helpers: throwaway databases on the real servers, and the real
//! migration tools. `scripts/test.sh` provides the servers and tools; a
//! missing server is a failure, never a skip.

#![allow(dead_code)]

use preflight::db::DatabaseUrl;
use sqlx::{AssertSqlSafe, Connection};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// A tool a test needs is not there. Under CI (`PREFLIGHT_REQUIRE_TOOLS`) the
/// test fails saying what is missing and how to get it; elsewhere the part that
/// needs it is skipped with the same note.
pub fn missing(what: &str) {
    assert!(
        std::env::var_os("PREFLIGHT_REQUIRE_TOOLS").is_none(),
        "{what}"
    );
    eprintln!("skipping: {what}");
}

pub fn env_url(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run the tests with scripts/test.sh, which starts or finds the database servers")
    })
}

pub fn pg_server() -> String {
    env_url("PREFLIGHT_TEST_POSTGRES_URL")
}

pub fn mysql_server() -> String {
    env_url("PREFLIGHT_TEST_MYSQL_URL")
}

/// The same server URL with another database.
pub fn with_db(server: &str, db: &str) -> String {
    let mut u = url::Url::parse(server).expect("server URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

fn unique_name(prefix: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres,
    Mysql,
    Sqlite,
}

/// A database created for one test and dropped when it goes out of scope.
pub struct TempDb {
    pub kind: Kind,
    pub name: String,
    /// URL for preflight (postgres://, mysql://, sqlite://).
    pub url: String,
    admin: String,
    _dir: Option<tempfile::TempDir>,
}

impl TempDb {
    pub async fn new(kind: Kind) -> TempDb {
        let name = unique_name("pf_test");
        match kind {
            Kind::Postgres => {
                let admin = pg_server();
                exec_on(&admin, &format!("CREATE DATABASE \"{name}\"")).await;
                TempDb {
                    kind,
                    url: with_db(&admin, &name),
                    name,
                    admin,
                    _dir: None,
                }
            }
            Kind::Mysql => {
                let admin = mysql_server();
                exec_on(&admin, &format!("CREATE DATABASE `{name}`")).await;
                TempDb {
                    kind,
                    url: with_db(&admin, &name),
                    name,
                    admin,
                    _dir: None,
                }
            }
            Kind::Sqlite => {
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join(format!("{name}.db"));
                std::fs::File::create(&path).expect("create sqlite file");
                TempDb {
                    kind,
                    url: format!("sqlite://{}", path.display()),
                    name,
                    admin: String::new(),
                    _dir: Some(dir),
                }
            }
        }
    }

    pub fn url(&self) -> DatabaseUrl {
        DatabaseUrl::parse(&self.url).expect("test URL")
    }

    /// The URL in SQLAlchemy's spelling, for running Alembic and Django.
    pub fn sqlalchemy_url(&self) -> String {
        match self.kind {
            Kind::Postgres => self.url.replacen("postgres://", "postgresql://", 1),
            Kind::Mysql => self.url.replacen("mysql://", "mysql+pymysql://", 1),
            Kind::Sqlite => format!("sqlite:///{}", self.sqlite_path().display()),
        }
    }

    pub fn sqlite_path(&self) -> PathBuf {
        PathBuf::from(self.url.trim_start_matches("sqlite://"))
    }

    /// Runs SQL (several statements allowed) as the server's admin user.
    pub async fn exec(&self, sql: &str) {
        exec_on(&self.url, sql).await;
    }

    pub async fn try_exec(&self, sql: &str) -> Result<(), String> {
        try_exec_on(&self.url, sql).await
    }

    /// Rows of a query, every column cast to text by the caller.
    pub async fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let url = self.url();
        let mut conn = preflight::db::connect_writable(&url)
            .await
            .expect("connect");
        conn.text_rows(sql).await.expect("query")
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let (kind, admin, name) = (self.kind, self.admin.clone(), self.name.clone());
        if kind == Kind::Sqlite {
            return;
        }
        // Drop from a thread of its own: Drop cannot await inside a runtime.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                let sql = match kind {
                    Kind::Postgres => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                    _ => format!("DROP DATABASE IF EXISTS `{name}`"),
                };
                let _ = try_exec_on(&admin, &sql).await;
            });
        })
        .join();
    }
}

pub async fn exec_on(url: &str, sql: &str) {
    if let Err(e) = try_exec_on(url, sql).await {
        panic!("{e}\nSQL: {sql}");
    }
}

pub async fn try_exec_on(url: &str, sql: &str) -> Result<(), String> {
    let u = DatabaseUrl::parse(url).map_err(|e| e.to_string())?;
    let mut conn = preflight::db::connect_writable(&u)
        .await
        .map_err(|e| e.to_string())?;
    conn.execute(sql)
        .await
        .map_err(|e| preflight::db::clean_message(&e))?;
    conn.close().await;
    Ok(())
}

/// A sqlx connection for tests that need the driver directly.
pub async fn pg_connect(url: &str) -> sqlx::PgConnection {
    sqlx::PgConnection::connect(url).await.expect("connect")
}

pub async fn raw(conn: &mut sqlx::PgConnection, sql: &str) {
    sqlx::raw_sql(AssertSqlSafe(sql.to_string()))
        .execute(conn)
        .await
        .expect("sql");
}

/// The Python with Alembic, SQLAlchemy, Django and drivers (scripts/test.sh
/// builds it in target/tools/venv). Under CI it must exist.
pub fn python() -> Option<PathBuf> {
    match std::env::var_os("PREFLIGHT_TEST_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            missing("PREFLIGHT_TEST_PYTHON is not set (run scripts/test.sh)");
            None
        }
    }
}

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn incident_alembic_ini() -> PathBuf {
    repo().join("examples/incident/backend/alembic.ini")
}

/// Runs Alembic against `db` with the incident's migrations.
pub fn alembic(python: &Path, db: &TempDb, args: &[&str]) {
    let out = std::process::Command::new(python)
        .args(["-m", "alembic", "-c"])
        .arg(incident_alembic_ini())
        .args(args)
        .env("DATABASE_URL", db.sqlalchemy_url())
        .output()
        .expect("run alembic");
    assert!(
        out.status.success(),
        "alembic {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the `preflight` binary and parses its JSON output.
pub fn preflight_json(args: &[&str]) -> (i32, serde_json::Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .arg("--format")
        .arg("json")
        .current_dir(repo())
        .output()
        .expect("run preflight");
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// The value of the series whose labels include all of `want`.
pub fn value(metrics: &str, name: &str, want: &[(&str, &str)]) -> Option<f64> {
    metrics
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| {
            let (series, v) = l.rsplit_once(' ')?;
            let (n, labels) = series.split_once('{').unwrap_or((series, ""));
            (n == name
                && want
                    .iter()
                    .all(|(k, val)| labels.contains(&format!("{k}=\"{val}\""))))
            .then(|| v.parse().ok())
            .flatten()
        })
}

pub async fn scrape(addr: std::net::SocketAddr) -> String {
    reqwest::get(format!("http://{addr}/metrics"))
        .await
        .expect("scrape")
        .text()
        .await
        .expect("body")
}

/// Polls `probe` until it answers, failing the test after `secs` seconds.
pub async fn eventually<T>(what: &str, secs: u64, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
