//! The reference incident, reproduced with the real Alembic on SQLite and
//! PostgreSQL, revision by revision: at every revision the honest ledger is
//! `pending` (or `in_sync` at head) and the stamped ledger is `ledger_ahead`,
//! with the matched revision and the skipped ones named.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{Kind, TempDb};
use serde_json::Value;

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

async fn walk(kind: Kind) {
    let Some(python) = common::python() else {
        return;
    };
    let db = TempDb::new(kind).await;
    let out = std::process::Command::new(&python)
        .arg(common::repo().join("tests/fixtures/incident_walk.py"))
        .arg(common::incident_alembic_ini())
        .arg(db.sqlalchemy_url())
        .arg(env!("CARGO_BIN_EXE_preflight"))
        .arg(&db.url)
        .output()
        .expect("run the walk");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps: Vec<Value> = serde_json::from_slice(&out.stdout).expect("walk output");
    assert_eq!(steps.len(), 18);
    let revisions: Vec<String> = steps
        .iter()
        .map(|s| s["revision"].as_str().unwrap_or("").to_string())
        .collect();
    for (i, step) in steps.iter().enumerate() {
        let rev = &revisions[i];
        let later: Vec<String> = revisions[i + 1..].to_vec();
        let honest = &step["honest"];
        let stamped = &step["stamped"];
        assert_eq!(honest["ledger"]["version"], rev.as_str());
        assert_eq!(
            honest["matched_revision"],
            rev.as_str(),
            "honest at {rev}: {}",
            honest["reason"]
        );
        assert_eq!(stamped["ledger"]["version"], "018_add_notifications");
        assert_eq!(
            stamped["matched_revision"],
            rev.as_str(),
            "stamped at {rev}: {}",
            stamped["reason"]
        );
        if later.is_empty() {
            assert_eq!(honest["verdict"], "in_sync");
            assert_eq!(stamped["verdict"], "in_sync");
            assert_eq!(honest["exit_code"], 0);
        } else {
            assert_eq!(honest["verdict"], "pending", "{rev}: {}", honest["reason"]);
            assert_eq!(strs(&honest["pending"]), later);
            assert_eq!(
                honest["exit_code"], 0,
                "pending is a warning; --fail-on error passes it"
            );
            assert_eq!(
                stamped["verdict"], "ledger_ahead",
                "{rev}: {}",
                stamped["reason"]
            );
            assert_eq!(strs(&stamped["recorded_not_applied"]), later);
            assert_eq!(stamped["exit_code"], 1);
        }
    }
    // The incident itself: stamped at 016.
    let incident = &steps[15]["stamped"];
    let reason = incident["reason"].as_str().unwrap_or("");
    assert!(
        reason.contains("alembic_version says 018_add_notifications, but the schema matches 016_add_time_entry_and_pos: 017_add_sessions and 018_add_notifications were recorded, not applied; missing tables sessions and notifications"),
        "{reason}"
    );
    let missing: Vec<String> = incident["drift"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter(|x| x["change"] == "missing")
                .map(|x| {
                    format!(
                        "{} {}",
                        x["object"].as_str().unwrap_or(""),
                        x["name"].as_str().unwrap_or("")
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for want in [
        "table sessions",
        "table notifications",
        "index ix_sessions_user_id",
        "index ix_sessions_refresh_token_hash",
        "index ix_notifications_user_id_is_read",
    ] {
        assert!(
            missing.contains(&want.to_string()),
            "{want} not in {missing:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn incident_revision_by_revision_on_sqlite() {
    walk(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn incident_revision_by_revision_on_postgres() {
    walk(Kind::Postgres).await;
}

/// The committed incident database (produced by the real Alembic, see
/// examples/incident/database/regenerate.sh) gives the incident's diagnosis
/// with nothing but the revision files.
#[tokio::test]
async fn committed_incident_state_is_diagnosed() {
    let db = TempDb::new(Kind::Sqlite).await;
    let dump = std::fs::read_to_string(
        common::repo().join("examples/incident/database/incident-state.sqlite.sql"),
    )
    .expect("dump");
    db.exec(&dump).await;
    let ini = common::incident_alembic_ini();
    let (code, v) = common::preflight_json(&[
        "verify",
        "--database-url",
        &db.url,
        "--expected",
        ini.to_str().unwrap_or_default(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["verdict"], "ledger_ahead");
    assert_eq!(v["ledger"]["tool"], "alembic");
    assert_eq!(v["matched_revision"], "016_add_time_entry_and_pos");
}

/// `preflight check` lints the live spec and verifies the database in one run.
#[tokio::test]
async fn check_gates_on_both_the_spec_and_the_database() {
    let db = TempDb::new(Kind::Sqlite).await;
    let dump = std::fs::read_to_string(
        common::repo().join("examples/incident/database/incident-state.sqlite.sql"),
    )
    .expect("dump");
    db.exec(&dump).await;
    let ini = common::incident_alembic_ini();
    let ini = ini.to_str().unwrap_or_default();
    let (code, v) = common::preflight_json(&[
        "check",
        "examples/incident/live-app-spec.yaml",
        "--database-url",
        &db.url,
        "--expected",
        ini,
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["lint"]["findings"][0]["rule"], "alembic/stamp");
    assert_eq!(v["verification"]["verdict"], "ledger_ahead");
    // The repaired database and the repository's spec pass the gate.
    let ok = TempDb::new(Kind::Sqlite).await;
    let dump = std::fs::read_to_string(
        common::repo().join("examples/incident/database/repaired-state.sqlite.sql"),
    )
    .expect("dump");
    ok.exec(&dump).await;
    let (code, v) = common::preflight_json(&[
        "check",
        "examples/incident/.do/app.yaml",
        "--database-url",
        &ok.url,
        "--expected",
        ini,
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["verification"]["verdict"], "in_sync");
}
