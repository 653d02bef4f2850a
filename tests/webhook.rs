//! The admission webhook over real HTTPS: `AdmissionReview` JSON as the API
//! server sends it (with `oldObject`, `dryRun`, `userInfo`), for every mode
//! and workload kind, the incident Job, rollout gating with guards from an
//! in-process API server, overrides, guard validation, malformed bodies, and
//! certificate rotation without a restart.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;
mod fake_kube;

use common::{scrape, value};
use fake_kube::FakeKube;
use preflight::metrics::Metrics;
use preflight::webhook::policy::{FailureMode, Mode};
use preflight::webhook::{self, WebhookOptions};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// A CA and a server certificate for localhost and 127.0.0.1, as PEM files.
struct Pki {
    ca_pem: String,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(dir: &Path, tag: &str) -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("preflight test CA {tag}"));
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, format!("preflight-webhook {tag}"));
    let cert = params.signed_by(&key, &ca, &ca_key).expect("cert");
    let (cert_path, key_path) = (
        dir.join(format!("tls-{tag}.crt")),
        dir.join(format!("tls-{tag}.key")),
    );
    std::fs::write(&cert_path, cert.pem()).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    Pki {
        ca_pem: ca.pem(),
        cert: cert_path,
        key: key_path,
    }
}

fn client_trusting(ca_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("ca"))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

struct Server {
    running: webhook::Running,
    metrics: Arc<Metrics>,
    http: reqwest::Client,
    ca_pem: String,
    url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    async fn start(mode: Mode, failure: FailureMode, kube: Option<&FakeKube>) -> Server {
        let dir = tempfile::tempdir().expect("tmp");
        let p = pki(dir.path(), "a");
        let options = WebhookOptions {
            listen: "127.0.0.1:0".parse().expect("addr"),
            cert: p.cert.clone(),
            key: p.key.clone(),
            cert_poll: Duration::from_millis(100),
            mode,
            failure,
            namespace: "preflight-system".into(),
            identity: "preflight-webhook-0".into(),
            lint: Default::default(),
            overrides: Default::default(),
            watch_namespaces: Vec::new(),
        };
        let metrics = Arc::new(Metrics::new());
        let api = match kube.map(FakeKube::client) {
            Some(c) => webhook::Api::Client(c),
            None => webhook::Api::Unavailable("no API server in this test".to_string()),
        };
        let running = webhook::start(options, api, metrics.clone())
            .await
            .expect("webhook starts");
        let url = format!("https://127.0.0.1:{}/validate", running.addr.port());
        Server {
            running,
            metrics,
            http: client_trusting(&p.ca_pem),
            ca_pem: p.ca_pem,
            url,
            _dir: dir,
        }
    }

    /// Posts a review; returns the `response` object.
    async fn review(&self, review: &Value) -> Value {
        let r = self
            .http
            .post(&self.url)
            .json(review)
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 200, "{:?}", r.text().await);
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(body["kind"], "AdmissionReview");
        assert_eq!(
            body["response"]["uid"], review["request"]["uid"],
            "the uid is echoed"
        );
        body["response"].clone()
    }

    async fn raw(&self, body: Vec<u8>) -> (u16, String) {
        let r = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("post");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    fn count(&self, decision: &str) -> f64 {
        value(
            &self.metrics.encode(),
            "preflight_admission_reviews_total",
            &[("decision", decision)],
        )
        .unwrap_or(0.0)
    }
}

const MIGRATE_IMAGE: &str = "registry.digitalocean.com/bizpilot/backend:1.14.0";

fn containers(command: &str) -> Value {
    json!([{"name": "migrate", "image": MIGRATE_IMAGE, "command": ["sh", "-c", command]}])
}

