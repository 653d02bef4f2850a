//! golang-migrate: a single `schema_migrations(version, dirty)` row; `force`
//! sets it to anything and clears the dirty flag.

use super::{Action, Classified, Rule, RuleKind, Severity, Tool};
use crate::command::Invocation;

pub(super) static FORCE: Rule = Rule {
    id: "golang-migrate/force",
    tool: Tool::GolangMigrate,
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`migrate force V` sets the version without running migrations",
    message: "sets the recorded version and clears the dirty flag without running any migration",
    explanation: "`migrate force V` \"sets a migration version, but doesn't run migration (ignores dirty \
state)\". It is the documented way out of `Dirty database version N` — after a person has checked what \
the failed migration left behind. In a release step (or a nightly CronJob) it blindly marks a \
half-applied migration as done: the schema is whatever the failure left.",
    fix: "Investigate a dirty database by hand, repair the schema, then force the right version once. \
Release steps run `migrate … up`.",
    examples: &["migrate -path /migrations -database $DATABASE_URL force 12"],
};

pub(super) static DROP: Rule = Rule {
    id: "golang-migrate/drop",
    tool: Tool::GolangMigrate,
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`migrate drop` drops everything in the database",
    message: "drops everything inside the database",
    explanation: "`migrate drop` \"drops everything inside database\"; `-f` skips the confirmation.",
    fix: "Remove `drop` from the release step.",
    examples: &["migrate -database $DATABASE_URL drop -f"],
};

pub(super) static DOWN: Rule = Rule {
    id: "golang-migrate/down",
    tool: Tool::GolangMigrate,
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`migrate down` / `goto` moves the schema backwards",
    message: "applies down migrations, moving the schema backwards",
    explanation: "`migrate down [N]` and `down -all` run down migrations; `goto V` goes down when V is below \
the current version, so a version pinned in a spec becomes a rollback as soon as newer migrations ship.",
    fix: "Release steps run `migrate … up`; fix forward with a new migration.",
    examples: &[
        "migrate -path db/migrations -database $DATABASE_URL down -all",
        "migrate -path db -database $URL goto 7",
    ],
};

pub(super) static RULES: &[&Rule] = &[&FORCE, &DROP, &DOWN];

const VALUE_OPTIONS: &[&str] = &[
    "-path",
    "--path",
    "-database",
    "--database",
    "-source",
    "--source",
    "-lock-timeout",
    "--lock-timeout",
    "-prefetch",
    "--prefetch",
];

pub(super) fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "migrate" | "golang-migrate") {
        return None;
    }
    let pos = inv.positionals(VALUE_OPTIONS);
    let sub = pos.first()?.text.as_str();
    let c = |a| Classified::new(Tool::GolangMigrate, a);
    Some(match sub {
        "up" => c(Action::Apply),
        "force" => {
            let v = pos.get(1).map(|w| w.text.as_str()).unwrap_or("");
            c(Action::Stamp).hit_with(&FORCE, format!("to version {v}"))
        }
        "drop" => c(Action::Destroy).hit(&DROP),
        "down" => c(Action::Rollback).hit(&DOWN),
        "goto" => c(Action::Apply).maybe(
            &DOWN,
            Severity::Warning,
            "`goto` goes down when the target is below the current version",
        ),
        "version" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}
