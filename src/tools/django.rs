//! Django: `django_migrations` has one row per applied migration and no
//! checksum; `--fake` writes rows without running the operations.

use super::prelude::*;
use std::collections::BTreeMap;

pub(super) static FAKE: Rule = Rule {
    id: "django/fake",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`migrate --fake` marks migrations applied without running their SQL",
    message: "marks migrations as applied in `django_migrations` without running them",
    explanation: "`manage.py migrate --fake` \"marks the migrations up to the target one as applied, but \
without actually running the SQL\"; with a lower target it fakes un-applying. `--fake-initial` fakes an \
app's initial migration whenever tables with the same *names* exist, without comparing columns. In a \
release step the ledger then runs ahead of the schema: later migrations and the application fail on \
tables or columns that were never created.",
    fix: "Run `manage.py migrate` without `--fake`. If a database was migrated by hand, fake the exact \
migrations once, interactively, after checking the schema with `preflight verify`.",
    examples: &[
        "python manage.py migrate --fake",
        "python manage.py migrate --fake-initial",
        "django-admin migrate shop 0007 --fake",
    ],
};

pub(super) static PRUNE: Rule = Rule {
    id: "django/prune",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Warning,
    title: "`migrate --prune` deletes ledger rows in a release step",
    message: "deletes rows from `django_migrations` for migrations missing on disk",
    explanation: "`migrate --prune` (Django 4.1+) removes `django_migrations` rows whose migration files no \
longer exist. It changes no schema, but it rewrites history on every deploy: an image built from an \
older commit silently forgets migrations the database really has.",
    fix: "Prune once, by hand, after squashing migrations; keep it out of release steps.",
    examples: &["python manage.py migrate --prune"],
};

pub(super) static ROLLBACK: Rule = Rule {
    id: "django/rollback",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`migrate <app> zero` (or an explicit target) rolls migrations back",
    message: "rolls migrations back, dropping what they created",
    explanation: "`manage.py migrate <app> zero` unapplies every migration of the app, dropping its tables. \
An explicit older target (`migrate shop 0003`) unapplies everything after it. In a release step that is \
data loss on every deploy, and a target pinned in a spec goes stale as soon as a newer migration ships.",
    fix: "Let the release step run `manage.py migrate` to the latest state; revert schema changes with a \
new migration.",
    examples: &[
        "python manage.py migrate shop zero",
        "python manage.py migrate shop 0003_previous",
    ],
};

pub(super) static FLUSH: Rule = Rule {
    id: "django/flush",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`flush` or `reset_db` deletes all data",
    message: "deletes all data from the database",
    explanation: "`manage.py flush` removes all data from every table (the schema stays); django-extensions' \
`reset_db` drops and recreates the whole database. Neither belongs in a step that runs around deploys.",
    fix: "Remove the command from the release step.",
    examples: &[
        "python manage.py flush --noinput",
        "python manage.py reset_db --noinput",
    ],
};

pub(super) static PRINT_ONLY: Rule = Rule {
    id: "django/print-only",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`sqlmigrate` / `migrate --plan` only print; nothing is applied",
    message: "only prints the migration plan or SQL; nothing is applied",
    explanation: "`sqlmigrate` prints the SQL of one migration and `migrate --plan` lists the operations \
`migrate` would run; neither changes the database. As the only migration command of a release step they \
leave every migration pending while the deploy goes ahead.",
    fix: "Run `manage.py migrate` in the release step.",
    examples: &[
        "python manage.py migrate --plan",
        "python manage.py sqlmigrate shop 0007",
    ],
};

pub(super) static RUN_SYNCDB: Rule = Rule {
    id: "django/run-syncdb",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`migrate --run-syncdb` creates tables outside migrations",
    message: "creates tables for apps without migrations, outside the ledger",
    explanation: "`--run-syncdb` creates tables straight from the models of apps that have no migrations. \
Those tables are never recorded and never altered afterwards, so the schema drifts from the models with \
every change.",
    fix: "Add migrations to the app (`makemigrations`) and drop `--run-syncdb`.",
    examples: &["python manage.py migrate --run-syncdb"],
};

static RULES: &[&Rule] = &[&FAKE, &PRUNE, &ROLLBACK, &FLUSH, &PRINT_ONLY, &RUN_SYNCDB];

