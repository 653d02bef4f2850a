//! Plans from verdicts, without a database: every verdict's steps, in the
//! tool's own CLI or the exact SQL, with the release step's launcher.

use super::*;
use crate::diagnosis::{self, PartlyApplied};
use crate::expected::SourceKind;
use crate::schema::{Column, Table};
use crate::tools;

fn table(cols: &[&str]) -> Table {
    Table {
        columns: cols
            .iter()
            .map(|c| Column {
                data_type: Some("integer".into()),
                nullable: Some(true),
                ..Column::named(*c)
            })
            .collect(),
        ..Table::default()
    }
}

fn schema(tables: &[(&str, &[&str])]) -> Schema {
    let mut s = Schema::new(Engine::Postgres);
    for (n, cols) in tables {
        s.tables.insert(QName::new("public", *n), table(cols));
    }
    s.sort();
    s
}

/// Three revisions: users, then orders, then users.email.
fn expected() -> Expected {
    let revs = [
        ("0001_users", schema(&[("users", &["id"])])),
        (
            "0002_orders",
            schema(&[("users", &["id"]), ("orders", &["id"])]),
        ),
        (
            "0003_email",
            schema(&[("users", &["id", "email"]), ("orders", &["id"])]),
        ),
    ];
    Expected::from_schemas(
        SourceKind::Snapshot,
        "test".into(),
        revs.iter()
            .map(|(id, s)| (Some(id.to_string()), s.clone(), None))
            .collect(),
    )
}

/// The live schema with the tool's ledger table in it.
fn live(tables: &[(&str, &[&str])], ledger_table: &str, ledger_cols: &[&str]) -> Schema {
    let mut s = schema(tables);
    s.tables
        .insert(QName::new("public", ledger_table), table(ledger_cols));
    s
}

fn ledger(tool: &str, table: &str, applied: &[&str]) -> Ledger {
    let mut l = Ledger::new(tools::find(tool).expect("tool"), &QName::new("", table));
    l.applied = applied.iter().map(|s| s.to_string()).collect();
    l.current = applied.last().map(|s| s.to_string()).into_iter().collect();
    l
}

/// Diagnoses, then plans, as `verify` does.
fn plan_for(e: &Expected, l: &Ledger, live: &Schema, launcher: Option<&Launcher>) -> Option<Plan> {
    let d = diagnosis::diagnose(e, Some(l), live);
    plan(&Inputs {
        verdict: d.verdict,
        ledger: Some(l),
        matched_revision: d.matched_revision.as_deref(),
        recorded_not_applied: &d.recorded_not_applied,
        pending: &d.pending,
        partly_applied: d.partly_applied.as_ref(),
        drift: &d.drift,
        compared_with: d.compared_with.as_deref(),
        expected: e,
        live,
        launcher,
    })
}

/// A verdict given outright, with nothing else known about it.
fn given<'a>(verdict: Verdict, l: &'a Ledger, e: &'a Expected, live: &'a Schema) -> Inputs<'a> {
    Inputs {
        verdict,
        ledger: Some(l),
        matched_revision: None,
        recorded_not_applied: &[],
        pending: &[],
        partly_applied: None,
        drift: &[],
        compared_with: None,
        expected: e,
        live,
        launcher: None,
    }
}

