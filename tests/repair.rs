//! Repair plans for the incident, with the real Alembic, on PostgreSQL,
//! MariaDB and SQLite: the plan is exactly `alembic stamp
//! 016_add_time_entry_and_pos` then `alembic upgrade head`, it is proven on
//! a shadow database, and running it against the incident's database with
//! the real tool leads to `in_sync`. A database in sync gets no plan; a plan
//! that cannot be proven says why; a failing proof names the step and the
//! tool's error.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{Kind, TempDb};
use serde_json::Value;
use std::path::Path;

fn shadow(kind: Kind) -> Option<String> {
    match kind {
        Kind::Postgres => Some(common::pg_server()),
        Kind::Mysql => Some(common::mysql_server()),
        Kind::Sqlite => None,
    }
}

/// `preflight repair --format json` for the incident's expectations.
fn repair(db: &TempDb, python: &Path, ini: &Path, extra: &[&str]) -> (i32, Value) {
    let python = python.display().to_string();
    let ini = ini.display().to_string();
    let mut args = vec![
        "repair",
        "--database-url",
        &db.url,
        "--expected",
        &ini,
        "--prove-with",
        &python,
    ];
    let server = shadow(db.kind);
    if let Some(s) = &server {
        args.extend(["--shadow-url", s]);
    }
    args.extend(extra);
    common::preflight_json(&args)
}

fn texts(plan: &Value) -> Vec<String> {
    plan["steps"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|s| s["text"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs a plan's steps against the database with the real Alembic, the way
/// the team would (preflight itself never does).
fn apply(python: &Path, db: &TempDb, plan: &Value) {
    for step in plan["steps"].as_array().into_iter().flatten() {
        assert_eq!(step["kind"], "command", "{step}");
        let args: Vec<&str> = step["args"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        common::alembic(python, db, &args);
    }
}

async fn incident(kind: Kind) {
    let Some(python) = common::python() else {
        return;
    };
    let db = TempDb::new(kind).await;
    common::alembic(&python, &db, &["upgrade", "016_add_time_entry_and_pos"]);
    common::alembic(&python, &db, &["stamp", "head"]);
    let ini = common::incident_alembic_ini();

    let (code, v) = repair(&db, &python, &ini, &[]);
    let plan = &v["repair"];
    assert_eq!(v["verdict"], "ledger_ahead", "{kind:?}: {}", v["reason"]);
    assert_eq!(
        texts(plan),
        [
            "alembic stamp 016_add_time_entry_and_pos",
            "alembic upgrade head"
        ],
        "{kind:?}"
    );
    assert_eq!(plan["proven"], true, "{kind:?}: {}", plan["proof"]);
    assert_eq!(code, 0, "a proven plan exits 0");
    let log = plan["proof"]["log"].to_string();
    assert!(
        log.contains("alembic stamp 016_add_time_entry_and_pos"),
        "{log}"
    );

    // The team runs it with the real tool: the database is whole again.
    apply(&python, &db, plan);
    let (code, v) = repair(&db, &python, &ini, &[]);
    assert_eq!(v["verdict"], "in_sync", "{kind:?}: {}", v["reason"]);
    assert!(
        v["repair"].is_null(),
        "no plan for in_sync: {}",
        v["repair"]
    );
    assert_eq!(code, 0);
    eprintln!("{kind:?}: incident plan proven, applied, in_sync");
}

#[tokio::test(flavor = "multi_thread")]
async fn incident_on_postgres() {
    incident(Kind::Postgres).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn incident_on_mariadb() {
    incident(Kind::Mysql).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn incident_on_sqlite() {
    incident(Kind::Sqlite).await;
}

/// `check` with the live spec: the plan runs Alembic the way the release
/// step does; `verify` shows the plan, not proven, and says how to prove it.
#[tokio::test(flavor = "multi_thread")]
async fn check_uses_the_release_steps_launcher() {
    let Some(python) = common::python() else {
        return;
    };
    let db = TempDb::new(Kind::Sqlite).await;
    common::alembic(&python, &db, &["upgrade", "016_add_time_entry_and_pos"]);
    common::alembic(&python, &db, &["stamp", "head"]);
    let ini = common::incident_alembic_ini().display().to_string();
    let spec = common::repo()
        .join("examples/incident/live-app-spec.yaml")
        .display()
        .to_string();
    let (_, v) = common::preflight_json(&[
        "check",
        &spec,
        "--database-url",
        &db.url,
        "--expected",
        &ini,
    ]);
    let plan = &v["verification"]["repair"];
    assert_eq!(
        texts(plan),
        [
            "python -m alembic -c alembic.ini stamp 016_add_time_entry_and_pos",
            "python -m alembic -c alembic.ini upgrade head"
        ]
    );
    assert_eq!(plan["proven"], false);
    let why = plan["proof"]["reason"].as_str().unwrap_or("");
    assert!(why.contains("--project"), "{why}");

    // `--format shell` is a script: the commands as they are, the rest comments.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["repair", "--database-url", &db.url, "--expected", &ini])
        .args([
            "--no-prove",
            "--launcher",
            "python -m alembic -c alembic.ini",
        ])
        .args(["--format", "shell"])
        .current_dir(common::repo())
        .output()
        .expect("run preflight");
    let script = String::from_utf8_lossy(&out.stdout);
    let commands: Vec<&str> = script
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty() && *l != "set -eu")
        .collect();
    assert_eq!(
        commands,
        [
            "python -m alembic -c alembic.ini stamp 016_add_time_entry_and_pos",
            "python -m alembic -c alembic.ini upgrade head"
        ],
        "{script}"
    );
    assert_eq!(out.status.code(), Some(1), "an unproven plan exits 1");
}

/// A plan whose step fails on the shadow is reported with the step and the
/// tool's error, never offered as a fix.
#[tokio::test(flavor = "multi_thread")]
async fn a_failing_proof_names_the_step_and_the_error() {
    let Some(python) = common::python() else {
        return;
    };
    // The incident's project, with 018 broken the way a migration breaks on
    // a database it was not tried on.
    let tmp = tempfile::tempdir().expect("tmp");
    let backend = tmp.path().join("backend");
    copy_dir(&common::repo().join("examples/incident/backend"), &backend);
    let broken = backend.join("alembic/versions/018_add_notifications.py");
    let text = std::fs::read_to_string(&broken).expect("018");
    let text = text.replacen(
        "def upgrade() -> None:\n",
        "def upgrade() -> None:\n    op.execute(\"UPDATE no_such_table SET x = 1\")\n",
        1,
    );
    std::fs::write(&broken, text).expect("write 018");

    let db = TempDb::new(Kind::Sqlite).await;
    common::alembic(&python, &db, &["upgrade", "016_add_time_entry_and_pos"]);
    common::alembic(&python, &db, &["stamp", "head"]);
    let (code, v) = repair(&db, &python, &backend.join("alembic.ini"), &[]);
    let plan = &v["repair"];
    assert_eq!(plan["proven"], false);
    assert_eq!(plan["proof"]["status"], "failed", "{}", plan["proof"]);
    assert_eq!(plan["proof"]["failed_step"], 2);
    let reason = plan["proof"]["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("alembic upgrade head") && reason.contains("no_such_table"),
        "{reason}"
    );
    assert_eq!(code, 1);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir").flatten() {
        let p = e.path();
        let name = e.file_name();
        if name == "__pycache__" {
            continue;
        }
        if p.is_dir() {
            copy_dir(&p, &to.join(name));
        } else {
            std::fs::copy(&p, to.join(name)).expect("copy");
        }
    }
}
