//! Lints the release steps of the workloads in the cluster: Jobs, CronJobs,
//! Deployments, StatefulSets and DaemonSets, as the API server holds them.
//! Findings become a Warning Event on the workload and the
//! `preflight_release_step_findings` series of `Kind/name`; the series go
//! when the workload goes.

use crate::definitions::Severity;
use crate::lint::{Finding, Linter};
use crate::metrics::Metrics;
use crate::text::truncate;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::WatchStreamExt;
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::watcher::{self, watcher};
use kube::{Client, Resource, ResourceExt};
use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Event reason for findings on a workload.
pub const REASON: &str = "DangerousReleaseStep";

/// The watched kinds.
pub fn resources() -> Vec<ApiResource> {
    vec![
        ApiResource::erase::<Job>(&()),
        ApiResource::erase::<CronJob>(&()),
        ApiResource::erase::<Deployment>(&()),
        ApiResource::erase::<StatefulSet>(&()),
        ApiResource::erase::<DaemonSet>(&()),
    ]
}

/// The metric target name of a workload: `Job/migrate`.
pub fn target_name(kind: &str, name: &str) -> String {
    format!("{kind}/{name}")
}

/// One line per active finding, for an Event note.
pub fn summary(findings: &[&Finding]) -> String {
    let mut lines: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{} ({}): {}, in {}; fix: {}",
                f.rule.id,
                f.severity.as_str(),
                f.message,
                f.object,
                f.rule.short_fix()
            )
        })
        .collect();
    lines.dedup();
    lines.join("\n")
}

type Key = (String, String, String);

/// What was last seen of a workload, so status updates and resyncs do not
/// re-lint or re-announce anything.
struct Seen {
    spec_hash: u64,
    findings: u64,
}

pub struct WorkloadWatcher {
    pub linter: Arc<Linter>,
    pub metrics: Arc<Metrics>,
    pub recorder: Option<Recorder>,
    /// Namespaces never linted (`kube-system`, the operator's own).
    pub exempt: HashSet<String>,
    seen: HashMap<Key, Seen>,
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

impl WorkloadWatcher {
    pub fn new(
        linter: Arc<Linter>,
        metrics: Arc<Metrics>,
        recorder: Option<Recorder>,
        exempt: HashSet<String>,
    ) -> WorkloadWatcher {
        WorkloadWatcher {
            linter,
            metrics,
            recorder,
            exempt,
            seen: HashMap::new(),
        }
    }

    /// A workload was created or changed (or listed on a (re)start).
    pub async fn applied(&mut self, resource: &ApiResource, obj: &DynamicObject) {
        let ns = obj.namespace().unwrap_or_default();
        if self.exempt.contains(&ns) {
            return;
        }
        // A CronJob's Jobs repeat its template; the CronJob is the one to fix.
        if obj
            .owner_references()
            .iter()
            .any(|o| o.kind == "CronJob" && o.controller == Some(true))
        {
            return;
        }
        let name = obj.name_any();
        let key = (resource.kind.clone(), ns.clone(), name.clone());
        // Only the spec and the annotations (hooks, suppressions) matter.
        let relevant = serde_json::json!([obj.data.get("spec"), obj.annotations()]).to_string();
        let spec_hash = hash_of(&relevant);
        if self
            .seen
            .get(&key)
            .is_some_and(|s| s.spec_hash == spec_hash)
        {
            return;
        }
        let display_name = format!("{} {ns}/{name}", resource.kind);
        let value = serde_json::to_value(obj).unwrap_or_default();
        let report =
            self.linter
                .lint_object(&resource.api_version, &resource.kind, &value, &display_name);
        let target = target_name(&resource.kind, &name);
        self.metrics.record_findings(&ns, &target, &report.findings);
        let active: Vec<&Finding> = report
            .active()
            .filter(|f| f.severity >= Severity::Warning)
            .collect();
        let signature = hash_of(&summary(&active));
        let announced = self.seen.get(&key).map(|s| s.findings);
        self.seen.insert(
            key,
            Seen {
                spec_hash,
                findings: signature,
            },
        );
        if active.is_empty() || announced == Some(signature) {
            return;
        }
        tracing::info!(workload = %display_name, findings = active.len(), "dangerous release step");
        if let Some(recorder) = &self.recorder {
            let event = Event {
                type_: EventType::Warning,
                reason: REASON.into(),
                note: Some(truncate(&summary(&active), 1000)),
                action: "Lint".into(),
                secondary: None,
            };
            if let Err(e) = recorder.publish(&event, &obj.object_ref(resource)).await {
                tracing::warn!(workload = %display_name, error = %e, "cannot record an event");
            }
        }
    }

    /// A workload was deleted.
    pub fn deleted(&mut self, resource: &ApiResource, obj: &DynamicObject) {
        let ns = obj.namespace().unwrap_or_default();
        let name = obj.name_any();
        self.seen
            .remove(&(resource.kind.clone(), ns.clone(), name.clone()));
        self.metrics
            .remove_target(&ns, &target_name(&resource.kind, &name));
    }

    /// After a re-list: forgets the workloads of `kind` that are gone.
    fn relisted(&mut self, resource: &ApiResource, present: &HashSet<(String, String)>) {
        let gone: Vec<Key> = self
            .seen
            .keys()
            .filter(|(k, ns, n)| *k == resource.kind && !present.contains(&(ns.clone(), n.clone())))
            .cloned()
            .collect();
        for (kind, ns, name) in gone {
            self.metrics.remove_target(&ns, &target_name(&kind, &name));
            self.seen.remove(&(kind, ns, name));
        }
    }

    /// Watches every kind until `stop`; `namespace` limits the scope.
    pub async fn run(mut self, client: Client, namespace: Option<String>, stop: CancellationToken) {
        let resources = resources();
        let streams = resources.iter().enumerate().map(|(i, ar)| {
            let api: Api<DynamicObject> = match &namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
                None => Api::all_with(client.clone(), ar),
            };
            watcher(api, watcher::Config::default())
                .default_backoff()
                .map(move |ev| (i, ev))
                .boxed()
        });
        let mut events = futures::stream::select_all(streams);
        let mut listing: Vec<HashSet<(String, String)>> = vec![HashSet::new(); resources.len()];
        loop {
            let next = tokio::select! {
                n = events.next() => n,
                _ = stop.cancelled() => break,
            };
            let Some((i, event)) = next else { break };
            let ar = &resources[i];
            match event {
                Ok(watcher::Event::Apply(o)) => self.applied(ar, &o).await,
                Ok(watcher::Event::InitApply(o)) => {
                    listing[i].insert((o.namespace().unwrap_or_default(), o.name_any()));
                    self.applied(ar, &o).await;
                }
                Ok(watcher::Event::Delete(o)) => self.deleted(ar, &o),
                Ok(watcher::Event::Init) => listing[i].clear(),
                Ok(watcher::Event::InitDone) => {
                    let present = std::mem::take(&mut listing[i]);
                    self.relisted(ar, &present);
                }
                Err(e) => {
                    tracing::warn!(kind = %ar.kind, error = %e, "workload watch failed; retrying")
                }
            }
        }
    }
}
