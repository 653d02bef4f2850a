//! The App Platform gate (`examples/digitalocean-gate`): its spec lints
//! clean, and its PRE_DEPLOY command, run with the real Alembic, fails on the
//! incident's database (so App Platform cancels the deploy) and passes on a
//! database it migrates from empty.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{Kind, TempDb};
use std::path::{Path, PathBuf};
use std::process::Command;

fn example() -> PathBuf {
    common::repo().join("examples/digitalocean-gate")
}

/// The `run_command` of the spec's PRE_DEPLOY job, as preflight reads it.
fn gate_command() -> String {
    let text = std::fs::read_to_string(example().join(".do/app.yaml")).expect("spec");
    let roots = preflight::yaml::parse_document(&text).expect("YAML");
    let jobs = roots[0]
        .get("jobs")
        .and_then(preflight::yaml::Node::as_seq)
        .expect("jobs");
    let job = jobs
        .iter()
        .find(|j| j.get("kind").and_then(preflight::yaml::Node::as_str) == Some("PRE_DEPLOY"))
        .expect("a PRE_DEPLOY job");
    job.get("run_command")
        .and_then(preflight::yaml::Node::as_str)
        .expect("run_command")
        .to_owned()
}

/// Runs the gate as App Platform runs a job's command: `sh -c`, in the job's
/// source directory (the incident's backend), with the app's `DATABASE_URL`
/// (`postgresql://…` as App Platform injects it, which Alembic and preflight
/// both read) and an image holding Python (Alembic) and preflight.
fn run_gate(python: &Path, database_url: &str) -> (i32, String) {
    let mut path = vec![python.parent().expect("venv bin").to_path_buf()];
    path.push(
        Path::new(env!("CARGO_BIN_EXE_preflight"))
            .parent()
            .expect("bin dir")
            .to_path_buf(),
    );
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let out = Command::new("sh")
        .arg("-c")
        .arg(gate_command())
        .current_dir(common::repo().join("examples/incident/backend"))
        .env("PATH", std::env::join_paths(path).expect("PATH"))
        .env("DATABASE_URL", database_url)
        .env("NO_COLOR", "1")
        .output()
        .expect("run the gate");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_gate_spec_lints_clean() {
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["lint", "--format", "json", "--fail-on", "info"])
        .arg(example())
        .output()
        .expect("run preflight");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["findings"], serde_json::json!([]), "{v}");
    assert_eq!(v["errors"], serde_json::json!([]), "{v}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(v["summary"]["steps"], 2, "the service and the gate job");
}

#[test]
fn the_daemon_configuration_validates() {
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["daemon", "--check-config", "--config"])
        .arg(example().join("preflight-daemon.yaml"))
        .output()
        .expect("run preflight");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn gate_on(kind: Kind) {
    let Some(python) = common::python() else {
        return;
    };
    // The incident, made by the real Alembic: 016 applied, then `stamp head`.
    let incident = TempDb::new(kind).await;
    common::alembic(
        &python,
        &incident,
        &["upgrade", "016_add_time_entry_and_pos"],
    );
    common::alembic(&python, &incident, &["stamp", "head"]);
    let (code, log) = run_gate(&python, &incident.sqlalchemy_url());
    assert_eq!(code, 1, "the gate must fail the job:\n{log}");
    assert!(
        log.contains("ledger_ahead") || log.contains("ledger is ahead"),
        "{log}"
    );
    assert!(log.contains("017_add_sessions"), "{log}");

    // An empty database: the gate migrates it and lets the deploy go on.
    let fresh = TempDb::new(kind).await;
    let (code, log) = run_gate(&python, &fresh.sqlalchemy_url());
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("in sync") || log.contains("in_sync"), "{log}");
}

#[tokio::test]
async fn the_gate_fails_the_job_on_the_incident_database_sqlite() {
    gate_on(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gate_fails_the_job_on_the_incident_database_postgres() {
    gate_on(Kind::Postgres).await;
}
