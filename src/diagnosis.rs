//! Diagnosis: the verdict and its reason, from the ledger, the expected
//! schemas per revision and the live schema.
//!
//! The revision the live schema really matches is the one with the fewest
//! differences, counting both what it is missing and what later revisions
//! explain; a ledger ahead of that revision means migrations were recorded
//! without being applied.

use crate::drift::{self, Change, DiffOptions, DriftItem};
use crate::expected::Expected;
use crate::ledger::Ledger;
use crate::rules::Severity;
use crate::schema::Schema;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    InSync,
    Pending,
    LedgerAhead,
    UnknownRevision,
    Dirty,
    ChecksumMismatch,
    ManualChange,
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::InSync => "in_sync",
            Verdict::Pending => "pending",
            Verdict::LedgerAhead => "ledger_ahead",
            Verdict::UnknownRevision => "unknown_revision",
            Verdict::Dirty => "dirty",
            Verdict::ChecksumMismatch => "checksum_mismatch",
            Verdict::ManualChange => "manual_change",
            Verdict::Error => "error",
        }
    }

    /// How bad the verdict is, for `--fail-on` (`error` is always exit 2).
    pub fn severity(self) -> Option<Severity> {
        match self {
            Verdict::InSync => None,
            Verdict::Pending => Some(Severity::Warning),
            _ => Some(Severity::Error),
        }
    }

    /// The ledger's claims hold (the schema has what the ledger says).
    pub fn ledger_consistent(self) -> bool {
        matches!(self, Verdict::InSync | Verdict::Pending)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub verdict: Verdict,
    pub reason: String,
    /// The revision the live schema matches best.
    pub matched_revision: Option<String>,
    /// Revisions the ledger records whose changes are not in the schema.
    pub recorded_not_applied: Vec<String>,
    /// Revisions after the ledger's version (not yet run).
    pub pending: Vec<String>,
    /// Drift against the revision the ledger claims (or the head).
    pub drift: Vec<DriftItem>,
    /// The revision the drift was computed against.
    pub compared_with: Option<String>,
}

/// Differences that count for a verdict: warnings and errors.
fn significant(items: &[DriftItem]) -> usize {
    items
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .count()
}

