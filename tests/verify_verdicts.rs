//! Every verdict, from expected schemas replayed into shadow databases
//! (Flyway layout on PostgreSQL, golang-migrate layout on MariaDB), and the
//! spellings that must not be drift.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{Kind, TempDb};
use preflight::expected::migrations;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    common::repo().join("tests/fixtures").join(name)
}

/// Applies Flyway-layout files 1..=n to `db` the way Flyway would, recording them.
async fn flyway_apply(db: &TempDb, n: usize, record_only: &[usize]) {
    db.exec(r#"CREATE TABLE IF NOT EXISTS "flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL)"#).await;
    let (_, files) = migrations::list(&fixture("flyway")).expect("list");
    for (i, f) in files.iter().enumerate().take(n) {
        if !record_only.contains(&(i + 1)) {
            db.exec(&f.up_sql).await;
        }
        db.exec(&format!(
            "INSERT INTO flyway_schema_history VALUES ({rank}, '{v}', 'm', 'SQL', 'V{v}__m.sql', {c}, 'postgres', now(), 1, true)",
            rank = i + 1,
            v = f.id,
            c = f.checksum.as_deref().unwrap_or("NULL")
        ))
        .await;
    }
}

fn verify(db: &TempDb, expected: &str, shadow: &str) -> (i32, serde_json::Value) {
    common::preflight_json(&[
        "verify",
        "--database-url",
        &db.url,
        "--expected",
        expected,
        "--shadow-url",
        shadow,
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn every_verdict_on_postgres_with_flyway_migrations() {
    let dir = fixture("flyway");
    let dir = dir.to_str().unwrap_or_default();
    let shadow = common::pg_server();

    // in_sync: everything applied and recorded.
    let db = TempDb::new(Kind::Postgres).await;
    flyway_apply(&db, 3, &[]).await;
    let (code, v) = verify(&db, dir, &shadow);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("in_sync")), "{v}");
    assert_eq!(v["ledger"]["tool"], "flyway");
    assert_eq!(v["drift"].as_array().map(Vec::len), Some(0), "{v}");

    // pending: two of three applied and recorded honestly.
    let db = TempDb::new(Kind::Postgres).await;
    flyway_apply(&db, 2, &[]).await;
    let (code, v) = verify(&db, dir, &shadow);
    assert_eq!(v["verdict"], "pending", "{v}");
    assert_eq!(v["pending"], serde_json::json!(["3"]));
    assert_eq!(code, 0);

    // ledger_ahead: version 3 recorded without running it.
    let db = TempDb::new(Kind::Postgres).await;
    flyway_apply(&db, 3, &[3]).await;
    let (code, v) = verify(&db, dir, &shadow);
    assert_eq!(v["verdict"], "ledger_ahead", "{v}");
    assert_eq!(v["matched_revision"], "2");
    assert_eq!(v["recorded_not_applied"], serde_json::json!(["3"]));
    assert_eq!(code, 1);

    // checksum_mismatch: an applied file was edited afterwards.
    let db = TempDb::new(Kind::Postgres).await;
    flyway_apply(&db, 3, &[]).await;
    db.exec("UPDATE flyway_schema_history SET checksum = checksum + 1 WHERE version = '2'")
        .await;
    let (code, v) = verify(&db, dir, &shadow);
    assert_eq!(v["verdict"], "checksum_mismatch", "{v}");
    assert_eq!(code, 1);

    // dirty: a failed migration is recorded.
    let db = TempDb::new(Kind::Postgres).await;
    flyway_apply(&db, 2, &[]).await;
    db.exec("INSERT INTO flyway_schema_history VALUES (3, '3', 'm', 'SQL', 'V3__m.sql', 1, 'postgres', now(), 1, false)").await;
    let (_, v) = verify(&db, dir, &shadow);
    assert_eq!(v["verdict"], "dirty", "{v}");

    // unknown_revision: the ledger names a version no file has.
    let db = TempDb::new(Kind::Postgres).await;
    flyway_apply(&db, 3, &[]).await;
    db.exec("INSERT INTO flyway_schema_history VALUES (4, '4', 'm', 'SQL', 'V4__m.sql', 1, 'postgres', now(), 1, true)").await;
    let (_, v) = verify(&db, dir, &shadow);
    assert_eq!(v["verdict"], "unknown_revision", "{v}");

    // manual_change: someone altered the schema by hand.
    let db = TempDb::new(Kind::Postgres).await;
    flyway_apply(&db, 3, &[]).await;
    db.exec(
        "DROP INDEX orders_customer_id_idx; ALTER TABLE customers ALTER COLUMN email DROP NOT NULL",
    )
    .await;
    let (code, v) = verify(&db, dir, &shadow);
    assert_eq!(v["verdict"], "manual_change", "{v}");
    let drift: Vec<String> = v["drift"]
        .as_array()
        .expect("drift")
        .iter()
        .map(|d| format!("{} {} {}", d["change"], d["object"], d["name"]))
        .collect();
    assert!(
        drift
            .iter()
            .any(|d| d.contains("missing") && d.contains("orders_customer_id_idx")),
        "{drift:?}"
    );
    assert!(
        drift
            .iter()
            .any(|d| d.contains("changed") && d.contains("customers.email")),
        "{drift:?}"
    );
    assert_eq!(code, 1);

    // error: the database cannot be reached; never in_sync.
    let (code, v) = common::preflight_json(&[
        "verify",
        "--database-url",
        "postgres://postgres@127.0.0.1:9/none",
        "--expected",
        dir,
        "--shadow-url",
        &shadow,
        "--connect-timeout",
        "3s",
    ]);
    assert_eq!((code, v["verdict"].as_str()), (2, Some("error")), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn golang_migrate_on_mariadb_replayed_into_a_shadow() {
    let dir = fixture("golang_migrate_mysql");
    let dirs = dir.to_str().unwrap_or_default();
    let shadow = common::mysql_server();
    let db = TempDb::new(Kind::Mysql).await;
    let (_, files) = migrations::list(&dir).expect("list");
    db.exec("CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)").await;
    db.exec(&files[0].up_sql).await;
    db.exec("INSERT INTO schema_migrations VALUES (2, false)")
        .await; // 2 recorded, not run
    let (code, v) = verify(&db, dirs, &shadow);
    assert_eq!(v["verdict"], "ledger_ahead", "{v}");
    assert_eq!(v["matched_revision"], "1");
    assert_eq!(code, 1);
    db.exec(&files[1].up_sql).await;
    let (code, v) = verify(&db, dirs, &shadow);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("in_sync")), "{v}");
}

/// A project that moved from Alembic to golang-migrate still has its old
/// `alembic_version` (its first SQL migration may even create it). The
/// expectations are golang-migrate's, so golang-migrate's ledger is the one
/// checked; the other is a note, never the verdict.
#[tokio::test(flavor = "multi_thread")]
async fn the_ledger_is_the_one_of_the_tool_the_expectations_come_from() {
    let dir = fixture("golang_migrate_mysql");
    let dirs = dir.to_str().unwrap_or_default();
    let shadow = common::mysql_server();
    let db = TempDb::new(Kind::Mysql).await;
    let (_, files) = migrations::list(&dir).expect("list");
    // Created first, so a plain walk of the catalog meets it first.
    db.exec("CREATE TABLE alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)")
        .await;
    db.exec("INSERT INTO alembic_version VALUES ('4f2e1c0a9b7d')")
        .await;
    db.exec("CREATE TABLE schema_migrations (version bigint not null primary key, dirty boolean not null)").await;
    for f in &files {
        db.exec(&f.up_sql).await;
    }
    db.exec(&format!(
        "INSERT INTO schema_migrations VALUES ({}, false)",
        files.len()
    ))
    .await;
    let (code, v) = verify(&db, dirs, &shadow);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("in_sync")), "{v}");
    assert_eq!(v["ledger"]["tool"], "golang-migrate", "{v}");
    let reason = v["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("other ledgers present: alembic (alembic_version)"),
        "{reason}"
    );
}

