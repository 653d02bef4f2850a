//! The Helm chart, rendered by the real Helm engine (helm-python-sdk): strict
//! lint, every object valid for the oldest and newest Kubernetes the chart
//! supports (kubernetes-validate), the rendered arguments and configuration
//! accepted by the real binary, the generated certificate usable by the API
//! server, the CRD identical to `preflight crd`, values validated by the
//! schema, dashboard queries that parse, the plain manifests in `deploy/` up
//! to date, and RBAC rules equal to the API calls the code makes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;
mod fake_kube;

use fake_kube::FakeKube;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const CHART: &str = "charts/preflight";
const NAMESPACE: &str = "preflight-system";
/// The oldest and newest Kubernetes the chart supports (Chart.yaml kubeVersion).
const KUBERNETES: [&str; 2] = ["1.27.0", "1.37.0"];

fn python() -> Option<PathBuf> {
    common::python()
}

fn helm(python: &Path, args: &[&str]) -> Value {
    let out = Command::new(python)
        .arg(common::repo().join("tests/chart/helm.py"))
        .args(args)
        .current_dir(common::repo())
        .output()
        .expect("run helm.py");
    assert!(
        out.status.success(),
        "helm.py {args:?}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("helm.py prints JSON")
}

struct Rendered {
    files: serde_json::Map<String, Value>,
    objects: Vec<Value>,
}

impl Rendered {
    fn all(&self, kind: &str) -> Vec<&Value> {
        self.objects.iter().filter(|o| o["kind"] == kind).collect()
    }
    fn one(&self, kind: &str) -> &Value {
        let all = self.all(kind);
        assert_eq!(all.len(), 1, "one {kind}: {:?}", self.kinds());
        all[0]
    }
    fn kinds(&self) -> Vec<String> {
        self.objects
            .iter()
            .map(|o| o["kind"].as_str().unwrap_or("").to_string())
            .collect()
    }
}

fn render(python: &Path, values: &Value) -> Rendered {
    let v = helm(python, &["render", CHART, &values.to_string(), NAMESPACE]);
    Rendered {
        files: v["files"].as_object().cloned().unwrap_or_default(),
        objects: v["objects"]
            .as_array()
            .expect("objects")
            .iter()
            .map(|o| o["object"].clone())
            .collect(),
    }
}

fn lint(python: &Path, values: &Value) {
    for kube in KUBERNETES {
        let report = helm(
            python,
            &["lint", CHART, &values.to_string(), &format!("v{kube}")],
        );
        let problems: Vec<&Value> = report["messages"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["severity"].as_i64().unwrap_or(3) >= 2)
            .collect();
        assert!(
            problems.is_empty() && report["errors"].as_array().is_none_or(Vec::is_empty),
            "helm lint --strict ({kube}, {values}): {report:#}"
        );
    }
}

/// Kinds that come from other projects' CRDs (cert-manager, Prometheus
/// Operator): kubernetes-validate has no schema for them.
const FOREIGN: [&str; 4] = ["Certificate", "Issuer", "ServiceMonitor", "PrometheusRule"];

fn validate(python: &Path, rendered: &Rendered) {
    let dir = tempfile::tempdir().expect("tmp");
    let mut files = Vec::new();
    for (i, o) in rendered.objects.iter().enumerate() {
        if FOREIGN.contains(&o["kind"].as_str().unwrap_or("")) {
            continue;
        }
        let f = dir
            .path()
            .join(format!("{i:02}-{}.json", o["kind"].as_str().unwrap_or("x")));
        std::fs::write(&f, o.to_string()).expect("write");
        files.push(f);
    }
    let tool = python
        .parent()
        .expect("venv bin")
        .join("kubernetes-validate");
    for kube in KUBERNETES {
        let out = Command::new(&tool)
            .args(["-k", kube, "--strict"])
            .args(&files)
            .output()
            .expect("kubernetes-validate");
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "kubernetes-validate {kube}:\n{text}");
        assert!(
            !text.contains("ERROR") && !text.contains("WARN") && !text.contains("INVALID"),
            "kubernetes-validate {kube}:\n{text}"
        );
        assert_eq!(
            text.matches(" passed for resource ").count(),
            files.len(),
            "{text}"
        );
    }
}

fn container(r: &Rendered) -> &Value {
    &r.one("Deployment")["spec"]["template"]["spec"]["containers"][0]
}

