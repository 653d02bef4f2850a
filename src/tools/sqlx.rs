//! sqlx-cli: `_sqlx_migrations` with a SHA-384 checksum and a success flag.

use super::prelude::*;
use sha2::Digest;

pub(super) static DATABASE_RESET: Rule = Rule {
    id: "sqlx/database-reset",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`sqlx database drop` / `reset` drops the database",
    message: "drops the database",
    explanation: "`sqlx database drop` drops the database (`-f` terminates connections first) and \
`sqlx database reset` drops, recreates and migrates it. With `-y` there is no prompt.",
    fix: "Release steps run `sqlx migrate run`.",
    examples: &["sqlx database reset -y", "sqlx database drop -y -f"],
};

pub(super) static REVERT: Rule = Rule {
    id: "sqlx/revert",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`sqlx migrate revert` moves the schema backwards",
    message: "reverts migrations, moving the schema backwards",
    explanation: "`sqlx migrate revert` runs the down script of the latest migration; with \
`--target-version 0` it reverts all of them.",
    fix: "Release steps run `sqlx migrate run`; fix forward with a new migration.",
    examples: &["sqlx migrate revert --target-version 0"],
};

pub(super) static DRY_RUN: Rule = Rule {
    id: "sqlx/dry-run",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`sqlx migrate run --dry-run` applies nothing",
    message: "only lists the migrations it would run; nothing is applied",
    explanation: "`--dry-run` lists the migrations to be run without applying them. As the only migration \
command of a release step it leaves every migration pending.",
    fix: "Drop `--dry-run`.",
    examples: &["sqlx migrate run --dry-run"],
};

pub(super) static IGNORE_MISSING: Rule = Rule {
    id: "sqlx/ignore-missing",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`--ignore-missing` accepts applied migrations that no longer exist",
    message: "ignores applied migrations that are missing from the migrations directory",
    explanation: "Without the flag, sqlx refuses to run when the database has applied migrations the \
binary does not know (`VersionMissing`), which catches deploying an older build against a newer \
database. `--ignore-missing` turns that check off.",
    fix: "Remove `--ignore-missing`; deploy a build that contains every applied migration.",
    examples: &["sqlx migrate run --ignore-missing"],
};

static RULES: &[&Rule] = &[&DATABASE_RESET, &REVERT, &DRY_RUN, &IGNORE_MISSING];

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "sqlx" | "cargo-sqlx") {
        return None;
    }
    let pos = inv.positionals(CLI.value_options);
    let words: Vec<&str> = pos.iter().map(|w| w.text.as_str()).collect();
    let c = |a| Classified::new(Tool(&TOOL), a);
    let mut cl = match words.as_slice() {
        ["migrate", "run", ..] if inv.has_flag(&["--dry-run"]) => {
            c(Action::PrintOnly).hit(&DRY_RUN)
        }
        ["migrate", "run", ..] => c(Action::Apply),
        ["migrate", "revert", ..] if inv.has_flag(&["--dry-run"]) => c(Action::PrintOnly),
        ["migrate", "revert", ..] => c(Action::Rollback).hit(&REVERT),
        ["migrate", "info", ..] => c(Action::ReadOnly),
        ["database", "drop" | "reset", ..] => c(Action::Destroy).hit(&DATABASE_RESET),
        ["database", "setup", ..] => c(Action::Apply),
        _ => c(Action::Other),
    };
    if inv.has_flag(&["--ignore-missing"]) {
        cl = cl.hit(&IGNORE_MISSING);
    }
    Some(cl)
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "sqlx",
    programs: &["sqlx"],
    run_as: &["sqlx"],
    subcommands: &["migrate"],
    carried: &["--source", "-D", "--database-url"],
    value_options: &[
        "--source",
        "--database-url",
        "-D",
        "--target-version",
        "--connect-timeout",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "sqlx",
    name: "sqlx-cli",
    docs_url: "https://github.com/launchbadge/sqlx/blob/main/sqlx-cli/README.md",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["sqlx migrate run"],
    sql_folder: Some(SqlFolder {
        layout: Layout::Versioned,
        up: sql_folder::whole,
        id: sql_folder::numeric_id,
        checksum: Some(|sql| sql_folder::hex(&sha2::Sha384::digest(sql.as_bytes()))),
        ledger_ddl: |engine| match engine {
            Engine::Postgres => "CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMPTZ NOT NULL DEFAULT now(), success BOOLEAN NOT NULL, checksum BYTEA NOT NULL, execution_time BIGINT NOT NULL);",
            _ => "CREATE TABLE IF NOT EXISTS _sqlx_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, success BOOLEAN NOT NULL, checksum BLOB NOT NULL, execution_time BIGINT NOT NULL);",
        },
    }),
    ledger: Some(LedgerDef {
        table: "_sqlx_migrations",
        columns: &["checksum"],
        entries: Entries::EachApplied,
        query: |t| {
            format!(
                "SELECT {}, {}, {} FROM {} ORDER BY {}",
                t.text("version"),
                t.text("success"),
                t.hex("checksum"),
                t.from(),
                t.col("version")
            )
        },
        read: read_ledger,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migrate", "run"],
        unrecord: Unrecord::Rows(RowKey::Column("version")),
        dirty: Dirty::Rows(RowKey::Column("version")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Unsupported {
        instead: "sqlx's migrations are SQL files, which `preflight snapshot --expected migrations --shadow-url URL` replays one by one",
    },
};

/// `success = false` is sqlx's dirty marker; checksums are SHA-384 in hex.
fn read_ledger(l: &mut Ledger, rows: &[Row]) {
    for r in rows {
        let v = field(r, 0).to_string();
        if !flag(r, 1) {
            l.dirty.push(v);
            continue;
        }
        l.checksums.insert(v.clone(), field(r, 2).to_string());
        l.applied.push(v);
    }
    l.current = l.applied.last().cloned().into_iter().collect();
}