/// Aliases, spellings, column order and engine-generated names are not drift.
#[tokio::test(flavor = "multi_thread")]
async fn equivalent_spellings_are_not_drift() {
    let dir = tempfile::tempdir().expect("tmp");
    // Postgres: the expected DDL spells everything one way…
    let expected = dir.path().join("pg.sql");
    std::fs::write(&expected, "CREATE TABLE accounts (\n  id serial PRIMARY KEY,\n  name character varying(80) NOT NULL DEFAULT 'anon'::character varying,\n  balance numeric(12,2) DEFAULT 0,\n  opened timestamp with time zone DEFAULT CURRENT_TIMESTAMP,\n  active boolean DEFAULT true,\n  CONSTRAINT accounts_name_key UNIQUE (name),\n  CONSTRAINT positive CHECK (balance >= 0)\n);\nCREATE INDEX idx_accounts_opened ON accounts (opened DESC);\nCREATE TABLE entries (id int8 GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, account_id int4 REFERENCES accounts ON DELETE CASCADE);\n").expect("write");
    // …the live database another: reordered columns, int4/varchar/timestamptz, now(), other names.
    let db = TempDb::new(Kind::Postgres).await;
    db.exec("CREATE TABLE accounts (active bool DEFAULT 'true', opened timestamptz DEFAULT now(), balance decimal(12, 2) DEFAULT '0', name varchar(80) NOT NULL DEFAULT 'anon', id integer GENERATED BY DEFAULT AS IDENTITY NOT NULL);\nALTER TABLE accounts ADD PRIMARY KEY (id);\nALTER TABLE accounts ADD CONSTRAINT uq_name UNIQUE (name);\nALTER TABLE accounts ADD CHECK ((balance >= (0)::numeric));\nCREATE INDEX accounts_opened_desc ON accounts (opened DESC);\nCREATE TABLE entries (account_id integer, id bigint GENERATED BY DEFAULT AS IDENTITY, PRIMARY KEY (id), FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE);").await;
    let (code, v) = common::preflight_json(&[
        "verify",
        "--database-url",
        &db.url,
        "--expected",
        expected.to_str().unwrap_or_default(),
        "--shadow-url",
        &common::pg_server(),
    ]);
    assert_eq!(v["verdict"], "in_sync", "{v}");
    let significant: Vec<&serde_json::Value> = v["drift"]
        .as_array()
        .expect("drift")
        .iter()
        .filter(|d| d["severity"] != "info")
        .collect();
    assert!(significant.is_empty(), "{significant:#?}");
    assert_eq!(code, 0);

    // SQLite: same idea through the in-memory shadow.
    let expected = dir.path().join("lite.sql");
    std::fs::write(&expected, "CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x', made DATETIME DEFAULT CURRENT_TIMESTAMP, flag BOOLEAN DEFAULT 1, UNIQUE (name));\nCREATE INDEX t_made ON t (made);").expect("write");
    let lite = TempDb::new(Kind::Sqlite).await;
    lite.exec("CREATE TABLE t (flag boolean DEFAULT true, made datetime DEFAULT (CURRENT_TIMESTAMP), name varchar(20) NOT NULL DEFAULT ('x'), id integer PRIMARY KEY);\nCREATE UNIQUE INDEX t_name_unique ON t (name);\nCREATE INDEX idx_made ON t (made);").await;
    let (code, v) = common::preflight_json(&[
        "verify",
        "--database-url",
        &lite.url,
        "--expected",
        expected.to_str().unwrap_or_default(),
    ]);
    assert_eq!(v["verdict"], "in_sync", "{v}");
    assert_eq!(code, 0);
}

