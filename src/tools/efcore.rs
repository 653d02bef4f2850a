//! Entity Framework Core: `__EFMigrationsHistory(MigrationId, ProductVersion)`.

use super::prelude::*;

pub(super) static DATABASE_DROP: Rule = Rule {
    id: "efcore/database-drop",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`dotnet ef database drop` drops the database",
    message: "drops the database",
    explanation: "`dotnet ef database drop` drops the database; `--force` skips the confirmation.",
    fix: "Remove the command from the release step.",
    examples: &["dotnet ef database drop --force"],
};

pub(super) static ROLLBACK: Rule = Rule {
    id: "efcore/rollback",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`dotnet ef database update <migration>` can move the schema backwards",
    message: "updates to a fixed migration, which reverts every later one",
    explanation: "`dotnet ef database update 0` reverts every migration. With a named target it reverts all \
migrations after it; a target pinned in a spec becomes a rollback as soon as newer migrations ship. \
Bundles (`efbundle --target-migration`) behave the same.",
    fix: "Release steps run `dotnet ef database update` (or the bundle) without a target.",
    examples: &[
        "dotnet ef database update 0",
        "./efbundle --target-migration AddOrders",
    ],
};

pub(super) static SCRIPT_ONLY: Rule = Rule {
    id: "efcore/script-only",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`dotnet ef migrations script` writes SQL and applies nothing",
    message: "only generates a SQL script; nothing is applied",
    explanation: "`migrations script` generates SQL (optionally idempotent) and never connects to apply it. \
As the only migration command of a release step it leaves every migration pending.",
    fix: "Apply the script in the same step, or run `dotnet ef database update` / a migration bundle.",
    examples: &["dotnet ef migrations script --idempotent -o migrate.sql"],
};

static RULES: &[&Rule] = &[&DATABASE_DROP, &ROLLBACK, &SCRIPT_ONLY];

const VALUE_OPTIONS: &[&str] = &[
    "--connection",
    "-p",
    "--project",
    "-s",
    "--startup-project",
    "-c",
    "--context",
    "--configuration",
    "--framework",
    "--runtime",
    "-o",
    "--output",
    "--msbuildprojectextensionspath",
    "--target-migration",
];

fn classify(inv: &Invocation) -> Option<Classified> {
    let c = |a| Classified::new(Tool(&TOOL), a);
    if inv.program == "efbundle" || inv.program.ends_with("-efbundle") {
        return Some(match inv.flag_value(&["--target-migration"]) {
            Some(t) => c(Action::Apply).maybe(
                &ROLLBACK,
                Severity::Warning,
                format!("target `{t}` reverts every later migration once newer ones exist"),
            ),
            None => c(Action::Apply),
        });
    }
    if inv.program != "dotnet-ef" {
        return None;
    }
    let pos = inv.positionals(VALUE_OPTIONS);
    let words: Vec<&str> = pos.iter().map(|w| w.text.as_str()).collect();
    Some(match words.as_slice() {
        ["database", "update"] => c(Action::Apply),
        ["database", "update", "0", ..] => {
            c(Action::Rollback).hit_with(&ROLLBACK, "target `0` reverts every migration")
        }
        ["database", "update", target, ..] => c(Action::Apply).maybe(
            &ROLLBACK,
            Severity::Warning,
            format!("target `{target}` reverts every later migration once newer ones exist"),
        ),
        ["database", "drop", ..] => c(Action::Destroy).hit(&DATABASE_DROP),
        ["migrations", "script", ..] => c(Action::PrintOnly).hit(&SCRIPT_ONLY),
        ["migrations", "list", ..] | ["migrations", "has-pending-model-changes", ..] => {
            c(Action::ReadOnly)
        }
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "dotnet-ef",
    run_as: &["dotnet", "ef"],
    subcommands: &["database"],
    value_options: VALUE_OPTIONS,
    carried: &[
        "--project",
        "-p",
        "--startup-project",
        "-s",
        "--context",
        "-c",
        "--connection",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "efcore",
    name: "Entity Framework Core",
    docs_url: "https://learn.microsoft.com/ef/core/cli/dotnet",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &[
        "dotnet ef database update",
        "./efbundle --connection $CONNECTION",
    ],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "__efmigrationshistory",
        columns: &["migrationid"],
        entries: Entries::EachApplied,
        // Migration ids start with a timestamp: their order is the apply order.
        query: |t| t.select(&["migrationid"], Some("migrationid")),
        read: each_row_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["database", "update"],
        unrecord: Unrecord::Rows(RowKey::Column("migrationid")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["dotnet", "ef"],
        step: Step::To {
            list: Lister::Command {
                args: |_| vec!["migrations".into(), "list".into()],
                parse: parse_migrations_list,
            },
            args: |_, t| vec!["database".into(), "update".into(), t.id.clone()],
        },
        connect: |db, _| Connect {
            env: Vec::new(),
            args: Vec::new(),
            trailing: vec!["--connection".into(), spelling::ado_net(&db.url)],
        },
        driver: None,
    }),
};

/// `dotnet ef migrations list`: one migration id per line
/// (`20240101120000_Init`, possibly followed by ` (Pending)`).
fn parse_migrations_list(out: &str) -> Vec<Target> {
    out.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|id| {
            id.len() > 15
                && id[..14].bytes().all(|b| b.is_ascii_digit())
                && id.as_bytes()[14] == b'_'
        })
        .map(Target::new)
        .collect()
}
