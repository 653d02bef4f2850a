//! Diagnosis: the verdict and its reason, from the ledger, the expected
//! revisions and the live schema.
//!
//! The ledger's entries say which revisions were applied; the schema those
//! revisions build is compared with the live one. When they differ, each
//! revision's changes are looked for in the live schema (`evidence`): a
//! recorded revision none of whose changes exist was recorded without being
//! applied (`ledger_ahead`), an unrecorded one whose changes exist was
//! applied without being recorded, and one with only part of its changes
//! was partly applied. No accusation without proof: a ledger behind the
//! expectations is `pending`, and `ledger_ahead` needs a recorded revision
//! whose changes are provably absent.

mod claims;
pub(crate) mod evidence;
#[cfg(test)]
mod tests;

use crate::definitions::Ledger;
use crate::definitions::Severity;
use crate::drift::{self, Change, DiffOptions, DriftItem, ObjectKind};
use crate::expected::Expected;
use crate::schema::Schema;
use claims::Claims;
pub use claims::ancestors;
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

/// A revision some of whose changes exist and others not.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartlyApplied {
    pub revision: String,
    /// Whether the ledger records it.
    pub recorded: bool,
    /// Its changes that are in the schema.
    pub present: Vec<String>,
    /// Its changes that are not.
    pub absent: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnosis {
    pub verdict: Verdict,
    pub reason: String,
    /// The revision the live schema matches best.
    pub matched_revision: Option<String>,
    /// Revisions the ledger records whose changes are not in the schema.
    pub recorded_not_applied: Vec<String>,
    /// Revisions the ledger does not record whose changes are in the schema.
    pub applied_not_recorded: Vec<String>,
    /// A revision applied in part (a failed migration on an engine without
    /// transactional DDL, or a hand edit).
    pub partly_applied: Option<PartlyApplied>,
    /// Revisions not run yet.
    pub pending: Vec<String>,
    /// Drift against the schema the ledger claims (or the head).
    pub drift: Vec<DriftItem>,
    /// The revision the drift was computed against.
    pub compared_with: Option<String>,
}

impl Diagnosis {
    fn new(verdict: Verdict) -> Diagnosis {
        Diagnosis {
            verdict,
            reason: String::new(),
            matched_revision: None,
            recorded_not_applied: Vec::new(),
            applied_not_recorded: Vec::new(),
            partly_applied: None,
            pending: Vec::new(),
            drift: Vec::new(),
            compared_with: None,
        }
    }
}

/// Differences that count for a verdict: warnings and errors.
fn significant(items: &[DriftItem]) -> usize {
    items
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .count()
}

fn has_missing_error(items: &[DriftItem]) -> bool {
    items
        .iter()
        .any(|x| x.change == Change::Missing && x.severity == Severity::Error)
}

pub(crate) fn join(v: &[String]) -> String {
    match v.len() {
        0 => String::new(),
        1 => v[0].clone(),
        n => format!("{} and {}", v[..n - 1].join(", "), v[n - 1]),
    }
}

pub fn diagnose(expected: &Expected, ledger: Option<&Ledger>, live: &Schema) -> Diagnosis {
    let opts = DiffOptions {
        partial: expected.partial,
        relaxed: Some(&expected.relaxed),
    };
    let mut d = match ledger {
        Some(l) if expected.has_revisions() => with_ledger(expected, l, live, opts),
        _ => against_head(expected, ledger, live, opts),
    };
    // The ledger is the tool's, whatever the project named it.
    if let Some(l) = ledger {
        d.drift
            .retain(|x| !(x.object == ObjectKind::Table && x.name == l.table));
    }
    d
}

