//! Judging one `AdmissionReview`: the release-step policy, rollout gating,
//! overrides, and `DatabaseGuard` validation.

use super::cluster::ClusterView;
use super::guard_check;
use super::policy::{FailureMode, Mode, OVERRIDE_ANNOTATION, Overrides, finding_line, selects};
use crate::crd::DatabaseGuard;
use crate::definitions::Severity;
use crate::lint::{Finding, LintReport, Linter};
use k8s_openapi::api::core::v1::ObjectReference;
use kube::ResourceExt;
use kube::api::ApiResource;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// The group, version and kind of the object under review.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Gvk {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

/// The parts of an `admission.k8s.io/v1` `AdmissionRequest` preflight reads,
/// decoded in one pass (objects stay JSON: they are linted as manifests).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub uid: String,
    pub kind: Gvk,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    pub operation: String,
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub object: Option<Value>,
    #[serde(default)]
    pub old_object: Option<Value>,
    /// Who asked, as the API server authenticated them.
    #[serde(default)]
    pub user_info: UserInfo,
}

#[derive(Debug, Default, Deserialize)]
pub struct UserInfo {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub groups: Vec<String>,
}

fn meta<'a>(obj: &'a Value, field: &str) -> Option<&'a Value> {
    obj.get("metadata")?.get(field)
}

fn meta_str<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(obj.get("metadata")?, |v, k| v.get(k))?
        .as_str()
}

/// How a review ended, as the `decision` label of
/// `preflight_admission_reviews_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Denied,
    Warned,
    Audited,
    /// Could not be judged; the failure mode decided.
    Error,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Denied => "denied",
            Decision::Warned => "warned",
            Decision::Audited => "audited",
            Decision::Error => "error",
        }
    }
}

/// Something to record as an Event once the response is sent.
#[derive(Debug, Clone)]
pub struct Record {
    pub regarding: ObjectReference,
    pub reason: &'static str,
    pub note: String,
}

#[derive(Debug)]
pub struct Verdict {
    pub allowed: bool,
    pub message: Option<String>,
    pub warnings: Vec<String>,
    pub decision: Decision,
    /// Admitted through the override annotation.
    pub overridden: bool,
    pub records: Vec<Record>,
}

impl Verdict {
    fn allow() -> Verdict {
        Verdict {
            allowed: true,
            message: None,
            warnings: Vec::new(),
            decision: Decision::Allowed,
            overridden: false,
            records: Vec::new(),
        }
    }
}

/// What the webhook needs to judge.
pub struct Judge {
    pub linter: Arc<Linter>,
    pub mode: Mode,
    pub failure: FailureMode,
    /// Never judged: the server's own namespace and `kube-system`.
    pub exempt: HashSet<String>,
    pub cluster: Arc<ClusterView>,
    /// Whose override annotations count.
    pub overrides: Overrides,
}

/// The kinds whose release steps are judged.
fn workload(gvk: &Gvk) -> Option<ApiResource> {
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    use k8s_openapi::api::batch::v1::{CronJob, Job};
    use k8s_openapi::api::core::v1::Pod;
    match (gvk.group.as_str(), gvk.kind.as_str()) {
        ("batch", "Job") => Some(ApiResource::erase::<Job>(&())),
        ("batch", "CronJob") => Some(ApiResource::erase::<CronJob>(&())),
        ("apps", "Deployment") => Some(ApiResource::erase::<Deployment>(&())),
        ("apps", "StatefulSet") => Some(ApiResource::erase::<StatefulSet>(&())),
        ("apps", "DaemonSet") => Some(ApiResource::erase::<DaemonSet>(&())),
        ("", "Pod") => Some(ApiResource::erase::<Pod>(&())),
        _ => None,
    }
}

/// Where the pod template lives (Pods are their own template).
fn template<'a>(kind: &str, data: &'a Value) -> Option<&'a Value> {
    match kind {
        "CronJob" => data.pointer("/spec/jobTemplate/spec/template"),
        "Pod" => data.get("spec"),
        _ => data.pointer("/spec/template"),
    }
}

