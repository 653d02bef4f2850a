//! Atlas: `atlas_schema_revisions` with applied/total counts and hashes.

use super::prelude::*;

pub(super) static MIGRATE_SET: Rule = Rule {
    id: "atlas/migrate-set",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`atlas migrate set` / `--baseline` records versions without running them",
    message: "records a version in `atlas_schema_revisions` without running its migrations",
    explanation: "`atlas migrate set <version>` \"updates the revision table only. It does not run or roll \
back SQL statements\"; `migrate apply --baseline <version>` treats every file up to that version as \
applied on a non-clean database. In a release step both stamp instead of migrating.",
    fix: "Run `atlas migrate apply` without `--baseline` in the release step; set or baseline a database \
once, by hand, after checking its schema.",
    examples: &[
        "atlas migrate set 20240101000000 --url $DATABASE_URL",
        "atlas migrate apply --baseline 20240101000000",
    ],
};

pub(super) static ALLOW_DIRTY: Rule = Rule {
    id: "atlas/allow-dirty",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`--allow-dirty` applies migrations to a database that has unknown objects",
    message: "applies migrations to a database with objects the migration history does not know",
    explanation: "Atlas refuses to start applying to a non-clean database without a revision table. \
`--allow-dirty` turns that check off, so migrations run on top of whatever is there.",
    fix: "Baseline the database once, by hand, then drop `--allow-dirty`.",
    examples: &["atlas migrate apply --allow-dirty --url $DATABASE_URL"],
};

pub(super) static SCHEMA_CLEAN: Rule = Rule {
    id: "atlas/schema-clean",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`atlas schema clean` drops every object",
    message: "drops all objects in the schema",
    explanation: "`atlas schema clean` removes every object from the connected schema or database.",
    fix: "Remove the command from the release step.",
    examples: &["atlas schema clean --auto-approve -u $DATABASE_URL"],
};

pub(super) static MIGRATE_DOWN: Rule = Rule {
    id: "atlas/migrate-down",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`atlas migrate down` moves the schema backwards",
    message: "reverts applied migrations",
    explanation: "`atlas migrate down` computes and runs the statements that revert applied migrations. In a \
release step it undoes migrations on every deploy.",
    fix: "Release steps run `atlas migrate apply`.",
    examples: &["atlas migrate down --url $DATABASE_URL --dev-url docker://postgres/16"],
};

pub(super) static DRY_RUN: Rule = Rule {
    id: "atlas/dry-run",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`--dry-run` prints the plan and applies nothing",
    message: "only prints the statements; nothing is applied",
    explanation: "`migrate apply --dry-run` and `schema apply --dry-run` print the statements they would run. \
As the only migration command of a release step they apply nothing.",
    fix: "Drop `--dry-run`.",
    examples: &["atlas migrate apply --dry-run --url $DATABASE_URL"],
};

pub(super) static SCHEMA_APPLY: Rule = Rule {
    id: "atlas/schema-apply-auto-approve",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`atlas schema apply --auto-approve` applies any diff, destructive or not",
    message: "applies the declarative diff without review, including drops",
    explanation: "`schema apply` plans the changes from the desired schema to the live one; \
`--auto-approve` applies the plan without showing it, dropping tables or columns that are missing from \
the desired schema. There is no revision history to check afterwards.",
    fix: "Use versioned migrations (`atlas migrate diff` + `atlas migrate apply`), or review plans with \
`atlas schema plan` before applying.",
    examples: &["atlas schema apply --auto-approve --to file://schema.hcl -u $DATABASE_URL"],
};

static RULES: &[&Rule] = &[
    &MIGRATE_SET,
    &ALLOW_DIRTY,
    &SCHEMA_CLEAN,
    &MIGRATE_DOWN,
    &DRY_RUN,
    &SCHEMA_APPLY,
];

const VALUE_OPTIONS: &[&str] = &[
    "--url",
    "-u",
    "--dir",
    "--dev-url",
    "--env",
    "--config",
    "-c",
    "--baseline",
    "--to",
    "--from",
    "--revisions-schema",
    "--tx-mode",
    "--exec-order",
    "--lock-timeout",
    "--format",
    "--var",
    "-s",
    "--schema",
];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "atlas" {
        return None;
    }
    let pos = inv.positionals(VALUE_OPTIONS);
    let words: Vec<&str> = pos.iter().map(|w| w.text.as_str()).collect();
    let c = |a| Classified::new(Tool(&TOOL), a);
    let dry = inv.has_flag(&["--dry-run"]);
    let mut cl = match words.as_slice() {
        ["migrate", "apply", ..] if dry => c(Action::PrintOnly).hit(&DRY_RUN),
        ["migrate", "apply", ..] if inv.flag_value(&["--baseline"]).is_some() => {
            c(Action::Stamp).hit_with(&MIGRATE_SET, "`--baseline` treats earlier files as applied")
        }
        ["migrate", "apply", ..] => c(Action::Apply),
        ["migrate", "set", ..] => c(Action::Stamp).hit(&MIGRATE_SET),
        ["migrate", "down", ..] if dry => c(Action::PrintOnly),
        ["migrate", "down", ..] => c(Action::Rollback).hit(&MIGRATE_DOWN),
        ["schema", "clean", ..] => c(Action::Destroy).hit(&SCHEMA_CLEAN),
        ["schema", "apply", ..] if dry => c(Action::PrintOnly).hit(&DRY_RUN),
        ["schema", "apply", ..] if inv.has_flag(&["--auto-approve"]) => {
            c(Action::Apply).hit(&SCHEMA_APPLY)
        }
        ["schema", "apply", ..] => c(Action::Apply),
        ["migrate", "status" | "validate" | "lint" | "drift", ..]
        | ["schema", "inspect" | "diff", ..] => c(Action::ReadOnly),
        _ => c(Action::Other),
    };
    if inv.has_flag(&["--allow-dirty"]) {
        cl = cl.hit(&ALLOW_DIRTY);
    }
    Some(cl)
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "atlas",
    programs: &["atlas"],
    images: &["arigaio/atlas"],
    run_as: &["atlas"],
    subcommands: &["migrate", "schema"],
    value_options: VALUE_OPTIONS,
    carried: &["--dir", "--url", "-u", "--env", "--revisions-schema"],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "atlas",
    name: "Atlas",
    docs_url: "https://atlasgo.io/cli-reference",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["atlas migrate apply --url $DATABASE_URL"],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "atlas_schema_revisions",
        columns: &["version", "applied"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["version", "applied", "total", "error"], Some("version")),
        read: read_ledger,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migrate", "apply"],
        unrecord: Unrecord::Rows(RowKey::Column("version")),
        dirty: Dirty::Rows(RowKey::Column("version")),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Unsupported {
        instead: "preflight does not drive Atlas yet; its migrations are SQL files, which `preflight snapshot --expected migrations --shadow-url URL` replays one by one",
    },
};

/// A file applied partly (`applied < total`) or with an error is dirty.
fn read_ledger(l: &mut Ledger, rows: &[Row]) {
    for r in rows {
        let v = field(r, 0).to_string();
        let partial = field(r, 1) != field(r, 2);
        if partial || !field(r, 3).is_empty() {
            l.dirty.push(v);
        } else {
            l.applied.push(v);
        }
    }
    l.current = l.applied.last().cloned().into_iter().collect();
}
