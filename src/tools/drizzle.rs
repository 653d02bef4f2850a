//! Drizzle Kit: `drizzle-kit migrate` applies the generated SQL migrations
//! and records each in `__drizzle_migrations` (schema `drizzle` on
//! PostgreSQL) by its hash and folder timestamp; `drizzle-kit push` makes the
//! database match the TypeScript schema directly, recording nothing.

use super::prelude::*;

pub(super) static PUSH: Rule = Rule {
    id: "drizzle/push",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Error,
    title: "`drizzle-kit push` changes the schema without migrations",
    message: "pushes the Drizzle schema directly, bypassing migrations and `__drizzle_migrations`",
    explanation: "`drizzle-kit push` compares the TypeScript schema with the database and applies the \
difference: no migration file, no ledger row. Statements that lose data (dropping a column or a table, \
truncating for a new unique constraint) are asked about interactively, and `--force` approves them all \
without asking. It is a prototyping command; in a release step the database drifts from the migration \
history, and a renamed column is one deploy away from being dropped and recreated empty.",
    fix: "Generate migrations with `drizzle-kit generate` during development and apply them with \
`drizzle-kit migrate` (or the `migrate()` function of drizzle-orm) in the release step.",
    examples: &[
        "npx drizzle-kit push --force",
        "drizzle-kit push",
        "drizzle-kit push:pg",
    ],
};

static RULES: &[&Rule] = &[&PUSH];

const VALUE_OPTIONS: &[&str] = &["--config", "--dialect", "--schema", "--out", "--url"];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "drizzle-kit" {
        return None;
    }
    let pos = inv.positionals(VALUE_OPTIONS);
    let c = |a| Classified::new(Tool(&TOOL), a);
    // Before 0.21 commands carried the dialect: `push:pg`, `generate:mysql`.
    let command = pos
        .first()
        .map(|w| w.text.split(':').next().unwrap_or_default().to_string());
    Some(match command.as_deref() {
        Some("migrate") => c(Action::Apply),
        Some("push") if inv.has_flag(&["--force"]) => c(Action::CreateSchema)
            .hit_with(&PUSH, "`--force` approves every data-loss statement without asking"),
        Some("push") => c(Action::CreateSchema).hit(&PUSH),
        Some("check" | "studio" | "introspect" | "pull") => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "drizzle-kit",
    programs: &["drizzle-kit"],
    node_packages: &["drizzle-kit"],
    run_as: &["npx", "drizzle-kit"],
    subcommands: &["migrate", "push", "generate", "check", "up", "drop"],
    value_options: VALUE_OPTIONS,
    carried: &["--config"],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "drizzle",
    name: "Drizzle Kit",
    docs_url: "https://orm.drizzle.team/docs/kit-overview",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["npx drizzle-kit migrate", "drizzle-kit migrate --config drizzle.config.ts"],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "__drizzle_migrations",
        columns: &["hash", "created_at"],
        entries: Entries::EachApplied,
        // A migration is known by its folder timestamp (the journal's `when`).
        query: |t| t.select(&["created_at"], Some("id")),
        read: each_row_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migrate"],
        unrecord: Unrecord::Rows(RowKey::Column("created_at")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Unsupported {
        instead: "`drizzle-kit migrate` applies every pending migration at once; verify against a snapshot of a database it migrated (`preflight snapshot --database-url URL -o expected.json`)",
    },
};
