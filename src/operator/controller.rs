//! The DatabaseGuard controller: reads the database URL and the expected
//! schema from the referenced Secret/ConfigMap, verifies, writes the status
//! (conditions with reasons, `observedGeneration`), records an Event when the
//! verdict changes, exports metrics, and requeues on the guard's interval
//! with jitter (sooner, with backoff, after errors).

use crate::crd::{
    DatabaseGuard, DatabaseGuardStatus, DriftStatus, ExpectedFormat, LedgerStatus, ObjectRef,
    RepairStatus,
};
use crate::db::cache::ConnectionCache;
use crate::db::{ConnectOptions, DatabaseUrl};
use crate::definitions::Severity;
use crate::diagnosis::Verdict;
use crate::drift::{Change, ObjectKind};
use crate::expected::ExpectedSpec;
use crate::introspect::IntrospectOptions;
use crate::metrics::{CheckReason, Metrics};
use crate::schedule::{self, Cadence};
use crate::text::truncate;
use crate::verify::{self, Verification, VerifyOptions};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Client, Resource, ResourceExt};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Why a guard could not be checked, as a condition reason.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    #[error("Secret {0} not found in the guard's namespace")]
    SecretNotFound(String),
    #[error("ConfigMap {0} not found in the guard's namespace")]
    ConfigMapNotFound(String),
    #[error("{0} has no key {1}")]
    KeyNotFound(String, String),
    #[error("{0}")]
    Invalid(String),
    #[error("Kubernetes API: {0}")]
    Kube(String),
    #[error("the check did not finish within {}s", .0.as_secs())]
    Timeout(Duration),
    /// preflight's own files (the expected schema written for the check).
    #[error("cannot write the expected schema to {}", path.display())]
    Scratch {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl GuardError {
    pub fn reason(&self) -> CheckReason {
        match self {
            GuardError::SecretNotFound(_) => CheckReason::SecretNotFound,
            GuardError::ConfigMapNotFound(_) => CheckReason::ConfigMapNotFound,
            GuardError::KeyNotFound(..) => CheckReason::KeyNotFound,
            GuardError::Invalid(_) => CheckReason::InvalidSpec,
            GuardError::Kube(_) => CheckReason::KubernetesError,
            GuardError::Timeout(_) => CheckReason::CheckTimeout,
            GuardError::Scratch { .. } => CheckReason::InternalError,
        }
    }
}

/// Shared by every reconciliation.
pub struct Context {
    pub client: Client,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    /// Per guard (`namespace/name`): when it is due, for backoff and to
    /// ignore the events of our own status updates.
    schedule: Mutex<HashMap<String, Due>>,
    /// Where expected schemas from ConfigMaps are written while checking.
    pub scratch: PathBuf,
    pub connect: ConnectOptions,
    /// Idle connections kept between checks (guards often share a server).
    pub connections: Arc<ConnectionCache>,
}

impl Context {
    pub fn new(client: Client, metrics: Arc<Metrics>, reporter: Reporter) -> Context {
        Context {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            metrics,
            schedule: Mutex::new(HashMap::new()),
            scratch: std::env::temp_dir(),
            connect: ConnectOptions::default(),
            connections: Arc::new(ConnectionCache::new(8, Duration::from_secs(90))),
        }
    }
}

/// When a guard's next check is due.
struct Due {
    generation: Option<i64>,
    at: Instant,
    failures: u32,
}

impl Context {
    /// How long until the guard is due, unless its spec changed since.
    fn not_due(&self, key: &str, generation: Option<i64>) -> Option<Duration> {
        let schedule = self.schedule.lock().ok()?;
        let due = schedule.get(key)?;
        (due.generation == generation)
            .then(|| due.at.checked_duration_since(Instant::now()))
            .flatten()
            .filter(|d| !d.is_zero())
    }

    fn failures(&self, key: &str) -> u32 {
        self.schedule
            .lock()
            .ok()
            .and_then(|s| s.get(key).map(|d| d.failures))
            .unwrap_or(0)
    }

    /// Forgets a deleted guard.
    pub fn forget(&self, namespace: &str, name: &str) {
        if let Ok(mut s) = self.schedule.lock() {
            s.remove(&format!("{namespace}/{name}"));
        }
    }
}

fn duration(s: &str) -> Option<Duration> {
    crate::duration::parse_duration(s).ok()
}

/// Reconciles one guard, in a span that names it: every log line of the
/// check (its failure, the verification's own) carries the guard's key.
// Long on purpose: a guard's whole reconcile (read spec, resolve Secrets, verify, status,
// Events, metrics, requeue) in the order the controller does it, so its failure paths can be read together.
#[tracing::instrument(
    name = "reconcile",
    skip_all,
    fields(guard = %format!("{}/{}", guard.namespace().unwrap_or_default(), guard.name_any()))
)]
pub async fn reconcile(
    guard: Arc<DatabaseGuard>,
    ctx: Arc<Context>,
) -> Result<Action, kube::Error> {
    let ns = guard.namespace().unwrap_or_default();
    let name = guard.name_any();
    let key = format!("{ns}/{name}");
    let interval = duration(&guard.spec.interval)
        .unwrap_or(Duration::from_secs(60))
        .max(Duration::from_secs(1));
    let timeout = guard
        .spec
        .timeout
        .as_deref()
        .and_then(duration)
        .unwrap_or(Duration::from_secs(60));
    // Our own status update comes back as a watch event: nothing to do
    // until the guard is due, unless its spec changed.
    if let Some(wait) = ctx.not_due(&key, guard.metadata.generation) {
        return Ok(Action::requeue(wait));
    }
    let started = Instant::now();

    let outcome = match tokio::time::timeout(timeout, check(&guard, &ctx, &ns)).await {
        Ok(r) => r,
        Err(_) => Err(GuardError::Timeout(timeout)),
    };
    // Every failed check is in the log, with the guard it concerns (the
    // span carries the key).
    match &outcome {
        Err(e) => {
            tracing::warn!(reason = e.reason().as_str(), error = %crate::text::error_chain(e), "check failed")
        }
        Ok(v) if v.verdict == Verdict::Error => {
            tracing::warn!(reason = CheckReason::CheckFailed.as_str(), error = %v.reason, "check failed")
        }
        Ok(v) => tracing::info!(
            verdict = v.verdict.as_str(),
            duration_ms = v.duration_ms as u64,
            "checked"
        ),
    }
    let previous = guard.status.as_ref().and_then(|s| s.verdict.clone());
    let status = match &outcome {
        Ok(v) => {
            ctx.metrics.record_verification(&ns, &name, v);
            status_for(&guard, v)
        }
        Err(e) => {
            ctx.metrics
                .record_error(&ns, &name, started.elapsed().as_secs_f64(), e.reason());
            status_for_error(&guard, e)
        }
    };
    let verdict_now = status.verdict.clone();
    patch_status(&ctx.client, &ns, &name, &status).await?;

    if previous != verdict_now {
        let (type_, reason, note) = match &outcome {
            Ok(v) if v.verdict.severity().is_none() => (
                EventType::Normal,
                camel(v.verdict.as_str()),
                v.reason.clone(),
            ),
            Ok(v) if v.verdict == Verdict::Pending => {
                (EventType::Normal, "Pending".to_string(), v.reason.clone())
            }
            // The same reason as the Ready condition's.
            Ok(v) if v.verdict == Verdict::Error => (
                EventType::Warning,
                "CheckFailed".to_string(),
                v.reason.clone(),
            ),
            Ok(v) => (
                EventType::Warning,
                camel(v.verdict.as_str()),
                match v.repair.as_ref().and_then(|p| p.steps.first()) {
                    // The first step of the repair; the status holds the rest.
                    Some(first) => format!(
                        "{}; repair, step 1: {} (the whole plan: status.repair)",
                        truncate(&v.reason, 600),
                        first.text.lines().next().unwrap_or_default()
                    ),
                    None => v.reason.clone(),
                },
            ),
            Err(e) => (
                EventType::Warning,
                e.reason().as_str().to_string(),
                e.to_string(),
            ),
        };
        let event = Event {
            type_,
            reason,
            note: Some(truncate(&note, 1000)),
            action: "Verify".into(),
            secondary: None,
        };
        if let Err(e) = ctx.recorder.publish(&event, &guard.object_ref(&())).await {
            tracing::warn!(guard = %key, error = %e, "cannot record an event");
        }
    }

    let failed = match &outcome {
        Ok(v) => v.verdict == Verdict::Error,
        Err(_) => true,
    };
    let failures = if failed {
        ctx.failures(&key).saturating_add(1)
    } else {
        0
    };
    let wait = next_check(interval, failures, &key);
    if let Ok(mut schedule) = ctx.schedule.lock() {
        schedule.insert(
            key,
            Due {
                generation: guard.metadata.generation,
                at: Instant::now() + wait,
                failures,
            },
        );
    }
    Ok(Action::requeue(wait))
}

