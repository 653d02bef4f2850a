//! Alembic: `alembic_version` holds one row per head and nothing else, so a
//! stamped revision cannot be told from an applied one without the schema.

use super::prelude::*;

pub(super) static STAMP: Rule = Rule {
    id: "alembic/stamp",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`alembic stamp` records revisions as applied without running them",
    message: "records revisions in `alembic_version` without running them",
    explanation: "`alembic stamp <rev>` writes the revision into the `alembic_version` table and runs no \
migration (\"don't run any migrations\", says its help). In a release step every deploy then claims the \
schema is at head while the tables of the skipped revisions never exist; nothing fails until the \
application touches them. This is the reference incident: a PRE_DEPLOY job changed from `upgrade head` to \
`stamp head` recorded `018_add_notifications` while the tables `sessions` and `notifications` were never \
created. As a fallback (`alembic upgrade head || alembic stamp head`) it turns every failed migration into \
a recorded one. Programmatic stamps (`command.stamp(cfg, \"head\")` in `python -c`) count too.",
    fix: "Run `alembic upgrade head` in the release step. If the database really was migrated by hand, \
stamp it once, interactively, after checking the schema (`preflight verify`), never from a deploy spec.",
    examples: &[
        "python -m alembic -c alembic.ini stamp head",
        "alembic upgrade head || alembic stamp head",
        "alembic stamp --purge heads",
        "python -c \"from alembic import command; command.stamp(cfg, 'head')\"",
    ],
};

pub(super) static DOWNGRADE: Rule = Rule {
    id: "alembic/downgrade",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`alembic downgrade` in a release step moves the schema backwards",
    message: "runs `downgrade()` migrations, which drop tables and columns",
    explanation: "`alembic downgrade` runs the `downgrade()` functions of revisions, which usually drop the \
tables and columns their `upgrade()` created, with their data. `downgrade base` runs every one of them. \
In a step that runs on every deploy this destroys data each time; rolling back code never needs the \
schema to go back first.",
    fix: "Remove the downgrade from the release step. Roll back schema changes with a new forward \
revision, or run a downgrade once, by hand, with a backup.",
    examples: &[
        "alembic downgrade base",
        "alembic -c alembic.ini downgrade -1",
    ],
};

pub(super) static OFFLINE_SQL: Rule = Rule {
    id: "alembic/offline-sql",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`alembic upgrade --sql` prints SQL and applies nothing",
    message: "only prints SQL (offline mode); no migration is applied",
    explanation: "With `--sql` Alembic runs in offline mode: it writes the migration SQL to standard output \
and never connects to the database. A release step whose only migration command is offline applies \
nothing, exits 0, and the deploy proceeds against an old schema.",
    fix: "Drop `--sql` so the step applies the migrations, or apply the generated SQL in the same step.",
    examples: &[
        "alembic upgrade head --sql",
        "alembic upgrade 016:018 --sql > upgrade.sql",
    ],
};

static RULES: &[&Rule] = &[&STAMP, &DOWNGRADE, &OFFLINE_SQL];

/// Alembic's global options that take a value.
pub(super) const GLOBAL_VALUE_OPTIONS: &[&str] = &[
    "-c",
    "--config",
    "-n",
    "--name",
    "-x",
    "--tag",
    "-d",
    "--directory",
];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program == "alembic" {
        let sub = util::subcommand(inv, GLOBAL_VALUE_OPTIONS)?;
        return Some(classify_command(
            Tool(&TOOL),
            sub,
            inv,
            &STAMP,
            &DOWNGRADE,
            &OFFLINE_SQL,
        ));
    }
    if inv.program.starts_with("python") {
        return classify_python_code(inv);
    }
    None
}

/// Alembic's commands, shared with Flask-Migrate which wraps them.
pub(super) fn classify_command(
    tool: Tool,
    sub: &str,
    inv: &Invocation,
    stamp: &'static Rule,
    downgrade: &'static Rule,
    offline: &'static Rule,
) -> Classified {
    let sql = inv.has_flag(&["--sql"]);
    match sub {
        "stamp" if sql => Classified::new(tool, Action::PrintOnly),
        "stamp" => Classified::new(tool, Action::Stamp).hit(stamp),
        "upgrade" if sql => Classified::new(tool, Action::PrintOnly).hit(offline),
        "upgrade" => Classified::new(tool, Action::Apply),
        "downgrade" if sql => Classified::new(tool, Action::PrintOnly).hit(offline),
        "downgrade" => {
            let to_base = inv.arg_texts().any(|a| a == "base");
            let c = Classified::new(tool, Action::Rollback);
            if to_base {
                c.hit_with(
                    downgrade,
                    "down to `base`: every table the migrations created is dropped",
                )
            } else {
                c.hit(downgrade)
            }
        }
        "current" | "heads" | "history" | "branches" | "show" | "check" => {
            Classified::new(tool, Action::ReadOnly)
        }
        _ => Classified::new(tool, Action::Other),
    }
}