fn join(v: &[String]) -> String {
    match v.len() {
        0 => String::new(),
        1 => v[0].clone(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

pub fn diagnose(expected: &Expected, ledger: Option<&Ledger>, live: &Schema) -> Diagnosis {
    let opts = DiffOptions {
        partial: expected.partial,
    };
    let diffs: Vec<Vec<DriftItem>> = expected
        .revisions
        .iter()
        .map(|r| drift::diff(&r.schema, live, opts))
        .collect();
    let head = expected.revisions.len().saturating_sub(1);
    let id = |i: usize| expected.revisions.get(i).and_then(|r| r.id.clone());
    let ids = |range: std::ops::Range<usize>| -> Vec<String> { range.filter_map(id).collect() };

    // The best-matching revision: fewest significant differences, counting
    // live objects that only later revisions create; ties go to the latest.
    let matched = (0..diffs.len()).min_by_key(|&i| {
        let missing = significant(&diffs[i]);
        let explained_extras = diffs[i]
            .iter()
            .filter(|d| {
                d.change == Change::Extra
                    && diffs.iter().skip(i + 1).any(|later| {
                        !later.iter().any(|l| {
                            l.change == Change::Extra && l.name == d.name && l.object == d.object
                        })
                    })
            })
            .count();
        (missing + explained_extras, usize::MAX - i)
    });

    let mut d = Diagnosis {
        verdict: Verdict::InSync,
        reason: String::new(),
        matched_revision: matched.and_then(id),
        recorded_not_applied: Vec::new(),
        pending: Vec::new(),
        drift: Vec::new(),
        compared_with: None,
    };

    // Which revision the ledger claims.
    let claimed: Option<usize> = match ledger {
        Some(l) if expected.has_revisions() => {
            if l.current.is_empty() {
                None
            } else {
                let positions: Vec<Option<usize>> =
                    l.current.iter().map(|v| expected.position(v)).collect();
                if let Some(unknown) = l
                    .current
                    .iter()
                    .zip(&positions)
                    .find(|(_, p)| p.is_none())
                    .map(|(v, _)| v)
                {
                    d.verdict = Verdict::UnknownRevision;
                    d.reason = format!(
                        "{} says {unknown}, which is none of the {} known revisions ({} … {}): the database was migrated by another version of the code, or the ledger was edited",
                        l.table,
                        expected.revisions.len(),
                        id(0).unwrap_or_default(),
                        id(head).unwrap_or_default()
                    );
                    d.drift = diffs.get(head).cloned().unwrap_or_default();
                    d.compared_with = id(head);
                    return d;
                }
                positions.into_iter().flatten().max()
            }
        }
        _ => None,
    };

    if let Some(l) = ledger.filter(|l| !l.dirty.is_empty()) {
        let at = claimed.unwrap_or(head);
        d.verdict = Verdict::Dirty;
        d.reason = format!(
            "{} records {} as failed or half-applied ({}): the schema is whatever the failure left",
            l.table,
            join(&l.dirty),
            l.tool.name()
        );
        d.drift = diffs.get(at).cloned().unwrap_or_default();
        d.compared_with = id(at);
        return d;
    }

    // Applied files edited after they ran.
    if let Some(l) = ledger {
        let edited: Vec<String> = expected
            .revisions
            .iter()
            .filter_map(|r| {
                let rid = r.id.as_ref()?;
                let recorded = l.checksums.get(rid)?;
                let now = r.checksum.as_ref()?;
                (recorded != now).then(|| rid.clone())
            })
            .collect();
        if !edited.is_empty() {
            let at = claimed.unwrap_or(head);
            d.verdict = Verdict::ChecksumMismatch;
            d.reason = format!(
                "{} was applied and then edited: its checksum in {} differs from the file",
                join(&edited),
                l.table
            );
            d.drift = diffs.get(at).cloned().unwrap_or_default();
            d.compared_with = id(at);
            return d;
        }
    }

    match (ledger, claimed) {
        (Some(l), Some(c)) => {
            d.compared_with = id(c);
            d.drift = diffs[c].clone();
            let m = matched.unwrap_or(c);
            if significant(&diffs[c]) == 0 {
                if c == head {
                    d.verdict = Verdict::InSync;
                    d.reason = format!(
                        "{} says {} and the schema has everything it requires",
                        l.table,
                        l.version()
                    );
                } else {
                    d.verdict = Verdict::Pending;
                    d.pending = ids(c + 1..head + 1);
                    d.reason = format!(
                        "{} says {}, the schema matches it, and {} not run yet: {}",
                        l.table,
                        l.version(),
                        plural_migrations(d.pending.len()),
                        join(&d.pending)
                    );
                }
            } else if m < c && significant(&diffs[m]) < significant(&diffs[c]) {
                d.verdict = Verdict::LedgerAhead;
                d.recorded_not_applied = ids(m + 1..c + 1);
                let missing = summarize_missing(&diffs[c], expected);
                d.reason = format!(
                    "{} says {}, but the schema matches {}: {} {} recorded, not applied{}",
                    l.table,
                    l.version(),
                    id(m).unwrap_or_default(),
                    join(&d.recorded_not_applied),
                    if d.recorded_not_applied.len() == 1 {
                        "was"
                    } else {
                        "were"
                    },
                    if missing.is_empty() {
                        String::new()
                    } else {
                        format!("; missing {missing}")
                    }
                );
            } else if m > c && significant(&diffs[m]) == 0 {
                d.verdict = Verdict::ManualChange;
                d.reason = format!(
                    "the schema matches {}, newer than {} in {}: migrations were applied without being recorded",
                    id(m).unwrap_or_default(),
                    l.version(),
                    l.table
                );
            } else if c == 0
                && diffs[c]
                    .iter()
                    .any(|x| x.change == Change::Missing && x.severity == Severity::Error)
            {
                // Nothing earlier to compare with (a single snapshot at the
                // ledger's revision): missing objects are the ledger's claim failing.
                d.verdict = Verdict::LedgerAhead;
                d.reason = format!(
                    "{} says {}, but the schema lacks {} (expectations per revision would show which revisions were skipped)",
                    l.table,
                    l.version(),
                    summarize_missing(&diffs[c], expected)
                );
            } else {
                d.verdict = Verdict::ManualChange;
                d.reason = format!(
                    "{} says {}, and the schema differs from it in ways no revision explains: {}",
                    l.table,
                    l.version(),
                    summarize(&diffs[c])
                );
            }
        }
        (Some(l), None) if expected.has_revisions() && l.current.is_empty() => {
            // An empty ledger: nothing is recorded.
            let m = matched.unwrap_or(0);
            d.compared_with = id(head);
            d.drift = diffs[head].clone();
            if significant(&diffs[m]) == 0 && live_has_objects(live) {
                d.verdict = Verdict::ManualChange;
                d.reason = format!(
                    "{} is empty, but the schema matches {}: migrations were applied without being recorded",
                    l.table,
                    id(m).unwrap_or_default()
                );
            } else {
                d.verdict = Verdict::Pending;
                d.pending = ids(0..head + 1);
                d.reason = format!(
                    "{} is empty: {} not run yet",
                    l.table,
                    plural_migrations(d.pending.len())
                );
            }
        }
        _ => {
            // No ledger, or expectations without revisions: compare with the head.
            d.compared_with = id(head);
            d.drift = diffs.get(head).cloned().unwrap_or_default();
            let problems = significant(&d.drift);
            let no_ledger = if ledger.is_none() {
                "no migration ledger was found; "
            } else {
                ""
            };
            if problems == 0 {
                d.verdict = Verdict::InSync;
                d.reason =
                    format!("{no_ledger}the schema has everything the expected schema requires");
            } else if ledger.is_some()
                && d.drift
                    .iter()
                    .any(|x| x.change == Change::Missing && x.severity == Severity::Error)
            {
                d.verdict = Verdict::LedgerAhead;
                let l = ledger
                    .map(|l| format!("{} says {}", l.table, l.version()))
                    .unwrap_or_default();
                d.reason = format!(
                    "{l}, but the schema lacks {} (give expectations per revision to see which revisions were skipped)",
                    summarize_missing(&d.drift, expected)
                );
            } else {
                d.verdict = Verdict::ManualChange;
                let matched = match (expected.has_revisions(), matched) {
                    (true, Some(m)) if m != head && significant(&diffs[m]) == 0 => {
                        format!(" (it matches {})", id(m).unwrap_or_default())
                    }
                    _ => String::new(),
                };
                d.reason = format!(
                    "{no_ledger}the schema differs from the expected schema{matched}: {}",
                    summarize(&d.drift)
                );
            }
        }
    }
    d
}

fn live_has_objects(live: &Schema) -> bool {
    live.tables
        .keys()
        .any(|q| !crate::ledger::is_tool_table(&q.name))
}

fn plural_migrations(n: usize) -> String {
    if n == 1 {
        "1 migration is".into()
    } else {
        format!("{n} migrations are")
    }
}

/// `tables sessions and notifications (and 7 indexes)`: tables in the order
/// the revisions create them, then the other missing objects by kind.
fn summarize_missing(items: &[DriftItem], expected: &Expected) -> String {
    use crate::drift::ObjectKind;
    let created_at = |name: &str| {
        expected
            .revisions
            .iter()
            .position(|r| {
                r.schema
                    .tables
                    .keys()
                    .any(|q| q.to_string() == name || q.name == name)
            })
            .unwrap_or(usize::MAX)
    };
    let mut tables: Vec<String> = items
        .iter()
        .filter(|d| d.change == Change::Missing && d.object == ObjectKind::Table)
        .map(|d| d.name.clone())
        .collect();
    tables.sort_by_key(|t| (created_at(t), t.clone()));
    let count = |kind: ObjectKind| {
        items
            .iter()
            .filter(|d| {
                d.change == Change::Missing && d.object == kind && d.severity >= Severity::Warning
            })
            .count()
    };
    let mut others = Vec::new();
    for (kind, one, many) in [
        (ObjectKind::Column, "column", "columns"),
        (ObjectKind::Index, "index", "indexes"),
        (ObjectKind::Constraint, "constraint", "constraints"),
        (ObjectKind::View, "view", "views"),
        (ObjectKind::Enum, "enum type", "enum types"),
    ] {
        match count(kind) {
            0 => {}
            1 => others.push(format!("1 {one}")),
            n => others.push(format!("{n} {many}")),
        }
    }
    let mut out = String::new();
    if !tables.is_empty() {
        out = format!(
            "{} {}",
            if tables.len() == 1 { "table" } else { "tables" },
            join(&tables)
        );
    }
    if !others.is_empty() {
        let rest = join(&others);
        out = if out.is_empty() {
            rest
        } else {
            format!("{out} (and {rest})")
        };
    }
    out
}

/// The first few significant differences, for a reason line.
fn summarize(items: &[DriftItem]) -> String {
    let sig: Vec<String> = items
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .map(DriftItem::describe)
        .collect();
    match sig.len() {
        0 => "no significant differences".into(),
        n if n <= 3 => sig.join("; "),
        n => format!("{}; and {} more", sig[..3].join("; "), n - 3),
    }
}
