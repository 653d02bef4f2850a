//! Flyway: `flyway_schema_history` with checksums and a success flag; a
//! BASELINE row makes everything below it count as applied.

use super::prelude::*;

pub(super) static CLEAN: Rule = Rule {
    id: "flyway/clean",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`flyway clean` drops every object in the configured schemas",
    message: "drops all objects in the configured schemas",
    explanation: "`flyway clean` \"drops all objects (tables, views, procedures, triggers, …) in the \
configured schemas\" and Flyway's documentation adds \"do not use against your production DB\". Since \
Flyway 9 it is disabled unless `cleanDisabled=false`; `cleanOnValidationError=true` runs it automatically \
whenever validation fails. In a release step either one wipes production.",
    fix: "Remove `clean`, `-cleanDisabled=false` and `-cleanOnValidationError=true` from the step and its \
environment (`FLYWAY_CLEAN_DISABLED`, `FLYWAY_CLEAN_ON_VALIDATION_ERROR`).",
    examples: &[
        "flyway clean -cleanDisabled=false",
        "flyway migrate -cleanOnValidationError=true",
    ],
};

pub(super) static BASELINE: Rule = Rule {
    id: "flyway/baseline",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`flyway baseline` / `baselineOnMigrate` records versions as applied without running them",
    message: "records a baseline: every migration up to it counts as applied without running",
    explanation: "`flyway baseline` writes a BASELINE row into `flyway_schema_history`; every migration at \
or below the baseline version is then \"Below Baseline\" and never runs. `-baselineOnMigrate=true` does \
the same automatically whenever `migrate` meets a non-empty schema without history — for example a \
database restored without its history table, or the wrong schema. In a release step this stamps \
instead of migrating, exactly like `alembic stamp`.",
    fix: "Baseline an existing database once, by hand, with the version that matches its schema \
(check with `preflight verify`). Release steps run `flyway migrate` without baseline options.",
    examples: &[
        "flyway baseline -baselineVersion=5",
        "flyway migrate -baselineOnMigrate=true",
    ],
};

pub(super) static SKIP_EXECUTING: Rule = Rule {
    id: "flyway/skip-executing-migrations",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`-skipExecutingMigrations=true` records migrations without running them",
    message: "updates the schema history without executing the migrations",
    explanation: "With `skipExecutingMigrations` (Flyway Teams), `migrate` \"skips executing the contents of \
the migrations … instead just updating the schema history table\". It is the closest Flyway has to \
`alembic stamp`.",
    fix: "Remove the option from release steps; apply migrations with a plain `flyway migrate`.",
    examples: &["flyway migrate -skipExecutingMigrations=true"],
};

pub(super) static REPAIR: Rule = Rule {
    id: "flyway/repair",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Warning,
    title: "`flyway repair` rewrites the schema history in a release step",
    message: "rewrites `flyway_schema_history` (removes failed rows, realigns checksums)",
    explanation: "`flyway repair` deletes failed migration rows, realigns checksums of edited migrations \
and marks missing ones deleted. It touches only the ledger. Run on every deploy it hides failed \
migrations and edited files that `validate` exists to catch.",
    fix: "Repair by hand after investigating the failure; keep `repair` out of release steps.",
    examples: &["flyway repair && flyway migrate"],
};

pub(super) static UNDO: Rule = Rule {
    id: "flyway/undo",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`flyway undo` rolls back the last migration",
    message: "runs undo scripts, moving the schema backwards",
    explanation: "`flyway undo` (Teams) runs the `U` script of the latest versioned migration. In a release \
step it moves the schema backwards on every deploy.",
    fix: "Remove `undo` from the release step; fix forward with a new migration.",
    examples: &["flyway undo"],
};

pub(super) static DRY_RUN: Rule = Rule {
    id: "flyway/dry-run",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`-dryRunOutput` writes SQL instead of applying it",
    message: "writes the SQL to a file instead of executing it",
    explanation: "With `-dryRunOutput` (Teams), `migrate` writes the SQL it would run to a file and applies \
nothing. As the only migration command of a release step it leaves every migration pending.",
    fix: "Remove `-dryRunOutput` from the release step.",
    examples: &["flyway migrate -dryRunOutput=/tmp/plan.sql"],
};

