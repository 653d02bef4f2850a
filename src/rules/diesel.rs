//! Diesel: `__diesel_schema_migrations(version, run_on)`.

use super::{Action, Classified, Rule, RuleKind, Severity, Tool};
use crate::command::Invocation;

pub(super) static REVERT: Rule = Rule {
    id: "diesel/revert",
    tool: Tool::Diesel,
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`diesel migration revert` / `redo` moves the schema backwards",
    message: "reverts migrations, moving the schema backwards",
    explanation: "`migration revert` runs `down.sql` of the latest migration (`--all`, `-n N`); `redo` \
reverts and reapplies. In a release step they run on every deploy.",
    fix: "Release steps run `diesel migration run`; fix forward with a new migration.",
    examples: &["diesel migration revert --all", "diesel migration redo"],
};

pub(super) static DATABASE_RESET: Rule = Rule {
    id: "diesel/database-reset",
    tool: Tool::Diesel,
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`diesel database reset` drops and recreates the database",
    message: "drops the database, recreates it and runs every migration",
    explanation: "`diesel database reset` drops the database, creates it again and runs all migrations: all \
data is lost.",
    fix: "Release steps run `diesel migration run`.",
    examples: &["diesel database reset"],
};

pub(super) static RULES: &[&Rule] = &[&REVERT, &DATABASE_RESET];

pub(super) fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "diesel" {
        return None;
    }
    let pos = inv.positionals(&[
        "--database-url",
        "--migration-dir",
        "--config-file",
        "-n",
        "--number",
    ]);
    let words: Vec<&str> = pos.iter().map(|w| w.text.as_str()).collect();
    let c = |a| Classified::new(Tool::Diesel, a);
    Some(match words.as_slice() {
        ["migration", "run", ..] | ["setup", ..] => c(Action::Apply),
        ["migration", "revert" | "redo", ..] => c(Action::Rollback).hit(&REVERT),
        ["database", "reset", ..] | ["database", "drop", ..] => {
            c(Action::Destroy).hit(&DATABASE_RESET)
        }
        ["migration", "pending" | "list", ..] => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}
