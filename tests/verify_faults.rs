//! Faults: unreachable servers, bad credentials, TLS, locks and timeouts
//! always give the verdict `error` quickly (never `in_sync`, never a hang),
//! and verification provably writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{Kind, TempDb};
use std::time::{Duration, Instant};

const SCHEMA: &str = "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('2');\nCREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL);";

/// A snapshot expectation for SCHEMA at revisions 1 (no `name`) and 2.
fn snapshot(dir: &std::path::Path) -> String {
    let path = dir.join("expected.json");
    let table = |with_name: bool| {
        let mut cols = vec![r#"{"name": "id", "type": "integer", "nullable": false}"#];
        if with_name {
            cols.push(r#"{"name": "name", "type": "text", "nullable": false}"#);
        }
        format!(
            r#"{{"tables": {{"public.items": {{"columns": [{}], "constraints": [{{"name": "items_pkey", "kind": "primary_key", "columns": ["id"]}}]}}}}}}"#,
            cols.join(",")
        )
    };
    std::fs::write(&path, format!(r#"{{"preflight_snapshot": 1, "revisions": [{{"revision": "1", "schema": {}}}, {{"revision": "2", "schema": {}}}]}}"#, table(false), table(true))).expect("write snapshot");
    path.to_string_lossy().into_owned()
}

fn verify(url: &str, expected: &str, extra: &[&str]) -> (i32, serde_json::Value, Duration) {
    let started = Instant::now();
    let mut args = vec!["verify", "--database-url", url, "--expected", expected];
    args.extend_from_slice(extra);
    let (code, v) = common::preflight_json(&args);
    (code, v, started.elapsed())
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_baseline_and_tls_on_postgres() {
    let db = TempDb::new(Kind::Postgres).await;
    db.exec(SCHEMA).await;
    let dir = tempfile::tempdir().expect("tmp");
    let expected = snapshot(dir.path());
    let (code, v, _) = verify(&db.url, &expected, &[]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("in_sync")), "{v}");

    // `sslmode=require`, as DigitalOcean managed PostgreSQL demands: works over TLS.
    let (code, v, _) = verify(&format!("{}?sslmode=require", db.url), &expected, &[]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("in_sync")), "{v}");

    // `verify-full` with a CA that did not sign the server's certificate: refused.
    let (code, v, _) = verify(
        &format!("{}?sslmode=verify-full", db.url),
        &expected,
        &["--ca-file", "/etc/ssl/certs/ISRG_Root_X1.pem"],
    );
    assert_eq!((code, v["verdict"].as_str()), (2, Some("error")), "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or("")
            .contains("cannot connect"),
        "{v}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_servers_and_bad_credentials_are_errors() {
    let dir = tempfile::tempdir().expect("tmp");
    let expected = snapshot(dir.path());
    // Nothing listens there.
    let (code, v, took) = verify(
        "postgres://postgres@127.0.0.1:9/app",
        &expected,
        &["--connect-timeout", "5s"],
    );
    assert_eq!((code, v["verdict"].as_str()), (2, Some("error")), "{v}");
    assert!(took < Duration::from_secs(6));
    // A wrong password (MariaDB's root has none): refused, and never printed.
    let server = url::Url::parse(&common::mysql_server()).expect("url");
    let bad = format!(
        "mysql://{}:hunter2-wrong@{}:{}/mysql",
        server.username(),
        server.host_str().unwrap_or("127.0.0.1"),
        server.port().unwrap_or(3306)
    );
    let (code, v, _) = verify(&bad, &expected, &[]);
    assert_eq!((code, v["verdict"].as_str()), (2, Some("error")), "{v}");
    let text = v.to_string();
    assert!(text.contains("Access denied"), "{text}");
    assert!(!text.contains("hunter2"), "the password leaked: {text}");
    assert!(v["database"].as_str().unwrap_or("").contains(":***@"));
    // TLS required, but this MariaDB offers none.
    let (code, v, _) = verify(
        &format!(
            "{}?ssl-mode=required",
            common::with_db(&common::mysql_server(), "mysql")
        ),
        &expected,
        &[],
    );
    assert_eq!((code, v["verdict"].as_str()), (2, Some("error")), "{v}");
    // A SQLite file that does not exist is not created.
    let missing = dir.path().join("nope.db");
    let (code, v, _) = verify(&format!("sqlite://{}", missing.display()), &expected, &[]);
    assert_eq!((code, v["verdict"].as_str()), (2, Some("error")), "{v}");
    assert!(!missing.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn locks_and_statement_timeouts_end_in_error_not_a_hang() {
    let db = TempDb::new(Kind::Postgres).await;
    db.exec(SCHEMA).await;
    let dir = tempfile::tempdir().expect("tmp");
    let expected = snapshot(dir.path());
    // Another session holds the ledger table exclusively (as `ALTER TABLE` would).
    let mut holder = common::pg_connect(&db.url).await;
    common::raw(
        &mut holder,
        "BEGIN; LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE",
    )
    .await;

    let (code, v, took) = verify(&db.url, &expected, &["--lock-timeout", "300ms"]);
    assert_eq!((code, v["verdict"].as_str()), (2, Some("error")), "{v}");
    assert!(
        v["reason"].as_str().unwrap_or("").contains("lock timeout"),
        "{v}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");

    let (code, v, took) = verify(
        &db.url,
        &expected,
        &["--lock-timeout", "30s", "--statement-timeout", "400ms"],
    );
    assert_eq!((code, v["verdict"].as_str()), (2, Some("error")), "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or("")
            .contains("statement timeout"),
        "{v}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");

    common::raw(&mut holder, "ROLLBACK").await;
    let (code, v, _) = verify(&db.url, &expected, &[]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("in_sync")), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_metadata_locks_time_out() {
    let db = TempDb::new(Kind::Mysql).await;
    db.exec("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); INSERT INTO alembic_version VALUES ('2'); CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)").await;
    let dir = tempfile::tempdir().expect("tmp");
    let expected = snapshot(dir.path()).replace("public.items", "items");
    std::fs::write(
        dir.path().join("mysql.json"),
        std::fs::read_to_string(&expected)
            .unwrap_or_default()
            .replace("public.items", "items"),
    )
    .expect("write");
    let expected = dir.path().join("mysql.json").to_string_lossy().into_owned();
    let mut holder = sqlx::MySqlConnection::connect(&db.url)
        .await
        .expect("connect");
    use sqlx::Connection;
    sqlx::raw_sql("LOCK TABLES alembic_version WRITE")
        .execute(&mut holder)
        .await
        .expect("lock");
    let (code, v, took) = verify(&db.url, &expected, &["--lock-timeout", "1s"]);
    assert_eq!((code, v["verdict"].as_str()), (2, Some("error")), "{v}");
    assert!(took < Duration::from_secs(8), "took {took:?}");
    sqlx::raw_sql("UNLOCK TABLES")
        .execute(&mut holder)
        .await
        .expect("unlock");
    let (code, v, _) = verify(&db.url, &expected, &[]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("in_sync")), "{v}");
}

/// A role that can only read, and only the catalogs and the ledger, still
/// verifies; the database's write counters do not move.
#[tokio::test(flavor = "multi_thread")]
async fn verification_never_writes_and_needs_no_table_privileges() {
    let db = TempDb::new(Kind::Postgres).await;
    db.exec(SCHEMA).await;
    let role = format!("pf_ro_{}", db.name.rsplit('_').next().unwrap_or("x"));
    db.exec(&format!(
        "CREATE ROLE {role} LOGIN; ALTER ROLE {role} SET default_transaction_read_only = on; \
         REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC; GRANT SELECT ON alembic_version TO {role};"
    ))
    .await;
    let server = url::Url::parse(&db.url).expect("url");
    let ro_url = format!(
        "postgres://{role}@{}:{}/{}",
        server.host_str().unwrap_or("127.0.0.1"),
        server.port().unwrap_or(5432),
        db.name
    );
    let dir = tempfile::tempdir().expect("tmp");
    let expected = snapshot(dir.path());

    let counters = || async {
        db.exec("SELECT pg_stat_clear_snapshot()").await;
        // Writes to the database's own tables (autovacuum's analyze writes
        // pg_statistic at any moment, which the database-wide counters count).
        db.rows(
            "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)::text FROM pg_stat_user_tables",
        )
        .await
    };
    // Let the setup's own writes reach the statistics first.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let before = counters().await;
    for _ in 0..3 {
        let (code, v, _) = verify(&ro_url, &expected, &[]);
        assert_eq!((code, v["verdict"].as_str()), (0, Some("in_sync")), "{v}");
        assert_eq!(v["ledger"]["version"], "2");
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let after = counters().await;
    assert_eq!(before, after, "verification wrote to the database");

    // With no privilege at all, the schema is still checked from the catalogs.
    db.exec(&format!("REVOKE SELECT ON alembic_version FROM {role}"))
        .await;
    let (_, v, _) = verify(&ro_url, &expected, &[]);
    assert_ne!(v["verdict"], "error", "{v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap_or("")
            .contains("not readable by this role"),
        "{v}"
    );
    assert_eq!(
        v["drift"].as_array().map(Vec::len),
        Some(0),
        "the schema is fully visible: {v}"
    );
    db.exec(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await;
}

/// The long-running modes keep idle connections: a second check reuses the
/// first one's backends, and a backend the server killed in between is
/// replaced without failing the check.
#[tokio::test(flavor = "multi_thread")]
async fn cached_connections_are_reused_and_dead_ones_replaced() {
    use preflight::db::cache::ConnectionCache;
    use preflight::expected::ExpectedSpec;
    use preflight::verify::{VerifyOptions, verify};
    use std::sync::Arc;

    for kind in [Kind::Postgres, Kind::Mysql] {
        let db = TempDb::new(kind).await;
        db.exec(SCHEMA).await;
        let dir = tempfile::tempdir().expect("tmp");
        let path = dir.path().join("expected.json");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"))
            .args(["snapshot", "--database-url", &db.url, "-o"])
            .arg(&path)
            .output()
            .expect("snapshot");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let spec = ExpectedSpec::parse(&format!("snapshot:{}", path.display())).expect("spec");
        let cache = Arc::new(ConnectionCache::new(4, Duration::from_secs(60)));
        let opts = VerifyOptions {
            connections: Some(cache.clone()),
            ..VerifyOptions::default()
        };
        let url = db.url();
        let backends = async || -> Vec<String> {
            let sql = match kind {
                Kind::Postgres => format!(
                    "SELECT pid::text FROM pg_stat_activity WHERE datname = '{}' AND application_name = 'preflight' ORDER BY 1",
                    db.name
                ),
                _ => format!(
                    "SELECT CAST(id AS CHAR) FROM information_schema.processlist WHERE db = '{}' AND id <> CONNECTION_ID() ORDER BY 1",
                    db.name
                ),
            };
            db.rows(&sql)
                .await
                .into_iter()
                .filter_map(|r| r.into_iter().next().flatten())
                .collect()
        };

        let first = verify(&url, &spec, &opts).await;
        assert_eq!(
            first.verdict.as_str(),
            "in_sync",
            "{kind:?}: {}",
            first.reason
        );
        let idle = cache.idle();
        assert_eq!(idle, if kind == Kind::Postgres { 2 } else { 1 }, "{kind:?}");
        let before = backends().await;
        assert_eq!(before.len(), idle, "{kind:?}: {before:?}");
        let second = verify(&url, &spec, &opts).await;
        assert_eq!(second.verdict.as_str(), "in_sync");
        assert_eq!(
            backends().await,
            before,
            "{kind:?}: the same backends served both checks"
        );

        // The server kills the idle backends: the next check still succeeds.
        for id in &before {
            let kill = match kind {
                Kind::Postgres => format!("SELECT pg_terminate_backend({id})"),
                _ => format!("KILL {id}"),
            };
            db.exec(&kill).await;
        }
        let third = verify(&url, &spec, &opts).await;
        assert_eq!(
            third.verdict.as_str(),
            "in_sync",
            "{kind:?}: {}",
            third.reason
        );
        assert!(
            backends().await.iter().all(|b| !before.contains(b)),
            "{kind:?}: new backends"
        );
    }
}