/// Labels a guard's selector is matched against: the pod template's, and the
/// workload's own.
fn labels(kind: &str, obj: &Value) -> BTreeMap<String, String> {
    let from_template = match kind {
        "Pod" => None,
        "CronJob" => obj.pointer("/spec/jobTemplate/spec/template/metadata/labels"),
        _ => obj.pointer("/spec/template/metadata/labels"),
    };
    let mut all = BTreeMap::new();
    for source in [meta(obj, "labels"), from_template].into_iter().flatten() {
        if let Value::Object(m) = source {
            for (k, v) in m {
                if let Some(v) = v.as_str() {
                    all.insert(k.clone(), v.to_string());
                }
            }
        }
    }
    all
}

/// A guard blocks rollouts while its database lacks what its ledger claims.
fn blocking(guard: &DatabaseGuard) -> Option<String> {
    let status = guard.status.as_ref()?;
    let ahead = status.verdict.as_deref() == Some("ledger_ahead");
    if !ahead && status.missing.is_empty() {
        return None;
    }
    let verdict = status.verdict.clone().unwrap_or_default();
    let missing = if status.missing.is_empty() {
        String::new()
    } else {
        let shown: Vec<&str> = status.missing.iter().take(8).map(String::as_str).collect();
        let more = status.missing.len().saturating_sub(shown.len());
        format!(
            "; missing {}{}",
            shown.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        )
    };
    // The way out, where the denial is read: the plan's first step.
    let repair = status
        .repair
        .as_ref()
        .and_then(|r| r.steps.first().map(|first| (r, first)))
        .map(|(r, first)| {
            format!(
                "; repair{}, step 1: {} (the whole plan: kubectl get dbguard {} -n {} -o jsonpath='{{.status.repair}}')",
                if r.proven { " (proven)" } else { "" },
                first.lines().next().unwrap_or_default(),
                guard.metadata.name.as_deref().unwrap_or_default(),
                guard.metadata.namespace.as_deref().unwrap_or_default()
            )
        })
        .unwrap_or_default();
    Some(format!("{verdict}{missing}{repair}"))
}

impl Judge {
    /// The mode for `namespace`, unless a guard says otherwise.
    fn namespace_mode(&self, namespace: &str) -> Mode {
        self.cluster.namespace_mode(namespace).unwrap_or(self.mode)
    }

    /// Judges a decoded request.
    pub fn judge(&self, req: &Request) -> Verdict {
        if !matches!(req.operation.as_str(), "CREATE" | "UPDATE") {
            return Verdict::allow();
        }
        let namespace = req.namespace.clone().unwrap_or_default();
        if self.exempt.contains(&namespace) {
            return Verdict::allow();
        }
        if req.kind.group == "preflight.dev" && req.kind.kind == "DatabaseGuard" {
            return self.judge_guard(req);
        }
        match workload(&req.kind) {
            Some(resource) => self.judge_workload(req, &resource, &namespace),
            None => Verdict::allow(),
        }
    }

    /// What to do with something that cannot be judged.
    pub fn undecodable(&self, why: &str) -> Verdict {
        let allowed = self.failure == FailureMode::Ignore;
        let message = format!(
            "preflight cannot judge this object ({why}); {}",
            if allowed {
                "admitted because the failure mode is Ignore"
            } else {
                "denied because the failure mode is Fail"
            }
        );
        Verdict {
            allowed,
            message: (!allowed).then(|| message.clone()),
            warnings: if allowed { vec![message] } else { Vec::new() },
            decision: Decision::Error,
            overridden: false,
            records: Vec::new(),
        }
    }

    fn judge_guard(&self, req: &Request) -> Verdict {
        let Some(obj) = &req.object else {
            return self.undecodable("the request has no object");
        };
        let check = guard_check::check(obj);
        let name = format!(
            "DatabaseGuard {}",
            meta_str(obj, &["name"]).unwrap_or(&req.name)
        );
        if check.problems.is_empty() {
            return Verdict {
                warnings: check
                    .warnings
                    .iter()
                    .map(|w| format!("{name}: {w}"))
                    .collect(),
                ..Verdict::allow()
            };
        }
        Verdict {
            allowed: false,
            message: Some(format!("{name} is invalid: {}", check.problems.join("; "))),
            warnings: check.warnings,
            decision: Decision::Denied,
            overridden: false,
            records: Vec::new(),
        }
    }

