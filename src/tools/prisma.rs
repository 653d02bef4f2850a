//! Prisma Migrate: `_prisma_migrations` keeps a checksum, start and finish
//! times; `migrate resolve` edits it without running anything.

use super::prelude::*;
use sha2::Digest;

pub(super) static RESOLVE: Rule = Rule {
    id: "prisma/resolve",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`prisma migrate resolve` marks migrations applied or rolled back without running them",
    message: "edits `_prisma_migrations` without running the migration",
    explanation: "`prisma migrate resolve --applied <name>` records a migration as applied without \
executing `migration.sql` (the baselining path); `--rolled-back` marks a failed migration as rolled back \
so `migrate deploy` retries it. Both are one-time repairs. In a release step they paper over every \
failure: the ledger says applied while the tables or columns are missing.",
    fix: "Run `prisma migrate deploy` in the release step. Resolve failed migrations by hand after \
inspecting the database (`prisma migrate status`, `preflight verify`).",
    examples: &[
        "npx prisma migrate resolve --applied 20240101000000_init",
        "prisma migrate resolve --rolled-back 20240312_add_orders",
    ],
};

pub(super) static RESET: Rule = Rule {
    id: "prisma/reset",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`prisma migrate reset` / `db push --force-reset` drops the database",
    message: "drops the database or schema and recreates it",
    explanation: "`prisma migrate reset` drops the database (or schema), reapplies every migration and runs \
seeds; `prisma db push --force-reset` resets before pushing. With `--force` there is no prompt. In a \
release step every deploy deletes all data.",
    fix: "Use `prisma migrate deploy` in release steps; reset only development databases.",
    examples: &[
        "npx prisma migrate reset --force",
        "prisma db push --force-reset",
    ],
};

pub(super) static DB_PUSH: Rule = Rule {
    id: "prisma/db-push",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Error,
    title: "`prisma db push` changes the schema without migrations",
    message: "pushes the Prisma schema directly, bypassing migrations and `_prisma_migrations`",
    explanation: "`prisma db push` makes the database match `schema.prisma` directly: no migration file, no \
ledger row, and with `--accept-data-loss` it drops columns and tables that would lose data without \
asking. It is a prototyping command; in a release step the database drifts from the migration history \
and data loss is one schema edit away.",
    fix: "Create migrations with `prisma migrate dev` during development and apply them with \
`prisma migrate deploy`.",
    examples: &["npx prisma db push --accept-data-loss", "prisma db push"],
};

pub(super) static MIGRATE_DEV: Rule = Rule {
    id: "prisma/migrate-dev",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Error,
    title: "`prisma migrate dev` is a development command",
    message: "is a development command: it can reset the database on drift and needs a shadow database",
    explanation: "`prisma migrate dev` creates migrations from schema changes, uses a shadow database, and \
when it detects drift it offers to reset the database. Non-interactively it fails or, worse, runs with \
whatever it decides. Production applies committed migrations with `migrate deploy`.",
    fix: "Use `prisma migrate deploy` in release steps.",
    examples: &["npx prisma migrate dev"],
};

pub(super) static PRINT_ONLY: Rule = Rule {
    id: "prisma/print-only",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`prisma migrate diff --script` prints SQL and applies nothing",
    message: "only prints a SQL diff; nothing is applied",
    explanation: "`prisma migrate diff … --script` prints the SQL between two schema states. As the only \
migration command of a release step it leaves every migration pending.",
    fix: "Run `prisma migrate deploy` in the release step.",
    examples: &[
        "npx prisma migrate diff --from-schema-datasource prisma/schema.prisma --to-schema-datamodel prisma/schema.prisma --script",
    ],
};

static RULES: &[&Rule] = &[&RESOLVE, &RESET, &DB_PUSH, &MIGRATE_DEV, &PRINT_ONLY];