fn args(r: &Rendered) -> Vec<String> {
    container(r)["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().expect("arg").to_string())
        .collect()
}

fn b64(s: &str) -> Vec<u8> {
    let v: k8s_openapi::ByteString = serde_json::from_value(json!(s)).expect("base64");
    v.0
}

/// A CA and a certificate for the webhook's Service names, as PEM.
fn test_certs(dir: &Path) -> (PathBuf, PathBuf) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = p.self_signed(&ca_key).expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .expect("params")
        .signed_by(&key, &ca, &ca_key)
        .expect("cert");
    std::fs::write(dir.join("tls.crt"), cert.pem()).expect("cert");
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).expect("key");
    (dir.join("tls.crt"), dir.join("tls.key"))
}

/// Runs the rendered container arguments through the real binary
/// (`--check-config`), with the mounted files made real.
fn binary_accepts(r: &Rendered) {
    let dir = tempfile::tempdir().expect("tmp");
    let tls = dir.path().join("tls");
    std::fs::create_dir_all(&tls).expect("tls dir");
    match r.all("Secret").first() {
        Some(secret) => {
            for k in ["tls.crt", "tls.key"] {
                std::fs::write(tls.join(k), b64(secret["data"][k].as_str().expect("data")))
                    .expect("write");
            }
        }
        None => {
            test_certs(&tls);
        }
    }
    if let Some(cm) = r
        .all("ConfigMap")
        .into_iter()
        .find(|c| c["data"]["preflight.yaml"].is_string())
    {
        std::fs::write(
            dir.path().join("preflight.yaml"),
            cm["data"]["preflight.yaml"].as_str().expect("config"),
        )
        .expect("write");
    }
    let rewritten: Vec<String> = args(r)
        .iter()
        .map(|a| {
            a.replace("/tls/", &format!("{}/", tls.display()))
                .replace("/etc/preflight/", &format!("{}/", dir.path().display()))
        })
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(&rewritten)
        .arg("--check-config")
        .env("POD_NAMESPACE", NAMESPACE)
        .env("POD_NAME", "preflight-0")
        .output()
        .expect("preflight");
    assert!(
        out.status.success(),
        "preflight {rewritten:?} --check-config:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_default_install_is_valid_hardened_and_accepted_by_the_binary() {
    let Some(python) = python() else { return };
    let values = json!({});
    lint(&python, &values);
    let r = render(&python, &values);
    validate(&python, &r);
    binary_accepts(&r);

    let d = r.one("Deployment");
    assert_eq!(d["spec"]["replicas"], 2);
    let pod = &d["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(
        pod["securityContext"]["seccompProfile"]["type"],
        "RuntimeDefault"
    );
    let c = container(&r);
    assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(c["securityContext"]["capabilities"]["drop"], json!(["ALL"]));
    assert!(
        c["resources"]["requests"]["memory"].is_string()
            && c["resources"]["limits"]["memory"].is_string()
    );
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert!(
        c["volumeMounts"]
            .as_array()
            .expect("mounts")
            .iter()
            .any(|m| m["mountPath"] == "/tmp"),
        "a writable /tmp"
    );
    assert_eq!(r.one("PodDisruptionBudget")["spec"]["minAvailable"], 1);

    let hook = &r.one("ValidatingWebhookConfiguration")["webhooks"][0];
    assert_eq!(hook["failurePolicy"], "Ignore");
    assert_eq!(hook["timeoutSeconds"], 5);
    assert_eq!(hook["sideEffects"], "NoneOnDryRun");
    let excluded = &hook["namespaceSelector"]["matchExpressions"][0];
    assert_eq!(excluded["operator"], "NotIn");
    assert_eq!(excluded["values"], json!([NAMESPACE, "kube-system"]));
    let secret = r.one("Secret");
    assert_eq!(
        hook["clientConfig"]["caBundle"], secret["data"]["ca.crt"],
        "the API server trusts the generated CA"
    );
    for kind in [
        "ServiceMonitor",
        "PrometheusRule",
        "NetworkPolicy",
        "Certificate",
    ] {
        assert!(r.all(kind).is_empty(), "{kind} is off by default");
    }
}

/// The certificate the chart generates serves the Service name the API
/// server calls, under the CA it registers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generated_certificate_works_for_the_api_server() {
    let Some(python) = python() else { return };
    let r = render(&python, &json!({}));
    let secret = r.one("Secret");
    let hook = &r.one("ValidatingWebhookConfiguration")["webhooks"][0];
    let dir = tempfile::tempdir().expect("tmp");
    for k in ["tls.crt", "tls.key"] {
        std::fs::write(
            dir.path().join(k),
            b64(secret["data"][k].as_str().expect("data")),
        )
        .expect("write");
    }
    let options = preflight::webhook::WebhookOptions {
        listen: "127.0.0.1:0".parse().expect("addr"),
        cert: dir.path().join("tls.crt"),
        key: dir.path().join("tls.key"),
        cert_poll: Duration::from_secs(60),
        mode: preflight::webhook::policy::Mode::Enforce,
        failure: preflight::webhook::policy::FailureMode::Ignore,
        namespace: NAMESPACE.into(),
        identity: "preflight-0".into(),
        lint: Default::default(),
        overrides: Default::default(),
        watch_namespaces: Vec::new(),
    };
    let metrics = std::sync::Arc::new(preflight::metrics::Metrics::new());
    let running = preflight::webhook::start(
        options,
        preflight::webhook::Api::Unavailable("test".into()),
        metrics,
    )
    .await
    .expect("start");
    let service = &hook["clientConfig"]["service"];
    let host = format!(
        "{}.{}.svc",
        service["name"].as_str().expect("name"),
        service["namespace"].as_str().expect("ns")
    );
    let ca = b64(hook["clientConfig"]["caBundle"].as_str().expect("caBundle"));
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("ca"))
        .resolve(&host, running.addr)
        .build()
        .expect("client");
    let r = client
        .get(format!("https://{host}:{}/healthz", running.addr.port()))
        .send()
        .await
        .expect("TLS to the Service name with the registered CA");
    assert_eq!(r.status(), 200);
    running.stop().await;
}