    fn judge_workload(&self, req: &Request, resource: &ApiResource, namespace: &str) -> Verdict {
        let Some(obj) = req.object.as_ref().filter(|o| o.is_object()) else {
            return self.undecodable("the request's object is not a Kubernetes object");
        };
        let kind = resource.kind.as_str();
        if controller_owned(obj) || template_unchanged(req, kind, obj) {
            return Verdict::allow();
        }
        let name = meta_str(obj, &["name"]).unwrap_or(&req.name).to_string();
        let display = format!("{kind} {namespace}/{name}");
        let report = self
            .linter
            .lint_object(&resource.api_version, &resource.kind, obj, &display);
        if let Some(e) = report.errors.first() {
            return self.undecodable(&format!("{kind} {name}: {}", e.message));
        }

        let labels = labels(kind, obj);
        let guards: Vec<Arc<DatabaseGuard>> = self
            .cluster
            .guards_in(namespace)
            .into_iter()
            .filter(|g| {
                g.spec
                    .selector
                    .as_ref()
                    .is_some_and(|s| selects(s, &labels))
            })
            .collect();
        let ns_mode = self.namespace_mode(namespace);
        // A guard's own mode governs what concerns its workloads.
        let step_mode = guards
            .iter()
            .filter_map(|g| g.spec.enforcement)
            .reduce(Mode::max)
            .unwrap_or(ns_mode);

        let mut said = Said::default();
        let errors = said.release_steps(&report, step_mode, &format!("{kind} `{name}`"));
        // Rollout gating: not for Pods (blocking them would stop recovery),
        // never for the workload that applies the migrations.
        let is_fix = report.applying_steps > 0 && errors == 0;
        if kind != "Pod" && !is_fix {
            self.gate_rollout(&guards, ns_mode, &display, kind, &mut said);
        }
        let regarding = ObjectReference {
            api_version: Some(resource.api_version.clone()),
            kind: Some(resource.kind.clone()),
            name: Some(name.clone()),
            namespace: Some(namespace.to_string()),
            uid: meta_str(obj, &["uid"]).map(str::to_string),
            ..ObjectReference::default()
        };
        let override_reason =
            meta_str(obj, &["annotations", OVERRIDE_ANNOTATION]).map(|r| r.trim().to_string());
        self.decide(req, &display, regarding, override_reason.as_deref(), said)
    }

    /// Denies (or warns about) a rollout whose guarded database is not
    /// ready for it.
    fn gate_rollout(
        &self,
        guards: &[Arc<DatabaseGuard>],
        ns_mode: Mode,
        display: &str,
        kind: &str,
        said: &mut Said,
    ) {
        match self.cluster.gating() {
            // Audit stays silent.
            Err(_) if ns_mode == Mode::Audit => {}
            Err(why) => said.notes.push(format!(
                "preflight: rollout gating is unavailable ({why}); release steps were checked"
            )),
            Ok(()) => {
                for g in guards {
                    let Some(state) = blocking(g) else { continue };
                    let line = format!(
                        "{display} uses the database of DatabaseGuard {}, which is {state}. Migrate the database first (a Job running the migrations is admitted), or annotate the {kind} with {OVERRIDE_ANNOTATION}: \"<reason>\"",
                        g.name_any()
                    );
                    said.by_mode(g.spec.enforcement.unwrap_or(ns_mode), line);
                }
            }
        }
    }

