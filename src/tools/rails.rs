//! Rails / ActiveRecord: `schema_migrations` has one row per applied version;
//! schema loads insert every version of the dump.

use super::prelude::*;

pub(super) static SCHEMA_LOAD: Rule = Rule {
    id: "rails/schema-load",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`db:schema:load` rebuilds tables and records every migration as applied",
    message: "recreates tables from the schema dump (dropping their data) and records every dumped version as applied",
    explanation: "`db:schema:load` / `db:structure:load` (and `db:setup`, which calls them) rebuild the \
schema from `schema.rb` or `structure.sql` with `create_table … force: :cascade`, which drops existing \
tables and their data, then insert **all** versions listed in the dump into `schema_migrations`. In a \
release step that is both a wipe and a stamp: migrations newer than the dump are marked applied without \
running, and data is gone.",
    fix: "Run `bin/rails db:migrate` (or `db:prepare`, which only loads the schema into a database that \
does not exist yet) in release steps. Load schemas only to create new, empty databases.",
    examples: &[
        "bin/rails db:schema:load",
        "bundle exec rake db:structure:load",
        "rails db:setup",
    ],
};

pub(super) static DESTRUCTIVE: Rule = Rule {
    id: "rails/destructive",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "Rails database task drops or wipes the database",
    message: "drops or wipes the database",
    explanation: "`db:reset` drops and recreates the database from the schema, `db:drop` and `db:purge` \
remove it, `db:truncate_all` empties every table, `db:migrate:reset` drops and re-migrates, \
`db:seed:replant` truncates before seeding. In a release step any of them destroys production data on \
the next deploy.",
    fix: "Remove the task from the release step; run `db:migrate`.",
    examples: &[
        "bin/rails db:reset",
        "rake db:drop db:create db:migrate",
        "rails db:truncate_all",
    ],
};

pub(super) static ROLLBACK: Rule = Rule {
    id: "rails/rollback",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "Rails task rolls migrations back",
    message: "rolls migrations back, dropping what they created",
    explanation: "`db:rollback`, `db:migrate:down`, `db:migrate:redo` and `db:migrate VERSION=0` run the \
`down` side of migrations. In a release step the schema moves backwards on every deploy, usually dropping \
columns and tables with their data.",
    fix: "Let the release step run `db:migrate`; revert schema changes with a new migration.",
    examples: &["bin/rails db:rollback STEP=2", "rails db:migrate VERSION=0"],
};

pub(super) static DISABLE_ENV_CHECK: Rule = Rule {
    id: "rails/disable-environment-check",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Error,
    title: "`DISABLE_DATABASE_ENVIRONMENT_CHECK=1` turns off Rails' production guard",
    message: "turns off Rails' protection of production databases against destructive tasks",
    explanation: "Rails refuses destructive tasks (`db:drop`, `db:reset`, `db:schema:load`, …) against a \
database whose `ar_internal_metadata` says it is a protected environment, raising \
`ActiveRecord::ProtectedEnvironmentError`. `DISABLE_DATABASE_ENVIRONMENT_CHECK=1` disables that guard; in \
a release step it exists only to let a destructive task through.",
    fix: "Remove the variable from the step and its environment.",
    examples: &["DISABLE_DATABASE_ENVIRONMENT_CHECK=1 bin/rails db:reset"],
};