const VALUE_OPTIONS: &[&str] = &[
    "--settings",
    "--pythonpath",
    "--database",
    "-v",
    "--verbosity",
];

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(
        inv.program.as_str(),
        "manage.py" | "django-admin" | "django-admin.py"
    ) {
        return None;
    }
    let pos = inv.positionals(VALUE_OPTIONS);
    let sub = pos.first()?.text.as_str();
    let c = |a| Classified::new(Tool(&TOOL), a);
    Some(match sub {
        "migrate" => {
            if inv.has_flag(&["--check"]) {
                c(Action::ReadOnly)
            } else if inv.has_flag(&["--plan"]) {
                c(Action::PrintOnly).hit(&PRINT_ONLY)
            } else if inv.has_flag(&["--fake"]) {
                c(Action::Stamp).hit(&FAKE)
            } else if inv.has_flag(&["--fake-initial"]) {
                c(Action::Stamp).hit_with(&FAKE, "`--fake-initial` compares table names only")
            } else if pos.get(2).is_some_and(|w| w.text == "zero") {
                c(Action::Rollback).hit(&ROLLBACK)
            } else if pos.len() >= 3 {
                c(Action::Apply).maybe(
                    &ROLLBACK,
                    Severity::Warning,
                    "an explicit target unapplies every later migration once newer ones exist",
                )
            } else {
                let mut cl = c(Action::Apply);
                if inv.has_flag(&["--prune"]) {
                    cl = cl.hit(&PRUNE);
                }
                if inv.has_flag(&["--run-syncdb"]) {
                    cl = cl.hit(&RUN_SYNCDB);
                }
                cl
            }
        }
        "flush" | "reset_db" => c(Action::Destroy).hit(&FLUSH),
        "sqlmigrate" | "sqlflush" | "sqlsequencereset" => c(Action::PrintOnly).hit(&PRINT_ONLY),
        "showmigrations" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "django-admin",
    python_modules: &["django"],
    run_as: &["python", "manage.py"],
    subcommands: &["migrate"],
    value_options: VALUE_OPTIONS,
    carried: &["--settings", "--database"],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "django",
    name: "Django",
    docs_url: "https://docs.djangoproject.com/en/stable/ref/django-admin/#migrate",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &[
        "python manage.py migrate --noinput",
        "django-admin migrate --settings=app.settings.prod",
    ],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "django_migrations",
        columns: &["app", "name"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["app", "name"], Some("id")),
        read: read_ledger,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migrate", "--noinput"],
        unrecord: Unrecord::PerApp,
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["python", "manage.py"],
        step: Step::To {
            list: Lister::Command {
                args: |_| vec!["showmigrations".into(), "--plan".into()],
                parse: parse_plan,
            },
            args: |_, t| {
                let (app, name) = t.id.split_once('.').unwrap_or((&t.id, ""));
                vec![
                    "migrate".into(),
                    app.into(),
                    name.into(),
                    "--noinput".into(),
                ]
            },
        },
        connect: |db, _| Connect::env("DATABASE_URL", spelling::four_slash_sqlite(&db.url)),
        driver: Some(&DRIVER),
    }),
};

/// The replay driver: the project loaded once, every revision applied in
/// one process (`drivers/django.py`).
static DRIVER: Driver = Driver {
    runtime: Runtime::Python,
    file: "django.py",
    source: include_str!("drivers/django.py"),
    args: |_| Vec::new(),
};

/// Entries are `app.name`; the current version is each app's last migration.
fn read_ledger(l: &mut Ledger, rows: &[Row]) {
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    for r in rows {
        let key = format!("{}.{}", field(r, 0), field(r, 1));
        last.insert(field(r, 0).to_string(), key.clone());
        l.applied.push(key);
    }
    l.current = last.into_values().collect();
}

/// `showmigrations --plan` lines: `[ ]  accounts.0001_initial` (`[X]` applied).
fn parse_plan(out: &str) -> Vec<Target> {
    out.lines()
        .filter_map(|l| {
            let rest = l
                .trim()
                .strip_prefix("[ ]")
                .or_else(|| l.trim().strip_prefix("[X]"))?;
            let id = rest.split_whitespace().next()?;
            id.contains('.').then(|| Target::new(id))
        })
        .collect()
}