#[test]
fn every_optional_feature_renders_valid_objects() {
    let Some(python) = python() else { return };
    let on = json!({
        "webhook": {"certManager": {"enabled": true}, "excludeNamespaces": ["legacy"], "mode": "Warn", "failurePolicy": "Fail"},
        "serviceMonitor": {"enabled": true, "labels": {"release": "kube-prometheus-stack"}},
        "prometheusRule": {"enabled": true},
        "dashboard": {"enabled": true},
        "networkPolicy": {"enabled": true,
                          "metricsNamespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                          "egress": [{"ports": [{"port": 5432}, {"port": 3306}, {"port": 53, "protocol": "UDP"}, {"port": 443}, {"port": 6443}]}]},
        "lint": {"rules": {"release/migrate-on-start": "off"},
                 "allow": [{"rule": "alembic/stamp", "object": "Job/db-bootstrap/*", "reason": "one-time bootstrap of the empty staging database"}]},
        "operator": {"watchNamespaces": ["shop"]},
        "podAnnotations": {"example.com/team": "platform"},
    });
    lint(&python, &on);
    let r = render(&python, &on);
    validate(&python, &r);
    binary_accepts(&r);
    let a = args(&r);
    for want in [
        "--mode=Warn",
        "--watch-namespace=shop",
        "--config=/etc/preflight/preflight.yaml",
    ] {
        assert!(a.contains(&want.to_string()), "{want} in {a:?}");
    }
    let hook = r.one("ValidatingWebhookConfiguration");
    assert_eq!(
        hook["metadata"]["annotations"]["cert-manager.io/inject-ca-from"],
        format!("{NAMESPACE}/preflight-webhook")
    );
    assert_eq!(hook["webhooks"][0]["failurePolicy"], "Fail");
    assert!(
        hook["webhooks"][0]["clientConfig"]
            .get("caBundle")
            .is_none(),
        "cert-manager injects it"
    );
    assert_eq!(
        hook["webhooks"][0]["namespaceSelector"]["matchExpressions"][0]["values"],
        json!([NAMESPACE, "kube-system", "legacy"])
    );
    assert!(r.all("Secret").is_empty(), "cert-manager writes the Secret");
    let cert = r.one("Certificate");
    assert_eq!(cert["spec"]["secretName"], "preflight-webhook-tls");
    let names: Vec<&str> = cert["spec"]["dnsNames"]
        .as_array()
        .expect("dnsNames")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        names.contains(&"preflight.preflight-system.svc"),
        "{names:?}"
    );
    assert_eq!(r.one("Issuer")["spec"]["selfSigned"], json!({}));

    // The PrometheusRule holds exactly the rules promtool checks.
    let rules: Value = preflight::yaml::from_str(
        &std::fs::read_to_string(common::repo().join("charts/preflight/files/alerts.yaml"))
            .expect("alerts"),
    )
    .expect("yaml");
    assert_eq!(r.one("PrometheusRule")["spec"], rules);
    assert_eq!(
        r.one("ServiceMonitor")["spec"]["endpoints"][0]["port"],
        "metrics"
    );
    let dashboard = r
        .all("ConfigMap")
        .into_iter()
        .find(|c| c["data"]["preflight.json"].is_string())
        .expect("dashboard ConfigMap");
    assert_eq!(dashboard["metadata"]["labels"]["grafana_dashboard"], "1");
    let json: Value =
        serde_json::from_str(dashboard["data"]["preflight.json"].as_str().expect("json"))
            .expect("dashboard JSON");
    let titles: Vec<&str> = json["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .filter_map(|p| p["title"].as_str())
        .collect();
    for want in [
        "Drift per guard",
        "Ledger versions",
        "Check latency",
        "Admission decisions",
    ] {
        assert!(titles.contains(&want), "{want}: {titles:?}");
    }
    let np = r.one("NetworkPolicy");
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));

    // An existing issuer instead of the chart's own.
    let issuer = json!({"webhook": {"certManager": {"enabled": true, "issuerRef": {"name": "corp-ca", "kind": "ClusterIssuer"}}}});
    lint(&python, &issuer);
    let r = render(&python, &issuer);
    validate(&python, &r);
    assert!(r.all("Issuer").is_empty());
    assert_eq!(
        r.one("Certificate")["spec"]["issuerRef"],
        json!({"name": "corp-ca", "kind": "ClusterIssuer"})
    );
}

