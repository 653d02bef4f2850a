//! Flask-Migrate: `flask db …` wraps Alembic's commands and ledger.

use super::alembic;
use super::prelude::*;

pub(super) static STAMP: Rule = Rule {
    id: "flask-migrate/stamp",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`flask db stamp` records revisions as applied without running them",
    message: "records revisions in `alembic_version` without running them",
    explanation: "`flask db stamp` is Alembic's `stamp`: it writes the revision into `alembic_version` and \
runs no migration. In a release step the ledger then claims head while the skipped revisions' tables do \
not exist, and nothing fails until the application uses them. The fallback `flask db upgrade || flask db \
stamp head` records every failed migration as applied.",
    fix: "Run `flask db upgrade` in the release step. Stamp by hand, once, only after checking the schema \
with `preflight verify`.",
    examples: &[
        "FLASK_APP=app flask db stamp head",
        "flask db upgrade || flask db stamp head",
    ],
};

pub(super) static DOWNGRADE: Rule = Rule {
    id: "flask-migrate/downgrade",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`flask db downgrade` in a release step moves the schema backwards",
    message: "runs `downgrade()` migrations, which drop tables and columns",
    explanation: "`flask db downgrade` runs Alembic `downgrade()` functions, which usually drop what the \
matching upgrades created, data included. In a recurring step it destroys data on every run.",
    fix: "Remove the downgrade from the release step; revert schema changes with a new forward migration.",
    examples: &["flask db downgrade base"],
};

pub(super) static OFFLINE_SQL: Rule = Rule {
    id: "flask-migrate/offline-sql",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`flask db upgrade --sql` prints SQL and applies nothing",
    message: "only prints SQL (offline mode); no migration is applied",
    explanation: "With `--sql`, Flask-Migrate runs Alembic in offline mode: SQL goes to standard output and \
the database is never touched. As the only migration command of a release step it applies nothing.",
    fix: "Drop `--sql` so the step applies the migrations.",
    examples: &["flask db upgrade --sql"],
};

static RULES: &[&Rule] = &[&STAMP, &DOWNGRADE, &OFFLINE_SQL];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "flask" {
        return None;
    }
    let pos = inv.positionals(CLI.value_options);
    if pos.first().map(|w| w.text.as_str()) != Some("db") {
        return None;
    }
    let sub = pos.get(1).map(|w| w.text.as_str())?;
    Some(alembic::classify_command(
        Tool(&TOOL),
        sub,
        inv,
        &STAMP,
        &DOWNGRADE,
        &OFFLINE_SQL,
    ))
    .map(|c| match (sub, c.action) {
        ("migrate", _) => Classified::new(Tool(&TOOL), Action::Other),
        _ => c,
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "flask",
    programs: &["flask"],
    python_modules: &["flask"],
    run_as: &["flask", "db"],
    subcommands: &["upgrade", "stamp", "downgrade"],
    carried: &["-d", "--directory", "-x"],
    value_options: &[
        "--app",
        "-A",
        "-e",
        "--env-file",
        "-d",
        "--directory",
        "-x",
        "--tag",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "flask-migrate",
    name: "Flask-Migrate",
    docs_url: "https://flask-migrate.readthedocs.io/en/latest/",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["flask db upgrade"],
    sql_folder: None,
    ledger: None,
    repair: RepairDef {
        apply: &["upgrade"],
        apply_heads: Some(&["upgrade", "heads"]),
        unrecord: Unrecord::To(alembic::stamp_to),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Unsupported {
        instead: "Flask-Migrate runs Alembic's revisions: replay them with `--replay alembic --config migrations/alembic.ini`",
    },
};
