//! JSON output (`--format json`), versioned by `schema_version`.

use super::SCHEMA_VERSION;
use crate::definitions::Severity;
use crate::lint::LintReport;
use serde_json::{Value, json};

pub fn lint(report: &LintReport, show_suppressed: bool, verbose: bool) -> Value {
    let findings: Vec<&crate::lint::Finding> = report
        .findings
        .iter()
        .filter(|f| show_suppressed || f.suppressed.is_none())
        .collect();
    let mut out = json!({
        "schema_version": SCHEMA_VERSION,
        "tool": { "name": "preflight", "version": env!("CARGO_PKG_VERSION") },
        "findings": findings,
        "errors": report.errors,
        "notices": report.notices,
        "summary": {
            "files": report.files,
            "documents": report.documents,
            "steps": report.steps,
            "errors": report.count(Severity::Error),
            "warnings": report.count(Severity::Warning),
            "infos": report.count(Severity::Info),
            "suppressed": report.suppressed(),
            "input_errors": report.errors.len(),
            "skipped": report.skipped.len(),
        }
    });
    if verbose {
        out["skipped"] = json!(report.skipped);
    }
    out
}