const VALUE_OPTIONS: &[&str] = &[
    "--schema",
    "--name",
    "-n",
    "--applied",
    "--rolled-back",
    "--file",
    "--url",
    "--config",
];

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "prisma" | "prisma2") {
        return None;
    }
    let pos = inv.positionals(VALUE_OPTIONS);
    let words: Vec<&str> = pos.iter().map(|w| w.text.as_str()).collect();
    let c = |a| Classified::new(Tool(&TOOL), a);
    Some(match words.as_slice() {
        ["migrate", "deploy", ..] => c(Action::Apply),
        ["migrate", "resolve", ..] => {
            let which = if inv.has_flag(&["--applied"]) {
                "`--applied`"
            } else {
                "`--rolled-back`"
            };
            c(Action::Stamp).hit_with(&RESOLVE, which)
        }
        ["migrate", "reset", ..] => c(Action::Destroy).hit(&RESET),
        ["migrate", "dev", ..] if inv.has_flag(&["--create-only"]) => c(Action::Other),
        ["migrate", "dev", ..] => c(Action::Apply).hit(&MIGRATE_DEV),
        ["migrate", "diff", ..] if inv.has_flag(&["--script"]) => {
            c(Action::PrintOnly).hit(&PRINT_ONLY)
        }
        ["migrate", "status" | "diff", ..] => c(Action::ReadOnly),
        ["db", "push", ..] if inv.has_flag(&["--force-reset"]) => c(Action::Destroy).hit(&RESET),
        ["db", "push", ..] if inv.has_flag(&["--accept-data-loss"]) => c(Action::CreateSchema)
            .hit_with(&DB_PUSH, "`--accept-data-loss` drops data without asking"),
        ["db", "push", ..] => c(Action::CreateSchema).hit(&DB_PUSH),
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "prisma",
    programs: &["prisma"],
    node_packages: &["prisma"],
    run_as: &["npx", "prisma"],
    subcommands: &["migrate", "db"],
    value_options: VALUE_OPTIONS,
    carried: &["--schema"],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "prisma",
    name: "Prisma Migrate",
    docs_url: "https://www.prisma.io/docs/orm/reference/prisma-cli-reference",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["npx prisma migrate deploy"],
    sql_folder: Some(SqlFolder {
        layout: Layout::DirectoryPerMigration("migration.sql"),
        up: sql_folder::whole,
        id: sql_folder::same_id,
        checksum: Some(|sql| sql_folder::hex(&sha2::Sha256::digest(sql.as_bytes()))),
        ledger_ddl: |engine| match engine {
            Engine::Postgres => "CREATE TABLE IF NOT EXISTS _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ, migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ, started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0);",
            Engine::Mysql => "CREATE TABLE IF NOT EXISTS _prisma_migrations (id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at DATETIME(3), migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at DATETIME(3), started_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0);",
            Engine::Sqlite => "CREATE TABLE IF NOT EXISTS _prisma_migrations (id TEXT PRIMARY KEY NOT NULL, checksum TEXT NOT NULL, finished_at DATETIME, migration_name TEXT NOT NULL, logs TEXT, rolled_back_at DATETIME, started_at DATETIME NOT NULL DEFAULT current_timestamp, applied_steps_count INTEGER UNSIGNED NOT NULL DEFAULT 0);",
        },
    }),
    ledger: Some(LedgerDef {
        table: "_prisma_migrations",
        columns: &["migration_name"],
        entries: Entries::EachApplied,
        query: |t| {
            format!(
                "{} ORDER BY {}",
                t.select(
                    &[
                        "migration_name",
                        "checksum",
                        "finished_at",
                        "rolled_back_at"
                    ],
                    None
                ),
                t.col("started_at")
            )
        },
        read: read_ledger,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migrate", "deploy"],
        unrecord: Unrecord::Rows(RowKey::Column("migration_name")),
        dirty: Dirty::Command {
            args: |failed, _| {
                vec![
                    "migrate".into(),
                    "resolve".into(),
                    "--rolled-back".into(),
                    failed.to_string(),
                ]
            },
            means: "mark the failed migration as rolled back (once its partial changes are undone), so that `migrate deploy` runs it again",
        },
        ..RepairDef::DEFAULT
    },
    replay: Replay::Unsupported {
        instead: "`prisma migrate deploy` applies every pending migration at once; its migrations are SQL files, which `preflight snapshot --expected prisma/migrations --shadow-url URL` replays one by one",
    },
};

/// Unfinished rows are failed migrations; rolled-back rows do not count.
fn read_ledger(l: &mut Ledger, rows: &[Row]) {
    for r in rows {
        let name = field(r, 0).to_string();
        let finished = r.get(2).is_some_and(Option::is_some);
        let rolled_back = r.get(3).is_some_and(Option::is_some);
        if rolled_back {
            continue;
        }
        if !finished {
            l.dirty.push(name);
            continue;
        }
        l.checksums.insert(name.clone(), field(r, 1).to_string());
        l.applied.push(name);
    }
    l.current = l.applied.last().cloned().into_iter().collect();
}
