//! Prometheus metrics, named as DESIGN.md fixes them.
//!
//! Every per-database series carries `namespace` and `name` (the
//! DatabaseGuard, or the daemon's database entry). Label values only come
//! from bounded sets: names of configured objects, rule ids, verdicts, drift
//! kinds — never commands or error messages. The series of a target are
//! remembered so they can be removed with it.

use crate::diagnosis::Verdict;
use crate::drift::Change;
use crate::lint::Finding;
use crate::verify::Verification;
use prometheus::{
    CounterVec, Encoder, GaugeVec, HistogramOpts, HistogramVec, Opts, Registry, TextEncoder,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Label values of one series.
type Labels = Vec<String>;
/// The series set for one target, per metric family.
type TargetSeries = BTreeMap<&'static str, Vec<Labels>>;

/// Why a check could not run: the bounded `reason` label of
/// `preflight_checks_total` and the `Ready` condition's reason. Never an
/// error's text, which goes to logs and the status message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckReason {
    /// The verification ran and ended in `error` (its reason text says why).
    CheckFailed,
    CheckTimeout,
    SecretNotFound,
    ConfigMapNotFound,
    KeyNotFound,
    InvalidSpec,
    KubernetesError,
    /// preflight's own files (the expected schema written for a check).
    InternalError,
    /// The daemon: no database URL could be read or parsed.
    InvalidDatabaseUrl,
    /// The daemon: the expected-schema source is not one preflight reads.
    InvalidExpected,
}

impl CheckReason {
    pub const ALL: &[CheckReason] = &[
        CheckReason::CheckFailed,
        CheckReason::CheckTimeout,
        CheckReason::SecretNotFound,
        CheckReason::ConfigMapNotFound,
        CheckReason::KeyNotFound,
        CheckReason::InvalidSpec,
        CheckReason::KubernetesError,
        CheckReason::InternalError,
        CheckReason::InvalidDatabaseUrl,
        CheckReason::InvalidExpected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CheckReason::CheckFailed => "CheckFailed",
            CheckReason::CheckTimeout => "CheckTimeout",
            CheckReason::SecretNotFound => "SecretNotFound",
            CheckReason::ConfigMapNotFound => "ConfigMapNotFound",
            CheckReason::KeyNotFound => "KeyNotFound",
            CheckReason::InvalidSpec => "InvalidSpec",
            CheckReason::KubernetesError => "KubernetesError",
            CheckReason::InternalError => "InternalError",
            CheckReason::InvalidDatabaseUrl => "InvalidDatabaseUrl",
            CheckReason::InvalidExpected => "InvalidExpected",
        }
    }
}

pub struct Metrics {
    registry: Registry,
    schema_in_sync: GaugeVec,
    schema_drift_objects: GaugeVec,
    ledger_consistent: GaugeVec,
    ledger_info: GaugeVec,
    pending_migrations: GaugeVec,
    repair_plan_proven: GaugeVec,
    check_duration: HistogramVec,
    checks_total: CounterVec,
    last_check: GaugeVec,
    findings: GaugeVec,
    spec_drift: GaugeVec,
    pub admission_reviews: CounterVec,
    pub admission_duration: HistogramVec,
    pub admission_overrides: CounterVec,
    leader: prometheus::Gauge,
    /// Series set per target (namespace, name), per metric family, for removal.
    series: Mutex<HashMap<(String, String), TargetSeries>>,
}