    /// The decision from what was said: denied unless an allowed user
    /// overrode it with a reason, else warned, audited or allowed.
    fn decide(
        &self,
        req: &Request,
        display: &str,
        regarding: ObjectReference,
        override_reason: Option<&str>,
        said: Said,
    ) -> Verdict {
        let Said {
            mut deny,
            mut warn,
            audit,
            notes,
        } = said;
        if !deny.is_empty() {
            let user = req.user_info.username.as_str();
            let allowed = self.overrides.allows(user, &req.user_info.groups);
            match override_reason {
                Some(r) if !r.is_empty() && !allowed => deny.push(format!(
                    "the {OVERRIDE_ANNOTATION} annotation was ignored: {} may not override (only the users and groups the webhook's overrides name)",
                    if user.is_empty() { "this user" } else { user }
                )),
                Some(reason) if !reason.is_empty() => {
                    let by = if user.is_empty() {
                        String::new()
                    } else {
                        format!(" of {user}")
                    };
                    let note = format!(
                        "admitted by {OVERRIDE_ANNOTATION}{by} ({reason}) despite: {}",
                        deny.join(" | ")
                    );
                    let mut warnings = vec![format!("preflight: {note}")];
                    warnings.extend(warn);
                    warnings.extend(notes);
                    return Verdict {
                        allowed: true,
                        message: None,
                        warnings,
                        decision: Decision::Allowed,
                        overridden: true,
                        records: vec![Record {
                            regarding,
                            reason: "AdmissionOverride",
                            note,
                        }],
                    };
                }
                Some(_) => warn.push(format!(
                    "preflight: the {OVERRIDE_ANNOTATION} annotation needs a reason; it was ignored"
                )),
                None => {}
            }
            warn.extend(notes);
            return Verdict {
                allowed: false,
                message: Some(format!("preflight denied {display}: {}", deny.join("\n"))),
                warnings: warn,
                decision: Decision::Denied,
                overridden: false,
                records: Vec::new(),
            };
        }
        let records: Vec<Record> = audit
            .iter()
            .map(|a| Record {
                regarding: regarding.clone(),
                reason: "AuditedRelease",
                note: a.clone(),
            })
            .collect();
        let decision = if !warn.is_empty() {
            Decision::Warned
        } else if !audit.is_empty() {
            Decision::Audited
        } else {
            Decision::Allowed
        };
        warn.extend(notes);
        Verdict {
            allowed: true,
            message: None,
            warnings: warn,
            decision,
            overridden: false,
            records,
        }
    }
}

/// What a review says about a workload, by the mode it falls under.
#[derive(Default)]
struct Said {
    deny: Vec<String>,
    warn: Vec<String>,
    audit: Vec<String>,
    /// Said, but not a finding: does not make the decision `warned`.
    notes: Vec<String>,
}

impl Said {
    fn by_mode(&mut self, mode: Mode, line: String) {
        match mode {
            Mode::Enforce => self.deny.push(line),
            Mode::Warn => self.warn.push(line),
            Mode::Audit => self.audit.push(line),
        }
    }

    /// The release steps' findings: errors by `mode`, warnings as warnings
    /// unless audited. Returns how many errors there were.
    fn release_steps(&mut self, report: &LintReport, mode: Mode, owner: &str) -> usize {
        let errors: Vec<&Finding> = report
            .active()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        for f in &errors {
            self.by_mode(mode, finding_line(f, owner));
        }
        if mode != Mode::Audit {
            self.warn.extend(
                report
                    .active()
                    .filter(|f| f.severity == Severity::Warning)
                    .map(|f| finding_line(f, owner)),
            );
        }
        errors.len()
    }
}

/// Objects a controller creates (a Deployment's Pods, a CronJob's Jobs) were
/// judged through their owner.
fn controller_owned(obj: &Value) -> bool {
    meta(obj, "ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|refs| {
            refs.iter()
                .any(|o| o.get("controller") == Some(&Value::Bool(true)))
        })
}

/// Scaling, relabelling, status: only a new or changed pod template starts
/// anything new.
fn template_unchanged(req: &Request, kind: &str, obj: &Value) -> bool {
    if req.operation != "UPDATE" {
        return false;
    }
    let old = req.old_object.as_ref().and_then(|o| template(kind, o));
    old.is_some() && old == template(kind, obj)
}

/// The AdmissionReview response for `uid`.
pub fn response(uid: &str, verdict: &Verdict) -> Value {
    let mut response = json!({"uid": uid, "allowed": verdict.allowed});
    if let Some(message) = &verdict.message {
        response["status"] = json!({
            "code": 403,
            "reason": "Forbidden",
            "message": message,
        });
    }
    if !verdict.warnings.is_empty() {
        // The API server shows warnings as they are; long ones are cut.
        let warnings: Vec<String> = verdict
            .warnings
            .iter()
            .map(|w| crate::text::truncate(w, 1000))
            .collect();
        response["warnings"] = json!(warnings);
    }
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response})
}
