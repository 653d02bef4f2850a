//! golang-migrate: a single `schema_migrations(version, dirty)` row; `force`
//! sets it to anything and clears the dirty flag.

use super::prelude::*;

pub(super) static FORCE: Rule = Rule {
    id: "golang-migrate/force",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`migrate force V` sets the version without running migrations",
    message: "sets the recorded version and clears the dirty flag without running any migration",
    explanation: "`migrate force V` \"sets a migration version, but doesn't run migration (ignores dirty \
state)\". It is the documented way out of `Dirty database version N` — after a person has checked what \
the failed migration left behind. In a release step (or a nightly CronJob) it blindly marks a \
half-applied migration as done: the schema is whatever the failure left.",
    fix: "Investigate a dirty database by hand, repair the schema, then force the right version once. \
Release steps run `migrate … up`.",
    examples: &["migrate -path /migrations -database $DATABASE_URL force 12"],
};

pub(super) static DROP: Rule = Rule {
    id: "golang-migrate/drop",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`migrate drop` drops everything in the database",
    message: "drops everything inside the database",
    explanation: "`migrate drop` \"drops everything inside database\"; `-f` skips the confirmation.",
    fix: "Remove `drop` from the release step.",
    examples: &["migrate -database $DATABASE_URL drop -f"],
};

pub(super) static DOWN: Rule = Rule {
    id: "golang-migrate/down",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`migrate down` / `goto` moves the schema backwards",
    message: "applies down migrations, moving the schema backwards",
    explanation: "`migrate down [N]` and `down -all` run down migrations; `goto V` goes down when V is below \
the current version, so a version pinned in a spec becomes a rollback as soon as newer migrations ship.",
    fix: "Release steps run `migrate … up`; fix forward with a new migration.",
    examples: &[
        "migrate -path db/migrations -database $DATABASE_URL down -all",
        "migrate -path db -database $URL goto 7",
    ],
};

static RULES: &[&Rule] = &[&FORCE, &DROP, &DOWN];

const VALUE_OPTIONS: &[&str] = &[
    "-path",
    "--path",
    "-database",
    "--database",
    "-source",
    "--source",
    "-lock-timeout",
    "--lock-timeout",
    "-prefetch",
    "--prefetch",
];

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "migrate" | "golang-migrate") {
        return None;
    }
    let pos = inv.positionals(VALUE_OPTIONS);
    let sub = pos.first()?.text.as_str();
    let c = |a| Classified::new(Tool(&TOOL), a);
    Some(match sub {
        "up" => c(Action::Apply),
        "force" => {
            let v = pos.get(1).map(|w| w.text.as_str()).unwrap_or("");
            c(Action::Stamp).hit_with(&FORCE, format!("to version {v}"))
        }
        "drop" => c(Action::Destroy).hit(&DROP),
        "down" => c(Action::Rollback).hit(&DOWN),
        "goto" => c(Action::Apply).maybe(
            &DOWN,
            Severity::Warning,
            "`goto` goes down when the target is below the current version",
        ),
        "version" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "migrate",
    programs: &["migrate"],
    images: &["migrate/migrate"],
    run_as: &[
        "migrate",
        "-path",
        "migrations",
        "-database",
        "$DATABASE_URL",
    ],
    subcommands: &["up", "down", "force", "goto", "version", "drop"],
    value_options: VALUE_OPTIONS,
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "golang-migrate",
    name: "golang-migrate",
    docs_url: "https://github.com/golang-migrate/migrate/tree/master/cmd/migrate",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["migrate -path /migrations -database $DATABASE_URL up"],
    sql_folder: Some(SqlFolder {
        layout: Layout::UpDownPair,
        up: sql_folder::whole,
        id: sql_folder::numeric_id,
        checksum: None,
        ledger_ddl: |engine| match engine {
            // golang-migrate's database drivers (postgres, mysql, sqlite3).
            Engine::Sqlite => "CREATE TABLE IF NOT EXISTS schema_migrations (version uint64, dirty bool);\nCREATE UNIQUE INDEX IF NOT EXISTS version_unique ON schema_migrations (version);",
            _ => "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);",
        },
    }),
    ledger: Some(LedgerDef {
        table: "schema_migrations",
        columns: &["version", "dirty"],
        entries: Entries::Cumulative,
        query: |t| t.select(&["version", "dirty"], None),
        read: read_ledger,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["up"],
        unrecord: Unrecord::To(|kept| {
            vec![
                "force".into(),
                kept.first().cloned().unwrap_or_else(|| "-1".into()),
            ]
        }),
        dirty: Dirty::Command {
            args: |_, previous| vec!["force".into(), previous.unwrap_or("-1").to_string()],
            means: "clear the dirty flag at the last version that completed (`force` runs nothing), so that `up` runs the failed one again",
        },
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["migrate", "-path", "migrations"],
        step: Step::Next {
            args: |_| vec!["up".into(), "1".into()],
            // `up 1` exits 1 when nothing is left.
            done: &["file does not exist", "no change"],
        },
        connect: |db, _| Connect {
            args: vec!["-database".into(), spelling::golang_migrate(&db.url)],
            ..Connect::default()
        },
        driver: None,
    }),
};

/// A single row: the version and whether it was left half-applied.
fn read_ledger(l: &mut Ledger, rows: &[Row]) {
    if let Some(r) = rows.first() {
        l.current = vec![field(r, 0).to_string()];
        l.applied = l.current.clone();
        if flag(r, 1) {
            l.dirty = l.current.clone();
        }
    }
}