/// No ledger, or expectations without revisions: compare with the head.
fn against_head(
    expected: &Expected,
    ledger: Option<&Ledger>,
    live: &Schema,
    opts: DiffOptions,
) -> Diagnosis {
    let mut d = Diagnosis::new(Verdict::InSync);
    d.compared_with = expected.head_id().map(str::to_owned);
    d.drift = drift::diff(expected.head(), live, opts);
    relax_unmodelled(&mut d.drift, expected, |_| true);
    let no_ledger = if ledger.is_none() {
        "no migration ledger was found; "
    } else {
        ""
    };
    if significant(&d.drift) == 0 {
        d.reason = format!("{no_ledger}the schema has everything the expected schema requires");
    } else if let Some(l) = ledger.filter(|_| has_missing_error(&d.drift)) {
        d.verdict = Verdict::LedgerAhead;
        d.reason = format!(
            "{} says {}, but the schema lacks {} (give expectations per revision to see which revisions were skipped)",
            l.table,
            l.version(),
            summarize_missing(&d.drift, expected)
        );
    } else {
        d.verdict = Verdict::ManualChange;
        d.reason = format!(
            "{no_ledger}the schema differs from the expected schema: {}",
            summarize(&d.drift)
        );
    }
    d
}

/// A verdict with a ledger and expectations per revision: one step per
/// verdict, in the order they are decided.
fn with_ledger(expected: &Expected, l: &Ledger, live: &Schema, opts: DiffOptions) -> Diagnosis {
    let claims = Claims::resolve(expected, l);
    let j = Judge {
        expected,
        l,
        live,
        opts,
        claims: &claims,
    };
    if let Some(unknown) = claims.unknown.first() {
        return j.unknown_revision(unknown);
    }
    let drift_claimed = drift::diff(&claims.schema(expected), live, opts);
    if !l.dirty.is_empty() {
        return j.failure_mark(drift_claimed);
    }
    if let Some(d) = j.edited_files(&drift_claimed) {
        return d;
    }
    let f = j.findings(drift_claimed);
    if f.consistent() {
        return j.consistent(f);
    }
    if !f.not_applied.is_empty() || f.bulk_missing(&claims) {
        return j.ledger_ahead(f);
    }
    if f.half_applied.is_some() {
        return j.half_applied(f);
    }
    j.manual_change(f)
}

/// What a verdict with a ledger is decided from.
struct Judge<'a> {
    expected: &'a Expected,
    l: &'a Ledger,
    live: &'a Schema,
    opts: DiffOptions<'a>,
    claims: &'a Claims,
}

/// The evidence gathered once the ledger's marks and checksums are clean.
struct Findings {
    /// Drift against the schema the claims build, with what unmodelled
    /// operations of recorded revisions may have done taken out.
    drift: Vec<DriftItem>,
    evidence: Vec<evidence::RevisionEvidence>,
    /// Revisions that stand for many migrations (see `Judge::findings`).
    bulk: Vec<bool>,
    /// Recorded revisions provably not applied.
    not_applied: Vec<usize>,
    /// The earliest unrecorded revision partly there.
    half_applied: Option<PartlyApplied>,
    /// The diagnosis as far as the claims go: matched, pending, applied
    /// without being recorded.
    d: Diagnosis,
}

impl Findings {
    /// Nothing the claims require is missing or changed.
    fn consistent(&self) -> bool {
        significant(&self.drift) == 0 && self.half_applied.is_none() && self.not_applied.is_empty()
    }

    /// A recorded revision standing for many migrations whose objects are
    /// missing: the ledger claims them, but which were skipped is unknown.
    fn bulk_missing(&self, claims: &Claims) -> bool {
        (0..self.evidence.len())
            .any(|i| claims.wholly[i] && self.bulk[i] && !self.evidence[i].absent.is_empty())
            && has_missing_error(&self.drift)
    }
}

