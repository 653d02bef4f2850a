//! Sqitch: a registry schema (`sqitch.changes`, `events`, `tags`) with script hashes.

use super::prelude::*;

pub(super) static LOG_ONLY: Rule = Rule {
    id: "sqitch/log-only",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`sqitch deploy --log-only` logs changes as deployed without running them",
    message: "logs changes as deployed in the registry without running their deploy scripts",
    explanation: "`--log-only` will \"log the changes as if they were deployed, but without actually running \
the deploy scripts\" (and `revert --log-only` the reverse). In a release step the registry runs ahead of \
the schema. Sqitch's own `verify` would catch it; the log-only deploy skips that too.",
    fix: "Run `sqitch deploy` (ideally with `--verify`) in the release step.",
    examples: &["sqitch deploy --log-only"],
};

pub(super) static REVERT: Rule = Rule {
    id: "sqitch/revert",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`sqitch revert` / `rebase` / `checkout` moves the schema backwards",
    message: "reverts changes, moving the schema backwards",
    explanation: "`revert` runs revert scripts (to `--to` or all the way), `rebase` reverts then deploys \
again, and `checkout` reverts to the branch point before deploying another branch. In a release step \
they churn or drop the schema on every deploy.",
    fix: "Release steps run `sqitch deploy`.",
    examples: &["sqitch revert -y", "sqitch rebase --onto @HEAD^ -y"],
};

static RULES: &[&Rule] = &[&LOG_ONLY, &REVERT];

fn classify(inv: &Invocation) -> Option<Classified> {
    if inv.program != "sqitch" {
        return None;
    }
    let sub = inv.positionals(CLI.value_options).first()?.text.as_str();
    let c = |a| Classified::new(Tool(&TOOL), a);
    let log_only = inv.has_flag(&["--log-only"]);
    Some(match sub {
        "deploy" if log_only => c(Action::Stamp).hit(&LOG_ONLY),
        "deploy" => c(Action::Apply),
        "revert" if log_only => c(Action::Stamp).hit_with(
            &LOG_ONLY,
            "`revert --log-only` removes changes from the registry without reverting",
        ),
        "revert" | "rebase" | "checkout" => {
            c(Action::Rollback).hit_with(&REVERT, format!("`{sub}`"))
        }
        "status" | "check" | "verify" | "log" | "plan" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "sqitch",
    programs: &["sqitch"],
    images: &["sqitch/sqitch"],
    run_as: &["sqitch"],
    subcommands: &["deploy", "revert", "rebase", "checkout", "status", "verify"],
    carried: &[
        "--target",
        "-t",
        "--plan-file",
        "--top-dir",
        "--chdir",
        "-C",
    ],
    value_options: &[
        "--to",
        "--to-change",
        "--target",
        "-t",
        "--plan-file",
        "-f",
        "--engine",
        "--top-dir",
        "--registry",
        "--db-name",
        "-d",
        "--db-user",
        "-u",
        "--db-host",
        "-h",
        "--db-port",
        "-p",
        "--mode",
        "--onto",
        "--set",
        "-s",
        "-C",
        "--chdir",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "sqitch",
    name: "Sqitch",
    docs_url: "https://sqitch.org/docs/manual/sqitch-deploy/",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["sqitch deploy --verify"],
    sql_folder: None,
    ledger: None,
    repair: RepairDef {
        apply: &["deploy"],
        unrecord: Unrecord::To(|kept| {
            let mut v: Vec<String> = ["revert", "--log-only", "-y"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            if let Some(k) = kept.first() {
                v.push("--to".into());
                v.push(k.clone());
            }
            v
        }),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Unsupported {
        instead: "preflight does not drive Sqitch yet; record the schema after each change with `preflight snapshot --revision R` on a database deployed that far (`sqitch deploy --to <change>`)",
    },
};
