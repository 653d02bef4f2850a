//! goose: `goose_db_version` rows with `is_applied`; `-no-versioning` applies
//! migrations without recording them at all.

use super::{Action, Classified, Rule, RuleKind, Severity, Tool};
use crate::command::Invocation;

pub(super) static RESET: Rule = Rule {
    id: "goose/reset",
    tool: Tool::Goose,
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
    tool: Tool::Goose,
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
    tool: Tool::Goose,
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
    tool: Tool::Goose,
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`-allow-missing` applies migrations out of order",
    message: "applies missing (out-of-order) migrations",
    explanation: "By default goose refuses to apply a migration older than the latest applied one. \
`-allow-missing` applies it anyway, so the order the schema was built in differs between databases.",
    fix: "Renumber the migration after the latest applied one, or apply it once by hand.",
    examples: &["goose -allow-missing up"],
};

pub(super) static RULES: &[&Rule] = &[&RESET, &DOWN, &NO_VERSIONING, &ALLOW_MISSING];

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

pub(super) fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "goose" {
        return None;
    }
    let pos = inv.positionals(&[
        "-dir",
        "--dir",
        "-table",
        "--table",
        "-certfile",
        "-ssl-cert",
        "-ssl-key",
        "-timeout",
        "-s",
    ]);
    // `goose DRIVER DBSTRING COMMAND` or `goose COMMAND` with GOOSE_DRIVER/GOOSE_DBSTRING.
    let sub = match pos.first().map(|w| w.text.as_str()) {
        Some(d) if DRIVERS.contains(&d) => pos.get(2).map(|w| w.text.as_str()),
        other => other,
    }?;
    let c = |a| Classified::new(Tool::Goose, a);
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
