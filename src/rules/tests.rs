//! Rule tests: every documented example triggers its rule, the apply commands
//! of every tool trigger nothing, and the tricky cases of command analysis.

use super::*;
use crate::command::{CommandText, Word};
use crate::definitions::RuleKind;
use crate::definitions::Severity;
use crate::lint::judge::judge_step;
use crate::release_step::{EnvVar, Phase, ReleaseStep};

fn step(phase: Phase, command: CommandText, env: &[(&str, &str)]) -> ReleaseStep {
    ReleaseStep {
        phase,
        object: "test step".into(),
        object_key: "test".into(),
        command: Some(command),
        at: 0,
        env: env
            .iter()
            .map(|(k, v)| EnvVar {
                name: (*k).into(),
                value: (*v).into(),
            })
            .collect(),
        directives: Vec::new(),
        app: None,
        failure_ignored: None,
    }
}

/// (rule id, severity) of every finding for a shell command in `phase`.
fn lint(phase: Phase, cmd: &str) -> Vec<(&'static str, Severity)> {
    lint_env(phase, cmd, &[])
}

fn lint_env(phase: Phase, cmd: &str, env: &[(&str, &str)]) -> Vec<(&'static str, Severity)> {
    let s = step(phase, CommandText::Shell(Word::literal(cmd, 0)), env);
    judge_step(&s)
        .findings
        .iter()
        .map(|f| (f.rule.id, f.severity))
        .collect()
}

fn lint_argv(phase: Phase, argv: &[&str]) -> Vec<(&'static str, Severity)> {
    let words = argv.iter().map(|a| Word::literal(a, 0)).collect();
    let s = step(phase, CommandText::Argv(words), &[]);
    judge_step(&s)
        .findings
        .iter()
        .map(|f| (f.rule.id, f.severity))
        .collect()
}