impl Judge<'_> {
    fn id(&self, i: usize) -> Option<String> {
        self.expected.id(i).map(str::to_owned)
    }

    fn head(&self) -> usize {
        self.expected.revisions.len().saturating_sub(1)
    }

    fn unknown_revision(&self, unknown: &str) -> Diagnosis {
        let (l, expected) = (self.l, self.expected);
        let mut d = Diagnosis::new(Verdict::UnknownRevision);
        d.reason = format!(
            "{} says {unknown}, which is none of the {} known revisions ({} … {}): the database was migrated by another version of the code, or the ledger was edited",
            l.table,
            expected.revisions.len(),
            self.id(0).unwrap_or_default(),
            self.id(self.head()).unwrap_or_default()
        );
        d.drift = drift::diff(expected.head(), self.live, self.opts);
        d.compared_with = self.id(self.head());
        // The ledger's entry is unknown, but the schema may still be exactly
        // one revision's: say which (the latest, where several are alike).
        if let Some(i) = self.last_revision_matching_live() {
            d.matched_revision = self.id(i);
            d.reason.push_str(&format!(
                "; the schema is exactly {}'s",
                self.id(i).unwrap_or_default()
            ));
        }
        d
    }

    /// The latest revision whose schema the live one has, with no
    /// significant difference.
    fn last_revision_matching_live(&self) -> Option<usize> {
        let mut schema = Schema {
            engine: self.expected.engine(),
            ..Schema::default()
        };
        let mut last = None;
        for (i, r) in self.expected.revisions.iter().enumerate() {
            r.changes.apply(&mut schema);
            let mut at = schema.clone();
            at.sort();
            if significant(&drift::diff(&at, self.live, self.opts)) == 0 {
                last = Some(i);
            }
        }
        last
    }

    /// The ledger marks a migration as failed.
    fn failure_mark(&self, drift_claimed: Vec<DriftItem>) -> Diagnosis {
        let (l, expected) = (self.l, self.expected);
        let mut d = Diagnosis::new(Verdict::Dirty);
        d.reason = format!(
            "{} records {} as failed or half-applied ({}): the schema is whatever the failure left",
            l.table,
            join(&l.dirty),
            l.tool.id()
        );
        // What of the failed revision is there, when it is known.
        let evidence = evidence::gather(expected, &self.claims.wholly, self.live);
        if let Some(p) = l
            .dirty
            .iter()
            .find_map(|v| expected.position(v))
            .and_then(|i| partly(expected, &evidence, i, false))
        {
            d.reason.push_str(&format!("; {}", describe_partly(&p)));
            d.partly_applied = Some(p);
        }
        d.drift = drift_claimed;
        d.compared_with = self.claims.last_claimed().and_then(|i| self.id(i));
        d
    }

    /// Applied files edited after they ran.
    fn edited_files(&self, drift_claimed: &[DriftItem]) -> Option<Diagnosis> {
        let l = self.l;
        let edited: Vec<String> = self
            .expected
            .revisions
            .iter()
            .filter_map(|r| {
                let rid = r.id.as_ref()?;
                let recorded = l.checksums.get(rid)?;
                let now = r.checksum.as_ref()?;
                (recorded != now).then(|| rid.clone())
            })
            .collect();
        if edited.is_empty() {
            return None;
        }
        let mut d = Diagnosis::new(Verdict::ChecksumMismatch);
        d.reason = format!(
            "{} was applied and then edited: its checksum in {} differs from the file",
            join(&edited),
            l.table
        );
        d.drift = drift_claimed.to_vec();
        d.compared_with = self.claims.last_claimed().and_then(|i| self.id(i));
        Some(d)
    }

    fn findings(&self, mut drift_claimed: Vec<DriftItem>) -> Findings {
        let (expected, claims) = (self.expected, self.claims);
        let n = expected.revisions.len();
        // Evidence per revision only matters when the schema differs at all from
        // what the claims build (an extra column a recorded revision dropped is
        // proof too), or when revisions are not recorded (applied anyway?).
        let evidence = if !drift_claimed.is_empty() || claims.wholly.iter().any(|w| !w) {
            evidence::gather(expected, &claims.wholly, self.live)
        } else {
            vec![evidence::RevisionEvidence::default(); n]
        };
        // A revision standing for many migrations (a snapshot of a whole ledger,
        // the only revision of a head snapshot, or the first revision when the
        // ledger has entries before it) holds more than its own changes: its
        // evidence cannot tell which of them ran.
        let bulk: Vec<bool> = (0..n)
            .map(|i| {
                expected.revisions[i].entries.len() > 1
                    || i == 0 && (n == 1 || !claims.earlier.is_empty())
            })
            .collect();
        let claimed_id = claims.last_claimed().and_then(|i| self.id(i));
        let mut d = Diagnosis::new(Verdict::InSync);
        d.compared_with = claimed_id.clone();
        d.matched_revision = claimed_id;
        d.pending = claims.pending(expected);
        d.applied_not_recorded = (0..n)
            .filter(|&i| !claims.touched[i] && !bulk[i] && evidence[i].applied())
            .filter_map(|i| self.id(i))
            .collect();

        // The earliest revision the ledger does not record whose changes are
        // partly there: a migration that failed half-way (DDL is not
        // transactional on MySQL/MariaDB) and was not recorded.
        let not_applied = not_applied(expected, claims, &evidence, &bulk);
        for (i, ev) in evidence.iter().enumerate() {
            tracing::debug!(
                revision = expected.id(i).unwrap_or(""),
                claimed = claims.wholly[i],
                opaque = expected.revisions[i].is_opaque(),
                present = ev.present.len(),
                strong_present = ev.strong_present,
                absent = ev.absent.len(),
                strong_absent = ev.strong_absent,
                not_applied = not_applied.contains(&i),
                "evidence"
            );
        }
        // What a recorded revision that may have run did without the model
        // seeing it (computed SQL, a helper it cannot read) is not held against
        // the database.
        relax_unmodelled(&mut drift_claimed, expected, |j| {
            claims.wholly[j] && !not_applied.contains(&j)
        });
        let half_applied = (0..n)
            .filter(|&i| !claims.touched[i] && !bulk[i])
            .find(|&i| evidence[i].strong_present > 0)
            .and_then(|i| partly(expected, &evidence, i, false));
        Findings {
            drift: drift_claimed,
            evidence,
            bulk,
            not_applied,
            half_applied,
            d,
        }
    }

    /// The schema has everything the claims require: in sync, pending, or
    /// more than the ledger says (applied without being recorded).
    fn consistent(&self, f: Findings) -> Diagnosis {
        let l = self.l;
        let mut d = f.d;
        d.drift = f.drift;
        if !d.applied_not_recorded.is_empty() {
            d.verdict = Verdict::ManualChange;
            d.pending.retain(|p| !d.applied_not_recorded.contains(p));
            d.reason = format!(
                "{} says {}, but the schema also has what {} {}: {} applied without being recorded",
                l.table,
                l.version(),
                join(&d.applied_not_recorded),
                creates(&d.applied_not_recorded),
                if d.applied_not_recorded.len() == 1 {
                    "it was"
                } else {
                    "they were"
                }
            );
        } else if d.pending.is_empty() {
            d.matched_revision = self.id(self.head());
            d.reason = format!(
                "{} says {} and the schema has everything it requires",
                l.table,
                l.version()
            );
        } else {
            d.verdict = Verdict::Pending;
            d.reason = pending_reason(
                self.expected,
                l,
                self.claims,
                &d.pending,
                self.live,
                self.opts,
            );
        }
        d
    }

    /// Recorded revisions whose changes are provably absent.
    fn ledger_ahead(&self, f: Findings) -> Diagnosis {
        let (l, expected, claims) = (self.l, self.expected, self.claims);
        let mut d = f.d;
        d.verdict = Verdict::LedgerAhead;
        d.recorded_not_applied = f.not_applied.iter().filter_map(|&i| self.id(i)).collect();
        let missing = summarize_missing(&f.drift, expected);
        if f.not_applied.is_empty() {
            d.reason = format!(
                "{} says {}, but the schema lacks {} (expectations per revision would show which revisions were skipped)",
                l.table,
                l.version(),
                missing
            );
        } else {
            // The schema matches the last recorded revision before the first
            // skipped one that some of its changes show; for revisions in
            // between nothing proves either way (data, types a static
            // reading does not know), so whether they ran cannot be told.
            let first = f.not_applied[0];
            let seen = |i: usize| !f.evidence[i].present.is_empty();
            // A tool with a position per app (Django) matches within the apps
            // that have a skipped migration: another app's migration says
            // nothing of where those stand.
            let skipped_apps: Vec<String> = f
                .not_applied
                .iter()
                .filter_map(|&i| self.id(i))
                .map(|id| app_of(&id).to_string())
                .collect();
            let same_line = |i: usize| match (self.per_app(), self.id(i)) {
                (true, Some(a)) => skipped_apps.iter().any(|app| app == app_of(&a)),
                _ => true,
            };
            let matched_in = |line: &dyn Fn(usize) -> bool| {
                (0..first)
                    .rev()
                    .find(|&i| line(i) && claims.wholly[i] && seen(i))
                    .or_else(|| claims.matched_before(first).filter(|&i| line(i)))
            };
            // Where the skipped apps have no migration before (their first
            // one was skipped), the last one of any app says where the
            // database stands.
            let in_line = matched_in(&same_line);
            let matched = in_line.or_else(|| matched_in(&|_| true));
            // Revisions in between are unproven in the skipped apps' line only
            // (none when the match came from another app).
            let unproven_line = in_line.is_some() || matched.is_none();
            let unproven: Vec<String> = (matched.map_or(0, |m| m + 1)..first)
                .filter(|&i| unproven_line && same_line(i) && claims.wholly[i])
                .filter_map(|i| self.id(i))
                .collect();
            d.matched_revision = matched.and_then(|i| self.id(i));
            let rest = claims.without(&f.not_applied);
            let unexplained =
                significant(&drift::diff(&rest.schema(expected), self.live, self.opts));
            let what = if missing.is_empty() {
                // Nothing missing: what the skipped revisions would have
                // changed (a column they drop is still there).
                let not_done: Vec<String> = f
                    .not_applied
                    .iter()
                    .flat_map(|&i| evidence::headline(&f.evidence[i].absent))
                    .take(5)
                    .map(describe_effect)
                    .collect();
                format!("; not done: {}", join(&not_done))
            } else {
                format!("; missing {missing}")
            };
            d.reason = format!(
                "{} says {}, but the schema matches {}: {} {} recorded, not applied{what}{}{}",
                l.table,
                l.version(),
                d.matched_revision
                    .as_deref()
                    .unwrap_or("no revision (nothing applied)"),
                join(&d.recorded_not_applied),
                if d.recorded_not_applied.len() == 1 {
                    "was"
                } else {
                    "were"
                },
                if unproven.is_empty() {
                    String::new()
                } else {
                    format!("; nothing proves whether {} ran", join(&unproven))
                },
                if unexplained > 0 {
                    format!("; {unexplained} other differences no revision explains")
                } else {
                    String::new()
                }
            );
        }
        if let Some(branches) = per_branch(expected, l, &d.recorded_not_applied) {
            d.reason.push_str(&format!(" ({branches})"));
        }
        d.drift = f.drift;
        d
    }

    /// The tool keeps a position per app (Django's `app.name` entries).
    fn per_app(&self) -> bool {
        matches!(
            self.l.tool.repair().unrecord,
            crate::definitions::Unrecord::PerApp
        )
    }

    /// An unrecorded migration that failed half-way.
    fn half_applied(&self, f: Findings) -> Diagnosis {
        let l = self.l;
        let mut d = f.d;
        d.drift = f.drift;
        let Some(p) = f.half_applied else {
            return d;
        };
        d.verdict = Verdict::Dirty;
        d.reason = format!(
            "{} says {}, and {}: the migration failed half-way (DDL is not transactional on {}) and was not recorded",
            l.table,
            l.version(),
            describe_partly(&p),
            self.live.engine.map_or("this engine", |e| e.name())
        );
        d.pending.retain(|x| *x != p.revision);
        d.partly_applied = Some(p);
        d
    }

    /// Differences no revision explains.
    fn manual_change(&self, f: Findings) -> Diagnosis {
        let (l, expected, claims) = (self.l, self.expected, self.claims);
        let mut d = f.d;
        d.drift = f.drift;
        d.verdict = Verdict::ManualChange;
        if !d.applied_not_recorded.is_empty() {
            d.pending.retain(|p| !d.applied_not_recorded.contains(p));
            d.reason = format!(
                "{} says {}, the schema has what {} {} (applied without being recorded), and differs in ways no revision explains: {}",
                l.table,
                l.version(),
                join(&d.applied_not_recorded),
                creates(&d.applied_not_recorded),
                summarize(&d.drift)
            );
            return d;
        }
        // A recorded revision only part of whose changes are there — leaving out
        // what later unmodelled operations may have changed.
        let n = expected.revisions.len();
        if let Some(p) = (0..n)
            .filter(|&i| claims.wholly[i] && !f.bulk[i])
            .filter(|&i| {
                let later: Vec<&crate::expected::Unmodelled> = (i + 1..n)
                    .filter(|&j| claims.wholly[j] && !f.not_applied.contains(&j))
                    .flat_map(|j| expected.revisions[j].unmodelled.iter())
                    .collect();
                f.evidence[i]
                    .absent
                    .iter()
                    .any(|e| !later.iter().any(|u| u.covers(&e.target(), e.object())))
            })
            .find_map(|i| partly(expected, &f.evidence, i, true))
        {
            d.reason = format!(
                "{} says {}, but {}: changed by hand after it ran, or the migration does more than its file shows",
                l.table,
                l.version(),
                describe_partly(&p)
            );
            d.partly_applied = Some(p);
            return d;
        }
        d.reason = format!(
            "{} says {}, and the schema differs from it in ways no revision explains: {}",
            l.table,
            l.version(),
            summarize(&d.drift)
        );
        d
    }
}

