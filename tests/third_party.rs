//! Migration histories written by other projects, shipped inside their PyPI
//! and npm packages (`tests/fixtures/third_party`: optuna, mlflow, keystone,
//! glance, zenml, airflow's FAB provider, prefect; six Django apps; three
//! Backstage plugins), upgraded with the real tool on PostgreSQL and MariaDB.
//!
//! - Honestly upgraded databases are never accused: against the revision
//!   files read statically (Alembic) and against replays by the real tool.
//! - Stamped back (migrated to a revision, then the ledger moved to the head
//!   without running the rest) they are `ledger_ahead` at the revision the
//!   database really has.
//! - optuna's history fails half-way on MariaDB (DDL is not transactional):
//!   the database is diagnosed as that revision partly applied, with what
//!   exists and what does not.
//!
//! `scripts/test.sh` fetches the packages and builds their environments
//! (`fetch.sh`, `install-tools.sh`); without them the tests say so and stop,
//! except under CI (`PREFLIGHT_REQUIRE_TOOLS`), where that fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{Kind, TempDb};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const ACCUSATIONS: &[&str] = &[
    "ledger_ahead",
    "manual_change",
    "dirty",
    "unknown_revision",
    "checksum_mismatch",
    "error",
];

fn root() -> &'static Path {
    common::repo()
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/third_party")
}

/// The environments and unpacked packages, or `None` (a skip outside CI).
fn ready() -> bool {
    let ok = root().join("target/tools/thirdparty-venv").is_dir()
        && root().join("target/third_party/optuna").is_dir();
    if !ok {
        common::missing(
            "the third-party histories are not fetched: run tests/fixtures/third_party/fetch.sh and install-tools.sh (scripts/test.sh does)",
        );
    }
    ok
}

fn run(argv: &[String], dir: &Path, env: &[(&str, String)], what: &str) -> String {
    try_run(argv, dir, env).unwrap_or_else(|e| panic!("{what} failed:\n{e}"))
}