fn gauge(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> GaugeVec {
    let g = GaugeVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| unreachable!("static metric {name}: {e}"));
    let _ = registry.register(Box::new(g.clone()));
    g
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

const TARGET: &[&str] = &["namespace", "name"];

impl Metrics {
    // Long on purpose: registers every metric family preflight exports, one declaration each;
    // the list is the metric contract of DESIGN.md and reads best as one table.
    pub fn new() -> Metrics {
        let r = Registry::new();
        let with = |extra: &[&'static str]| -> Vec<&'static str> {
            TARGET
                .iter()
                .copied()
                .chain(extra.iter().copied())
                .collect()
        };
        let check_duration = HistogramVec::new(
            HistogramOpts::new(
                "preflight_check_duration_seconds",
                "Duration of database checks (introspection, ledger read, diff).",
            )
            .buckets(vec![
                0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            ]),
            TARGET,
        )
        .unwrap_or_else(|e| unreachable!("static metric: {e}"));
        let _ = r.register(Box::new(check_duration.clone()));
        let checks_total = CounterVec::new(
            Opts::new(
                "preflight_checks_total",
                "Database checks by result (a verdict, or `error`) and, for errors, a bounded reason (CheckTimeout, SecretNotFound, CheckFailed, …).",
            ),
            &with(&["result", "reason"]),
        )
        .unwrap_or_else(|e| unreachable!("static metric: {e}"));
        let _ = r.register(Box::new(checks_total.clone()));
        let admission_reviews = CounterVec::new(
            Opts::new(
                "preflight_admission_reviews_total",
                "Admission reviews by decision (allowed, denied, warned, audited, error).",
            ),
            &["decision"],
        )
        .unwrap_or_else(|e| unreachable!("static metric: {e}"));
        let _ = r.register(Box::new(admission_reviews.clone()));
        let admission_duration = HistogramVec::new(
            HistogramOpts::new(
                "preflight_admission_duration_seconds",
                "Time to judge an admission review.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
            ]),
            &[],
        )
        .unwrap_or_else(|e| unreachable!("static metric: {e}"));
        let _ = r.register(Box::new(admission_duration.clone()));
        let admission_overrides = CounterVec::new(
            Opts::new(
                "preflight_admission_overrides_total",
                "Objects admitted through the override annotation, by namespace.",
            ),
            &["namespace"],
        )
        .unwrap_or_else(|e| unreachable!("static metric: {e}"));
        let _ = r.register(Box::new(admission_overrides.clone()));
        let leader = prometheus::Gauge::new(
            "preflight_leader",
            "1 while this operator replica holds the Lease and runs the checks, else 0.",
        )
        .unwrap_or_else(|e| unreachable!("static metric: {e}"));
        let _ = r.register(Box::new(leader.clone()));
        Metrics {
            leader,
            schema_in_sync: gauge(
                &r,
                "preflight_schema_in_sync",
                "1 when the schema has everything the ledger's revision requires and the ledger is at head, else 0.",
                TARGET,
            ),
            schema_drift_objects: gauge(
                &r,
                "preflight_schema_drift_objects",
                "Drift items of at least warning severity, by change and object kind.",
                &with(&["change", "object"]),
            ),
            ledger_consistent: gauge(
                &r,
                "preflight_ledger_consistent",
                "1 when the schema has what the ledger claims (in_sync or pending), else 0.",
                TARGET,
            ),
            ledger_info: gauge(
                &r,
                "preflight_ledger_info",
                "The migration tool and the ledger's current version (value 1).",
                &with(&["tool", "version"]),
            ),
            pending_migrations: gauge(
                &r,
                "preflight_pending_migrations",
                "Migrations after the ledger's version that have not run.",
                TARGET,
            ),
            repair_plan_proven: gauge(
                &r,
                "preflight_repair_plan_proven",
                "While the database needs repair: 1 when its repair plan was proven on a shadow database, 0 when not (no series when nothing needs repair).",
                TARGET,
            ),
            last_check: gauge(
                &r,
                "preflight_last_check_timestamp_seconds",
                "Unix time of the last completed check.",
                TARGET,
            ),
            findings: gauge(
                &r,
                "preflight_release_step_findings",
                "Release-step findings (not suppressed) by rule and severity.",
                &with(&["rule", "severity"]),
            ),
            spec_drift: gauge(
                &r,
                "preflight_spec_drift",
                "Release steps whose live command differs from the repository's spec.",
                TARGET,
            ),
            check_duration,
            checks_total,
            admission_reviews,
            admission_duration,
            admission_overrides,
            registry: r,
            series: Mutex::new(HashMap::new()),
        }
    }

    fn remember(&self, target: (&str, &str), family: &'static str, labels: Labels) {
        if let Ok(mut s) = self.series.lock() {
            let fam = s
                .entry((target.0.to_string(), target.1.to_string()))
                .or_default()
                .entry(family)
                .or_default();
            if !fam.contains(&labels) {
                fam.push(labels);
            }
        }
    }

    /// Removes every series of `family` for the target (before setting new ones).
    fn clear(&self, target: (&str, &str), family: &'static str, vec: &GaugeVec) {
        let old = self
            .series
            .lock()
            .ok()
            .and_then(|mut s| {
                s.get_mut(&(target.0.to_string(), target.1.to_string()))
                    .and_then(|f| f.remove(family))
            })
            .unwrap_or_default();
        for labels in old {
            let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
            let _ = vec.remove_label_values(&refs);
        }
    }

    fn set(&self, family: &'static str, vec: &GaugeVec, labels: Labels, value: f64) {
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        vec.with_label_values(&refs).set(value);
        let target = (labels[0].clone(), labels[1].clone());
        self.remember((&target.0, &target.1), family, labels);
    }

    /// Records a completed check.
    pub fn record_verification(&self, namespace: &str, name: &str, v: &Verification) {
        let t = (namespace, name);
        let base = || vec![namespace.to_string(), name.to_string()];
        let secs = v.duration_ms as f64 / 1000.0;
        self.check_duration
            .with_label_values(&[namespace, name])
            .observe(secs);
        // A verification that could not run says why in its reason text;
        // the label stays bounded.
        let reason = if v.verdict == Verdict::Error {
            CheckReason::CheckFailed.as_str()
        } else {
            ""
        };
        self.checks_total
            .with_label_values(&[namespace, name, v.verdict.as_str(), reason])
            .inc();
        self.remember(
            t,
            "checks_total",
            vec![
                namespace.into(),
                name.into(),
                v.verdict.as_str().into(),
                reason.into(),
            ],
        );
        self.remember(t, "check_duration", base());
        self.set("last_check", &self.last_check, base(), now_seconds());
        if v.verdict == Verdict::Error {
            // An error proves nothing: the health series say so instead of
            // keeping the last good values.
            self.set("in_sync", &self.schema_in_sync, base(), 0.0);
            self.set("ledger_consistent", &self.ledger_consistent, base(), 0.0);
            return;
        }
        self.set(
            "in_sync",
            &self.schema_in_sync,
            base(),
            f64::from(u8::from(v.verdict == Verdict::InSync)),
        );
        self.set(
            "ledger_consistent",
            &self.ledger_consistent,
            base(),
            f64::from(u8::from(v.verdict.ledger_consistent())),
        );
        self.set(
            "pending",
            &self.pending_migrations,
            base(),
            v.pending.len() as f64,
        );
        self.clear(t, "repair", &self.repair_plan_proven);
        if let Some(p) = &v.repair {
            self.set(
                "repair",
                &self.repair_plan_proven,
                base(),
                f64::from(u8::from(p.is_proven())),
            );
        }
        self.clear(t, "ledger_info", &self.ledger_info);
        if let Some(l) = &v.ledger {
            self.set(
                "ledger_info",
                &self.ledger_info,
                vec![
                    namespace.into(),
                    name.into(),
                    l.tool.id().into(),
                    l.version(),
                ],
                1.0,
            );
        }
        self.clear(t, "drift", &self.schema_drift_objects);
        let mut counts: BTreeMap<(Change, &'static str), usize> = BTreeMap::new();
        for d in v
            .drift
            .iter()
            .filter(|d| d.severity >= crate::definitions::Severity::Warning)
        {
            *counts.entry((d.change, d.object.as_str())).or_default() += 1;
        }
        for ((change, object), n) in counts {
            let change = match change {
                Change::Missing => "missing",
                Change::Changed => "changed",
                Change::Extra => "extra",
            };
            self.set(
                "drift",
                &self.schema_drift_objects,
                vec![namespace.into(), name.into(), change.into(), object.into()],
                n as f64,
            );
        }
    }

    /// Records a check that could not run at all (no URL, no expected schema).
    /// `reason` is bounded: a condition reason (`CheckTimeout`,
    /// `SecretNotFound`, …), never an error's text.
    pub fn record_error(&self, namespace: &str, name: &str, seconds: f64, reason: CheckReason) {
        let reason = reason.as_str();
        let t = (namespace, name);
        self.check_duration
            .with_label_values(&[namespace, name])
            .observe(seconds);
        self.checks_total
            .with_label_values(&[namespace, name, "error", reason])
            .inc();
        self.remember(
            t,
            "checks_total",
            vec![namespace.into(), name.into(), "error".into(), reason.into()],
        );
        self.remember(t, "check_duration", vec![namespace.into(), name.into()]);
        self.set(
            "in_sync",
            &self.schema_in_sync,
            vec![namespace.into(), name.into()],
            0.0,
        );
        self.set(
            "ledger_consistent",
            &self.ledger_consistent,
            vec![namespace.into(), name.into()],
            0.0,
        );
    }

    /// Replaces the release-step findings of a target.
    pub fn record_findings(&self, namespace: &str, name: &str, findings: &[Finding]) {
        let t = (namespace, name);
        self.clear(t, "findings", &self.findings);
        let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for f in findings.iter().filter(|f| f.suppressed.is_none()) {
            *counts.entry((f.rule.id, f.severity.as_str())).or_default() += 1;
        }
        for ((rule, severity), n) in counts {
            self.set(
                "findings",
                &self.findings,
                vec![namespace.into(), name.into(), rule.into(), severity.into()],
                n as f64,
            );
        }
    }

    pub fn record_spec_drift(&self, namespace: &str, name: &str, differing_steps: usize) {
        self.set(
            "spec_drift",
            &self.spec_drift,
            vec![namespace.into(), name.into()],
            differing_steps as f64,
        );
    }

    /// Whether this replica leads (operator only).
    pub fn set_leader(&self, leading: bool) {
        self.leader.set(if leading { 1.0 } else { 0.0 });
    }

    /// Removes every series of a target (a deleted guard, a removed app).
    pub fn remove_target(&self, namespace: &str, name: &str) {
        let families = self
            .series
            .lock()
            .ok()
            .and_then(|mut s| s.remove(&(namespace.to_string(), name.to_string())))
            .unwrap_or_default();
        for (family, all) in families {
            for labels in all {
                let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
                let _ = match family {
                    "in_sync" => self.schema_in_sync.remove_label_values(&refs),
                    "ledger_consistent" => self.ledger_consistent.remove_label_values(&refs),
                    "pending" => self.pending_migrations.remove_label_values(&refs),
                    "repair" => self.repair_plan_proven.remove_label_values(&refs),
                    "last_check" => self.last_check.remove_label_values(&refs),
                    "ledger_info" => self.ledger_info.remove_label_values(&refs),
                    "drift" => self.schema_drift_objects.remove_label_values(&refs),
                    "findings" => self.findings.remove_label_values(&refs),
                    "spec_drift" => self.spec_drift.remove_label_values(&refs),
                    "checks_total" => self.checks_total.remove_label_values(&refs),
                    "check_duration" => self.check_duration.remove_label_values(&refs),
                    _ => Ok(()),
                };
            }
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

fn now_seconds() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::CheckReason;

    /// The README's metrics table lists every reason a check can fail with,
    /// in the order of `CheckReason::ALL`.
    #[test]
    fn the_readme_lists_every_check_reason() {
        let readme = include_str!("../README.md");
        let row = readme
            .lines()
            .find(|l| l.starts_with("| `preflight_checks_total`"))
            .expect("the README's metrics table has preflight_checks_total");
        let listed: Vec<&str> = row
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
            .collect();
        let all: Vec<&str> = CheckReason::ALL.iter().map(|r| r.as_str()).collect();
        assert_eq!(listed, all);
    }
}
