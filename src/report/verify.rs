//! Rendering verifications: human and JSON.

use super::SCHEMA_VERSION;
use super::human::Style;
use crate::definitions::Severity;
use crate::diagnosis::Verdict;
use crate::repair::{Plan, ProofStatus};
use crate::verify::Verification;
use serde_json::{Value, json};
use std::fmt::Write;

pub fn json(v: &Verification) -> Value {
    json!({
        "schema_version": SCHEMA_VERSION,
        "database": v.database,
        "engine": v.engine,
        "verdict": v.verdict,
        "reason": v.reason,
        "ledger": v.ledger.as_ref().map(|l| json!({
            "tool": l.tool,
            "table": l.table,
            "version": l.version(),
            "current": l.current,
            "applied": l.applied,
            "dirty": l.dirty,
            "notes": l.notes,
        })),
        "matched_revision": v.matched_revision,
        "recorded_not_applied": v.recorded_not_applied,
        "applied_not_recorded": v.applied_not_recorded,
        "partly_applied": v.partly_applied,
        "pending": v.pending,
        "compared_with": v.compared_with,
        "drift": v.drift,
        "expected": v.expected,
        "repair": v.repair.as_ref().map(repair_json),
        "duration_ms": v.duration_ms,
    })
}

/// A repair plan in JSON: its steps, whether it is proven, the proof's log.
pub fn repair_json(p: &Plan) -> Value {
    json!({
        "verdict": p.verdict,
        "tool": p.tool,
        "launcher": p.launcher,
        "before": p.before,
        "steps": p.steps,
        "alternatives": p.alternatives,
        "proven": p.is_proven(),
        "proof": p.proof,
    })
}

/// A repair plan for people: numbered steps, then whether it was proven.
pub fn repair_human(p: &Plan, style: Style) -> String {
    let mut s = String::new();
    let status = match p.proof.status {
        ProofStatus::Proven => style.green("proven on a shadow database"),
        ProofStatus::NotProven => style.severity_word(Severity::Warning, "not proven"),
        ProofStatus::Failed => style.severity_word(Severity::Error, "proof failed"),
    };
    let _ = writeln!(s, "{} ({status})", style.bold("repair plan"));
    for b in &p.before {
        let _ = writeln!(s, "  check first: {b}");
    }
    for (i, step) in p.steps.iter().enumerate() {
        let _ = writeln!(s, "  {}. {}", i + 1, step.why);
        for line in step.text.lines() {
            let _ = writeln!(s, "       {line}");
        }
    }
    for a in &p.alternatives {
        let _ = writeln!(s, "  instead: {}", a.why);
        let _ = writeln!(s, "       {}", a.text);
    }
    match p.proof.status {
        ProofStatus::Proven => {
            let _ = writeln!(s, "  {}", p.proof.reason);
        }
        ProofStatus::NotProven => {
            let _ = writeln!(s, "  not proven: {}", p.proof.reason);
        }
        ProofStatus::Failed => {
            if let Some(n) = p.proof.failed_step {
                let _ = writeln!(
                    s,
                    "  step {n} failed on the shadow database; do not run this plan:"
                );
            } else {
                let _ = writeln!(s, "  the plan does not repair the database; do not run it:");
            }
            for line in p.proof.reason.lines() {
                let _ = writeln!(s, "    {line}");
            }
        }
    }
    let _ = writeln!(s, "  preflight never runs a plan against the database.");
    s
}

fn verdict_style(style: Style, v: Verdict) -> String {
    match v.severity() {
        None => style.green(v.as_str()),
        Some(Severity::Warning) => style.severity_word(Severity::Warning, v.as_str()),
        Some(_) => style.severity_word(Severity::Error, v.as_str()),
    }
}

// Long on purpose: the verdict's human report, section by section in the order a person reads it
// (verdict, ledger, missing objects, evidence, repair); each section is short and only prints.
pub fn human(v: &Verification, style: Style, show_info: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} {}",
        style.bold("verdict:"),
        verdict_style(style, v.verdict)
    );
    let _ = writeln!(s, "  {}\n", v.reason);
    let _ = writeln!(
        s,
        "  {} {} ({})",
        style.bold("database"),
        v.database,
        v.engine.name()
    );
    match &v.ledger {
        Some(l) => {
            let _ = writeln!(
                s,
                "  {}   {} ({}): {}",
                style.bold("ledger"),
                l.tool.id(),
                l.table,
                l.version()
            );
            for n in &l.notes {
                let _ = writeln!(s, "           {n}");
            }
        }
        None => {
            let _ = writeln!(s, "  {}   none found", style.bold("ledger"));
        }
    }
    if let Some(e) = &v.expected {
        let head = e
            .head
            .as_deref()
            .map(|h| format!(", head {h}"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "  {} {:?} {} ({} revision{}{head})",
            style.bold("expected"),
            e.source,
            e.path,
            e.revisions,
            if e.revisions == 1 { "" } else { "s" }
        );
    }
    if let Some(m) = &v.matched_revision {
        let _ = writeln!(s, "  {}  {m}", style.bold("matches"));
    }
    if !v.recorded_not_applied.is_empty() {
        let _ = writeln!(
            s,
            "  {} {}",
            style.bold("recorded, not applied:"),
            v.recorded_not_applied.join(", ")
        );
    }
    if !v.applied_not_recorded.is_empty() {
        let _ = writeln!(
            s,
            "  {} {}",
            style.bold("applied, not recorded:"),
            v.applied_not_recorded.join(", ")
        );
    }
    if let Some(p) = &v.partly_applied {
        let _ = writeln!(
            s,
            "  {} {}{}",
            style.bold("partly applied:"),
            p.revision,
            if p.recorded {
                " (recorded)"
            } else {
                " (not recorded)"
            }
        );
        let _ = writeln!(s, "    done:     {}", p.present.join(", "));
        let _ = writeln!(s, "    not done: {}", p.absent.join(", "));
    }
    if !v.pending.is_empty() {
        let _ = writeln!(s, "  {} {}", style.bold("pending:"), v.pending.join(", "));
    }
    let shown: Vec<_> = v
        .drift
        .iter()
        .filter(|d| show_info || d.severity >= Severity::Warning)
        .collect();
    if !shown.is_empty() {
        let against = v
            .compared_with
            .as_deref()
            .map(|c| format!(" (against {c})"))
            .unwrap_or_default();
        let _ = writeln!(s, "\n  {}{against}:", style.bold("drift"));
        for d in &shown {
            let _ = writeln!(
                s,
                "    {:<8} {}",
                style.severity_word(d.severity, d.severity.as_str()),
                d.describe()
            );
        }
    }
    let hidden = v.drift.len() - shown.len();
    if hidden > 0 {
        let _ = writeln!(
            s,
            "    ({hidden} informational difference{} not shown; --show-info lists them)",
            if hidden == 1 { "" } else { "s" }
        );
    }
    if let Some(e) = &v.expected
        && !e.notes.is_empty()
    {
        let _ = writeln!(
            s,
            "\n  {}",
            style.bold("not modelled from the expected source:")
        );
        for n in e.notes.iter().take(10) {
            let _ = writeln!(s, "    {n}");
        }
        if e.notes.len() > 10 {
            let _ = writeln!(s, "    … and {} more", e.notes.len() - 10);
        }
    }
    if let Some(p) = &v.repair {
        let _ = writeln!(s);
        for line in repair_human(p, style).lines() {
            let _ = writeln!(s, "  {line}");
        }
    }
    let _ = writeln!(s, "\n  checked in {} ms", v.duration_ms);
    s
}
