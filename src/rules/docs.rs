//! Documentation pages generated from the catalogue (`docs/rules/`).
//! A test keeps the committed pages identical to what this renders.

use super::catalogue;
use crate::definitions::{Owner, Rule, RuleKind, Severity};
use std::fmt::Write;

fn kind_text(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::Stamp => "records migrations without running them",
        RuleKind::Destroy => "destroys schema or data",
        RuleKind::Rollback => "moves the schema backwards",
        RuleKind::PrintOnly => "applies nothing",
        RuleKind::Unsafe => "weakens a safety check",
        RuleKind::Step => "about the release step as a whole",
    }
}

fn context_text(rule: &Rule) -> &'static str {
    match rule.kind {
        RuleKind::Stamp => {
            "Error in any step that runs on every deploy, start or schedule, and whenever it runs as the fallback of a failed upgrade (`upgrade || stamp`, `if ! upgrade; then stamp; fi`). Warning in a one-off step (a plain Job, a Helm `pre-install`-only hook) where the tables are created first (`create_all()`, a schema load): the bootstrap recipe, correct only on an empty database."
        }
        RuleKind::PrintOnly => {
            "Error when it is the only migration command of a step that runs on every deploy, start or schedule: the step applies nothing, exits 0, and the deploy proceeds against an old schema. Warning in a one-off step, and where the same step also applies migrations (printing the SQL beside a real apply only adds noise)."
        }
        RuleKind::Rollback => {
            "Warning instead of error in recovery steps (DigitalOcean `FAILED_DEPLOY` jobs, Argo CD `SyncFail`, Helm rollback hooks), whose purpose may be a rollback."
        }
        _ => "",
    }
}

/// The Markdown page of one rule.
pub fn page(rule: &Rule) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# `{}`\n", rule.id);
    let _ = writeln!(s, "**{}**\n", rule.title);
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(
        s,
        "| Tool | [{}]({}) |",
        rule.owner.name(),
        rule.owner.docs_url()
    );
    let _ = writeln!(s, "| Default severity | {} |", rule.severity);
    let _ = writeln!(s, "| Kind | {} |\n", kind_text(rule.kind));
    let _ = writeln!(s, "## What goes wrong\n\n{}\n", rule.explanation);
    let ctx = context_text(rule);
    if !ctx.is_empty() {
        let _ = writeln!(s, "## Context\n\n{ctx}\n");
    }
    let _ = writeln!(s, "## How to fix\n\n{}\n", rule.fix);
    let _ = writeln!(s, "## Examples that trigger it\n");
    for e in rule.examples {
        if e.starts_with('(') {
            let _ = writeln!(s, "- {e}");
        } else {
            let _ = writeln!(s, "- `{e}`");
        }
    }
    let _ = writeln!(
        s,
        "\n## Suppressing\n\nOn or directly above the command: `# preflight-ignore {}: <why this is safe>`. \
On a Kubernetes object: the annotation `preflight.dev/ignore: \"{}: <reason>\"`. For a whole file: an \
`allow` entry in `preflight.yaml`. A reason is required; suppressed findings are still counted and shown \
with `--show-suppressed`.",
        rule.id, rule.id
    );
    s
}

/// `docs/rules/README.md`: every rule, by tool.
pub fn index() -> String {
    let mut s = String::from(
        "# Rules\n\nGenerated from the rule catalogue (`preflight rules`). Each page says what goes wrong, how context changes the severity, and how to fix it.\n",
    );
    let mut current: Option<Owner> = None;
    for rule in catalogue() {
        if current != Some(rule.owner) {
            current = Some(rule.owner);
            let _ = writeln!(
                s,
                "\n## {}\n\n| Rule | Severity | What it catches |\n|---|---|---|",
                rule.owner.name()
            );
        }
        let file = rule.id.split_once('/').map_or(rule.id, |(_, f)| f);
        let _ = writeln!(
            s,
            "| [`{}`]({}/{}.md) | {} | {} |",
            rule.id,
            rule.owner.slug(),
            file,
            rule.severity,
            rule.title.replace('|', "\\|")
        );
    }
    s
}

/// Counts per severity, for the README.
pub fn counts() -> (usize, usize, usize) {
    let all = catalogue();
    let n = |s: Severity| all.iter().filter(|r| r.severity == s).count();
    (n(Severity::Error), n(Severity::Warning), n(Severity::Info))
}
