//! goose: `goose_db_version` rows with `is_applied`; `-no-versioning` applies
//! migrations without recording them at all.

use super::prelude::*;
use std::collections::HashMap;

pub(super) static RESET: Rule = Rule {
    id: "goose/reset",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`goose reset` rolls back every migration",
    message: "rolls back all migrations",
    explanation: "`goose reset` runs every down migration, which usually drops every table with its data.",
    fix: "Remove `reset` from the release step.",
    examples: &["goose postgres $DATABASE_URL reset"],
};

pub(super) static DOWN: Rule = Rule {
    id: "goose/down",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`goose down` / `down-to` / `redo` moves the schema backwards",
    message: "runs down migrations, moving the schema backwards",
    explanation: "`goose down` rolls back the latest migration, `down-to V` every migration above V \
(`down-to 0`: all of them), `redo` rolls back and reapplies. In a release step they run on every deploy.",
    fix: "Release steps run `goose up`; fix forward with a new migration.",
    examples: &["goose down", "goose down-to 0"],
};

pub(super) static NO_VERSIONING: Rule = Rule {
    id: "goose/no-versioning",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`-no-versioning` applies migrations without recording them",
    message: "applies migrations without recording them in `goose_db_version`",
    explanation: "With `-no-versioning` goose runs migration files without reading or writing \
`goose_db_version` — the inverse of a stamp. Every deploy reapplies every file, and the ledger no longer \
says what the schema holds.",
    fix: "Remove `-no-versioning` (it is meant for seed data, not schema migrations).",
    examples: &["goose -no-versioning up"],
};

pub(super) static ALLOW_MISSING: Rule = Rule {
    id: "goose/allow-missing",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`-allow-missing` applies migrations out of order",
    message: "applies missing (out-of-order) migrations",
    explanation: "By default goose refuses to apply a migration older than the latest applied one. \
`-allow-missing` applies it anyway, so the order the schema was built in differs between databases.",
    fix: "Renumber the migration after the latest applied one, or apply it once by hand.",
    examples: &["goose -allow-missing up"],
};

static RULES: &[&Rule] = &[&RESET, &DOWN, &NO_VERSIONING, &ALLOW_MISSING];

const DRIVERS: &[&str] = &[
    "postgres",
    "mysql",
    "sqlite3",
    "sqlite",
    "mssql",
    "redshift",
    "tidb",
    "clickhouse",
    "vertica",
    "ydb",
    "turso",
    "starrocks",
];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "goose" {
        return None;
    }
    let pos = inv.positionals(CLI.value_options);
    // `goose DRIVER DBSTRING COMMAND` or `goose COMMAND` with GOOSE_DRIVER/GOOSE_DBSTRING.
    let sub = match pos.first().map(|w| w.text.as_str()) {
        Some(d) if DRIVERS.contains(&d) => pos.get(2).map(|w| w.text.as_str()),
        other => other,
    }?;
    let c = |a| Classified::new(Tool(&TOOL), a);
    let mut cl = match sub {
        "up" | "up-by-one" | "up-to" => c(Action::Apply),
        "reset" => c(Action::Destroy).hit(&RESET),
        "down" | "down-to" | "redo" => c(Action::Rollback).hit_with(&DOWN, format!("`{sub}`")),
        "status" | "version" | "validate" => c(Action::ReadOnly),
        _ => c(Action::Other),
    };
    if inv.has_flag(&["-no-versioning", "--no-versioning"]) {
        cl = cl.hit(&NO_VERSIONING);
    }
    if inv.has_flag(&["-allow-missing", "--allow-missing"]) {
        cl = cl.hit(&ALLOW_MISSING);
    }
    Some(cl)
}

/// The marker of a migration file's up section.
const UP: &[&str] = &["-- +goose Up", "-- +goose up"];

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "goose",
    programs: &["goose"],
    run_as: &["goose"],
    subcommands: &[
        "up",
        "up-by-one",
        "up-to",
        "down",
        "down-to",
        "redo",
        "reset",
        "status",
        "version",
        "fix",
    ],
    value_options: &[
        "-dir",
        "--dir",
        "-table",
        "--table",
        "-certfile",
        "-ssl-cert",
        "-ssl-key",
        "-timeout",
        "-s",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "goose",
    name: "goose",
    docs_url: "https://pressly.github.io/goose/documentation/",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["goose postgres $DATABASE_URL up"],
    sql_folder: Some(SqlFolder {
        layout: Layout::Marked(UP),
        up: |text| {
            sql_folder::section(text, UP, &["-- +goose Down", "-- +goose down"])
                .replace("-- +goose StatementBegin", "")
                .replace("-- +goose StatementEnd", "")
        },
        id: sql_folder::numeric_id,
        checksum: None,
        ledger_ddl: |engine| match engine {
            // goose's dialects (postgres, mysql, sqlite3).
            Engine::Postgres => "CREATE TABLE IF NOT EXISTS goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id));",
            Engine::Mysql => "CREATE TABLE IF NOT EXISTS goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL DEFAULT now(), PRIMARY KEY (id));",
            Engine::Sqlite => "CREATE TABLE IF NOT EXISTS goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT, version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));",
        },
    }),
    ledger: Some(LedgerDef {
        table: "goose_db_version",
        columns: &["version_id"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["version_id", "is_applied"], Some("id")),
        read: read_ledger,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["up"],
        unrecord: Unrecord::Rows(RowKey::Column("version_id")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["goose"],
        step: Step::Next {
            args: |_| vec!["up-by-one".into()],
            // `up-by-one` exits 1 when nothing is left.
            done: &["no next version found", "no migrations to run"],
        },
        connect: |db, _| {
            let (driver, dsn) = spelling::goose(&db.url);
            Connect {
                env: vec![
                    ("GOOSE_DRIVER".into(), driver.into()),
                    ("GOOSE_DBSTRING".into(), dsn),
                ],
                ..Connect::default()
            }
        },
        driver: None,
    }),
};

/// The latest row per version says whether it is applied; version 0 is
/// goose's initial marker.
fn read_ledger(l: &mut Ledger, rows: &[Row]) {
    let mut state: HashMap<String, bool> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for r in rows {
        let v = field(r, 0).to_string();
        if v == "0" {
            continue;
        }
        if !state.contains_key(&v) {
            order.push(v.clone());
        }
        state.insert(v, flag(r, 1));
    }
    l.applied = order
        .into_iter()
        .filter(|v| state.get(v) == Some(&true))
        .collect();
    sort_versions(&mut l.applied);
    l.current = l.applied.last().cloned().into_iter().collect();
}
