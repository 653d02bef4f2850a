//! Judging a release step: classify its invocations, then apply context —
//! the phase, a stamp that runs only when an upgrade failed, a bootstrap
//! script, a failure that cannot stop the deploy.

use crate::command::{self, Branch, Invocation, Link};
use crate::definitions::{Action, Classified, Rule, RuleKind, Severity};
use crate::release_step::{Phase, ReleaseStep};
use crate::rules::{self, release};
use std::ops::Range;

/// A finding before it is located and checked against suppressions.
#[derive(Debug, Clone)]
pub struct Judged {
    pub rule: &'static Rule,
    pub severity: Severity,
    /// Byte range in the document text.
    pub span: Range<usize>,
    pub message: String,
    /// The invocation as written, when the finding is about one.
    pub command: Option<String>,
}

#[derive(Debug, Default)]
pub struct StepJudgement {
    pub findings: Vec<Judged>,
    /// The step runs a migration tool to change the schema (apply, stamp,
    /// roll back, …): the app has a migration step, right or wrong.
    pub handles_migrations: bool,
    /// The step applies migrations (`alembic upgrade head`, …).
    pub applies_migrations: bool,
    /// How the step runs each migration tool that applies or records
    /// migrations, for repair plans.
    pub launchers: Vec<(crate::definitions::Tool, crate::repair::Launcher)>,
}

// Long on purpose: the release step's judgement reads top to bottom as the policy does
// (command analysis, tools, ordering, launchers); each part adds findings to the same judgement.
pub fn judge_step(step: &ReleaseStep) -> StepJudgement {
    let Some(cmd) = &step.command else {
        return StepJudgement {
            findings: vec![Judged {
                rule: &release::DEFAULT_COMMAND,
                severity: release::DEFAULT_COMMAND.severity,
                span: step.at..step.at + 1,
                message: format!("{} {}", step.object, release::DEFAULT_COMMAND.message),
                command: None,
            }],
            handles_migrations: false,
            applies_migrations: false,
            launchers: Vec::new(),
        };
    };
    let mut invs = command::analyze(cmd, &crate::tools::Registry);
    if !step.env.is_empty() {
        // The spec's environment is in effect under the command's own assignments.
        let base: Vec<(String, String)> = step
            .env
            .iter()
            .map(|e| (e.name.clone(), e.value.clone()))
            .collect();
        for inv in &mut invs {
            inv.env.splice(0..0, base.iter().cloned());
        }
    }
    let classes: Vec<Option<Classified>> = invs.iter().map(rules::classify).collect();
    let action = |i: usize| classes[i].as_ref().map(|c| c.action);
    let applies_directly = (0..invs.len()).any(|i| action(i) == Some(Action::Apply));
    let also_applies =
        (0..invs.len()).any(|i| matches!(action(i), Some(Action::Apply | Action::ApplyIndirect)));
    let mut out = StepJudgement {
        findings: Vec::new(),
        applies_migrations: applies_directly,
        handles_migrations: (0..invs.len()).any(|i| {
            !matches!(
                action(i),
                None | Some(Action::Other | Action::ReadOnly | Action::CreateSchema)
            )
        }),
        launchers: invs
            .iter()
            .zip(&classes)
            .filter_map(|(inv, c)| {
                let c = c.as_ref()?;
                let tool = c.tool?;
                matches!(c.action, Action::Apply | Action::Stamp).then_some(())?;
                let words = command::words_of(&inv.display);
                crate::repair::launcher_in(tool, &words).map(|l| (tool, l))
            })
            .collect(),
    };

    for (i, inv) in invs.iter().enumerate() {
        let Some(class) = &classes[i] else { continue };
        for hit in &class.hits {
            let rule = hit.rule;
            let mut severity = hit.severity.unwrap_or(rule.severity);
            let mut message = format!("`{}` {}", inv.display, rule.message);
            if let Some(d) = &hit.detail {
                message.push_str(&format!(" ({d})"));
            }
            match rule.kind {
                RuleKind::Stamp => {
                    if let Some(upgrade) = fallback_for(&invs, &classes, i) {
                        severity = Severity::Error;
                        message.push_str(&format!(
                            "; it runs when `{upgrade}` fails, so a failed migration is recorded as applied"
                        ));
                    } else if !step.phase.is_recurring()
                        && creates_tables_before(&invs, &classes, i)
                    {
                        severity = severity.min(Severity::Warning);
                        message.push_str(
                            "; after creating the tables in a one-off step (the bootstrap recipe): correct only on an empty database",
                        );
                    }
                }
                // Printing SQL beside a real apply is only noise; as the only
                // migration of a step that runs on every deploy it means the
                // schema never moves while the deploy goes ahead.
                RuleKind::PrintOnly if also_applies => {
                    severity = Severity::Warning;
                    message.push_str("; the step also applies migrations, so this only prints");
                }
                RuleKind::PrintOnly if step.phase.is_recurring() => {
                    severity = Severity::Error;
                    message.push_str(&format!(
                        "; it is the step's only migration command and {}",
                        step.phase.describe()
                    ));
                }
                RuleKind::Rollback if step.phase.is_recovery() => {
                    severity = severity.min(Severity::Warning);
                }
                _ => {}
            }
            out.findings.push(Judged {
                rule,
                severity,
                span: inv.span.clone(),
                message,
                command: Some(inv.display.clone()),
            });
        }
        if class.action == Action::Apply
            && let Some(how) = masked(&invs, i).or_else(|| step.failure_ignored.clone())
        {
            let rule = &release::MASKED_FAILURE;
            let severity = if step.phase == Phase::Startup {
                Severity::Warning
            } else {
                rule.severity
            };
            out.findings.push(Judged {
                rule,
                severity,
                span: inv.span.clone(),
                message: format!("`{}` {}: {how}", inv.display, rule.message),
                command: Some(inv.display.clone()),
            });
        }
    }

    if step.phase == Phase::Startup
        && let Some(i) = (0..invs.len()).find(|&i| action(i) == Some(Action::Apply))
    {
        let rule = &release::MIGRATE_ON_START;
        out.findings.push(Judged {
            rule,
            severity: rule.severity,
            span: invs[i].span.clone(),
            message: format!("`{}` in {} {}", invs[i].display, step.object, rule.message),
            command: Some(invs[i].display.clone()),
        });
    }
    out
}