static RULES: &[&Rule] = &[&SCHEMA_LOAD, &DESTRUCTIVE, &ROLLBACK, &DISABLE_ENV_CHECK];

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "rails" | "rake") {
        return None;
    }
    let tasks: Vec<&str> = inv.arg_texts().filter(|a| a.starts_with("db:")).collect();
    if tasks.is_empty() {
        return None;
    }
    // Rake takes `NAME=value` arguments as environment variables.
    let arg_env = |name: &str| {
        inv.arg_texts()
            .find_map(|a| a.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
    };
    let env = |name: &str| arg_env(name).or_else(|| inv.env_var(name));

    let mut c = Classified::new(Tool(&TOOL), Action::Other);
    let mut action = None;
    for task in tasks {
        let base = task_base(task);
        let a = match base {
            "db:migrate"
                if env("VERSION").is_some_and(|v| v.trim_start_matches('0').is_empty()) =>
            {
                c = c.hit_with(&ROLLBACK, "`VERSION=0` rolls back every migration");
                Action::Rollback
            }
            "db:migrate" | "db:prepare" | "db:migrate:up" | "db:forward" => Action::Apply,
            "db:schema:load" | "db:structure:load" | "db:setup" => {
                c = c.hit_with(&SCHEMA_LOAD, format!("`{task}`"));
                Action::Stamp
            }
            "db:reset" | "db:drop" | "db:purge" | "db:truncate_all" | "db:migrate:reset"
            | "db:seed:replant" => {
                c = c.hit_with(&DESTRUCTIVE, format!("`{task}`"));
                Action::Destroy
            }
            "db:rollback" | "db:migrate:down" | "db:migrate:redo" => {
                c = c.hit_with(&ROLLBACK, format!("`{task}`"));
                Action::Rollback
            }
            "db:migrate:status" | "db:abort_if_pending_migrations" | "db:version" => {
                Action::ReadOnly
            }
            _ => Action::Other,
        };
        // The most telling action wins: applying migrations is what the
        // "is there a migration step" check looks for.
        action = Some(match (action, a) {
            (None, a) => a,
            (Some(Action::Apply), _) | (_, Action::Apply) => Action::Apply,
            (Some(prev), Action::Other | Action::ReadOnly) => prev,
            (_, a) => a,
        });
    }
    c.action = action.unwrap_or(Action::Other);
    if env("DISABLE_DATABASE_ENVIRONMENT_CHECK").is_some_and(util::truthy) {
        c = c.hit(&DISABLE_ENV_CHECK);
    }
    Some(c)
}

/// `db:drop:all` → `db:drop`, `db:migrate:primary` → `db:migrate` (multi-database
/// suffixes), keeping tasks whose third part is their own name.
fn task_base(task: &str) -> &str {
    const OWN: &[&str] = &[
        "db:migrate:status",
        "db:migrate:up",
        "db:migrate:down",
        "db:migrate:redo",
        "db:migrate:reset",
        "db:schema:load",
        "db:structure:load",
        "db:seed:replant",
        "db:schema:dump",
        "db:structure:dump",
    ];
    if let Some(own) = OWN
        .iter()
        .find(|o| task == **o || task.starts_with(&format!("{o}:")))
    {
        return own;
    }
    let mut parts = task.splitn(3, ':');
    match (parts.next(), parts.next()) {
        (Some(_), Some(second)) => &task[..3 + second.len()],
        _ => task,
    }
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "rails",
    programs: &["rails", "rake"],
    run_as: &["bin/rails"],
    subcommands: &[
        "db:migrate",
        "db:prepare",
        "db:migrate:up",
        "db:schema:load",
        "db:structure:load",
        "db:setup",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "rails",
    name: "Rails (ActiveRecord)",
    docs_url: "https://guides.rubyonrails.org/active_record_migrations.html",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &[
        "bin/rails db:migrate",
        "bundle exec rake db:migrate",
        "rails db:prepare",
    ],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "schema_migrations",
        columns: &["version"],
        // dbmate's table has the same shape; Rails keeps its metadata beside it.
        also: Some(|s| {
            s.tables
                .keys()
                .any(|k| k.name.eq_ignore_ascii_case("ar_internal_metadata"))
        }),
        companions: &["ar_internal_metadata"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["version"], None),
        read: versions_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["db:migrate"],
        unrecord: Unrecord::Rows(RowKey::Column("version")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["bin/rails"],
        step: Step::To {
            list: Lister::Files {
                dir: "db/migrate",
                ext: ".rb",
                id: leading_digits,
            },
            args: |_, t| vec!["db:migrate".into(), format!("VERSION={}", t.id)],
        },
        connect: |db, _| Connect::env("DATABASE_URL", spelling::rails(&db.url)),
        driver: None,
    }),
};

/// A migration file's version: `20240101000001_create_authors.rb` → `20240101000001`.
fn leading_digits(file: &str) -> Option<String> {
    let v: String = file.chars().take_while(char::is_ascii_digit).collect();
    (!v.is_empty()).then_some(v)
}