/// Like `run`, but a failure is returned, not a panic.
fn try_run(argv: &[String], dir: &Path, env: &[(&str, String)]) -> Result<String, String> {
    let out = Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .map_err(|e| e.to_string())?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

fn verify(db: &TempDb, expected: &str) -> Value {
    common::preflight_json(&["verify", "--database-url", &db.url, "--expected", expected]).1
}

fn sqlalchemy_url(db: &TempDb) -> String {
    match db.kind {
        Kind::Postgres => db.url.replacen("postgres://", "postgresql+psycopg2://", 1),
        _ => db.sqlalchemy_url(),
    }
}

fn shadow(kind: Kind) -> String {
    match kind {
        Kind::Postgres => common::pg_server(),
        Kind::Mysql => common::mysql_server(),
        Kind::Sqlite => "sqlite:".into(),
    }
}

fn replay(
    tool: &str,
    project: &Path,
    config: Option<&Path>,
    launcher: &[String],
    env: &[(&str, String)],
    kind: Kind,
    out: &Path,
) {
    let mut argv = vec![
        env!("CARGO_BIN_EXE_preflight").to_string(),
        "snapshot".into(),
        "--replay".into(),
        tool.into(),
        "--shadow-url".into(),
        shadow(kind),
        "--project".into(),
        project.display().to_string(),
        "-o".into(),
        out.display().to_string(),
        // Each test replays; the cache is tested in tests/replay_tools.rs.
        "--no-cache".into(),
    ];
    if let Some(c) = config {
        argv.extend(["--config".into(), c.display().to_string()]);
    }
    argv.push("--".into());
    argv.extend(launcher.iter().cloned());
    run(
        &argv,
        root(),
        env,
        &format!("replay of {}", project.display()),
    );
}

// ---- Alembic ---------------------------------------------------------------

struct Alembic {
    name: &'static str,
    venv: &'static str,
    engines: &'static [Kind],
    /// A revision with visible changes to stamp back from, per engine it works on.
    stamp_back: Option<&'static str>,
}

const ALEMBIC: &[Alembic] = &[
    Alembic {
        name: "optuna",
        venv: "optuna",
        engines: &[Kind::Postgres],
        stamp_back: Some("v2.4.0.a"),
    },
    Alembic {
        name: "mlflow",
        venv: "mlflow",
        engines: &[Kind::Postgres, Kind::Mysql],
        stamp_back: None,
    },
    Alembic {
        name: "keystone",
        venv: "keystone",
        engines: &[Kind::Postgres, Kind::Mysql],
        stamp_back: Some("27e647c0fad4"),
    },
    Alembic {
        name: "glance",
        venv: "glance",
        engines: &[Kind::Postgres, Kind::Mysql],
        stamp_back: None,
    },
    Alembic {
        name: "airflow-fab",
        venv: "alembic",
        engines: &[Kind::Postgres, Kind::Mysql],
        stamp_back: None,
    },
    Alembic {
        name: "zenml",
        venv: "zenml",
        engines: &[Kind::Mysql],
        stamp_back: None,
    },
    Alembic {
        name: "prefect-postgresql",
        venv: "prefect",
        engines: &[Kind::Postgres],
        stamp_back: None,
    },
];

fn alembic_cmd(h: &Alembic, args: &[&str]) -> Vec<String> {
    let mut v = vec![
        root()
            .join(format!(
                "target/tools/thirdparty-venv/{}/bin/alembic",
                h.venv
            ))
            .display()
            .to_string(),
        "-c".into(),
        fixtures()
            .join(format!("alembic/{}.ini", h.name))
            .display()
            .to_string(),
    ];
    v.extend(args.iter().map(|a| a.to_string()));
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn alembic_histories_read_statically_never_accuse_an_honest_database() {
    if !ready() {
        return;
    }
    for h in ALEMBIC {
        let ini = fixtures().join(format!("alembic/{}.ini", h.name));
        let ini = ini.to_str().unwrap_or_default();
        for &kind in h.engines {
            let db = TempDb::new(kind).await;
            let env = [("PREFLIGHT_DATABASE_URL", sqlalchemy_url(&db))];
            run(
                &alembic_cmd(h, &["upgrade", "heads"]),
                root(),
                &env,
                &format!("{} upgrade", h.name),
            );
            let v = verify(&db, ini);
            assert!(
                !ACCUSATIONS.contains(&v["verdict"].as_str().unwrap_or("")),
                "{} on {kind:?}, honestly upgraded: {} — {}",
                h.name,
                v["verdict"],
                v["reason"]
            );
            let Some(rev) = h.stamp_back else { continue };
            let db = TempDb::new(kind).await;
            let env = [("PREFLIGHT_DATABASE_URL", sqlalchemy_url(&db))];
            run(
                &alembic_cmd(h, &["upgrade", rev]),
                root(),
                &env,
                "upgrade to the stamp point",
            );
            run(
                &alembic_cmd(h, &["stamp", "heads"]),
                root(),
                &env,
                "stamp heads",
            );
            let v = verify(&db, ini);
            assert_eq!(
                v["verdict"], "ledger_ahead",
                "{} on {kind:?} stamped back: {}",
                h.name, v["reason"]
            );
            assert_eq!(v["matched_revision"], rev, "{}: {}", h.name, v["reason"]);
            eprintln!(
                "{} on {kind:?}: honest in_sync, stamped back ledger_ahead at {rev}",
                h.name
            );
        }
    }
}

/// The real Alembic replays mlflow (whose tables come from mlflow's own
/// code before the first revision): exact expectations, so a stamp is
/// found where reading the files cannot see it.
#[tokio::test(flavor = "multi_thread")]
async fn alembic_replayed_by_the_real_tool() {
    if !ready() {
        return;
    }
    let h = &ALEMBIC[1];
    let python = root()
        .join(format!(
            "target/tools/thirdparty-venv/{}/bin/python",
            h.venv
        ))
        .display()
        .to_string();
    for kind in [Kind::Postgres, Kind::Mysql] {
        let tmp = tempfile::tempdir().expect("tmp");
        let snap = tmp.path().join("mlflow.json");
        replay(
            "alembic",
            &fixtures().join("alembic"),
            Some(&fixtures().join("alembic/mlflow.ini")),
            std::slice::from_ref(&python),
            &[],
            kind,
            &snap,
        );
        let expected = snap.to_str().unwrap_or_default();
        let db = TempDb::new(kind).await;
        let env = [("PREFLIGHT_DATABASE_URL", sqlalchemy_url(&db))];
        run(
            &alembic_cmd(h, &["upgrade", "heads"]),
            root(),
            &env,
            "mlflow upgrade",
        );
        let v = verify(&db, expected);
        assert_eq!(
            v["verdict"], "in_sync",
            "mlflow on {kind:?}: {}",
            v["reason"]
        );

        let db = TempDb::new(kind).await;
        let env = [("PREFLIGHT_DATABASE_URL", sqlalchemy_url(&db))];
        run(
            &alembic_cmd(h, &["upgrade", "0c779009ac13"]),
            root(),
            &env,
            "mlflow upgrade",
        );
        run(
            &alembic_cmd(h, &["stamp", "heads"]),
            root(),
            &env,
            "mlflow stamp",
        );
        let v = verify(&db, expected);
        assert_eq!(
            v["verdict"], "ledger_ahead",
            "mlflow on {kind:?} stamped: {}",
            v["reason"]
        );
        assert_eq!(v["matched_revision"], "0c779009ac13", "{}", v["reason"]);
    }
}

/// optuna's v2.4.0.a fails on MariaDB after half of its DDL ran: the
/// database is that revision partly applied, not a manual change.
#[tokio::test(flavor = "multi_thread")]
async fn a_history_that_fails_half_way_on_mariadb_is_partly_applied() {
    if !ready() {
        return;
    }
    let h = &ALEMBIC[0];
    let db = TempDb::new(Kind::Mysql).await;
    let env = [("PREFLIGHT_DATABASE_URL", sqlalchemy_url(&db))];
    let failed = try_run(&alembic_cmd(h, &["upgrade", "heads"]), root(), &env);
    let err = failed.expect_err("optuna's history fails on MariaDB");
    assert!(err.contains("v2.4.0.a") || err.contains("step"), "{err}");
    let ini = fixtures().join("alembic/optuna.ini");
    let v = verify(&db, ini.to_str().unwrap_or_default());
    assert_eq!(v["verdict"], "dirty", "{}", v["reason"]);
    let p = &v["partly_applied"];
    assert_eq!(p["revision"], "v2.4.0.a", "{v}");
    let list = |k: &str| {
        p[k].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(String::from))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    for done in [
        "table study_directions",
        "table trial_intermediate_values",
        "column trial_values.objective",
    ] {
        assert!(list("present").iter().any(|x| x == done), "{done}: {p}");
    }
    for not_done in [
        "column trial_values.step dropped",
        "column trials.value dropped",
    ] {
        assert!(
            list("absent").iter().any(|x| x == not_done),
            "{not_done}: {p}"
        );
    }
    assert_eq!(v["ledger"]["version"], "v1.3.0.a");
}

// ---- Django ----------------------------------------------------------------

/// (history, the app and migration to migrate to, the app whose remaining
/// migrations are then faked): chosen so that what is faked changes the
/// schema (many migrations of these apps change only Python-side options).
const DJANGO: &[(&str, &str, &str, &str)] = &[
    (
        "django-celery-beat",
        "django_celery_beat",
        "0012_periodictask_expire_seconds",
        "django_celery_beat",
    ),
    (
        "django-celery-results",
        "django_celery_results",
        "0007_remove_taskresult_hidden",
        "django_celery_results",
    ),
    (
        "django-allauth",
        "account",
        "0002_email_max_length",
        "account",
    ),
    (
        "djangorestframework",
        "auth",
        "0012_alter_user_first_name_max_length",
        "authtoken",
    ),
    (
        "django-oauth-toolkit",
        "oauth2_provider",
        "0007_application_post_logout_redirect_uris",
        "oauth2_provider",
    ),
    (
        "django-axes",
        "axes",
        "0007_alter_accessattempt_unique_together",
        "axes",
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn django_apps_replayed_then_migrated_honestly_and_faked() {
    if !ready() {
        return;
    }
    let dir = fixtures().join("django");
    let python = root()
        .join("target/tools/thirdparty-venv/django/bin/python")
        .display()
        .to_string();
    let manage = |args: &[&str]| {
        let mut v = vec![python.clone(), "manage.py".into()];
        v.extend(args.iter().map(|a| a.to_string()));
        v
    };
    for &(history, app, back, faked) in DJANGO {
        for kind in [Kind::Postgres, Kind::Mysql] {
            let tmp = tempfile::tempdir().expect("tmp");
            let snap = tmp.path().join("replayed.json");
            let pick = ("PREFLIGHT_DJANGO_HISTORY", history.to_string());
            replay(
                "django",
                &dir,
                None,
                &[python.clone(), "manage.py".into()],
                std::slice::from_ref(&pick),
                kind,
                &snap,
            );
            let expected = snap.to_str().unwrap_or_default();

            let db = TempDb::new(kind).await;
            let env = [
                pick.clone(),
                ("PREFLIGHT_DATABASE_URL", sqlalchemy_url(&db)),
            ];
            run(
                &manage(&["migrate", "--noinput", "-v0"]),
                &dir,
                &env,
                history,
            );
            let v = verify(&db, expected);
            assert_eq!(
                v["verdict"], "in_sync",
                "{history} on {kind:?}: {}",
                v["reason"]
            );

            let db = TempDb::new(kind).await;
            let env = [
                pick.clone(),
                ("PREFLIGHT_DATABASE_URL", sqlalchemy_url(&db)),
            ];
            run(
                &manage(&["migrate", app, back, "--noinput", "-v0"]),
                &dir,
                &env,
                history,
            );
            let v = verify(&db, expected);
            assert_eq!(
                v["verdict"], "pending",
                "{history} on {kind:?} at {back}: {}",
                v["reason"]
            );
            run(
                &manage(&["migrate", "--fake", faked, "--noinput", "-v0"]),
                &dir,
                &env,
                history,
            );
            let v = verify(&db, expected);
            assert_eq!(
                v["verdict"], "ledger_ahead",
                "{history} on {kind:?} faked: {}",
                v["reason"]
            );
            assert_eq!(
                v["matched_revision"],
                format!("{app}.{back}"),
                "{history}: {}",
                v["reason"]
            );
            eprintln!("{history} on {kind:?}: in_sync, pending at {back}, faked ledger_ahead");
        }
    }
}

// ---- knex (Backstage plugins) ------------------------------------------------

/// (history, how many migrations to run before faking the rest)
const KNEX: &[(&str, usize)] = &[
    ("backstage-catalog", 30),
    ("backstage-auth", 8),
    ("backstage-scaffolder", 3),
];

#[tokio::test(flavor = "multi_thread")]
async fn knex_histories_replayed_then_migrated_honestly_and_faked() {
    if !ready() {
        return;
    }
    let dir = fixtures().join("knex");
    let node = root().join("target/tools/thirdparty-node/node_modules");
    let knex = vec![
        node.join(".bin/knex").display().to_string(),
        "--knexfile".into(),
        "knexfile.js".into(),
    ];
    let knex_path = ("KNEX_PATH", node.join("knex").display().to_string());
    for &(history, back) in KNEX {
        for kind in [Kind::Postgres, Kind::Mysql] {
            let tmp = tempfile::tempdir().expect("tmp");
            let snap = tmp.path().join("replayed.json");
            let pick = ("PREFLIGHT_KNEX_HISTORY", history.to_string());
            replay(
                "knex",
                &dir,
                None,
                &knex,
                &[pick.clone(), knex_path.clone()],
                kind,
                &snap,
            );
            let expected = snap.to_str().unwrap_or_default();
            let file: Value =
                serde_json::from_str(&std::fs::read_to_string(&snap).expect("read")).expect("json");
            let ids: Vec<String> = file["revisions"]
                .as_array()
                .map(|r| {
                    r.iter()
                        .filter_map(|x| x["revision"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default();

            // As the plugin migrates at start-up.
            let db = TempDb::new(kind).await;
            let env = [pick.clone(), ("PREFLIGHT_DATABASE_URL", db.url.clone())];
            run(&["node".into(), "migrate.js".into()], &dir, &env, history);
            let v = verify(&db, expected);
            assert_eq!(
                v["verdict"], "in_sync",
                "{history} on {kind:?}: {}",
                v["reason"]
            );

            // Part way with the CLI, then the rest recorded without running.
            let db = TempDb::new(kind).await;
            let env = [
                pick.clone(),
                knex_path.clone(),
                ("PREFLIGHT_DATABASE_URL", db.url.clone()),
            ];
            for _ in 0..back {
                let mut argv = knex.clone();
                argv.push("migrate:up".into());
                run(&argv, &dir, &env, history);
            }
            let v = verify(&db, expected);
            assert_eq!(
                v["verdict"], "pending",
                "{history} on {kind:?} at {back}: {}",
                v["reason"]
            );
            for name in &ids[back..] {
                db.exec(&format!(
                    "INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('{name}', 99, CURRENT_TIMESTAMP)"
                ))
                .await;
            }
            let v = verify(&db, expected);
            assert_eq!(
                v["verdict"], "ledger_ahead",
                "{history} on {kind:?} faked: {}",
                v["reason"]
            );
            let matched = v["matched_revision"].as_str().unwrap_or("");
            let at = ids.iter().position(|x| x == matched);
            // The last revision whose changes are visible, at or before the real one.
            assert!(
                at.is_some_and(|a| a < back),
                "{history}: matched {matched}: {}",
                v["reason"]
            );
            eprintln!("{history} on {kind:?}: in_sync, pending, faked ledger_ahead at {matched}");
        }
    }
}