/// The interval with ±10% jitter; after errors, 5 s doubling up to the interval.
fn next_check(interval: Duration, failures: u32, key: &str) -> Duration {
    let cadence = Cadence {
        interval,
        jitter: 0.1,
        backoff: Duration::from_secs(5),
        ..Cadence::default()
    };
    cadence.next_wait(failures, schedule::random_unit(key))
}

/// On a failed reconciliation (the API server refused the status update).
pub fn error_policy(_guard: Arc<DatabaseGuard>, error: &kube::Error, _ctx: Arc<Context>) -> Action {
    tracing::warn!(error = %error, "reconciliation failed; retrying");
    Action::requeue(Duration::from_secs(15))
}

async fn check(guard: &DatabaseGuard, ctx: &Context, ns: &str) -> Result<Verification, GuardError> {
    let spec = &guard.spec;
    let secrets: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
    let url = secret_value(
        &secrets,
        &spec.database.secret_ref.name,
        &spec.database.secret_ref.key,
    )
    .await?;
    let url = DatabaseUrl::parse(&url).map_err(|e| {
        GuardError::Invalid(format!(
            "Secret {}/{}: {e}",
            spec.database.secret_ref.name, spec.database.secret_ref.key
        ))
    })?;
    let shadow_url = match &spec.expected.shadow_database {
        Some(s) => Some(
            DatabaseUrl::parse(
                &secret_value(&secrets, &s.secret_ref.name, &s.secret_ref.key).await?,
            )
            .map_err(|e| GuardError::Invalid(format!("shadow database: {e}")))?,
        ),
        None => None,
    };
    let files = expected_files(ctx, ns, &spec.expected).await?;
    let size_note = size_note(&files, spec.expected.config_map_ref.is_some());
    let dir = scratch_dir(&ctx.scratch, ns, &guard.name_any());
    let result = async {
        let expected = materialize(&dir, &files, spec.expected.format)?;
        let opts = VerifyOptions {
            connect: ctx.connect.clone(),
            introspect: IntrospectOptions {
                schemas: spec.schemas.clone(),
            },
            shadow_url,
            expected_revision: None,
            connections: Some(ctx.connections.clone()),
            launcher: None,
            spec_launchers: Vec::new(),
            prove: None,
        };
        let mut v = verify::verify(&url, &expected, &opts).await;
        if let (Some(note), Some(e)) = (size_note, v.expected.as_mut()) {
            e.notes.insert(0, note);
        }
        Ok(v)
    }
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn secret_value(api: &Api<Secret>, name: &str, key: &str) -> Result<String, GuardError> {
    let secret = api
        .get_opt(name)
        .await
        .map_err(|e| GuardError::Kube(e.to_string()))?
        .ok_or_else(|| GuardError::SecretNotFound(name.to_string()))?;
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| b.0.clone())
        .or_else(|| {
            secret
                .string_data
                .as_ref()
                .and_then(|d| d.get(key))
                .map(|s| s.clone().into_bytes())
        })
        .ok_or_else(|| GuardError::KeyNotFound(format!("Secret {name}"), key.to_string()))?;
    String::from_utf8(bytes)
        .map(|s| s.trim().to_string())
        .map_err(|_| GuardError::Invalid(format!("Secret {name} key {key} is not UTF-8 text")))
}

