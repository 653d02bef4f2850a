//! Knex: `knex_migrations` (names grouped by batch) and `knex_migrations_lock`.

use super::{Action, Classified, Rule, RuleKind, Severity, Tool};
use crate::command::Invocation;

pub(super) static ROLLBACK: Rule = Rule {
    id: "knex/rollback",
    tool: Tool::Knex,
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`knex migrate:rollback` / `migrate:down` moves the schema backwards",
    message: "rolls migrations back, moving the schema backwards",
    explanation: "`migrate:rollback` undoes the latest batch (`--all`: every batch) and `migrate:down` the \
latest migration. In a release step they undo migrations on every deploy.",
    fix: "Release steps run `knex migrate:latest`; fix forward with a new migration.",
    examples: &["knex migrate:rollback --all", "npx knex migrate:down"],
};

pub(super) static UNLOCK: Rule = Rule {
    id: "knex/unlock",
    tool: Tool::Knex,
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`knex migrate:unlock` force-releases the migration lock",
    message: "force-releases `knex_migrations_lock`, even if another migration is running",
    explanation: "The lock keeps two migration runs apart. Unlocking before every deploy lets concurrent \
deploys or replicas migrate at the same time.",
    fix: "Unlock by hand after checking that no migration is running.",
    examples: &["knex migrate:unlock && knex migrate:latest"],
};

pub(super) static RULES: &[&Rule] = &[&ROLLBACK, &UNLOCK];

pub(super) fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "knex" {
        return None;
    }
    let sub = inv
        .positionals(&[
            "--knexfile",
            "--env",
            "--cwd",
            "--knexpath",
            "--specific",
            "--migrations-directory",
        ])
        .first()?
        .text
        .as_str();
    let c = |a| Classified::new(Tool::Knex, a);
    Some(match sub {
        "migrate:latest" | "migrate:up" => c(Action::Apply),
        "migrate:rollback" | "migrate:down" => {
            c(Action::Rollback).hit_with(&ROLLBACK, format!("`{sub}`"))
        }
        "migrate:unlock" => c(Action::Other).hit(&UNLOCK),
        "migrate:status" | "migrate:list" | "migrate:currentVersion" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}