fn texts(p: &Plan) -> Vec<&str> {
    p.steps.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn in_sync_has_no_plan() {
    let e = expected();
    let l = ledger(
        "knex",
        "knex_migrations",
        &["0001_users", "0002_orders", "0003_email"],
    );
    let live = live(
        &[("users", &["id", "email"]), ("orders", &["id"])],
        "knex_migrations",
        &["id", "name"],
    );
    assert!(plan_for(&e, &l, &live, None).is_none());
}

#[test]
fn pending_is_the_apply_command() {
    let e = expected();
    let l = ledger("knex", "knex_migrations", &["0001_users"]);
    let live = live(&[("users", &["id"])], "knex_migrations", &["id", "name"]);
    let p = plan_for(&e, &l, &live, None).expect("plan");
    assert_eq!(p.verdict, Verdict::Pending);
    assert_eq!(texts(&p), ["npx knex migrate:latest"]);
    assert!(
        p.steps[0].why.contains("0002_orders and 0003_email"),
        "{}",
        p.steps[0].why
    );
    assert!(!p.is_proven());
}

#[test]
fn ledger_ahead_deletes_exactly_the_skipped_rows_where_the_tool_has_no_command() {
    let e = expected();
    let l = ledger(
        "knex",
        "knex_migrations",
        &["0001_users", "0002_orders", "0003_email"],
    );
    let live = live(&[("users", &["id"])], "knex_migrations", &["id", "name"]);
    let p = plan_for(&e, &l, &live, None).expect("plan");
    assert_eq!(p.verdict, Verdict::LedgerAhead);
    assert_eq!(
        texts(&p),
        [
            "DELETE FROM \"knex_migrations\" WHERE \"name\" IN ('0002_orders', '0003_email');",
            "npx knex migrate:latest"
        ]
    );
    assert!(matches!(p.steps[0].action, StepAction::Sql { .. }));
}

#[test]
fn ledger_ahead_with_a_stamp_command_and_the_release_steps_launcher() {
    let e = expected();
    let mut l = ledger("alembic", "alembic_version", &["0003_email"]);
    l.applied = vec!["0003_email".into()];
    let live = live(&[("users", &["id"])], "alembic_version", &["version_num"]);
    let launcher = launcher_in(
        tools::find("alembic").expect("alembic"),
        &crate::command::words_of("poetry run python -m alembic -c alembic.ini stamp head"),
    )
    .expect("launcher");
    let p = plan_for(&e, &l, &live, Some(&launcher)).expect("plan");
    assert_eq!(
        texts(&p),
        [
            "poetry run python -m alembic -c alembic.ini stamp 0001_users",
            "poetry run python -m alembic -c alembic.ini upgrade head"
        ]
    );
}

#[test]
fn django_fakes_each_app_back_to_its_last_migration_that_ran() {
    let revs = [
        (
            "accounts.0001_initial",
            schema(&[("accounts_user", &["id"])]),
        ),
        (
            "shop.0001_initial",
            schema(&[("accounts_user", &["id"]), ("shop_order", &["id"])]),
        ),
        (
            "shop.0002_total",
            schema(&[("accounts_user", &["id"]), ("shop_order", &["id", "total"])]),
        ),
    ];
    let e = Expected::from_schemas(
        SourceKind::Snapshot,
        "test".into(),
        revs.iter()
            .map(|(id, s)| (Some(id.to_string()), s.clone(), None))
            .collect(),
    );
    let l = ledger(
        "django",
        "django_migrations",
        &[
            "accounts.0001_initial",
            "shop.0001_initial",
            "shop.0002_total",
        ],
    );
    let live = live(
        &[("accounts_user", &["id"]), ("shop_order", &["id"])],
        "django_migrations",
        &["id", "app", "name", "applied"],
    );
    let p = plan_for(&e, &l, &live, None).expect("plan");
    assert_eq!(
        texts(&p),
        [
            "python manage.py migrate --fake shop 0001_initial",
            "python manage.py migrate --noinput"
        ]
    );
}

#[test]
fn golang_migrate_dirty_forces_the_last_good_version_after_the_check() {
    let e = expected();
    let mut l = ledger("golang-migrate", "schema_migrations", &["0002_orders"]);
    l.dirty = vec!["0002_orders".into()];
    let live = live(
        &[("users", &["id"])],
        "schema_migrations",
        &["version", "dirty"],
    );
    let p = plan_for(&e, &l, &live, None).expect("plan");
    assert_eq!(p.verdict, Verdict::Dirty);
    assert_eq!(
        texts(&p),
        [
            "migrate -path migrations -database \"$DATABASE_URL\" force 0001_users",
            "migrate -path migrations -database \"$DATABASE_URL\" up"
        ]
    );
    assert!(!p.before.is_empty(), "the check to make first");
}

#[test]
fn a_half_applied_unrecorded_revision_is_undone_by_a_person_first() {
    let e = expected();
    let l = ledger("knex", "knex_migrations", &["0001_users"]);
    let live = live(&[("users", &["id"])], "knex_migrations", &["id", "name"]);
    let d = diagnosis::diagnose(&e, Some(&l), &live);
    let partly = PartlyApplied {
        revision: "0002_orders".into(),
        recorded: false,
        present: vec!["table orders".into()],
        absent: vec!["index ix_orders".into()],
    };
    let p = plan(&Inputs {
        matched_revision: Some("0001_users"),
        pending: &d.pending,
        partly_applied: Some(&partly),
        ..given(Verdict::Dirty, &l, &e, &live)
    })
    .expect("plan");
    assert!(p.before[0].contains("table orders"), "{:?}", p.before);
    assert_eq!(texts(&p), ["npx knex migrate:latest"]);
}

#[test]
fn checksum_mismatch_restores_the_file_or_accepts_with_the_tools_command() {
    let e = expected();
    let l = ledger("flyway", "flyway_schema_history", &["0001_users"]);
    let live = live(&[("users", &["id"])], "flyway_schema_history", &["version"]);
    let p = plan(&given(Verdict::ChecksumMismatch, &l, &e, &live)).expect("plan");
    assert!(matches!(p.steps[0].action, StepAction::Manual));
    assert_eq!(p.alternatives[0].text, "flyway repair");
    assert!(p.proof.reason.contains("person"), "{}", p.proof.reason);
}

#[test]
fn unknown_revision_deploys_the_code_or_restamps_after_review() {
    let e = expected();
    let mut l = ledger("alembic", "alembic_version", &["ffff_other"]);
    l.applied = vec!["ffff_other".into()];
    let live = live(&[("users", &["id"])], "alembic_version", &["version_num"]);
    let p = plan_for(&e, &l, &live, None).expect("plan");
    assert_eq!(p.verdict, Verdict::UnknownRevision);
    assert!(
        p.steps[0].text.contains("ffff_other"),
        "{}",
        p.steps[0].text
    );
    assert_eq!(p.alternatives[0].text, "alembic stamp 0003_email");
}

#[test]
fn manual_change_offers_a_migration_body_never_a_command_on_the_database() {
    let e = expected();
    let l = ledger(
        "knex",
        "knex_migrations",
        &["0001_users", "0002_orders", "0003_email"],
    );
    // orders exists, email exists, but a column was dropped by hand from orders.
    let mut live = live(
        &[("users", &["id", "email"]), ("orders", &["id"])],
        "knex_migrations",
        &["id", "name"],
    );
    if let Some(t) = live.tables.get_mut(&QName::new("public", "orders")) {
        t.columns.clear();
        t.columns.push(Column {
            data_type: Some("integer".into()),
            nullable: Some(true),
            ..Column::named("other")
        });
    }
    let p = plan_for(&e, &l, &live, None).expect("plan");
    assert_eq!(p.verdict, Verdict::ManualChange);
    let StepAction::Migration { sql } = &p.steps[0].action else {
        panic!("{:?}", p.steps);
    };
    assert!(
        sql.contains("ALTER TABLE \"orders\" ADD COLUMN \"id\" integer;"),
        "{sql}"
    );
    assert!(!p.is_mechanical(), "a person reviews a migration body");
}

#[test]
fn the_launcher_carries_the_options_every_step_needs() {
    let knex = tools::find("knex").expect("knex");
    let l = launcher_in(
        knex,
        &crate::command::words_of(
            "npx knex migrate:latest --knexfile db/knexfile.js --env production",
        ),
    )
    .expect("launcher");
    assert_eq!(l.words, ["npx", "knex"]);
    assert_eq!(
        l.carried,
        ["--knexfile", "db/knexfile.js", "--env", "production"]
    );
    // A command that is the tool itself names no launcher worth keeping.
    assert!(launcher_in(knex, &crate::command::words_of("migrate:latest")).is_none());
}

#[test]
fn the_shell_script_runs_commands_and_comments_the_rest() {
    let e = expected();
    let l = ledger(
        "knex",
        "knex_migrations",
        &["0001_users", "0002_orders", "0003_email"],
    );
    let live = live(&[("users", &["id"])], "knex_migrations", &["id", "name"]);
    let p = plan_for(&e, &l, &live, None).expect("plan");
    let script = p.shell();
    let run: Vec<&str> = script
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    // SQL runs through the database's own client; a failure stops the script.
    assert_eq!(
        run,
        [
            "set -eu",
            "psql \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -c \"DELETE FROM \\\"knex_migrations\\\" WHERE \\\"name\\\" IN ('0002_orders', '0003_email');\"",
            "npx knex migrate:latest"
        ]
    );
}

#[test]
fn every_tool_declares_an_apply_command_and_verbs() {
    for t in tools::all() {
        let r = t.repair();
        let cli = &t.def().cli;
        assert!(!r.apply.is_empty(), "{t}");
        assert!(!cli.run_as.is_empty(), "{t}");
        assert!(
            cli.subcommands.contains(&r.apply[0]),
            "{t}: its apply verb finds its launcher"
        );
    }
}

#[test]
fn a_release_steps_secrets_stay_out_of_the_plan_and_its_proof() {
    let e = expected();
    let l = ledger("dbmate", "schema_migrations", &["0001_users"]);
    let live = live(&[("users", &["id"])], "schema_migrations", &["version"]);
    let launcher = launcher_in(
        tools::find("dbmate").expect("dbmate"),
        &crate::command::words_of(
            "dbmate --no-dump-schema migrate --url postgres://app:hunter2@db/app",
        ),
    )
    .expect("launcher");
    let p = plan_for(&e, &l, &live, Some(&launcher)).expect("plan");
    let step = &p.steps[0];
    assert!(!step.text.contains("hunter2"), "{}", step.text);
    assert!(step.text.contains("--url"), "{}", step.text);
    // The proof runs only the step's own arguments: never the target's URL.
    assert_eq!(
        step.action,
        StepAction::Command {
            args: vec!["migrate".into()]
        }
    );
}