#[test]
fn every_optional_feature_switched_off() {
    let Some(python) = python() else { return };
    let off = json!({
        "webhook": {"enabled": false},
        "podDisruptionBudget": {"enabled": false},
        "rbac": {"create": false},
        "serviceAccount": {"create": false, "name": "preflight-sa"},
    });
    lint(&python, &off);
    let r = render(&python, &off);
    validate(&python, &r);
    binary_accepts(&r);
    assert_eq!(
        r.kinds(),
        ["Deployment", "Service"],
        "only what runs the operator"
    );
    assert_eq!(
        r.one("Deployment")["spec"]["template"]["spec"]["serviceAccountName"],
        "preflight-sa"
    );
    assert!(!args(&r).iter().any(|a| a.starts_with("--tls-")));
    let ports: Vec<&str> = r.one("Service")["spec"]["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(ports, ["metrics"]);
}

#[test]
fn the_values_schema_rejects_mistakes() {
    let Some(python) = python() else { return };
    let cases = [
        (json!({"replicas": 2}), "additional properties 'replicas'"),
        (json!({"webhook": {"mode": "enforce"}}), "/webhook/mode"),
        (
            json!({"webhook": {"failurePolicy": "ignore"}}),
            "/webhook/failurePolicy",
        ),
        (
            json!({"webhook": {"timeoutSeconds": 60}}),
            "/webhook/timeoutSeconds",
        ),
        (
            json!({"operator": {"leaseDuration": "15 seconds"}}),
            "/operator/leaseDuration",
        ),
        (json!({"replicaCount": 0}), "/replicaCount"),
        // One key names the watched namespaces; the old singular one is refused,
        // not silently ignored (the install would watch the whole cluster).
        (
            json!({"operator": {"watchNamespace": "shop"}}),
            "additional properties 'watchNamespace'",
        ),
        (
            json!({"lint": {"allow": [{"rule": "alembic/stamp"}]}}),
            "reason",
        ),
        (
            json!({"lint": {"rules": {"alembic/stamp": "disabled"}}}),
            "/lint/rules/alembic~1stamp",
        ),
        (
            json!({"image": {"pullPolicy": "Sometimes"}}),
            "/image/pullPolicy",
        ),
    ];
    for (values, want) in cases {
        let error = helm(&python, &["schema-error", CHART, &values.to_string()]);
        let e = error.as_str().unwrap_or("");
        assert!(e.contains(want), "{values}: want `{want}` in `{e}`");
    }
    assert_eq!(
        helm(&python, &["schema-error", CHART, "{}"]),
        json!(""),
        "the defaults pass"
    );
}

#[test]
fn the_chart_crd_is_what_preflight_crd_prints() {
    let chart = std::fs::read_to_string(
        common::repo().join("charts/preflight/crds/databaseguards.preflight.dev.yaml"),
    )
    .expect("chart CRD");
    let generated = preflight::crd::crd_yaml().expect("crd");
    assert!(
        chart == generated,
        "charts/preflight/crds/ is stale: run `cargo run -- crd > charts/preflight/crds/databaseguards.preflight.dev.yaml`"
    );
}

/// The guard example in deploy/ is valid for the CRD's schema.
#[test]
fn the_example_guard_matches_the_crd_schema() {
    let Some(python) = python() else { return };
    let crd: Value =
        preflight::yaml::from_str(&preflight::crd::crd_yaml().expect("crd")).expect("yaml");
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"];
    let example = common::repo().join("deploy/examples/bizpilot-guard.yaml");
    let script = "import json,sys,yaml,jsonschema\nschema=json.loads(sys.argv[1])\nfor doc in yaml.safe_load_all(open(sys.argv[2])):\n    jsonschema.validate(doc, schema)\nprint('ok')";
    let out = Command::new(&python)
        .args(["-c", script, &schema.to_string()])
        .arg(&example)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // And wrong on purpose: an interval the pattern rejects.
    let bad = std::fs::read_to_string(&example)
        .expect("example")
        .replace("interval: 60s", "interval: 60 seconds");
    let tmp = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(tmp.path(), bad).expect("write");
    let out = Command::new(&python)
        .args(["-c", script, &schema.to_string()])
        .arg(tmp.path())
        .output()
        .expect("python");
    assert!(!out.status.success(), "the schema rejects a bad interval");
}

/// Every dashboard query parses as PromQL (checked by promtool as rules).
#[test]
fn dashboard_queries_are_valid_promql() {
    let Some(promtool) = which("promtool") else {
        common::missing("promtool is not installed");
        return;
    };
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo().join("charts/preflight/files/dashboard.json"))
            .expect("dashboard"),
    )
    .expect("json");
    let mut rules = Vec::new();
    for p in dashboard["panels"].as_array().expect("panels") {
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"]
                .as_str()
                .expect("expr")
                .replace("$namespace", ".*");
            rules.push(
                json!({"record": format!("preflight:dashboard_{}", rules.len()), "expr": expr}),
            );
        }
    }
    assert!(rules.len() >= 10);
    let file = tempfile::Builder::new()
        .suffix(".yaml")
        .tempfile()
        .expect("tmp");
    std::fs::write(
        file.path(),
        json!({"groups": [{"name": "dashboard", "rules": rules}]}).to_string(),
    )
    .expect("write");
    let out = Command::new(promtool)
        .args(["check", "rules"])
        .arg(file.path())
        .output()
        .expect("promtool");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn which(bin: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join(bin))
            .find(|p| p.is_file())
    })
}