/// A workload of `kind` whose container runs `command`, labelled `app`.
fn workload(kind: &str, name: &str, app: &str, command: &str) -> Value {
    let pod_spec = json!({"restartPolicy": "Never", "containers": containers(command)});
    let template = json!({"metadata": {"labels": {"app": app}}, "spec": pod_spec});
    let (api_version, spec) = match kind {
        "Job" => ("batch/v1", json!({"backoffLimit": 0, "template": template})),
        "CronJob" => (
            "batch/v1",
            json!({"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": template}}}),
        ),
        "Pod" => ("v1", pod_spec),
        _ => (
            "apps/v1",
            json!({"replicas": 2, "selector": {"matchLabels": {"app": app}}, "template": template}),
        ),
    };
    json!({"apiVersion": api_version, "kind": kind,
           "metadata": {"name": name, "namespace": "shop", "labels": {"app": app}, "uid": "0c7e1a5e-2f6b-4f0b-9a62-5f8c1c9d7e21"},
           "spec": spec})
}

fn gvk(kind: &str) -> (&'static str, &'static str, &'static str) {
    match kind {
        "Job" => ("batch", "v1", "jobs"),
        "CronJob" => ("batch", "v1", "cronjobs"),
        "Deployment" => ("apps", "v1", "deployments"),
        "StatefulSet" => ("apps", "v1", "statefulsets"),
        "DaemonSet" => ("apps", "v1", "daemonsets"),
        "Pod" => ("", "v1", "pods"),
        "DatabaseGuard" => ("preflight.dev", "v1alpha1", "databaseguards"),
        other => panic!("no kind {other}"),
    }
}

/// An AdmissionReview as the API server sends it.
fn review(operation: &str, object: &Value, old: Option<&Value>, dry_run: bool) -> Value {
    let kind = object["kind"].as_str().expect("kind");
    let (group, version, resource) = gvk(kind);
    let k = json!({"group": group, "version": version, "kind": kind});
    let r = json!({"group": group, "version": version, "resource": resource});
    let uid = format!("{:08x}-6393-11e8-b7cc-42010a800002", rand_u32());
    json!({
        "kind": "AdmissionReview",
        "apiVersion": "admission.k8s.io/v1",
        "request": {
            "uid": uid,
            "kind": k, "resource": r, "requestKind": k, "requestResource": r,
            "name": object["metadata"]["name"],
            "namespace": object["metadata"]["namespace"],
            "operation": operation,
            "userInfo": {"username": "system:serviceaccount:argocd:argocd-application-controller",
                         "uid": "8f5c2a57-3b1f-4c0e-9d7e-2a1b0c9d8e7f",
                         "groups": ["system:serviceaccounts", "system:serviceaccounts:argocd", "system:authenticated"]},
            "object": object,
            "oldObject": old,
            "dryRun": dry_run,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": if operation == "CREATE" { "CreateOptions" } else { "UpdateOptions" },
                        "fieldManager": "argocd-controller"}
        }
    })
}

fn rand_u32() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0x5eed);
    N.fetch_add(0x9e37_79b9, Ordering::Relaxed)
}