fn ids(findings: &[(&'static str, Severity)]) -> Vec<&'static str> {
    findings.iter().map(|f| f.0).collect()
}

#[test]
fn catalogue_is_consistent() {
    let all = catalogue();
    let mut seen = std::collections::HashSet::new();
    for r in &all {
        assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
        let (prefix, name) = r.id.split_once('/').expect("ids are tool/name");
        assert_eq!(
            prefix,
            r.owner.slug(),
            "{}: the id prefix names the tool",
            r.id
        );
        assert!(
            !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
            "{}",
            r.id
        );
        assert!(
            !r.title.is_empty() && !r.explanation.is_empty() && !r.fix.is_empty(),
            "{}",
            r.id
        );
        assert!(!r.examples.is_empty(), "{} has no example", r.id);
        assert!(
            r.message.chars().next().is_some_and(|c| !c.is_uppercase()),
            "{}: message continues a sentence",
            r.id
        );
        assert_eq!(find(r.id).map(|f| f.id), Some(r.id));
    }
    assert!(all.len() >= 70, "catalogue has {} rules", all.len());
}

#[test]
fn every_tool_example_triggers_its_rule() {
    for rule in catalogue()
        .into_iter()
        .filter(|r| r.owner.id() != "release")
    {
        for example in rule.examples {
            let found = lint(Phase::PreDeploy, example);
            assert!(
                ids(&found).contains(&rule.id),
                "example `{example}` of {} gave {found:?}",
                rule.id
            );
        }
    }
}

#[test]
fn applying_migrations_is_clean_for_every_tool() {
    for tool in crate::tools::all() {
        assert!(
            !tool.def().clean.is_empty(),
            "{tool} lists no clean command"
        );
        for cmd in tool.def().clean {
            assert_eq!(lint(Phase::PreDeploy, cmd), [], "{tool}: `{cmd}`");
        }
    }
}

#[test]
fn issue_cases_for_stamp() {
    // The tricky cases the lint foundation must get right.
    let err = vec![("alembic/stamp", Severity::Error)];
    assert_eq!(
        lint(
            Phase::PreDeploy,
            r#"sh -c "cd /app && python -m alembic -c alembic.ini stamp head""#
        ),
        err
    );
    assert_eq!(
        lint(
            Phase::PreDeploy,
            "alembic upgrade head && alembic stamp head"
        ),
        err,
        "a stamp after a successful upgrade is still a stamp"
    );
    assert_eq!(lint(Phase::PreDeploy, "echo alembic stamp head"), []);
    assert_eq!(
        lint(Phase::PreDeploy, "FLASK_APP=app flask db stamp head"),
        vec![("flask-migrate/stamp", Severity::Error)]
    );
    assert_eq!(
        lint_argv(
            Phase::PreDeploy,
            &["sh", "-c", "python -m alembic -c alembic.ini stamp head"]
        ),
        err
    );
}

#[test]
fn fallback_stamp_is_an_error_even_in_one_off_steps() {
    for cmd in [
        "alembic upgrade head || alembic stamp head",
        "if ! alembic upgrade head; then alembic stamp head; fi",
        "if alembic upgrade head; then echo ok; else alembic stamp head; fi",
        "python -c 'from app import db; db.create_all()' && (alembic upgrade head || alembic stamp head)",
    ] {
        let found = lint(Phase::Job, cmd);
        assert_eq!(found, vec![("alembic/stamp", Severity::Error)], "`{cmd}`");
    }
}

#[test]
fn bootstrap_stamp_is_a_warning_only_in_one_off_steps() {
    let bootstrap = "python -c 'from app.db import Base, engine; Base.metadata.create_all(engine)' && alembic stamp head";
    assert_eq!(
        lint(Phase::Job, bootstrap),
        vec![("alembic/stamp", Severity::Warning)]
    );
    assert_eq!(
        lint(Phase::Install, bootstrap),
        vec![("alembic/stamp", Severity::Warning)]
    );
    // Every deploy: create_all never alters existing tables, and head is stamped anyway.
    assert_eq!(
        lint(Phase::PreDeploy, bootstrap),
        vec![("alembic/stamp", Severity::Error)]
    );
    // A stamp without creating anything first is never a bootstrap.
    assert_eq!(
        lint(Phase::Job, "alembic stamp head"),
        vec![("alembic/stamp", Severity::Error)]
    );
}

#[test]
fn programmatic_stamp_is_a_stamp() {
    let found = lint(
        Phase::PreDeploy,
        "python -c \"from alembic.config import Config; from alembic import command; command.stamp(Config('alembic.ini'), 'head')\"",
    );
    assert_eq!(ids(&found), ["alembic/stamp"]);
}

#[test]
fn schema_dump_loads_count_as_stamps() {
    for (cmd, rule) in [
        ("bin/rails db:schema:load", "rails/schema-load"),
        ("dbmate load", "dbmate/load"),
        ("mix ecto.load", "ecto/load"),
    ] {
        let found = lint(Phase::PreDeploy, cmd);
        assert_eq!(found, vec![(rule, Severity::Error)], "{cmd}");
        assert_eq!(find(rule).map(|r| r.kind), Some(RuleKind::Stamp));
    }
}

#[test]
fn print_only_is_an_error_as_the_only_migration_of_a_recurring_step() {
    for cmd in [
        "alembic upgrade head --sql",
        "flask db upgrade --sql",
        "python manage.py sqlmigrate shop 0007",
        "npx prisma migrate diff --from-empty --to-schema-datamodel prisma/schema.prisma --script",
        "flyway -dryRunOutput=/tmp/plan.sql migrate",
        "liquibase update-sql",
        "sqlx migrate run --dry-run",
        "php artisan migrate --pretend",
    ] {
        let found = lint(Phase::PreDeploy, cmd);
        assert!(
            found.len() == 1 && found[0].1 == Severity::Error,
            "`{cmd}`: {found:?}"
        );
        // A one-off Job someone runs on purpose: a warning.
        let found = lint(Phase::Job, cmd);
        assert!(
            found.len() == 1 && found[0].1 == Severity::Warning,
            "`{cmd}` in a Job: {found:?}"
        );
    }
    // Beside a real apply it only prints: a warning.
    assert_eq!(
        lint(
            Phase::PreDeploy,
            "atlas migrate apply --dry-run --url x && atlas migrate apply --url x"
        ),
        vec![("atlas/dry-run", Severity::Warning)]
    );
    assert_eq!(
        lint(
            Phase::PreDeploy,
            "alembic upgrade head --sql > /tmp/plan.sql && alembic upgrade head"
        ),
        vec![("alembic/offline-sql", Severity::Warning)]
    );
}

#[test]
fn rollbacks_are_errors_in_deploy_phases_and_warnings_in_recovery_phases() {
    assert_eq!(
        lint(Phase::PreDeploy, "alembic downgrade -1"),
        vec![("alembic/downgrade", Severity::Error)]
    );
    assert_eq!(
        lint(Phase::FailedDeploy, "alembic downgrade -1"),
        vec![("alembic/downgrade", Severity::Warning)]
    );
    assert_eq!(
        lint(Phase::Rollback, "bin/rails db:rollback"),
        vec![("rails/rollback", Severity::Warning)]
    );
    // Destruction stays an error everywhere.
    assert_eq!(
        lint(Phase::FailedDeploy, "flyway clean"),
        vec![("flyway/clean", Severity::Error)]
    );
}

#[test]
fn masked_failures() {
    let masked = |cmd: &str, phase| ids(&lint(phase, cmd)).contains(&"release/masked-failure");
    assert!(masked("alembic upgrade head || true", Phase::PreDeploy));
    assert!(masked(
        "alembic upgrade head || echo 'migration failed'",
        Phase::PreDeploy
    ));
    assert!(masked("python manage.py migrate; exit 0", Phase::PreDeploy));
    assert!(masked(
        "npx prisma migrate deploy | tee /tmp/log",
        Phase::PreDeploy
    ));
    assert!(masked("rails db:migrate & sleep 1", Phase::PreDeploy));
    assert!(!masked(
        "set -o pipefail; npx prisma migrate deploy | tee /tmp/log",
        Phase::PreDeploy
    ));
    assert!(!masked(
        "bash -ec 'alembic upgrade head; echo done'",
        Phase::PreDeploy
    ));
    assert!(!masked(
        "alembic upgrade head && gunicorn app",
        Phase::Startup
    ));
    assert!(!masked(
        "if alembic upgrade head; then echo ok; else exit 1; fi",
        Phase::PreDeploy
    ));
    // At process start the process keeps running: a warning.
    assert_eq!(
        lint(Phase::Startup, "alembic upgrade head; gunicorn app"),
        vec![
            ("release/masked-failure", Severity::Warning),
            ("release/migrate-on-start", Severity::Info)
        ]
    );
}

#[test]
fn help_and_read_only_commands_are_clean() {
    for cmd in [
        "alembic stamp --help",
        "alembic --help",
        "flyway clean -h",
        "prisma migrate status",
        "alembic current",
        "sqitch verify",
        "migrate -path /m -database $URL version",
    ] {
        assert_eq!(lint(Phase::PreDeploy, cmd), [], "{cmd}");
    }
}

#[test]
fn env_from_the_spec_is_seen_by_rules() {
    assert_eq!(
        lint_env(
            Phase::PreDeploy,
            "flyway migrate",
            &[("FLYWAY_BASELINE_ON_MIGRATE", "true")]
        ),
        vec![("flyway/baseline", Severity::Error)]
    );
    assert_eq!(
        ids(&lint_env(
            Phase::PreDeploy,
            "bin/rails db:migrate",
            &[("DISABLE_DATABASE_ENVIRONMENT_CHECK", "1")]
        )),
        ["rails/disable-environment-check"]
    );
    assert_eq!(
        lint_env(
            Phase::PreDeploy,
            "flyway migrate",
            &[("FLYWAY_CLEAN_DISABLED", "true")]
        ),
        []
    );
}

#[test]
fn tool_specific_negatives() {
    for cmd in [
        "prisma migrate dev --create-only",
        "typeorm migration:generate -d ds.js src/migrations/Add",
        "flask db migrate -m 'add table'",
        "python manage.py migrate --check",
        "python manage.py showmigrations",
        "liquibase status --verbose",
        "goose -dir db/migrations postgres $URL status",
        "make migrate",
        "npm run migrate",
    ] {
        assert_eq!(lint(Phase::PreDeploy, cmd), [], "`{cmd}`");
    }
}

#[test]
fn pinned_targets_are_possible_rollbacks() {
    assert_eq!(
        lint(Phase::PreDeploy, "dotnet ef database update AddOrders"),
        vec![("efcore/rollback", Severity::Warning)]
    );
    assert_eq!(
        lint(Phase::PreDeploy, "dotnet ef database update 0"),
        vec![("efcore/rollback", Severity::Error)]
    );
    assert_eq!(
        lint(Phase::PreDeploy, "python manage.py migrate shop 0003"),
        vec![("django/rollback", Severity::Warning)]
    );
    assert_eq!(
        lint(Phase::PreDeploy, "python manage.py migrate shop zero"),
        vec![("django/rollback", Severity::Error)]
    );
    assert_eq!(
        lint(Phase::PreDeploy, "rails db:migrate VERSION=0"),
        vec![("rails/rollback", Severity::Error)]
    );
}

#[test]
fn migrating_at_start_is_noted() {
    assert_eq!(
        lint(Phase::Startup, "alembic upgrade head && gunicorn app"),
        vec![("release/migrate-on-start", Severity::Info)]
    );
    assert_eq!(lint(Phase::Init, "alembic upgrade head"), []);
}