pub(super) static UNSAFE_VALIDATION: Rule = Rule {
    id: "flyway/unsafe-validation",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "Flyway options that skip validation or allow out-of-order migrations",
    message: "weakens Flyway's validation of the schema history",
    explanation: "`-validateOnMigrate=false` skips checksum validation, so edited migrations go unnoticed; \
`-outOfOrder=true` applies migrations older than the latest applied one; \
`-ignoreMigrationPatterns=*:missing` accepts history rows with no migration file. Each one lets the \
ledger and the migration files disagree without an error.",
    fix: "Remove the option; resolve the underlying mismatch once, by hand.",
    examples: &[
        "flyway migrate -validateOnMigrate=false",
        "flyway migrate -outOfOrder=true",
    ],
};

static RULES: &[&Rule] = &[
    &CLEAN,
    &BASELINE,
    &SKIP_EXECUTING,
    &REPAIR,
    &UNDO,
    &DRY_RUN,
    &UNSAFE_VALIDATION,
];

/// A Flyway setting from `-name=value` arguments or `FLYWAY_*` environment variables.
fn setting<'a>(inv: &'a Invocation, name: &str, env: &str) -> Option<&'a str> {
    let flag = format!("-{name}=");
    inv.arg_texts()
        .find_map(|a| a.strip_prefix(flag.as_str()))
        .or_else(|| inv.env_var(env))
}

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "flyway" | "flyway.cmd") {
        return None;
    }
    // Flyway options are `-key=value` and never take a separate value.
    let sub = inv.positionals(&[]).first().map(|w| w.text.as_str())?;
    let on = |name, env| setting(inv, name, env).is_some_and(util::truthy);
    let off = |name, env| setting(inv, name, env).is_some_and(util::falsy);
    let c = |a| Classified::new(Tool(&TOOL), a);
    let mut cl = match sub {
        "migrate" if setting(inv, "dryRunOutput", "FLYWAY_DRY_RUN_OUTPUT").is_some() => {
            c(Action::PrintOnly).hit(&DRY_RUN)
        }
        "migrate"
            if on(
                "skipExecutingMigrations",
                "FLYWAY_SKIP_EXECUTING_MIGRATIONS",
            ) =>
        {
            c(Action::Stamp).hit(&SKIP_EXECUTING)
        }
        "migrate" => c(Action::Apply),
        "baseline" => c(Action::Stamp).hit(&BASELINE),
        "clean" => c(Action::Destroy).hit(&CLEAN),
        "repair" => c(Action::Stamp).hit(&REPAIR),
        "undo" => c(Action::Rollback).hit(&UNDO),
        "info" | "validate" | "check" => c(Action::ReadOnly),
        _ => c(Action::Other),
    };
    if sub == "migrate" && on("baselineOnMigrate", "FLYWAY_BASELINE_ON_MIGRATE") {
        cl = cl.hit_with(
            &BASELINE,
            "`baselineOnMigrate` baselines any non-empty schema without history",
        );
    }
    if sub != "clean" && off("cleanDisabled", "FLYWAY_CLEAN_DISABLED") {
        cl = cl.hit_with(&CLEAN, "`cleanDisabled=false` enables `clean`");
    }
    if on("cleanOnValidationError", "FLYWAY_CLEAN_ON_VALIDATION_ERROR") {
        cl = cl.hit_with(
            &CLEAN,
            "`cleanOnValidationError=true` wipes the schema when validation fails",
        );
    }
    if off("validateOnMigrate", "FLYWAY_VALIDATE_ON_MIGRATE") {
        cl = cl.hit_with(&UNSAFE_VALIDATION, "`validateOnMigrate=false`");
    }
    if on("outOfOrder", "FLYWAY_OUT_OF_ORDER") {
        cl = cl.hit_with(&UNSAFE_VALIDATION, "`outOfOrder=true`");
    }
    if setting(
        inv,
        "ignoreMigrationPatterns",
        "FLYWAY_IGNORE_MIGRATION_PATTERNS",
    )
    .is_some_and(|v| v.contains("missing"))
        || on(
            "ignoreMissingMigrations",
            "FLYWAY_IGNORE_MISSING_MIGRATIONS",
        )
    {
        cl = cl.hit_with(&UNSAFE_VALIDATION, "missing migrations are ignored");
    }
    Some(cl)
}