fn warnings(response: &Value) -> Vec<String> {
    response["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn message(response: &Value) -> String {
    response["status"]["message"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

const STAMP: &str = "cd backend && python -m alembic -c alembic.ini stamp head";
const KINDS: [&str; 6] = [
    "Job",
    "CronJob",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "Pod",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_steps_are_judged_in_every_mode_for_every_kind() {
    for mode in [Mode::Enforce, Mode::Warn, Mode::Audit] {
        let server = Server::start(mode, FailureMode::Ignore, None).await;
        for kind in KINDS {
            let obj = workload(kind, "migrate", "bizpilot", STAMP);
            let r = server.review(&review("CREATE", &obj, None, false)).await;
            let w = warnings(&r);
            let said = |s: &str| {
                s.contains("`python -m alembic -c alembic.ini stamp head`")
                    && s.contains("[alembic/stamp]")
                    && s.contains("container `migrate`")
                    && s.contains("Fix: ")
            };
            match mode {
                Mode::Enforce => {
                    assert_eq!(r["allowed"], false, "{kind}: {r}");
                    let m = message(&r);
                    assert!(said(&m), "{kind}: {m}");
                    assert!(
                        m.starts_with(&format!("preflight denied {kind} shop/migrate: ")),
                        "{m}"
                    );
                    assert_eq!(r["status"]["code"], 403);
                    assert!(m.lines().count() <= 2, "one or two lines: {m}");
                }
                Mode::Warn => {
                    assert_eq!(r["allowed"], true, "{kind}");
                    assert!(w.iter().any(|w| said(w)), "{kind}: {w:?}");
                }
                Mode::Audit => {
                    assert_eq!(r["allowed"], true, "{kind}");
                    assert!(w.is_empty(), "Audit is silent: {w:?}");
                }
            }
            // Without an API server, gating says it is unavailable (not in Audit).
            if kind != "Pod" && mode != Mode::Audit {
                assert!(
                    w.iter()
                        .any(|w| w.contains("rollout gating is unavailable")),
                    "{kind}: {w:?}"
                );
            }

            // The repository's command is admitted without findings.
            let ok = workload(
                kind,
                "migrate",
                "bizpilot",
                "cd backend && python -m alembic -c alembic.ini upgrade head",
            );
            let r = server.review(&review("CREATE", &ok, None, false)).await;
            assert_eq!(r["allowed"], true);
            assert!(
                warnings(&r)
                    .iter()
                    .all(|w| w.contains("rollout gating is unavailable")),
                "{:?}",
                warnings(&r)
            );
        }
        let counted = match mode {
            Mode::Enforce => server.count("denied"),
            Mode::Warn => server.count("warned"),
            Mode::Audit => server.count("audited"),
        };
        assert_eq!(counted, 6.0, "{mode:?}");
        assert_eq!(server.count("allowed"), 6.0, "{mode:?}");
        server.running.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exempt_namespaces_updates_without_template_changes_and_dry_runs() {
    let server = Server::start(Mode::Enforce, FailureMode::Ignore, None).await;
    for ns in ["kube-system", "preflight-system"] {
        let mut obj = workload("Job", "migrate", "x", STAMP);
        obj["metadata"]["namespace"] = json!(ns);
        let r = server.review(&review("CREATE", &obj, None, false)).await;
        assert_eq!(r["allowed"], true, "{ns}");
    }
    // Scaling a Deployment that predates the webhook changes no pod template.
    let old = workload("Deployment", "web", "bizpilot", STAMP);
    let mut scaled = old.clone();
    scaled["spec"]["replicas"] = json!(5);
    let r = server
        .review(&review("UPDATE", &scaled, Some(&old), false))
        .await;
    assert_eq!(r["allowed"], true);
    let mut changed = old.clone();
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = json!("backend:1.15.0");
    let r = server
        .review(&review("UPDATE", &changed, Some(&old), false))
        .await;
    assert_eq!(r["allowed"], false, "a new template is judged");
    // Pods a controller creates were judged through their owner.
    let mut owned = workload("Pod", "web-7d9f-abcde", "bizpilot", STAMP);
    owned["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f", "uid": "u", "controller": true}]);
    assert_eq!(
        server.review(&review("CREATE", &owned, None, false)).await["allowed"],
        true
    );
    // DELETE is never judged.
    assert_eq!(
        server
            .review(&review("DELETE", &old, Some(&old), false))
            .await["allowed"],
        true
    );

    // A dry run is judged the same and leaves no trace in the metrics.
    let before = server.count("denied");
    let r = server
        .review(&review(
            "CREATE",
            &workload("Job", "migrate", "x", STAMP),
            None,
            true,
        ))
        .await;
    assert_eq!(r["allowed"], false);
    assert_eq!(server.count("denied"), before);
    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_bodies_and_undecodable_objects() {
    let server = Server::start(Mode::Enforce, FailureMode::Ignore, None).await;
    let good = review(
        "CREATE",
        &workload("Job", "migrate", "x", STAMP),
        None,
        false,
    );
    let bytes = serde_json::to_vec(&good).expect("json");

    let (code, text) = server.raw(Vec::new()).await;
    assert_eq!(code, 400);
    assert!(text.contains("empty body"), "{text}");
    let (code, text) = server.raw(bytes[..bytes.len() / 2].to_vec()).await;
    assert_eq!(code, 400);
    assert!(text.contains("not JSON"), "{text}");
    let mut v1beta1 = good.clone();
    v1beta1["apiVersion"] = json!("admission.k8s.io/v1beta1");
    let (code, text) = server
        .raw(serde_json::to_vec(&v1beta1).expect("json"))
        .await;
    assert_eq!(code, 400);
    assert!(
        text.contains("admission.k8s.io/v1") && text.contains("v1beta1"),
        "{text}"
    );
    let mut no_uid = good.clone();
    no_uid["request"]
        .as_object_mut()
        .expect("request")
        .remove("uid");
    let (code, text) = server.raw(serde_json::to_vec(&no_uid).expect("json")).await;
    assert_eq!((code, text.contains("request.uid")), (400, true), "{text}");
    let mut huge = good.clone();
    huge["request"]["object"]["metadata"]["annotations"] =
        json!({"blob": "x".repeat(5 * 1024 * 1024)});
    // Refused with 413 as soon as the limit is passed; the server may close
    // the connection before the client has finished sending, which a client
    // sees as a broken request. Either way nothing is judged.
    let sent = server
        .http
        .post(&server.url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&huge).expect("json"))
        .send()
        .await;
    if let Ok(r) = sent {
        assert_eq!(r.status(), 413, "bodies over 4 MiB are refused");
    }
    // (on a new connection: the refused one is closed)
    let r: Value = client_trusting(&server.ca_pem)
        .post(&server.url)
        .json(&good)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(
        r["response"]["allowed"], false,
        "still serving after a huge body"
    );

    // An object that is not a workload's shape: the failure mode decides, with a reason.
    let mut broken = workload("Deployment", "web", "x", "true");
    broken["spec"]["template"]["spec"]["containers"] = json!("migrate");
    let r = server.review(&review("CREATE", &broken, None, false)).await;
    assert_eq!(r["allowed"], true);
    assert!(
        warnings(&r)
            .iter()
            .any(|w| w.contains("cannot judge") && w.contains("failure mode is Ignore")),
        "{r}"
    );
    let mut not_an_object = good.clone();
    not_an_object["request"]["object"] = json!("a string");
    let r = server.review(&not_an_object).await;
    assert_eq!(r["allowed"], true, "{r}");
    assert_eq!(server.count("error"), 2.0);
    assert_eq!(
        server.count("denied"),
        1.0,
        "only the good review was judged"
    );
    server.running.stop().await;

    let strict = Server::start(Mode::Enforce, FailureMode::Fail, None).await;
    let r = strict.review(&review("CREATE", &broken, None, false)).await;
    assert_eq!(r["allowed"], false);
    let m = message(&r);
    assert!(
        m.contains("cannot judge")
            && m.contains("failure mode is Fail")
            && m.contains("containers"),
        "{m}"
    );
    strict.running.stop().await;
}

fn guard(
    ns: &str,
    name: &str,
    app: &str,
    enforcement: Option<&str>,
    verdict: &str,
    missing: &[&str],
) -> Value {
    let mut spec = json!({"database": {"secretRef": {"name": "db", "key": "url"}},
                          "expected": {"configMapRef": {"name": "migrations"}},
                          "interval": "60s", "selector": {"matchLabels": {"app": app}}});
    if let Some(e) = enforcement {
        spec["enforcement"] = json!(e);
    }
    let mut status = json!({"verdict": verdict, "missing": missing, "ledger": {"tool": "alembic", "version": "018_add_notifications"}});
    if verdict == "ledger_ahead" {
        // The plan the controller writes for the incident.
        status["repair"] = json!({"steps": ["alembic stamp 016_add_time_entry_and_pos", "alembic upgrade head"],
                                  "proven": false, "proof": "not proven"});
    }
    json!({"apiVersion": "preflight.dev/v1alpha1", "kind": "DatabaseGuard",
           "metadata": {"name": name, "namespace": ns},
           "spec": spec,
           "status": status})
}

const GUARDS: &str = "apis/preflight.dev/v1alpha1/databaseguards";
const NAMESPACES: &str = "api/v1/namespaces";
const EVENTS: &str = "apis/events.k8s.io/v1/events";

fn namespace(name: &str, mode: Option<&str>) -> Value {
    let labels = mode.map_or(json!({}), |m| json!({"preflight.dev/enforcement": m}));
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}})
}

fn in_ns(mut obj: Value, ns: &str) -> Value {
    obj["metadata"]["namespace"] = json!(ns);
    obj
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollouts_of_an_inconsistent_database_are_gated() {
    let fake = FakeKube::new();
    fake.create(NAMESPACES, "", namespace("shop", None));
    fake.create(NAMESPACES, "", namespace("staging", Some("Warn")));
    fake.create(NAMESPACES, "", namespace("lab", None));
    let incident = ["table sessions", "table notifications"];
    fake.create(
        GUARDS,
        "shop",
        guard(
            "shop",
            "bizpilot",
            "bizpilot",
            None,
            "ledger_ahead",
            &incident,
        ),
    );
    fake.create(
        GUARDS,
        "shop",
        guard("shop", "shopfront", "shopfront", None, "in_sync", &[]),
    );
    fake.create(
        GUARDS,
        "staging",
        guard(
            "staging",
            "bizpilot",
            "bizpilot",
            None,
            "ledger_ahead",
            &incident,
        ),
    );
    fake.create(
        GUARDS,
        "lab",
        guard(
            "lab",
            "bizpilot",
            "bizpilot",
            Some("Audit"),
            "ledger_ahead",
            &incident,
        ),
    );
    let server = Server::start(Mode::Enforce, FailureMode::Ignore, Some(&fake)).await;
    for _ in 0..100 {
        if server.running.cluster.gating().is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.running.cluster.gating().expect("guards listed");

    let web = workload("Deployment", "web", "bizpilot", "exec gunicorn app:app");
    let mut next = web.clone();
    next["spec"]["template"]["spec"]["containers"][0]["image"] = json!("backend:1.15.0");

    // The incident: a new release of the app while 017 and 018 are missing.
    let r = server
        .review(&review("UPDATE", &next, Some(&web), false))
        .await;
    assert_eq!(r["allowed"], false, "{r}");
    let m = message(&r);
    for want in [
        "DatabaseGuard bizpilot",
        "ledger_ahead",
        "table sessions",
        "table notifications",
        "preflight.dev/override",
        // The way out: the repair's first step and where the rest is.
        "repair, step 1: alembic stamp 016_add_time_entry_and_pos",
        "kubectl get dbguard bizpilot -n shop -o jsonpath='{.status.repair}'",
    ] {
        assert!(m.contains(want), "`{want}` not in: {m}");
    }
    // Scaling is not a rollout.
    let mut scaled = web.clone();
    scaled["spec"]["replicas"] = json!(4);
    assert_eq!(
        server
            .review(&review("UPDATE", &scaled, Some(&web), false))
            .await["allowed"],
        true
    );
    // Another app's database is fine.
    let other = workload(
        "Deployment",
        "storefront",
        "shopfront",
        "exec node server.js",
    );
    assert_eq!(
        server.review(&review("CREATE", &other, None, false)).await["allowed"],
        true
    );
    // The fix itself is never blocked: a Job that applies the migrations.
    let fix = workload(
        "Job",
        "migrate-018",
        "bizpilot",
        "cd backend && python -m alembic -c alembic.ini upgrade head",
    );
    let r = server.review(&review("CREATE", &fix, None, false)).await;
    assert_eq!(r["allowed"], true, "{r}");
    assert!(warnings(&r).is_empty(), "{r}");
    // A Job that stamps again is denied for the stamp, not admitted as a fix.
    let restamp = workload(
        "Job",
        "migrate-019",
        "bizpilot",
        "alembic upgrade head || alembic stamp head",
    );
    let r = server
        .review(&review("CREATE", &restamp, None, false))
        .await;
    assert_eq!(r["allowed"], false);

    // The override admits, with a reason, and is recorded.
    let mut forced = next.clone();
    forced["metadata"]["annotations"] = json!({"preflight.dev/override": "hotfix INC-2291: the API crash loop must stop; DB repair in progress"});
    let r = server
        .review(&review("UPDATE", &forced, Some(&web), false))
        .await;
    assert_eq!(r["allowed"], true, "{r}");
    assert!(
        warnings(&r)[0].contains(
            "admitted by preflight.dev/override of system:serviceaccount:argocd:argocd-application-controller (hotfix INC-2291"
        ),
        "{r}"
    );
    assert_eq!(
        value(
            &server.metrics.encode(),
            "preflight_admission_overrides_total",
            &[("namespace", "shop")]
        ),
        Some(1.0)
    );
    let mut event = None;
    for _ in 0..50 {
        event = fake
            .list(EVENTS)
            .into_iter()
            .find(|e| e["reason"] == "AdmissionOverride");
        if event.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let event = event.expect("an override Event");
    assert_eq!(event["regarding"]["name"], "web");
    assert_eq!(event["regarding"]["kind"], "Deployment");
    assert!(event["note"].as_str().expect("note").contains("INC-2291"));
    // An override without a reason is no override.
    let mut empty = next.clone();
    empty["metadata"]["annotations"] = json!({"preflight.dev/override": "  "});
    let r = server
        .review(&review("UPDATE", &empty, Some(&web), false))
        .await;
    assert_eq!(r["allowed"], false);
    assert!(
        warnings(&r).iter().any(|w| w.contains("needs a reason")),
        "{r}"
    );
    // A dry-run override records nothing.
    server
        .review(&review("UPDATE", &forced, Some(&web), true))
        .await;
    assert_eq!(
        value(
            &server.metrics.encode(),
            "preflight_admission_overrides_total",
            &[("namespace", "shop")]
        ),
        Some(1.0)
    );

    // Namespace label Warn: admitted, with the same words as a warning.
    let r = server
        .review(&review(
            "UPDATE",
            &in_ns(next.clone(), "staging"),
            Some(&in_ns(web.clone(), "staging")),
            false,
        ))
        .await;
    assert_eq!(r["allowed"], true);
    assert!(
        warnings(&r)
            .iter()
            .any(|w| w.contains("ledger_ahead") && w.contains("table sessions")),
        "{r}"
    );
    // The guard's own mode (Audit) wins over the global Enforce: admitted and recorded.
    let audited = server.count("audited");
    let r = server
        .review(&review(
            "UPDATE",
            &in_ns(next.clone(), "lab"),
            Some(&in_ns(web.clone(), "lab")),
            false,
        ))
        .await;
    assert_eq!(r["allowed"], true);
    assert!(warnings(&r).is_empty());
    assert_eq!(server.count("audited"), audited + 1.0);
    // And for release steps of its workloads too.
    let r = server
        .review(&review(
            "CREATE",
            &in_ns(workload("Job", "m", "bizpilot", STAMP), "lab"),
            None,
            false,
        ))
        .await;
    assert_eq!(r["allowed"], true);

    // The guard is repaired: the rollout goes through.
    fake.patch(
        GUARDS,
        "shop",
        "bizpilot",
        &json!({"status": {"verdict": "in_sync", "missing": null}}),
    );
    let mut admitted = false;
    for _ in 0..50 {
        if server
            .review(&review("UPDATE", &next, Some(&web), false))
            .await["allowed"]
            == true
        {
            admitted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(admitted, "admitted once the guard is in sync");
    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_guards_are_validated() {
    let server = Server::start(Mode::Enforce, FailureMode::Ignore, None).await;
    let mut g = guard(
        "shop",
        "bizpilot",
        "bizpilot",
        Some("Enforce"),
        "in_sync",
        &[],
    );
    g.as_object_mut().expect("guard").remove("status");
    assert_eq!(
        server.review(&review("CREATE", &g, None, false)).await["allowed"],
        true
    );
    let cases = [
        (
            "interval",
            json!("5 minutes"),
            "spec.interval `5 minutes` is not a duration: write a number and a unit",
        ),
        (
            "enforcement",
            json!("enforce"),
            "modes are capitalised: Enforce",
        ),
        (
            "expected",
            json!({}),
            "spec.expected needs configMapRef or secretRef",
        ),
        (
            "database",
            json!({"secretRef": {"name": "db"}}),
            "spec.database.secretRef.key is missing",
        ),
    ];
    for (field, bad, want) in cases {
        let mut b = g.clone();
        b["spec"][field] = bad;
        let r = server.review(&review("UPDATE", &b, Some(&g), false)).await;
        assert_eq!(r["allowed"], false, "{field}");
        let m = message(&r);
        assert!(
            m.starts_with("DatabaseGuard bizpilot is invalid: ") && m.contains(want),
            "{field}: {m}"
        );
    }
    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_certificate_is_used_by_the_next_handshake() {
    let server = Server::start(Mode::Enforce, FailureMode::Ignore, None).await;
    let health = server.url.replace("/validate", "/healthz");
    assert_eq!(
        server
            .http
            .get(&health)
            .send()
            .await
            .expect("first cert")
            .status(),
        200
    );

    // cert-manager writes a new pair from another CA into the same paths.
    let dir = tempfile::tempdir().expect("tmp");
    let next = pki(dir.path(), "b");
    let (cert, key) = (
        server._dir.path().join("tls-a.crt"),
        server._dir.path().join("tls-a.key"),
    );
    for (from, to) in [(&next.key, &key), (&next.cert, &cert)] {
        let staged = to.with_extension("new");
        std::fs::copy(from, &staged).expect("stage");
        std::fs::rename(&staged, to).expect("swap");
    }
    let fresh = client_trusting(&next.ca_pem);
    let mut rotated = false;
    for _ in 0..50 {
        if fresh.get(&health).send().await.is_ok() {
            rotated = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(rotated, "the new certificate is served without a restart");
    // A new connection that trusts only the old CA is refused now.
    assert!(
        client_trusting(&server.ca_pem)
            .get(&health)
            .send()
            .await
            .is_err()
    );
    // A half-written rotation (a truncated key) keeps the current certificate.
    std::fs::write(
        &key,
        "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n",
    )
    .expect("truncated key");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        client_trusting(&next.ca_pem)
            .get(&health)
            .send()
            .await
            .expect("still served")
            .status(),
        200
    );
    server.running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_serves_the_webhook_and_metrics() {
    let fake = FakeKube::new();
    let dir = tempfile::tempdir().expect("tmp");
    let p = pki(dir.path(), "op");
    let mut o = preflight::operator::OperatorOptions::new("preflight-system", "preflight-0");
    o.listen = "127.0.0.1:0".parse().expect("addr");
    o.webhook = Some(WebhookOptions {
        listen: "127.0.0.1:0".parse().expect("addr"),
        cert: p.cert.clone(),
        key: p.key.clone(),
        cert_poll: Duration::from_secs(1),
        mode: Mode::Enforce,
        failure: FailureMode::Ignore,
        namespace: "preflight-system".into(),
        identity: "preflight-0".into(),
        lint: Default::default(),
        overrides: Default::default(),
        watch_namespaces: Vec::new(),
    });
    let op = preflight::operator::start(fake.client(), o)
        .await
        .expect("operator");
    let url = format!(
        "https://127.0.0.1:{}/validate",
        op.webhook_addr.expect("webhook").port()
    );
    let http = client_trusting(&p.ca_pem);
    let r: Value = http
        .post(&url)
        .json(&review(
            "CREATE",
            &workload("Job", "migrate", "bizpilot", STAMP),
            None,
            false,
        ))
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    assert_eq!(r["response"]["allowed"], false);
    let m = scrape(op.addr).await;
    assert_eq!(
        value(
            &m,
            "preflight_admission_reviews_total",
            &[("decision", "denied")]
        ),
        Some(1.0)
    );
    op.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_server_still_gets_release_steps_judged() {
    let fake = FakeKube::new();
    fake.set_down(true);
    let server = Server::start(Mode::Enforce, FailureMode::Ignore, Some(&fake)).await;
    let r = server
        .review(&review(
            "CREATE",
            &workload("Job", "migrate", "bizpilot", STAMP),
            None,
            false,
        ))
        .await;
    assert_eq!(
        r["allowed"], false,
        "release steps are judged without the API server"
    );
    let web = workload("Deployment", "web", "bizpilot", "exec gunicorn app:app");
    let r = server.review(&review("CREATE", &web, None, false)).await;
    assert_eq!(r["allowed"], true);
    assert!(
        warnings(&r)
            .iter()
            .any(|w| w.contains("rollout gating is unavailable")),
        "{r}"
    );
    server.running.stop().await;
}