/// The files of the expected-schema source: name → content.
async fn expected_files(
    ctx: &Context,
    ns: &str,
    source: &crate::crd::ExpectedSource,
) -> Result<BTreeMap<String, Vec<u8>>, GuardError> {
    let pick = |all: BTreeMap<String, Vec<u8>>,
                r: &ObjectRef,
                what: &str|
     -> Result<BTreeMap<String, Vec<u8>>, GuardError> {
        match &r.key {
            Some(k) => all
                .get(k)
                .map(|v| BTreeMap::from([(k.clone(), v.clone())]))
                .ok_or_else(|| GuardError::KeyNotFound(format!("{what} {}", r.name), k.clone())),
            None => Ok(all),
        }
    };
    match (&source.config_map_ref, &source.secret_ref) {
        (Some(r), None) => {
            let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), ns);
            let cm = api
                .get_opt(&r.name)
                .await
                .map_err(|e| GuardError::Kube(e.to_string()))?
                .ok_or_else(|| GuardError::ConfigMapNotFound(r.name.clone()))?;
            let mut all: BTreeMap<String, Vec<u8>> = cm
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.into_bytes()))
                .collect();
            all.extend(
                cm.binary_data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0)),
            );
            pick(all, r, "ConfigMap")
        }
        (None, Some(r)) => {
            let api: Api<Secret> = Api::namespaced(ctx.client.clone(), ns);
            let s = api
                .get_opt(&r.name)
                .await
                .map_err(|e| GuardError::Kube(e.to_string()))?
                .ok_or_else(|| GuardError::SecretNotFound(r.name.clone()))?;
            let all: BTreeMap<String, Vec<u8>> = s
                .data
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.0))
                .collect();
            pick(all, r, "Secret")
        }
        _ => Err(GuardError::Invalid(
            "spec.expected needs exactly one of configMapRef and secretRef".into(),
        )),
    }
}

