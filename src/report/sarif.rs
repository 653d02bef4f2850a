//! SARIF 2.1.0 (`--format sarif`) for GitHub code scanning and other viewers.
//!
//! Every rule of the catalogue is described in `tool.driver.rules`; suppressed
//! findings are results with `suppressions`, so viewers can show them as
//! dismissed; unreadable input becomes tool execution notifications.

use crate::definitions::Severity;
use crate::lint::{Finding, LintReport};
use crate::rules::{self};
use serde_json::{Value, json};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const INFO_URI: &str = "https://github.com/preflight-dev/preflight";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// A SARIF artifact location: relative paths against `%SRCROOT%`, with `/`
/// separators and percent-encoding.
fn artifact(file: &str) -> Value {
    let path = file.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let encoded = encode_uri_path(path);
    if path.starts_with('/') {
        json!({ "uri": format!("file://{encoded}") })
    } else {
        json!({ "uri": encoded, "uriBaseId": "%SRCROOT%" })
    }
}

fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub fn lint(report: &LintReport) -> Value {
    let catalogue = rules::catalogue();
    let rule_entries: Vec<Value> = catalogue
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": pascal_case(r.id),
                "shortDescription": { "text": r.title },
                "fullDescription": { "text": r.explanation },
                "help": {
                    "text": format!("{}\n\nFix: {}", r.explanation, r.fix),
                    "markdown": format!("{}\n\n**Fix:** {}", r.explanation, r.fix),
                },
                "helpUri": format!("{INFO_URI}/blob/main/{}", r.doc_path()),
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "tags": [r.owner.slug(), "migrations"] },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| result(f, catalogue.iter().position(|r| r.id == f.rule.id)))
        .collect();
    let notifications: Vec<Value> = report
        .errors
        .iter()
        .map(|e| {
            let mut loc = json!({ "physicalLocation": { "artifactLocation": artifact(&e.file) } });
            if let (Some(l), Some(c)) = (e.line, e.column) {
                loc["physicalLocation"]["region"] = json!({ "startLine": l, "startColumn": c });
            }
            json!({ "level": "error", "message": { "text": e.message }, "locations": [loc] })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "preflight",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": INFO_URI,
                "rules": rule_entries,
            }},
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": report.errors.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
}

/// `alembic/stamp` → `AlembicStamp`, the friendly rule name SARIF viewers expect.
fn pascal_case(id: &str) -> String {
    id.split(['/', '-', '_'])
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|first| first.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn result(f: &Finding, rule_index: Option<usize>) -> Value {
    let mut r = json!({
        "ruleId": f.rule.id,
        "level": level(f.severity),
        "message": { "text": f.message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": artifact(&f.file),
                "region": {
                    "startLine": f.line,
                    "startColumn": f.column,
                    "endLine": f.end_line,
                    "endColumn": f.end_column,
                    "snippet": { "text": f.source_line },
                },
            },
            "logicalLocations": [{ "name": f.object, "kind": "object" }],
        }],
        "partialFingerprints": { "preflight/v1": fingerprint(f) },
    });
    if let Some(i) = rule_index {
        r["ruleIndex"] = json!(i);
    }
    if let Some(s) = &f.suppressed {
        let kind = match s.kind {
            crate::lint::suppress::SuppressionKind::Config => "external",
            _ => "inSource",
        };
        r["suppressions"] = json!([{ "kind": kind, "justification": s.reason }]);
    }
    r
}

/// A fingerprint that survives unrelated edits: file, rule, object and command.
fn fingerprint(f: &Finding) -> String {
    // FNV-1a: stable across Rust versions, unlike DefaultHasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        f.file.as_str(),
        f.rule.id,
        f.object.as_str(),
        f.command.as_deref().unwrap_or(""),
    ] {
        for b in part.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}
