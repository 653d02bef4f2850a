//! dbmate: `schema_migrations(version)` only; `dump` appends the version
//! inserts to `schema.sql`, so `load` stamps every dumped version.

use super::prelude::*;

pub(super) static LOAD: Rule = Rule {
    id: "dbmate/load",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`dbmate load` loads a schema dump and records its versions",
    message: "loads `schema.sql`, which inserts every dumped version into `schema_migrations`",
    explanation: "`dbmate dump` appends `INSERT INTO schema_migrations (version) VALUES …` to \
`db/schema.sql`, so `dbmate load` both creates the dumped schema and records every version in it. In a \
release step against an existing database it fails halfway or, on a database with a different schema, \
records versions whose changes never ran.",
    fix: "Release steps run `dbmate up` (or `dbmate migrate`).",
    examples: &["dbmate load"],
};

pub(super) static DROP: Rule = Rule {
    id: "dbmate/drop",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`dbmate drop` drops the database",
    message: "drops the database",
    explanation: "`dbmate drop` drops the database named in `DATABASE_URL`.",
    fix: "Remove `drop` from the release step.",
    examples: &["dbmate drop"],
};

pub(super) static ROLLBACK: Rule = Rule {
    id: "dbmate/rollback",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`dbmate rollback` moves the schema backwards",
    message: "rolls back the latest migration",
    explanation: "`dbmate rollback` (alias `down`) runs the `migrate:down` section of the latest migration. \
In a release step it undoes a migration on every deploy.",
    fix: "Release steps run `dbmate up`; fix forward with a new migration.",
    examples: &["dbmate rollback", "dbmate down"],
};

static RULES: &[&Rule] = &[&LOAD, &DROP, &ROLLBACK];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "dbmate" {
        return None;
    }
    let sub = inv.positionals(CLI.value_options).first()?.text.as_str();
    let c = |a| Classified::new(Tool(&TOOL), a);
    Some(match sub {
        "up" | "migrate" => c(Action::Apply),
        "load" => c(Action::Stamp).hit(&LOAD),
        "drop" => c(Action::Destroy).hit(&DROP),
        "rollback" | "down" => c(Action::Rollback).hit(&ROLLBACK),
        "status" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "dbmate",
    programs: &["dbmate"],
    images: &["amacneil/dbmate"],
    run_as: &["dbmate"],
    subcommands: &[
        "up", "migrate", "rollback", "down", "drop", "create", "load",
    ],
    carried: &["-d", "--migrations-dir", "-e", "--env", "--url", "-u"],
    value_options: &[
        "-u",
        "--url",
        "-e",
        "--env",
        "-d",
        "--migrations-dir",
        "-s",
        "--schema-file",
        "--migrations-table",
        "--env-file",
        "--wait-timeout",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "dbmate",
    name: "dbmate",
    docs_url: "https://github.com/amacneil/dbmate#commands",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["dbmate --wait up"],
    sql_folder: Some(SqlFolder {
        layout: Layout::Marked(&["-- migrate:up"]),
        up: |text| sql_folder::section(text, &["-- migrate:up"], &["-- migrate:down"]),
        id: sql_folder::same_id,
        checksum: None,
        ledger_ddl: |_| "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) PRIMARY KEY);",
    }),
    ledger: Some(LedgerDef {
        table: "schema_migrations",
        columns: &["version"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["version"], None),
        read: versions_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migrate"],
        unrecord: Unrecord::Rows(RowKey::Column("version")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Unsupported {
        instead: "dbmate applies every pending migration at once; its migrations are SQL files, which `preflight snapshot --expected db/migrations --shadow-url URL` replays one by one",
    },
};
