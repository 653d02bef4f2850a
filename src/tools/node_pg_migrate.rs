//! node-pg-migrate: the `pgmigrations(id, name, run_on)` table.

use super::prelude::*;

/// Options that take a value: they say where the migrations, the ledger and
/// the connection are, so a repair plan's steps carry them too.
const VALUE_OPTIONS: &[&str] = &[
    "-m",
    "--migrations-dir",
    "-t",
    "--migrations-table",
    "-s",
    "--schema",
    "--migrations-schema",
    "-d",
    "--database-url-var",
    "-f",
    "--config-file",
    "-j",
    "--migration-file-language",
    "--tsconfig",
    "--envPath",
];

pub(super) static FAKE: Rule = Rule {
    id: "node-pg-migrate/fake",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`--fake` marks migrations as run without running them",
    message: "marks migrations as run in `pgmigrations` without running them",
    explanation: "`node-pg-migrate up --fake` will \"mark migrations as run without actually performing them \
(use with caution!)\"; on `down` it removes rows without running the down migration.",
    fix: "Run `node-pg-migrate up` without `--fake`.",
    examples: &["node-pg-migrate up --fake"],
};

pub(super) static DOWN: Rule = Rule {
    id: "node-pg-migrate/down",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`node-pg-migrate down` / `redo` moves the schema backwards",
    message: "runs down migrations, moving the schema backwards",
    explanation: "`down [N]` rolls back migrations and `redo` rolls back and reapplies them. In a release step \
they run on every deploy.",
    fix: "Release steps run `node-pg-migrate up`; fix forward with a new migration.",
    examples: &["node-pg-migrate down 2", "npx node-pg-migrate redo"],
};

pub(super) static DRY_RUN: Rule = Rule {
    id: "node-pg-migrate/dry-run",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`--dry-run` prints SQL and applies nothing",
    message: "only prints the SQL it would run; nothing is applied",
    explanation: "With `--dry-run` node-pg-migrate prints the SQL and does not run it. As the only migration \
command of a release step it leaves every migration pending.",
    fix: "Drop `--dry-run`.",
    examples: &["node-pg-migrate up --dry-run"],
};

pub(super) static UNSAFE: Rule = Rule {
    id: "node-pg-migrate/unsafe-flags",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`--no-lock` / `--no-check-order` disable node-pg-migrate's safety checks",
    message: "disables a safety check of node-pg-migrate",
    explanation: "`--no-lock` lets two runs migrate at once (two replicas, two deploys); \
`--no-check-order` applies migrations older than already-applied ones, so databases end up built in \
different orders.",
    fix: "Remove the flag; renumber out-of-order migrations instead.",
    examples: &[
        "node-pg-migrate up --no-lock",
        "node-pg-migrate up --no-check-order",
    ],
};

static RULES: &[&Rule] = &[&FAKE, &DOWN, &DRY_RUN, &UNSAFE];

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "node-pg-migrate" | "pg-migrate") {
        return None;
    }
    let sub = inv
        .positionals(VALUE_OPTIONS)
        .first()
        .map(|w| w.text.as_str())
        .unwrap_or("up");
    let c = |a| Classified::new(Tool(&TOOL), a);
    let mut cl = match sub {
        _ if inv.has_flag(&["--dry-run"]) => c(Action::PrintOnly).hit(&DRY_RUN),
        "up" if inv.has_flag(&["--fake"]) => c(Action::Stamp).hit(&FAKE),
        "up" => c(Action::Apply),
        "down" | "redo" if inv.has_flag(&["--fake"]) => c(Action::Stamp).hit(&FAKE),
        "down" | "redo" => c(Action::Rollback).hit_with(&DOWN, format!("`{sub}`")),
        _ => c(Action::Other),
    };
    if inv.has_flag(&["--no-lock"]) {
        cl = cl.hit_with(&UNSAFE, "`--no-lock`");
    }
    if inv.has_flag(&["--no-check-order"]) {
        cl = cl.hit_with(&UNSAFE, "`--no-check-order`");
    }
    Some(cl)
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "node-pg-migrate",
    programs: &["node-pg-migrate"],
    node_packages: &["node-pg-migrate"],
    run_as: &["npx", "node-pg-migrate"],
    subcommands: &["up", "down", "redo"],
    value_options: VALUE_OPTIONS,
    carried: VALUE_OPTIONS,
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "node-pg-migrate",
    name: "node-pg-migrate",
    docs_url: "https://salsita.github.io/node-pg-migrate/cli",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["node-pg-migrate up"],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "pgmigrations",
        columns: &["run_on"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["name"], Some("id")),
        read: each_row_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        // Where the migrations and the ledger are: every step needs them.
        apply: &["up"],
        unrecord: Unrecord::Rows(RowKey::Column("name")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["npx", "node-pg-migrate"],
        step: Step::Next {
            args: |_| vec!["up".into(), "1".into()],
            done: &["No migrations to run"],
        },
        connect: |db, _| Connect::env("DATABASE_URL", spelling::conventional(&db.url)),
        driver: Some(&DRIVER),
    }),
};

/// The replay driver: the project loaded once, every revision applied in
/// one process (`drivers/node_pg_migrate.js`).
static DRIVER: Driver = Driver {
    runtime: Runtime::Node,
    file: "node_pg_migrate.cjs",
    source: include_str!("drivers/node_pg_migrate.js"),
    args: |_| Vec::new(),
};
