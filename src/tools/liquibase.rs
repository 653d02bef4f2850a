//! Liquibase: `DATABASECHANGELOG` rows written by `changelog-sync` look
//! exactly like executed ones (`EXECTYPE='EXECUTED'`).

use super::prelude::*;

pub(super) static CHANGELOG_SYNC: Rule = Rule {
    id: "liquibase/changelog-sync",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`changelog-sync` marks changesets executed without running them",
    message: "marks changesets as executed in `DATABASECHANGELOG` without running them",
    explanation: "`liquibase changelog-sync` (and `changelog-sync-to-tag`, `mark-next-changeset-ran`) \
records undeployed changesets as executed. The rows carry `EXECTYPE='EXECUTED'`, the same as really \
executed changesets, so nothing in the ledger tells them apart later. In a release step every new \
changeset is recorded and never applied.",
    fix: "Run `liquibase update` in the release step. Sync a hand-migrated database once, by hand, after \
checking its schema with `preflight verify`.",
    examples: &[
        "liquibase changelog-sync --changelog-file=db/changelog.xml",
        "liquibase mark-next-changeset-ran",
    ],
};

pub(super) static CLEAR_CHECKSUMS: Rule = Rule {
    id: "liquibase/clear-checksums",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Warning,
    title: "`clear-checksums` hides edited changesets",
    message: "clears every checksum, so edited changesets are no longer detected",
    explanation: "`clear-checksums` sets `MD5SUM` to NULL for every row; the next `update` recomputes them \
from the current files. Run before every deploy it silences the check that catches changesets edited \
after they were applied.",
    fix: "Clear checksums by hand after reviewing the change; keep it out of release steps.",
    examples: &["liquibase clear-checksums && liquibase update"],
};

pub(super) static DROP_ALL: Rule = Rule {
    id: "liquibase/drop-all",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`drop-all` drops every database object",
    message: "drops all database objects owned by the user",
    explanation: "`liquibase drop-all` \"drops all database objects owned by the user … should not be used \
in a production environment\".",
    fix: "Remove `drop-all` from the release step.",
    examples: &["liquibase drop-all --force"],
};

pub(super) static ROLLBACK: Rule = Rule {
    id: "liquibase/rollback",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "Liquibase rollback commands in a release step",
    message: "rolls changesets back, moving the schema backwards",
    explanation: "`rollback`, `rollback-count`, `rollback-to-date` and `update-testing-rollback` run \
rollback statements. In a release step the schema moves backwards (or is churned) on every deploy.",
    fix: "Remove the rollback from the release step; fix forward with a new changeset.",
    examples: &[
        "liquibase rollback-count --count=1",
        "liquibase rollback --tag=v1.2",
    ],
};

pub(super) static RELEASE_LOCKS: Rule = Rule {
    id: "liquibase/release-locks",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Unsafe,
    severity: Severity::Warning,
    title: "`release-locks` force-releases the changelog lock",
    message: "force-releases `DATABASECHANGELOGLOCK`, even if another update is running",
    explanation: "`release-locks` clears the lock that keeps two `update` runs apart. Run before every \
deploy it lets two replicas or two deploys migrate at the same time.",
    fix: "Release a stale lock by hand after checking that no update is running.",
    examples: &["liquibase release-locks && liquibase update"],
};

pub(super) static PRINT_ONLY: Rule = Rule {
    id: "liquibase/print-only",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`*-sql` commands print SQL and apply nothing",
    message: "only prints SQL; nothing is applied",
    explanation: "`update-sql`, `update-count-sql`, `update-to-tag-sql` and the other `*-sql` commands write \
SQL to standard output. As the only migration command of a release step they leave every changeset \
pending.",
    fix: "Run `liquibase update` in the release step.",
    examples: &["liquibase update-sql"],
};

static RULES: &[&Rule] = &[
    &CHANGELOG_SYNC,
    &CLEAR_CHECKSUMS,
    &DROP_ALL,
    &ROLLBACK,
    &RELEASE_LOCKS,
    &PRINT_ONLY,
];

const VALUE_OPTIONS: &[&str] = &[
    "--changelog-file",
    "--changeLogFile",
    "--url",
    "--username",
    "--password",
    "--defaults-file",
    "--defaultsFile",
    "--tag",
    "--count",
    "--contexts",
    "--context-filter",
    "--labels",
    "--label-filter",
    "--log-level",
    "--logLevel",
    "--search-path",
    "--driver",
    "--classpath",
    "--date",
    "--output-file",
];

