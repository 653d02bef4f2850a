//! Knex: `knex_migrations` (names grouped by batch) and `knex_migrations_lock`.

use super::prelude::*;

pub(super) static ROLLBACK: Rule = Rule {
    id: "knex/rollback",
    owner: Owner::Tool(Tool(&TOOL)),
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
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`knex migrate:unlock` force-releases the migration lock",
    message: "force-releases `knex_migrations_lock`, even if another migration is running",
    explanation: "The lock keeps two migration runs apart. Unlocking before every deploy lets concurrent \
deploys or replicas migrate at the same time.",
    fix: "Unlock by hand after checking that no migration is running.",
    examples: &["knex migrate:unlock && knex migrate:latest"],
};

static RULES: &[&Rule] = &[&ROLLBACK, &UNLOCK];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "knex" {
        return None;
    }
    let sub = inv.positionals(CLI.value_options).first()?.text.as_str();
    let c = |a| Classified::new(Tool(&TOOL), a);
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

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "knex",
    programs: &["knex"],
    node_packages: &["knex"],
    run_as: &["npx", "knex"],
    subcommands: &[
        "migrate:latest",
        "migrate:up",
        "migrate:rollback",
        "migrate:down",
        "migrate:make",
        "migrate:list",
        "migrate:status",
        "migrate:unlock",
        "migrate:currentVersion",
    ],
    carried: &["--knexfile", "--env", "--migrations-directory", "--cwd"],
    value_options: &[
        "--knexfile",
        "--env",
        "--cwd",
        "--knexpath",
        "--specific",
        "--migrations-directory",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "knex",
    name: "Knex",
    docs_url: "https://knexjs.org/guide/migrations.html",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["npx knex migrate:latest"],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "knex_migrations",
        columns: &["batch"],
        companions: &["knex_migrations_lock"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["name"], Some("id")),
        read: each_row_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migrate:latest"],
        unrecord: Unrecord::Rows(RowKey::Column("name")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["npx", "knex"],
        step: Step::Next {
            args: |p| with_config(p, "--knexfile", &["migrate:up"]),
            done: &["Already up to date"],
        },
        connect: |db, _| Connect::env("DATABASE_URL", spelling::conventional(&db.url)),
        driver: Some(&DRIVER),
    }),
};

/// The replay driver: the project loaded once, every revision applied in
/// one process (`drivers/knex.js`).
static DRIVER: Driver = Driver {
    runtime: Runtime::Node,
    file: "knex.cjs",
    source: include_str!("drivers/knex.js"),
    args: |p| with_config(p, "--knexfile", &[]),
};
