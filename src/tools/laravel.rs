//! Laravel: the `migrations(id, migration, batch)` table.

use super::prelude::*;

pub(super) static DESTRUCTIVE: Rule = Rule {
    id: "laravel/destructive",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`migrate:fresh`, `migrate:refresh`, `migrate:reset` or `db:wipe` destroys the schema",
    message: "drops tables (or rolls every migration back) and loses their data",
    explanation: "`migrate:fresh` drops all tables and re-runs every migration, `migrate:refresh` and \
`migrate:reset` roll every migration back, `db:wipe` drops all tables, views and types. In production \
they ask for confirmation; `--force` (which release steps need to run non-interactively) answers yes.",
    fix: "Release steps run `php artisan migrate --force`.",
    examples: &[
        "php artisan migrate:fresh --force",
        "php artisan db:wipe --force",
    ],
};

pub(super) static ROLLBACK: Rule = Rule {
    id: "laravel/rollback",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`migrate:rollback` moves the schema backwards",
    message: "rolls back the latest batch of migrations",
    explanation: "`migrate:rollback` runs `down()` for the latest batch (or `--step`/`--batch`). In a release \
step it undoes migrations on every deploy.",
    fix: "Release steps run `php artisan migrate --force`; fix forward with a new migration.",
    examples: &["php artisan migrate:rollback --force --step=1"],
};

pub(super) static PRETEND: Rule = Rule {
    id: "laravel/pretend",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`migrate --pretend` prints SQL and applies nothing",
    message: "only prints the SQL; nothing is applied",
    explanation: "`--pretend` dumps the SQL queries that would run. As the only migration command of a release \
step it leaves every migration pending.",
    fix: "Drop `--pretend`.",
    examples: &["php artisan migrate --pretend --force"],
};

pub(super) static GRACEFUL: Rule = Rule {
    id: "laravel/graceful",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Error,
    title: "`migrate --graceful` exits 0 when migrations fail",
    message: "exits successfully even when a migration fails",
    explanation: "`--graceful` turns migration errors into warnings and exits 0, so a failed migration no \
longer stops the deploy: the new code runs against an old or half-migrated schema.",
    fix: "Drop `--graceful`; let a failed migration fail the release.",
    examples: &["php artisan migrate --force --graceful"],
};

pub(super) static SCHEMA_DUMP_PRUNE: Rule = Rule {
    id: "laravel/schema-dump-prune",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`schema:dump --prune` deletes migration files",
    message: "deletes the migration files that the dump replaces",
    explanation: "`schema:dump --prune` writes `database/schema/*.sql` and deletes the migration files. A \
fresh database then loads the dump, which inserts every dumped migration into the `migrations` table — \
a stamp. It belongs in a reviewed commit, not in a release step.",
    fix: "Run `schema:dump --prune` locally and commit the result.",
    examples: &["php artisan schema:dump --prune"],
};

static RULES: &[&Rule] = &[
    &DESTRUCTIVE,
    &ROLLBACK,
    &PRETEND,
    &GRACEFUL,
    &SCHEMA_DUMP_PRUNE,
];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "artisan" {
        return None;
    }
    let sub = inv.positionals(CLI.value_options).first()?.text.as_str();
    let c = |a| Classified::new(Tool(&TOOL), a);
    Some(match sub {
        "migrate" if inv.has_flag(&["--pretend"]) => c(Action::PrintOnly).hit(&PRETEND),
        "migrate" if inv.has_flag(&["--graceful"]) => c(Action::Apply).hit(&GRACEFUL),
        "migrate" => c(Action::Apply),
        "migrate:fresh" | "migrate:refresh" | "migrate:reset" | "db:wipe" => {
            c(Action::Destroy).hit_with(&DESTRUCTIVE, format!("`{sub}`"))
        }
        "migrate:rollback" => c(Action::Rollback).hit(&ROLLBACK),
        "schema:dump" if inv.has_flag(&["--prune"]) => c(Action::Other).hit(&SCHEMA_DUMP_PRUNE),
        "migrate:status" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "artisan",
    run_as: &["php", "artisan"],
    subcommands: &[
        "migrate",
        "migrate:fresh",
        "migrate:refresh",
        "migrate:reset",
        "migrate:rollback",
        "migrate:status",
        "migrate:install",
    ],
    carried: &["--database", "--path"],
    value_options: &[
        "--database",
        "--path",
        "--step",
        "--batch",
        "--env",
        "--seeder",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "laravel",
    name: "Laravel",
    docs_url: "https://laravel.com/docs/migrations",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["php artisan migrate --force"],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "migrations",
        columns: &["migration", "batch"],
        entries: Entries::EachApplied,
        query: |t| {
            format!(
                "{} ORDER BY {}, {}",
                t.select(&["migration"], None),
                t.col("batch"),
                t.col("id")
            )
        },
        read: each_row_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migrate", "--force"],
        unrecord: Unrecord::Rows(RowKey::Column("migration")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["php", "artisan"],
        step: Step::To {
            list: Lister::Files {
                dir: "database/migrations",
                ext: ".php",
                id: |f| f.strip_suffix(".php").map(str::to_owned),
            },
            // `--path` runs that file alone; the list is in order.
            args: |_, t| {
                vec![
                    "migrate".into(),
                    format!("--path={}", t.name),
                    "--force".into(),
                ]
            },
        },
        connect: |db, _| {
            let u = spelling::four_slash_sqlite(&db.url);
            Connect {
                env: vec![("DATABASE_URL".into(), u.clone()), ("DB_URL".into(), u)],
                ..Connect::default()
            }
        },
        driver: None,
    }),
};