/// `changelogSync` → `changelog-sync` (Liquibase accepts both spellings).
fn kebab(command: &str) -> String {
    let mut out = String::with_capacity(command.len() + 4);
    for c in command.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(inv.program.as_str(), "liquibase" | "liquibase.bat" | "lb") {
        return None;
    }
    let sub = kebab(inv.positionals(VALUE_OPTIONS).first()?.text.as_str());
    let c = |a| Classified::new(Tool(&TOOL), a);
    Some(match sub.as_str() {
        s if s.ends_with("-sql") => c(Action::PrintOnly).hit(&PRINT_ONLY),
        "update" | "update-count" | "update-to-tag" | "update-one-changeset" => c(Action::Apply),
        "changelog-sync" | "changelog-sync-to-tag" | "mark-next-changeset-ran" => {
            c(Action::Stamp).hit_with(&CHANGELOG_SYNC, format!("`{sub}`"))
        }
        "clear-checksums" => c(Action::Stamp).hit(&CLEAR_CHECKSUMS),
        "drop-all" => c(Action::Destroy).hit(&DROP_ALL),
        "rollback"
        | "rollback-count"
        | "rollback-to-date"
        | "rollback-one-changeset"
        | "rollback-one-update"
        | "update-testing-rollback" => c(Action::Rollback).hit_with(&ROLLBACK, format!("`{sub}`")),
        "release-locks" => c(Action::Other).hit(&RELEASE_LOCKS),
        "status" | "validate" | "history" | "diff" | "snapshot" | "list-locks" => {
            c(Action::ReadOnly)
        }
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "liquibase",
    programs: &["liquibase"],
    images: &["liquibase/liquibase", "liquibase"],
    run_as: &["liquibase"],
    subcommands: &[
        "update",
        "update-count",
        "update-to-tag",
        "changelog-sync",
        "changelog-sync-to-tag",
        "mark-next-changeset-ran",
        "rollback",
        "rollback-count",
        "clear-checksums",
    ],
    value_options: VALUE_OPTIONS,
    carried: &[
        "--changelog-file",
        "--changeLogFile",
        "--defaults-file",
        "--defaultsFile",
        "--contexts",
        "--labels",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "liquibase",
    name: "Liquibase",
    docs_url: "https://docs.liquibase.com/commands/home.html",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["liquibase --changelog-file=changelog.xml update"],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "databasechangelog",
        columns: &["orderexecuted"],
        companions: &["databasechangeloglock"],
        entries: Entries::EachApplied,
        query: |t| {
            t.select(
                &["id", "author", "filename", "exectype", "md5sum"],
                Some("orderexecuted"),
            )
        },
        read: read_ledger,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["update"],
        unrecord: Unrecord::Rows(RowKey::Liquibase),
        dirty: Dirty::Rows(RowKey::Liquibase),
        accept_checksum: Some(Accept {
            args: &["clear-checksums"],
            means: "forget the recorded checksums; the next `update` records the files' current ones (the edits themselves never run here)",
        }),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        launcher: &["liquibase"],
        step: Step::Next {
            args: |p| with_config(p, "--changelog-file=", &["update-count", "--count=1"]),
            done: &["no changesets to execute"],
        },
        connect: |db, _| {
            let (jdbc, user, password) = spelling::jdbc(&db.url, db.mariadb);
            let mut args = vec![format!("--url={jdbc}")];
            if !user.is_empty() {
                args.push(format!("--username={user}"));
            }
            if !password.is_empty() {
                args.push(format!("--password={password}"));
            }
            Connect {
                args,
                ..Connect::default()
            }
        },
        driver: None,
    }),
};

/// Entries are `file::id::author`; `FAILED` rows are dirty, `SKIPPED` ones
/// did nothing. `changelog-sync` writes `EXECUTED` too: only the schema tells.
fn read_ledger(l: &mut Ledger, rows: &[Row]) {
    for r in rows {
        let key = format!("{}::{}::{}", field(r, 2), field(r, 0), field(r, 1));
        match field(r, 3) {
            "FAILED" => l.dirty.push(key),
            "SKIPPED" => {}
            _ => {
                if let Some(md5) = r.get(4).cloned().flatten() {
                    l.checksums.insert(key.clone(), md5);
                }
                l.applied.push(key);
            }
        }
    }
    l.current = l.applied.last().cloned().into_iter().collect();
}