/// `python -c "...command.stamp(cfg, 'head')..."` and friends.
fn classify_python_code(inv: &Invocation) -> Option<Classified> {
    let code_at = inv.args.iter().position(|w| w.text == "-c")?;
    let code = inv.args.get(code_at + 1)?.text.as_str();
    if code.contains("command.stamp(") || code.contains(".stamp(") && code.contains("alembic") {
        return Some(Classified::new(Tool(&TOOL), Action::Stamp).hit(&STAMP));
    }
    if code.contains("command.upgrade(") {
        return Some(Classified::new(Tool(&TOOL), Action::Apply));
    }
    if code.contains("create_all(") {
        return Some(Classified::new(Tool(&TOOL), Action::CreateSchema));
    }
    None
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "alembic",
    programs: &["alembic"],
    python_modules: &["alembic", "alembic.config"],
    run_as: &["alembic"],
    subcommands: &["upgrade", "stamp", "downgrade"],
    value_options: GLOBAL_VALUE_OPTIONS,
    carried: &["-c", "--config", "-n", "--name", "-x"],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "alembic",
    name: "Alembic",
    docs_url: "https://alembic.sqlalchemy.org/en/latest/api/commands.html",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &[
        "python -m alembic -c alembic.ini upgrade head",
        "alembic upgrade heads",
        "alembic current --check-heads && alembic upgrade head",
        "set -e; alembic upgrade head; gunicorn app",
        "alembic upgrade head || exit 1",
        "alembic upgrade head; exit",
    ],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "alembic_version",
        columns: &["version_num"],
        // `context.configure(version_table=…)` renames it; the shape stays.
        any_name_with_exactly: Some(&["version_num"]),
        entries: Entries::Heads,
        query: |t| t.select(&["version_num"], Some("version_num")),
        read: read_ledger,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["upgrade", "head"],
        apply_heads: Some(&["upgrade", "heads"]),
        unrecord: Unrecord::To(stamp_to),
        shadow_cli: Some(|p, args| {
            let mut v = vec!["-c".to_string(), SCRIPT.into(), "cli".into(), config(p)];
            v.extend(args.iter().cloned());
            v
        }),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        // Alembic runs through its Python API: the URL then reaches env.py
        // both as `sqlalchemy.url` and as `DATABASE_URL`, whichever it reads.
        launcher: &["python3"],
        step: Step::To {
            list: Lister::Command {
                args: |p| vec!["-c".into(), SCRIPT.into(), "list".into(), config(p)],
                parse: parse_revisions,
            },
            args: |p, t| {
                vec![
                    "-c".into(),
                    SCRIPT.into(),
                    "upgrade".into(),
                    config(p),
                    t.id.clone(),
                ]
            },
        },
        connect: |db, _| {
            let u = spelling::sqlalchemy(&db.url);
            Connect {
                env: vec![
                    ("DATABASE_URL".into(), u.clone()),
                    ("PREFLIGHT_REPLAY_URL".into(), u),
                ],
                ..Connect::default()
            }
        },
        driver: Some(&DRIVER),
    }),
};

/// The replay driver: the project loaded once, every revision applied in
/// one process (`drivers/alembic.py`).
static DRIVER: Driver = Driver {
    runtime: Runtime::Python,
    file: "alembic.py",
    source: include_str!("drivers/alembic.py"),
    args: |p| vec![config(p)],
};

/// One row per head; nothing else is recorded.
fn read_ledger(l: &mut Ledger, rows: &[Row]) {
    l.current = rows.iter().map(|r| field(r, 0).to_string()).collect();
    l.applied = l.current.clone();
    if l.current.len() > 1 {
        l.notes.push(format!(
            "{} heads (branches): {}",
            l.current.len(),
            l.current.join(", ")
        ));
    }
}

/// The configuration Alembic reads: `--config`, else `alembic.ini`.
fn config(p: &Project) -> String {
    p.config
        .as_ref()
        .map_or_else(|| "alembic.ini".to_string(), |c| c.display().to_string())
}

/// `stamp` arguments that leave exactly these heads recorded (`base`: none;
/// `--purge` replaces every row when there are several). Flask-Migrate's
/// `flask db stamp` takes the same.
pub(super) fn stamp_to(kept: &[String]) -> Vec<String> {
    let mut v = vec!["stamp".to_string()];
    match kept {
        [] => v.push("base".into()),
        [one] => v.push(one.clone()),
        many => {
            v.push("--purge".into());
            v.extend(many.iter().cloned());
        }
    }
    v
}

/// preflight's replay driver, run with the project's Python (see the file).
const SCRIPT: &str = include_str!("alembic_replay.py");

/// `revision <id> <parent>,<parent>` lines.
fn parse_revisions(out: &str) -> Vec<Target> {
    out.lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            if words.next() != Some("revision") {
                return None;
            }
            let id = words.next()?;
            let parents = words
                .next()
                .map(|p| {
                    p.split(',')
                        .filter(|x| !x.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default();
            Some(Target {
                id: id.to_string(),
                name: id.to_string(),
                parents,
            })
        })
        .collect()
}