fn scratch_dir(base: &Path, ns: &str, name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let safe = |s: &str| {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect::<String>()
    };
    base.join(format!(
        "preflight-guard-{}-{}-{nanos}",
        safe(ns),
        safe(name)
    ))
}

/// ConfigMaps and Secrets hold at most 1 MiB: a source close to it is
/// worth a note in the status before it stops fitting.
const SOURCE_LIMIT: usize = 1 << 20;

fn size_note(files: &BTreeMap<String, Vec<u8>>, config_map: bool) -> Option<String> {
    let size: usize = files.values().map(Vec::len).sum();
    let compressed = files.values().all(|v| v.starts_with(&[0x1f, 0x8b]));
    (size * 10 > SOURCE_LIMIT * 9).then(|| {
        format!(
            "the expected source is {} KiB, close to the 1 MiB limit of a {}: {}store it as several keys `<name>.part-000`, `<name>.part-001`, … (joined in order), or in several objects",
            size / 1024,
            if config_map { "ConfigMap" } else { "Secret" },
            if compressed {
                ""
            } else {
                "compress it (`preflight snapshot -o expected.json.gz`, under binaryData), or "
            }
        )
    })
}

/// Keys `<name>.part-NNN` joined in order into `<name>`: a snapshot larger
/// than one object's limit, split by the user.
fn join_parts(files: &BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    let mut out: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut parts: BTreeMap<String, Vec<(u32, &Vec<u8>)>> = BTreeMap::new();
    for (k, v) in files {
        match k
            .rsplit_once(".part-")
            .and_then(|(base, n)| Some((base, n.parse::<u32>().ok()?)))
        {
            Some((base, n)) => parts.entry(base.to_string()).or_default().push((n, v)),
            None => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    for (base, mut ps) in parts {
        ps.sort_by_key(|(n, _)| *n);
        out.insert(
            base,
            ps.into_iter()
                .flat_map(|(_, v)| v.iter().copied())
                .collect(),
        );
    }
    out
}

/// Writes the source's files and says how to read them.
fn materialize(
    dir: &Path,
    files: &BTreeMap<String, Vec<u8>>,
    format: Option<ExpectedFormat>,
) -> Result<ExpectedSpec, GuardError> {
    let io = |source: std::io::Error| GuardError::Scratch {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let files = &join_parts(files);
    for (name, content) in files {
        // Keys are plain file names (ConfigMap keys cannot hold `/`).
        if name.contains('/') || name.starts_with('.') {
            return Err(GuardError::Invalid(format!(
                "key `{name}` is not a file name"
            )));
        }
        std::fs::write(dir.join(name), content).map_err(io)?;
    }
    let single = (files.len() == 1)
        .then(|| files.keys().next().map(|k| dir.join(k)))
        .flatten();
    let any_ext = |ext: &str| files.keys().any(|k| k.ends_with(ext));
    Ok(match (format, single) {
        (Some(ExpectedFormat::Snapshot), Some(p)) => ExpectedSpec::Snapshot(p),
        (Some(ExpectedFormat::Sql), Some(p)) => ExpectedSpec::Sql(p),
        (Some(ExpectedFormat::Alembic), _) => ExpectedSpec::Alembic(dir.to_path_buf()),
        (Some(ExpectedFormat::Migrations), _) => ExpectedSpec::Migrations(dir.to_path_buf()),
        (None, Some(p)) if p.extension().is_some_and(|e| e == "json" || e == "gz") => {
            ExpectedSpec::Snapshot(p)
        }
        (None, Some(p)) if p.extension().is_some_and(|e| e == "sql") => ExpectedSpec::Sql(p),
        (None, _) if any_ext(".py") => ExpectedSpec::Alembic(dir.to_path_buf()),
        (None, _) if any_ext(".sql") => ExpectedSpec::Migrations(dir.to_path_buf()),
        _ => {
            return Err(GuardError::Invalid(
                "cannot tell what the expected source holds; set spec.expected.format".into(),
            ));
        }
    })
}

fn now() -> Time {
    Time(Timestamp::now())
}

fn condition(
    type_: &str,
    ok: bool,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    previous: Option<&DatabaseGuardStatus>,
) -> Condition {
    let status = if ok { "True" } else { "False" };
    // The transition time only moves when the status does.
    let last_transition_time = previous
        .and_then(|p| {
            p.conditions
                .iter()
                .find(|c| c.type_ == type_ && c.status == status)
        })
        .map(|c| c.last_transition_time.clone())
        .unwrap_or_else(now);
    Condition {
        type_: type_.into(),
        status: status.into(),
        reason: reason.into(),
        message: truncate(message, 32_000),
        observed_generation: generation,
        last_transition_time,
    }
}

/// `ledger_ahead` → `LedgerAhead`.
fn camel(s: &str) -> String {
    s.split('_')
        .map(|p| p[..1].to_ascii_uppercase() + &p[1..])
        .collect()
}

pub fn status_for(guard: &DatabaseGuard, v: &Verification) -> DatabaseGuardStatus {
    let generation = guard.metadata.generation;
    let prev = guard.status.as_ref();
    let significant: Vec<_> = v
        .drift
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .collect();
    let count = |c: Change| {
        v.drift
            .iter()
            .filter(|d| d.change == c && d.severity >= Severity::Warning)
            .count() as u32
    };
    let mut missing: Vec<String> = v
        .drift
        .iter()
        .filter(|d| d.change == Change::Missing && d.object == ObjectKind::Table)
        .map(|d| format!("table {}", d.name))
        .collect();
    missing.extend(
        v.drift
            .iter()
            .filter(|d| {
                d.change == Change::Missing
                    && d.object != ObjectKind::Table
                    && d.severity >= Severity::Warning
            })
            .map(|d| format!("{} {}", d.object.as_str(), d.name)),
    );
    let checked = v.verdict != Verdict::Error;
    let reason = camel(v.verdict.as_str());
    let conditions = vec![
        condition(
            "Ready",
            checked,
            if checked { "Checked" } else { "CheckFailed" },
            if checked {
                "the database was checked"
            } else {
                &v.reason
            },
            generation,
            prev,
        ),
        condition(
            "SchemaInSync",
            v.verdict == Verdict::InSync,
            &reason,
            &v.reason,
            generation,
            prev,
        ),
        condition(
            "LedgerConsistent",
            v.verdict.ledger_consistent(),
            &reason,
            &v.reason,
            generation,
            prev,
        ),
    ];
    DatabaseGuardStatus {
        conditions,
        verdict: Some(v.verdict.as_str().to_string()),
        reason: Some(truncate(&v.reason, 4000)),
        ledger: v.ledger.as_ref().map(|l| LedgerStatus {
            tool: l.tool.id().into(),
            version: l.version(),
        }),
        matched_revision: v.matched_revision.clone(),
        recorded_not_applied: v.recorded_not_applied.clone(),
        applied_not_recorded: v.applied_not_recorded.clone(),
        partly_applied: v.partly_applied.as_ref().map(|p| p.revision.clone()),
        pending: v.pending.clone(),
        notes: v
            .expected
            .as_ref()
            .map(|e| e.notes.iter().take(10).map(|n| truncate(n, 500)).collect())
            .unwrap_or_default(),
        drift: Some(DriftStatus {
            significant: significant.len() as u32,
            missing: count(Change::Missing),
            changed: count(Change::Changed),
            extra: v.drift.iter().filter(|d| d.change == Change::Extra).count() as u32,
            items: significant.iter().take(10).map(|d| d.describe()).collect(),
        }),
        repair: v.repair.as_ref().map(|p| RepairStatus {
            steps: p.steps.iter().take(20).map(|s| truncate(&s.text, 2000)).collect(),
            before: p.before.iter().take(5).map(|b| truncate(b, 500)).collect(),
            proven: p.is_proven(),
            proof: truncate(
                &if p.is_proven() {
                    p.proof.reason.clone()
                } else {
                    format!(
                        "{}: prove it with `preflight repair --expected … --project …` where the project and its migration tool are (the operator runs no migration tool)",
                        p.proof.status.as_str()
                    )
                },
                1000,
            ),
        }),
        missing: missing.into_iter().take(50).collect(),
        last_check_time: Some(now()),
        observed_generation: generation,
    }
}

fn status_for_error(guard: &DatabaseGuard, e: &GuardError) -> DatabaseGuardStatus {
    let generation = guard.metadata.generation;
    let prev = guard.status.as_ref();
    let message = e.to_string();
    DatabaseGuardStatus {
        conditions: vec![
            condition(
                "Ready",
                false,
                e.reason().as_str(),
                &message,
                generation,
                prev,
            ),
            condition(
                "SchemaInSync",
                false,
                "Unknown",
                "the database could not be checked",
                generation,
                prev,
            ),
            condition(
                "LedgerConsistent",
                false,
                "Unknown",
                "the database could not be checked",
                generation,
                prev,
            ),
        ],
        verdict: Some(Verdict::Error.as_str().into()),
        reason: Some(message),
        last_check_time: Some(now()),
        observed_generation: generation,
        ..DatabaseGuardStatus::default()
    }
}

/// A merge patch that replaces the whole status: fields the new status
/// leaves out are set to null, so nothing of the previous check survives
/// (a repaired database must not keep its old `missing` list, which gates
/// rollouts).
pub fn status_patch(status: &DatabaseGuardStatus) -> serde_json::Value {
    let mut value = serde_json::to_value(status).unwrap_or_default();
    let schema = schemars::schema_for!(DatabaseGuardStatus);
    if let (Some(map), Some(fields)) = (
        value.as_object_mut(),
        schema
            .get("properties")
            .and_then(serde_json::Value::as_object),
    ) {
        for field in fields.keys() {
            map.entry(field.clone()).or_insert(serde_json::Value::Null);
        }
    }
    serde_json::json!({ "status": value })
}

async fn patch_status(
    client: &Client,
    ns: &str,
    name: &str,
    status: &DatabaseGuardStatus,
) -> Result<(), kube::Error> {
    let api: Api<DatabaseGuard> = Api::namespaced(client.clone(), ns);
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(&status_patch(status)),
    )
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_compressed_snapshots_are_read_and_large_sources_noted() {
        let gz = crate::expected::snapshot::gzip(br#"{"preflight_snapshot":2,"revisions":[]}"#)
            .expect("gzip");
        let (a, b) = gz.split_at(gz.len() / 2);
        let files = BTreeMap::from([
            ("expected.json.gz.part-001".to_string(), b.to_vec()),
            ("expected.json.gz.part-000".to_string(), a.to_vec()),
        ]);
        let dir = tempfile::tempdir().expect("tmp");
        let spec = materialize(dir.path(), &files, None).expect("materialize");
        assert!(matches!(&spec, ExpectedSpec::Snapshot(p) if p.ends_with("expected.json.gz")));
        assert_eq!(
            std::fs::read(dir.path().join("expected.json.gz")).expect("joined"),
            gz
        );
        // Near the 1 MiB limit: a note that says what to do.
        let big = BTreeMap::from([("expected.json".to_string(), vec![b' '; 960 * 1024])]);
        let note = size_note(&big, true).expect("a note");
        assert!(
            note.contains("ConfigMap") && note.contains(".json.gz") && note.contains("part-000"),
            "{note}"
        );
        assert_eq!(size_note(&files, true), None);
    }

    #[test]
    fn the_status_patch_clears_what_the_new_status_leaves_out() {
        let patch = status_patch(&DatabaseGuardStatus {
            verdict: Some("in_sync".into()),
            ..DatabaseGuardStatus::default()
        });
        let status = &patch["status"];
        assert_eq!(status["verdict"], "in_sync");
        for cleared in [
            "missing",
            "recordedNotApplied",
            "matchedRevision",
            "drift",
            "ledger",
            "pending",
        ] {
            assert!(
                status.get(cleared).is_some_and(serde_json::Value::is_null),
                "{cleared}: {patch}"
            );
        }
    }

    #[test]
    fn reasons_and_backoff() {
        assert_eq!(camel("ledger_ahead"), "LedgerAhead");
        assert_eq!(camel("in_sync"), "InSync");
        let i = Duration::from_secs(60);
        assert!((54..=66).contains(&next_check(i, 0, "a").as_secs()));
        assert!(next_check(i, 1, "a") < Duration::from_secs(6));
        assert!(next_check(i, 3, "a") >= Duration::from_secs(18));
        assert!(next_check(i, 30, "a") <= Duration::from_secs(66));
    }
}