/// The plain manifests in deploy/ are the chart rendered with
/// deploy/values.yaml (regenerate with PREFLIGHT_UPDATE_DEPLOY=1).
#[test]
fn the_plain_manifests_are_the_rendered_chart() {
    let Some(python) = python() else { return };
    let root = common::repo();
    let values: Value = preflight::yaml::from_str(
        &std::fs::read_to_string(root.join("deploy/values.yaml")).expect("values"),
    )
    .expect("yaml");
    let r = render(&python, &values);
    let mut out = String::from(
        "# preflight, installed without Helm: `kubectl apply -f deploy/preflight.yaml`.\n# Generated from charts/preflight with deploy/values.yaml by tests/chart.rs\n# (PREFLIGHT_UPDATE_DEPLOY=1 cargo test --test chart); do not edit.\n",
    );
    out.push_str(&format!(
        "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {NAMESPACE}\n"
    ));
    out.push_str("---\n");
    out.push_str(&preflight::crd::crd_yaml().expect("crd"));
    for (name, text) in &r.files {
        let text = text.as_str().unwrap_or("");
        if name.ends_with("NOTES.txt") || text.trim().is_empty() {
            continue;
        }
        out.push_str(&format!(
            "---\n# {name}\n{}\n",
            text.trim_start_matches("---\n").trim()
        ));
    }
    let path = root.join("deploy/preflight.yaml");
    if std::env::var_os("PREFLIGHT_UPDATE_DEPLOY").is_some() {
        std::fs::write(&path, &out).expect("write deploy/preflight.yaml");
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == out,
        "deploy/preflight.yaml is stale: PREFLIGHT_UPDATE_DEPLOY=1 cargo test --test chart"
    );
}

