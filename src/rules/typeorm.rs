//! TypeORM: the `migrations(id, timestamp, name)` table; `--fake` writes or
//! deletes rows without running `up()`/`down()`.

use super::{Action, Classified, Rule, RuleKind, Severity, Tool};
use crate::command::Invocation;

pub(super) static FAKE: Rule = Rule {
    id: "typeorm/fake",
    tool: Tool::Typeorm,
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`migration:run --fake` records migrations without running them",
    message: "records migrations in the migrations table without running them",
    explanation: "`typeorm migration:run --fake` \"will add the migration to the migrations table without \
running it\"; `migration:revert --fake` removes the row without running `down()`. In a release step the \
table runs ahead of (or behind) the schema on every deploy.",
    fix: "Run `typeorm migration:run` without `--fake`.",
    examples: &["npx typeorm migration:run -d dist/data-source.js --fake"],
};

pub(super) static SCHEMA_SYNC: Rule = Rule {
    id: "typeorm/schema-sync",
    tool: Tool::Typeorm,
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`schema:sync` / `schema:drop` change the schema outside migrations",
    message: "changes the schema directly from entities, outside migrations",
    explanation: "`schema:sync` alters the database to match the entities, dropping columns that no longer \
exist in code, with their data; `schema:drop` drops every table. Neither is recorded in the migrations \
table.",
    fix: "Generate migrations with `migration:generate` and apply them with `migration:run`.",
    examples: &[
        "typeorm schema:sync -d dist/data-source.js",
        "typeorm schema:drop -d dist/data-source.js",
    ],
};

pub(super) static REVERT: Rule = Rule {
    id: "typeorm/revert",
    tool: Tool::Typeorm,
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`migration:revert` moves the schema backwards",
    message: "reverts the latest migration",
    explanation: "`migration:revert` runs the `down()` of the latest executed migration. In a release step \
it undoes a migration on every deploy.",
    fix: "Release steps run `migration:run`; fix forward with a new migration.",
    examples: &["typeorm migration:revert -d dist/data-source.js"],
};

pub(super) static PRINT_ONLY: Rule = Rule {
    id: "typeorm/print-only",
    tool: Tool::Typeorm,
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`schema:log` prints SQL and applies nothing",
    message: "only prints SQL; nothing is applied",
    explanation: "`schema:log` shows the SQL `schema:sync` would run. As the only migration command of a \
release step it applies nothing.",
    fix: "Run `typeorm migration:run` in the release step.",
    examples: &["typeorm schema:log -d dist/data-source.js"],
};

pub(super) static RULES: &[&Rule] = &[&FAKE, &SCHEMA_SYNC, &REVERT, &PRINT_ONLY];

pub(super) fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(
        inv.program.as_str(),
        "typeorm" | "typeorm-ts-node-commonjs" | "typeorm-ts-node-esm"
    ) {
        return None;
    }
    let sub = inv.positionals(&[
        "-d",
        "--dataSource",
        "--datasource",
        "-t",
        "--transaction",
        "-c",
        "--connection",
        "-f",
        "--config",
    ]);
    let sub = sub.first()?.text.as_str();
    let fake = inv.has_flag(&["--fake", "-f"])
        && !inv
            .args
            .iter()
            .any(|w| w.text == "-f" && sub == "migration:generate");
    let c = |a| Classified::new(Tool::Typeorm, a);
    Some(match sub {
        "migration:run" if fake => c(Action::Stamp).hit(&FAKE),
        "migration:run" => c(Action::Apply),
        "migration:revert" if fake => c(Action::Stamp).hit_with(
            &FAKE,
            "`migration:revert --fake` deletes the row without running `down()`",
        ),
        "migration:revert" => c(Action::Rollback).hit(&REVERT),
        "schema:sync" => c(Action::CreateSchema).hit(&SCHEMA_SYNC),
        "schema:drop" => c(Action::Destroy).hit(&SCHEMA_SYNC),
        "schema:log" => c(Action::PrintOnly).hit(&PRINT_ONLY),
        "migration:show" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}
