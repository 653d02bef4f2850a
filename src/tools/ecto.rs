//! Ecto: `schema_migrations(version, inserted_at)`; `mix ecto.dump` writes the
//! version inserts into `structure.sql`, so `ecto.load` stamps them.

use super::prelude::*;

pub(super) static LOAD: Rule = Rule {
    id: "ecto/load",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`mix ecto.load` loads a structure dump and records its versions",
    message: "loads `structure.sql`, which inserts every dumped version into `schema_migrations`",
    explanation: "`mix ecto.dump` includes the `schema_migrations` inserts in `structure.sql`, so \
`mix ecto.load` creates the dumped schema *and* records every version in it. Against an existing \
database in a release step it either fails halfway or records versions whose changes never ran.",
    fix: "Release steps run `mix ecto.migrate` or the release's migrate function \
(`bin/app eval \"App.Release.migrate\"`).",
    examples: &["mix ecto.load"],
};

pub(super) static DESTRUCTIVE: Rule = Rule {
    id: "ecto/destructive",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`mix ecto.drop` / `ecto.reset` drops the database",
    message: "drops the database",
    explanation: "`ecto.drop` drops the repository's database and `ecto.reset` drops and sets it up again.",
    fix: "Remove the task from the release step.",
    examples: &["mix ecto.reset"],
};

pub(super) static ROLLBACK: Rule = Rule {
    id: "ecto/rollback",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`mix ecto.rollback` moves the schema backwards",
    message: "rolls migrations back",
    explanation: "`ecto.rollback` runs `down` for the latest migration (`--step N`, `--to V`, `--all`). \
Release modules that call `Ecto.Migrator.run(repo, :down, …)` do the same.",
    fix: "Release steps run migrations up; fix forward with a new migration.",
    examples: &[
        "mix ecto.rollback --all",
        "bin/app eval \"App.Release.rollback(App.Repo, 20240101)\"",
    ],
};

static RULES: &[&Rule] = &[&LOAD, &DESTRUCTIVE, &ROLLBACK];

fn classify(inv: &Invocation) -> Option<Classified> {
    let c = |a| Classified::new(Tool(&TOOL), a);
    if inv.program == "mix" {
        let task = inv.positionals(CLI.value_options).first()?.text.as_str();
        return match task {
            "ecto.migrate" => Some(c(Action::Apply)),
            "ecto.setup" | "ecto.create" => Some(c(Action::Other)),
            "ecto.load" => Some(c(Action::Stamp).hit(&LOAD)),
            "ecto.drop" | "ecto.reset" => {
                Some(c(Action::Destroy).hit_with(&DESTRUCTIVE, format!("`{task}`")))
            }
            "ecto.rollback" => Some(c(Action::Rollback).hit(&ROLLBACK)),
            "ecto.migrations" => Some(c(Action::ReadOnly)),
            _ => None,
        };
    }
    // Mix releases: `bin/app eval "App.Release.migrate()"`, `bin/app rpc "..."`.
    let first = inv.args.first()?.text.as_str();
    if !matches!(first, "eval" | "rpc") {
        return None;
    }
    let code = inv.args.get(1)?.text.as_str();
    if code.contains("rollback") || code.contains(":down") {
        Some(c(Action::Rollback).hit(&ROLLBACK))
    } else if code.contains("migrate") || code.contains("Ecto.Migrator") {
        Some(c(Action::Apply))
    } else {
        None
    }
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "mix",
    run_as: &["mix"],
    subcommands: &["ecto.migrate", "ecto.rollback", "ecto.migrations"],
    carried: &["-r", "--repo"],
    value_options: &["-r", "--repo", "--to", "--step", "--migrations-path"],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "ecto",
    name: "Ecto",
    docs_url: "https://hexdocs.pm/ecto_sql/Mix.Tasks.Ecto.Migrate.html",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &[
        "mix ecto.migrate",
        "bin/shop eval \"Shop.Release.migrate()\"",
    ],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "schema_migrations",
        columns: &["version", "inserted_at"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["version"], None),
        read: versions_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["ecto.migrate"],
        unrecord: Unrecord::Rows(RowKey::Column("version")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["mix"],
        step: Step::Next {
            args: |_| vec!["ecto.migrate".into(), "--step".into(), "1".into()],
            done: &["Migrations already up"],
        },
        connect: |db, _| Connect::env("DATABASE_URL", spelling::conventional(&db.url)),
        driver: None,
    }),
};