/// (API group, resource, verb) of a request the fake API server saw.
fn call(method: &str, uri: &str) -> Option<(String, String, String)> {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, rest) = match segs.as_slice() {
        ["api", _, rest @ ..] => (String::new(), rest),
        ["apis", g, _, rest @ ..] => (g.to_string(), rest),
        _ => return None,
    };
    let rest = match rest {
        ["namespaces", _, rest @ ..] if !rest.is_empty() => rest,
        other => other,
    };
    let (resource, named) = match rest {
        [r] => (r.to_string(), false),
        [r, _] => (r.to_string(), true),
        [r, _, sub] => (format!("{r}/{sub}"), true),
        _ => return None,
    };
    let watch = query
        .split('&')
        .any(|kv| kv == "watch=true" || kv == "watch=1");
    let verb = match (method, named) {
        ("GET", true) => "get",
        ("GET", false) if watch => "watch",
        ("GET", false) => "list",
        ("POST", _) => "create",
        ("PUT", _) => "update",
        ("PATCH", _) => "patch",
        ("DELETE", true) => "delete",
        ("DELETE", false) => "deletecollection",
        _ => return None,
    };
    Some((group, resource, verb.to_string()))
}

/// RBAC covers every API call the operator and the webhook make, and
/// nothing more: a busy operator (a guard checked, a workload linted, Events
/// created and patched, leadership taken and released, the webhook's watches)
/// against the fake API server, compared with the rendered rules.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_grants_exactly_the_api_calls_the_code_makes() {
    let Some(python) = python() else { return };
    let fake = FakeKube::new();
    fake.create(
        "api/v1/namespaces",
        "",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
    );
    fake.create("api/v1/secrets", "shop", json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
        "data": {"url": k8s_openapi::ByteString(b"postgres://postgres@127.0.0.1:1/shop".to_vec())}}));
    fake.create("api/v1/configmaps", "shop", json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "schema"},
        "data": {"schema.json": "{\"preflight_snapshot\": 1, \"revisions\": [{\"revision\": \"1\", \"schema\": {\"tables\": {}}}]}"}}));
    fake.create("apis/preflight.dev/v1alpha1/databaseguards", "shop", json!({"apiVersion": "preflight.dev/v1alpha1", "kind": "DatabaseGuard",
        "metadata": {"name": "shop"}, "spec": {"database": {"secretRef": {"name": "db", "key": "url"}},
        "expected": {"configMapRef": {"name": "schema", "key": "schema.json"}}, "interval": "1h", "selector": {"matchLabels": {"app": "shop"}}}}));
    fake.create("apis/batch/v1/jobs", "shop", json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "x", "command": ["alembic", "stamp", "head"]}]}}}}));

    let dir = tempfile::tempdir().expect("tmp");
    let (cert, key) = test_certs(dir.path());
    let mut o = preflight::operator::OperatorOptions::new(NAMESPACE, "preflight-0");
    o.listen = "127.0.0.1:0".parse().expect("addr");
    o.election = preflight::operator::leader::Timings {
        lease_duration: Duration::from_millis(1500),
        renew_deadline: Duration::from_millis(1000),
        retry_period: Duration::from_millis(150),
    };
    o.webhook = Some(preflight::webhook::WebhookOptions {
        listen: "127.0.0.1:0".parse().expect("addr"),
        cert,
        key,
        cert_poll: Duration::from_secs(60),
        mode: preflight::webhook::policy::Mode::Enforce,
        failure: preflight::webhook::policy::FailureMode::Ignore,
        namespace: NAMESPACE.into(),
        identity: "preflight-0".into(),
        lint: Default::default(),
        overrides: Default::default(),
        watch_namespaces: Vec::new(),
    });
    let op = preflight::operator::start(fake.client(), o)
        .await
        .expect("operator");

    // The webhook admits an override twice: an Event, then the same Event patched.
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "uid": "u-1",
        "annotations": {"preflight.dev/override": "incident INC-7"}},
        "spec": {"selector": {"matchLabels": {"app": "shop"}}, "template": {"metadata": {"labels": {"app": "shop"}},
        "spec": {"containers": [{"name": "web", "image": "x", "command": ["sh", "-c", "alembic stamp head && gunicorn app"]}]}}}});
    let review = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "r-1",
        "kind": {"group": "apps", "version": "v1", "kind": "Deployment"}, "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
        "name": "web", "namespace": "shop", "operation": "CREATE", "userInfo": {"username": "alice"}, "object": deployment}});
    let http = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .build()
        .expect("client");
    let url = format!(
        "https://127.0.0.1:{}/validate",
        op.webhook_addr.expect("webhook").port()
    );
    let has = |fake: &FakeKube, method: &str, needle: &str| {
        fake.requests()
            .iter()
            .any(|(m, p)| m == method && p.contains(needle))
    };
    for _ in 0..2 {
        let r: Value = http
            .post(&url)
            .json(&review)
            .send()
            .await
            .expect("post")
            .json()
            .await
            .expect("json");
        assert_eq!(r["response"]["allowed"], true, "{r}");
        for _ in 0..50 {
            if has(&fake, "POST", "/events") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // Polled, not timed: under a loaded CI machine the repeated Event's
    // patch can take longer than 10 s to come.
    for _ in 0..300 {
        let status_written = has(&fake, "PATCH", "databaseguards/shop/status");
        let job_event = fake
            .list("apis/events.k8s.io/v1/events")
            .iter()
            .any(|e| e["reason"] == "DangerousReleaseStep");
        if status_written
            && job_event
            && has(&fake, "PATCH", "/events/")
            && has(&fake, "PUT", "/leases/")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    op.stop().await;

    let used: BTreeSet<(String, String, String)> = fake
        .requests()
        .iter()
        .filter_map(|(m, p)| call(m, p))
        .collect();
    for must in [
        ("events.k8s.io", "events", "patch"),
        ("", "secrets", "get"),
        ("coordination.k8s.io", "leases", "update"),
        ("preflight.dev", "databaseguards/status", "patch"),
    ] {
        assert!(
            used.contains(&(must.0.into(), must.1.into(), must.2.into())),
            "the scenario exercises {must:?}: {used:?}"
        );
    }

    let r = render(&python, &json!({}));
    let mut granted = BTreeSet::new();
    for kind in ["ClusterRole", "Role"] {
        for role in r.all(kind) {
            for rule in role["rules"].as_array().expect("rules") {
                for g in rule["apiGroups"].as_array().expect("groups") {
                    for res in rule["resources"].as_array().expect("resources") {
                        for v in rule["verbs"].as_array().expect("verbs") {
                            granted.insert((
                                g.as_str().expect("g").to_string(),
                                res.as_str().expect("r").to_string(),
                                v.as_str().expect("v").to_string(),
                            ));
                        }
                    }
                }
            }
        }
    }
    let missing: Vec<_> = used.difference(&granted).collect();
    let unused: Vec<_> = granted.difference(&used).collect();
    assert!(
        missing.is_empty(),
        "calls the rules do not grant: {missing:?}"
    );
    assert!(unused.is_empty(), "rules no call needs: {unused:?}");
    // Leases only in the release's namespace.
    assert!(
        r.one("ClusterRole")["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .all(|rule| rule["apiGroups"][0] != "coordination.k8s.io")
    );
}

/// Every value the schema knows is in the README's values table (the value
/// itself, or the group it belongs to).
#[test]
fn every_value_is_documented_in_the_readme() {
    fn leaves(schema: &Value, prefix: &str, out: &mut Vec<String>) {
        match schema.get("properties").and_then(Value::as_object) {
            Some(props) => {
                for (k, v) in props {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    leaves(v, &path, out);
                }
            }
            None => out.push(prefix.to_string()),
        }
    }
    let root = common::repo();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("charts/preflight/values.schema.json")).expect("schema"),
    )
    .expect("json");
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README");
    let mut all = Vec::new();
    leaves(&schema, "", &mut all);
    assert!(all.len() > 40, "{all:?}");
    let undocumented: Vec<&String> = all
        .iter()
        .filter(|path| {
            // `lint.rules` is documented as `lint`, `resources.limits` as `resources`.
            let mut p = path.as_str();
            loop {
                if readme.contains(&format!("`{p}`")) {
                    return false;
                }
                match p.rsplit_once('.') {
                    Some((parent, _)) => p = parent,
                    None => return true,
                }
            }
        })
        .collect();
    assert!(
        undocumented.is_empty(),
        "values missing from the README's table: {undocumented:?}"
    );
}