/// Flyway's checksum of a migration: CRC32 over each line without its line
/// break, as a signed 32-bit number.
pub fn checksum(sql: &str) -> String {
    let mut h = crc32fast::Hasher::new();
    let sql = sql.strip_prefix('\u{feff}').unwrap_or(sql);
    for line in sql.lines() {
        h.update(line.as_bytes());
    }
    (h.finalize() as i32).to_string()
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "flyway",
    programs: &["flyway"],
    images: &["flyway/flyway", "redgate/flyway"],
    run_as: &["flyway"],
    subcommands: &[
        "migrate", "baseline", "repair", "validate", "info", "clean", "undo",
    ],
    carried: &["-configFiles", "-locations", "-schemas", "-table"],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "flyway",
    name: "Flyway",
    docs_url: "https://documentation.red-gate.com/fd/commands-277579284.html",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["flyway -url=jdbc:postgresql://db/app migrate"],
    sql_folder: Some(SqlFolder {
        layout: Layout::Prefixed {
            prefix: 'V',
            separator: "__",
        },
        up: sql_folder::whole,
        id: |v| v.replace('_', "."),
        checksum: Some(checksum),
        ledger_ddl: |engine| match engine {
            Engine::Postgres => "CREATE TABLE IF NOT EXISTS flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INTEGER, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INTEGER NOT NULL, success BOOLEAN NOT NULL);",
            _ => "CREATE TABLE IF NOT EXISTS flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY, version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL, script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL, installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_time INT NOT NULL, success BOOLEAN NOT NULL);",
        },
    }),
    ledger: Some(LedgerDef {
        table: "flyway_schema_history",
        columns: &["installed_rank"],
        entries: Entries::EachApplied,
        query: |t| {
            t.select(
                &["version", "type", "checksum", "success", "script"],
                Some("installed_rank"),
            )
        },
        read: read_ledger,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migrate"],
        unrecord: Unrecord::Rows(RowKey::Column("version")),
        dirty: Dirty::Command {
            args: |_, _| vec!["repair".into()],
            means: "remove the failed migration's row from flyway_schema_history (Flyway's `repair`), so that `migrate` runs it again",
        },
        accept_checksum: Some(Accept {
            args: &["repair"],
            means: "record the edited files' checksums as the applied ones (Flyway's `repair`): the edits themselves never run here",
        }),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["flyway"],
        step: Step::Next {
            args: |p| with_config(p, "-configFiles=", &["migrate", "-target=next"]),
            done: &["No migration necessary"],
        },
        connect: |db, _| {
            let (jdbc, user, password) = spelling::jdbc(&db.url, db.mariadb);
            let mut args = vec![format!("-url={jdbc}")];
            if !user.is_empty() {
                args.push(format!("-user={user}"));
            }
            if !password.is_empty() {
                args.push(format!("-password={password}"));
            }
            Connect {
                args,
                ..Connect::default()
            }
        },
        driver: None,
    }),
};

/// Failed rows are dirty; undo and delete markers remove a version; a
/// baseline is noted.
fn read_ledger(l: &mut Ledger, rows: &[Row]) {
    for r in rows {
        let version = field(r, 0);
        let kind = field(r, 1);
        if version.is_empty() {
            continue; // repeatable migrations have no version
        }
        if !flag(r, 3) {
            l.dirty.push(version.to_string());
            continue;
        }
        if kind == "BASELINE" {
            l.notes.push(format!(
                "baseline at version {version}: earlier migrations were never run by Flyway"
            ));
        }
        if matches!(kind, "DELETE" | "UNDO_SQL" | "UNDO_JDBC") {
            l.applied.retain(|v| v != version);
            continue;
        }
        if let Some(c) = r.get(2).cloned().flatten() {
            l.checksums.insert(version.to_string(), c);
        }
        l.applied.push(version.to_string());
    }
    l.current = l.applied.last().cloned().into_iter().collect();
}

#[cfg(test)]
mod tests {
    #[test]
    fn checksums_ignore_line_endings_and_a_byte_order_mark() {
        assert_eq!(super::checksum("a\nb\n"), super::checksum("a\r\nb"));
        assert_eq!(super::checksum("\u{feff}a\nb"), super::checksum("a\nb"));
    }
}