/// Two introspections of the same database are byte-identical.
#[tokio::test(flavor = "multi_thread")]
async fn introspection_is_deterministic() {
    for kind in [Kind::Postgres, Kind::Mysql, Kind::Sqlite] {
        let db = TempDb::new(kind).await;
        let sql = match kind {
            Kind::Mysql => {
                std::fs::read_to_string(fixture("golang_migrate_mysql/000001_create_users.up.sql"))
                    .expect("sql")
                    + "\n"
                    + &std::fs::read_to_string(fixture(
                        "golang_migrate_mysql/000002_create_posts.up.sql",
                    ))
                    .expect("sql")
            }
            Kind::Postgres => [
                "V1__create_customers.sql",
                "V2__create_orders.sql",
                "V3__add_order_notes.sql",
            ]
            .iter()
            .map(|f| std::fs::read_to_string(fixture("flyway").join(f)).expect("sql"))
            .collect::<Vec<_>>()
            .join("\n"),
            Kind::Sqlite => std::fs::read_to_string(
                common::repo().join("examples/incident/database/repaired-state.sqlite.sql"),
            )
            .expect("sql"),
        };
        db.exec(&sql).await;
        let dir = tempfile::tempdir().expect("tmp");
        let a = dir.path().join("a.json");
        let b = dir.path().join("b.json");
        for out in [&a, &b] {
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"))
                .args([
                    "snapshot",
                    "--database-url",
                    &db.url,
                    "--revision",
                    "r",
                    "-o",
                ])
                .arg(out)
                .output()
                .expect("snapshot");
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
        let (a, b) = (std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
        assert!(a == b, "{kind:?}: snapshots differ");
        assert!(a.len() > 500);
    }
}

/// Naming schemas (one tenant among many) reads by oid through the catalog
/// indexes instead of joining whole catalogs: it must see exactly what a full
/// read sees of those schemas — tables, columns, defaults, indexes,
/// constraints (a foreign key into another schema), views, materialized
/// views, enums, standalone sequences — and nothing of the others.
#[tokio::test(flavor = "multi_thread")]
async fn named_schemas_read_exactly_what_a_full_read_sees_of_them() {
    let db = TempDb::new(Kind::Postgres).await;
    let objects = |schema: &str, extra_column: &str| {
        format!(
            "CREATE SCHEMA {schema}; SET search_path = {schema};
             CREATE TYPE mood AS ENUM ('ok', 'sad');
             CREATE SEQUENCE invoice_numbers INCREMENT 5;
             CREATE TABLE accounts (id bigserial PRIMARY KEY, name text NOT NULL DEFAULT 'x', mood mood, {extra_column} created timestamptz DEFAULT now(),
                                    CHECK (length(name) > 0), UNIQUE (name));
             CREATE INDEX accounts_lower ON accounts (lower(name)) WHERE mood IS NOT NULL;
             CREATE TABLE items (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, account_id bigint REFERENCES accounts ON DELETE CASCADE,
                                 owner_id int REFERENCES shared.owners (id), total numeric(10,2), doubled numeric GENERATED ALWAYS AS (total * 2) STORED);
             CREATE VIEW rich AS SELECT name FROM accounts WHERE mood = 'ok';
             CREATE MATERIALIZED VIEW totals AS SELECT account_id, sum(total) FROM items GROUP BY 1;
             SET search_path = public;"
        )
    };
    db.exec("CREATE SCHEMA shared; CREATE TABLE shared.owners (id int PRIMARY KEY, login text);")
        .await;
    db.exec(&objects("app", "")).await;
    db.exec(&objects("noise", "noise_only int,")).await;
    db.exec("CREATE TABLE public.loose (id int)").await;

    let dir = tempfile::tempdir().expect("tmp");
    let snapshot = |name: &str, schemas: &[&str]| {
        let out = dir.path().join(name);
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"));
        cmd.args([
            "snapshot",
            "--database-url",
            &db.url,
            "--revision",
            "r",
            "-o",
        ])
        .arg(&out);
        for s in schemas {
            cmd.args(["--schema", s]);
        }
        let o = cmd.output().expect("snapshot");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
        v["revisions"][0]["schema"].clone()
    };
    let full = snapshot("full.json", &[]);
    let named = snapshot("named.json", &["app"]);

    // The full read, keeping only `app.` objects.
    let mut expected = full.clone();
    for (_, section) in expected.as_object_mut().expect("schema").iter_mut() {
        if let Some(map) = section.as_object_mut() {
            map.retain(|k, _| k.starts_with("app."));
        }
    }
    assert_eq!(
        named, expected,
        "named:\n{named:#}\nfull, app only:\n{expected:#}"
    );
    let tables = named["tables"].as_object().expect("tables");
    assert_eq!(
        tables.keys().collect::<Vec<_>>(),
        ["app.accounts", "app.items"]
    );
    for kind in ["views", "sequences", "enums"] {
        assert!(
            named[kind]
                .as_object()
                .is_some_and(|m| !m.is_empty() && m.keys().all(|k| k.starts_with("app."))),
            "{kind}: {:#}",
            named[kind]
        );
    }
    let named_text = named.to_string();
    assert!(
        named_text.contains("shared.owners"),
        "the foreign key names its target"
    );
    assert!(!named_text.contains("noise"));
}
