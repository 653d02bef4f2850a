//! Sequelize CLI: `SequelizeMeta(name)`.

use super::{Action, Classified, Rule, RuleKind, Severity, Tool};
use crate::command::Invocation;

pub(super) static UNDO: Rule = Rule {
    id: "sequelize/undo",
    tool: Tool::Sequelize,
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`db:migrate:undo` moves the schema backwards",
    message: "undoes migrations, moving the schema backwards",
    explanation: "`db:migrate:undo` reverts the latest migration and `db:migrate:undo:all` every one (or \
down to `--to`). In a release step they run on every deploy.",
    fix: "Release steps run `sequelize db:migrate`; fix forward with a new migration.",
    examples: &["npx sequelize-cli db:migrate:undo:all"],
};

pub(super) static DROP: Rule = Rule {
    id: "sequelize/drop",
    tool: Tool::Sequelize,
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`sequelize db:drop` drops the database",
    message: "drops the database",
    explanation: "`db:drop` drops the database from the configuration of the current environment.",
    fix: "Remove `db:drop` from the release step.",
    examples: &["sequelize db:drop && sequelize db:create"],
};

pub(super) static RULES: &[&Rule] = &[&UNDO, &DROP];

pub(super) fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "sequelize" | "sequelize-cli") {
        return None;
    }
    let sub = inv
        .positionals(&[
            "--env",
            "--config",
            "--options-path",
            "--migrations-path",
            "--seeders-path",
            "--models-path",
            "--url",
            "--to",
            "--from",
            "--name",
            "--seed",
        ])
        .first()?
        .text
        .as_str();
    let c = |a| Classified::new(Tool::Sequelize, a);
    Some(match sub {
        "db:migrate" => c(Action::Apply),
        "db:migrate:undo" | "db:migrate:undo:all" => {
            c(Action::Rollback).hit_with(&UNDO, format!("`{sub}`"))
        }
        "db:drop" => c(Action::Destroy).hit(&DROP),
        "db:seed:undo" | "db:seed:undo:all" => {
            c(Action::Destroy).hit_with(&DROP, "seed data is deleted")
        }
        "db:migrate:status" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}
