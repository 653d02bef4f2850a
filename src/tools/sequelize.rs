//! Sequelize CLI: `SequelizeMeta(name)`.

use super::prelude::*;

pub(super) static UNDO: Rule = Rule {
    id: "sequelize/undo",
    owner: Owner::Tool(Tool(&TOOL)),
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
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`sequelize db:drop` drops the database",
    message: "drops the database",
    explanation: "`db:drop` drops the database from the configuration of the current environment.",
    fix: "Remove `db:drop` from the release step.",
    examples: &["sequelize db:drop && sequelize db:create"],
};

static RULES: &[&Rule] = &[&UNDO, &DROP];

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "sequelize" | "sequelize-cli") {
        return None;
    }
    let sub = inv.positionals(CLI.value_options).first()?.text.as_str();
    let c = |a| Classified::new(Tool(&TOOL), a);
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

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "sequelize",
    programs: &["sequelize", "sequelize-cli"],
    node_packages: &["sequelize-cli", "sequelize"],
    run_as: &["npx", "sequelize-cli"],
    subcommands: &[
        "db:migrate",
        "db:migrate:undo",
        "db:migrate:undo:all",
        "db:migrate:status",
    ],
    carried: &[
        "--env",
        "--config",
        "--migrations-path",
        "--options-path",
        "--url",
    ],
    value_options: &[
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
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "sequelize",
    name: "Sequelize",
    docs_url: "https://sequelize.org/docs/v6/other-topics/migrations/",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["npx sequelize-cli db:migrate"],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "sequelizemeta",
        columns: &["name"],
        entries: Entries::EachApplied,
        // No id and no timestamp: names are ordered timestamps.
        query: |t| t.select(&["name"], Some("name")),
        read: each_row_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["db:migrate"],
        unrecord: Unrecord::Rows(RowKey::Column("name")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["npx", "sequelize-cli"],
        step: Step::To {
            list: Lister::Command {
                args: |_| vec!["db:migrate:status".into()],
                parse: parse_status,
            },
            args: |_, t| vec!["db:migrate".into(), "--to".into(), t.name.clone()],
        },
        connect: |db, _| Connect::env("DATABASE_URL", spelling::conventional(&db.url)),
        driver: Some(&DRIVER),
    }),
};

/// The replay driver: the project loaded once, every revision applied in
/// one process (`drivers/sequelize.js`).
static DRIVER: Driver = Driver {
    runtime: Runtime::Node,
    file: "sequelize.cjs",
    source: include_str!("drivers/sequelize.js"),
    args: |_| Vec::new(),
};

/// `db:migrate:status` lines: `up 20240101000001-create-authors.js`, `down …`.
fn parse_status(out: &str) -> Vec<Target> {
    out.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("up" | "down"), Some(name), None) => Some(Target::new(name)),
                _ => None,
            }
        })
        .collect()
}