/// The upgrade whose failure makes invocation `i` run: `upgrade || stamp`,
/// `if ! upgrade; then stamp; fi`, `if upgrade; then …; else stamp; fi`.
fn fallback_for(invs: &[Invocation], classes: &[Option<Classified>], i: usize) -> Option<String> {
    let applies = |j: usize| {
        classes[j]
            .as_ref()
            .is_some_and(|c| c.action == Action::Apply)
    };
    let inv = &invs[i];
    if inv.link == Link::Or {
        // Walk back through the and-or list this command ends.
        let mut j = i;
        while j > 0 {
            j -= 1;
            if applies(j) {
                return Some(invs[j].display.clone());
            }
            if !matches!(invs[j + 1].link, Link::And | Link::Or)
                || matches!(invs[j].link, Link::First | Link::Seq | Link::Background)
            {
                break;
            }
        }
    }
    let (id, want_negated) = match inv.branch {
        Branch::Then(id) => (id, true),
        Branch::Else(id) => (id, false),
        _ => return None,
    };
    (0..i)
        .find(|&j| {
            invs[j].branch == Branch::IfCondition(id)
                && invs[j].negated == want_negated
                && applies(j)
        })
        .map(|j| invs[j].display.clone())
}

/// True when an earlier command of the step creates tables outside the
/// migration tool (`metadata.create_all()`, a schema load, an init script).
fn creates_tables_before(invs: &[Invocation], classes: &[Option<Classified>], i: usize) -> bool {
    (0..i).any(|j| {
        classes[j]
            .as_ref()
            .is_some_and(|c| c.action == Action::CreateSchema)
            || {
                let d = invs[j].display.to_ascii_lowercase();
                [
                    "create_all",
                    "create_tables",
                    "init_db",
                    "initdb",
                    "create_db",
                    "db.create",
                    "schema.sql",
                    "psql -f",
                    "--file",
                ]
                .iter()
                .any(|k| d.contains(k))
            }
    })
}

/// How the exit status of invocation `i` is lost, if it is.
fn masked(invs: &[Invocation], i: usize) -> Option<String> {
    let inv = &invs[i];
    if matches!(inv.branch, Branch::IfCondition(_)) || inv.negated {
        return None; // a condition: its failure is handled by the `if`
    }
    let next = invs.get(i + 1)?;
    match next.link {
        Link::Pipe if !inv.pipefail => Some(format!(
            "its output is piped into `{}` and, without `set -o pipefail`, the pipeline's status is that command's",
            next.program
        )),
        Link::Background => {
            Some("it runs in the background (`&`), so nothing waits for its status".into())
        }
        Link::Or if never_fails(next) => Some(format!(
            "`|| {}` turns its failure into success",
            next.display
        )),
        Link::Seq if !inv.errexit && !exits_with_status(next) => Some(format!(
            "the script goes on to `{}` after it, whatever its status, because `set -e` is not in effect",
            next.display
        )),
        _ => None,
    }
}

fn never_fails(inv: &Invocation) -> bool {
    match inv.program.as_str() {
        "true" | ":" | "echo" | "printf" | "logger" => true,
        "exit" | "return" => inv.args.first().is_some_and(|a| a.text == "0"),
        _ => false,
    }
}

/// `exit`, `exit $?`, `exit 1`: the step still fails when the command before failed.
fn exits_with_status(inv: &Invocation) -> bool {
    inv.program == "exit" && inv.args.first().is_none_or(|a| a.text != "0")
}
