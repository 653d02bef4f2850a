//! Diesel: `__diesel_schema_migrations(version, run_on)`.

use super::prelude::*;

pub(super) static REVERT: Rule = Rule {
    id: "diesel/revert",
    owner: Owner::Tool(Tool(&TOOL)),
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
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`diesel database reset` drops and recreates the database",
    message: "drops the database, recreates it and runs every migration",
    explanation: "`diesel database reset` drops the database, creates it again and runs all migrations: all \
data is lost.",
    fix: "Release steps run `diesel migration run`.",
    examples: &["diesel database reset"],
};

static RULES: &[&Rule] = &[&REVERT, &DATABASE_RESET];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "diesel" {
        return None;
    }
    let pos = inv.positionals(CLI.value_options);
    let words: Vec<&str> = pos.iter().map(|w| w.text.as_str()).collect();
    let c = |a| Classified::new(Tool(&TOOL), a);
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

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "diesel",
    programs: &["diesel"],
    run_as: &["diesel"],
    subcommands: &["migration", "database", "setup"],
    carried: &["--migration-dir", "--config-file"],
    value_options: &[
        "--database-url",
        "--migration-dir",
        "--config-file",
        "-n",
        "--number",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "diesel",
    name: "Diesel",
    docs_url: "https://diesel.rs/guides/getting-started",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["diesel migration run"],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "__diesel_schema_migrations",
        columns: &["version"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["version"], None),
        read: versions_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migration", "run"],
        unrecord: Unrecord::Rows(RowKey::Column("version")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Unsupported {
        instead: "`diesel migration run` applies every pending migration at once; record the schema after each revision with `preflight snapshot --revision R` on a database migrated that far",
    },
};