/// With several heads recorded (Alembic branches): which revisions were
/// skipped on which branch.
fn per_branch(expected: &Expected, l: &Ledger, skipped: &[String]) -> Option<String> {
    let heads = l
        .tool
        .ledger()
        .is_some_and(|d| d.entries == crate::definitions::Entries::Heads);
    if !heads || l.current.len() < 2 || skipped.is_empty() {
        return None;
    }
    let parts: Vec<String> = l
        .current
        .iter()
        .filter_map(|h| {
            let i = expected.position(h)?;
            let on_branch: Vec<String> = claims::ancestors(expected, &[i])
                .into_iter()
                .filter_map(|j| expected.id(j).map(str::to_owned))
                .filter(|id| skipped.contains(id))
                .collect();
            Some(if on_branch.is_empty() {
                format!("branch {h}: applied")
            } else {
                format!("branch {h}: {} skipped", join(&on_branch))
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// Recorded revisions that did not run: none of their changes is there, or
/// they only alter tables that revisions which did not run either create
/// (a column cannot have been added to a table that never existed).
///
/// A later recorded revision doing something the model cannot follow
/// (computed SQL) may have removed what an earlier one created: unless that
/// revision is itself proven not to have run, the absence proves nothing.
fn not_applied(
    expected: &Expected,
    claims: &Claims,
    evidence: &[evidence::RevisionEvidence],
    bulk: &[bool],
) -> Vec<usize> {
    let n = evidence.len();
    let mut own = vec![false; n];
    // What later recorded revisions that may have run did without the model
    // seeing it.
    let mut reach: Vec<&crate::expected::Unmodelled> = Vec::new();
    for i in (0..n).rev() {
        if !claims.wholly[i] {
            continue;
        }
        let ev = &evidence[i];
        let uncovered = ev
            .absent
            .iter()
            .filter(|e| {
                e.strong(expected.partial)
                    && !reach.iter().any(|u| u.covers(&e.target(), e.object()))
            })
            .count();
        own[i] = !bulk[i] && ev.strong_present == 0 && uncovered > 0;
        if !own[i] {
            reach.extend(expected.revisions[i].unmodelled.iter());
        }
    }
    let creator = |q: &crate::schema::QName, before: usize| {
        (0..before).rev().find(|&j| {
            claims.wholly[j]
                && matches!(
                    expected.revisions[j].changes.tables.get(q),
                    Some(crate::expected::changes::TableChange::Create(_))
                )
        })
    };
    let mut out: Vec<usize> = Vec::new();
    for (i, ev) in evidence.iter().enumerate() {
        if !claims.wholly[i] || bulk[i] || ev.strong_present > 0 {
            continue;
        }
        let tables_ok = ev
            .missing_tables
            .iter()
            .all(|q| creator(q, i).is_none_or(|c| out.contains(&c)));
        let dependent = ev.absent.is_empty()
            && !ev.missing_tables.is_empty()
            && ev
                .missing_tables
                .iter()
                .all(|q| creator(q, i).is_some_and(|c| out.contains(&c)));
        if own[i] && tables_ok || dependent {
            out.push(i);
        }
    }
    out
}

/// Differences about objects last changed before a revision that did
/// something the model cannot follow (and that `ran` says may have run)
/// become informational, with why: that revision may have changed them.
fn relax_unmodelled(items: &mut [DriftItem], expected: &Expected, ran: impl Fn(usize) -> bool) {
    let opaque: Vec<usize> = (0..expected.revisions.len())
        .filter(|&j| expected.revisions[j].is_opaque() && ran(j))
        .collect();
    if opaque.is_empty() {
        return;
    }
    for d in items.iter_mut() {
        if d.severity <= Severity::Info || d.change == Change::Extra {
            continue;
        }
        let table = d.table.clone().unwrap_or_else(|| d.name.clone());
        let table = table.rsplit('.').next().unwrap_or(&table).to_string();
        let written = last_writer(expected, d);
        let by = opaque.iter().rev().find(|&&j| {
            written.is_none_or(|w| w <= j)
                && expected.revisions[j]
                    .unmodelled
                    .iter()
                    .any(|u| u.covers(&table, d.object))
        });
        if let Some(&j) = by {
            d.severity = Severity::Info;
            d.note = Some(format!(
                "{} may have changed it in a way that is not modelled",
                expected.id(j).unwrap_or("a revision")
            ));
        }
    }
}

/// The last revision whose changes set the object a drift item is about.
fn last_writer(expected: &Expected, d: &DriftItem) -> Option<usize> {
    use crate::expected::changes::{TableChange, constraint_id, index_id};
    let table = d.table.clone().unwrap_or_else(|| d.name.clone());
    let same_table = |q: &crate::schema::QName| q.to_string() == table || q.name == table;
    let column = d.name.rsplit('.').next().unwrap_or(&d.name).to_string();
    (0..expected.revisions.len()).rev().find(|&i| {
        expected.revisions[i]
            .changes
            .tables
            .iter()
            .any(|(q, change)| {
                if !same_table(q) {
                    return false;
                }
                match (d.object, change) {
                    (ObjectKind::Table, _) | (_, TableChange::Drop) => true,
                    (ObjectKind::Column, TableChange::Create(t)) => t.column(&column).is_some(),
                    (ObjectKind::Column, TableChange::Alter(a)) => {
                        a.columns.iter().any(|c| c.name == column)
                            || a.drop_columns.contains(&column)
                    }
                    (ObjectKind::Index, TableChange::Create(t)) => t
                        .indexes
                        .iter()
                        .any(|x| index_id(x) == d.name || x.name == d.name),
                    (ObjectKind::Index, TableChange::Alter(a)) => {
                        a.indexes
                            .iter()
                            .any(|x| index_id(x) == d.name || x.name == d.name)
                            || a.drop_indexes.contains(&d.name)
                    }
                    (ObjectKind::Constraint, TableChange::Create(t)) => t
                        .constraints
                        .iter()
                        .any(|c| constraint_id(c) == d.name || c.name == d.name),
                    (ObjectKind::Constraint, TableChange::Alter(a)) => {
                        a.constraints
                            .iter()
                            .any(|c| constraint_id(c) == d.name || c.name == d.name)
                            || a.drop_constraints.contains(&d.name)
                    }
                    _ => false,
                }
            })
    })
}

fn partly(
    expected: &Expected,
    evidence: &[evidence::RevisionEvidence],
    i: usize,
    recorded: bool,
) -> Option<PartlyApplied> {
    let ev = evidence.get(i)?;
    if !ev.partly() {
        return None;
    }
    Some(PartlyApplied {
        revision: expected.id(i)?.to_string(),
        recorded,
        present: evidence::headline(&ev.present)
            .map(describe_effect)
            .collect(),
        absent: evidence::headline(&ev.absent)
            .map(describe_effect)
            .collect(),
    })
}

fn describe_effect(e: &evidence::Effect) -> String {
    if e.is_drop() {
        format!("{} dropped", e.describe())
    } else {
        e.describe()
    }
}

fn describe_partly(p: &PartlyApplied) -> String {
    let list = |v: &[String]| {
        if v.len() > 6 {
            format!("{} and {} more", v[..6].join(", "), v.len() - 6)
        } else {
            join(v)
        }
    };
    format!(
        "{} was partly applied: done: {}; not done: {}",
        p.revision,
        list(&p.present),
        list(&p.absent)
    )
}

/// Why a ledger behind the expectations is only pending, and what the
/// pending revisions will bring.
fn pending_reason(
    expected: &Expected,
    l: &Ledger,
    claims: &Claims,
    pending: &[String],
    live: &Schema,
    opts: DiffOptions,
) -> String {
    let mut reason = format!(
        "{} says {}, the schema matches it, and {} not run yet: {}",
        l.table,
        l.version(),
        plural_migrations(pending.len()),
        list_some(pending)
    );
    // A revision standing for several entries (a snapshot of a whole
    // ledger): what the entries not applied yet will create is missing now.
    if claims.has_partly_claimed() {
        let missing = summarize_missing(&drift::diff(expected.head(), live, opts), expected);
        if !missing.is_empty() {
            reason.push_str(&format!(
                "; the schema lacks {missing}, which they are expected to create (expectations per revision would prove it)"
            ));
        }
    }
    reason
}

/// `creates` for one revision, `create` for several.
fn creates(revisions: &[String]) -> &'static str {
    if revisions.len() == 1 {
        "creates"
    } else {
        "create"
    }
}

fn list_some(v: &[String]) -> String {
    if v.len() > 8 {
        format!(
            "{} … {} ({} in all)",
            v[..3].join(", "),
            v[v.len() - 1],
            v.len()
        )
    } else {
        join(v)
    }
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
    let created_at = |name: &str| {
        expected
            .revisions
            .iter()
            .position(|r| {
                r.changes
                    .tables
                    .keys()
                    .any(|q| q.to_string() == name || q.name == name)
            })
            .unwrap_or(usize::MAX)
    };
    let mut tables: Vec<String> = items
        .iter()
        .filter(|d| {
            d.change == Change::Missing
                && d.object == ObjectKind::Table
                && d.severity >= Severity::Warning
        })
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

/// The app of a per-app entry (`shop.0003_orders` → `shop`).
fn app_of(id: &str) -> &str {
    id.split_once('.').map_or(id, |(app, _)| app)
}
