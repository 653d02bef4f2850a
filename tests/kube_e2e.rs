//! End to end against a real Kubernetes API server (etcd and kube-apiserver
//! built from their Go modules, `tests/cluster`): the CRD as the server
//! enforces it, the operator running with nothing but the chart's RBAC,
//! and the webhook called by the API server with the chart's registration.
//! Each scenario prints its result; none is skipped in CI.

mod cluster;
mod common;

use cluster::{Cluster, create, get, post, refusal, send};
use common::{Kind, TempDb};
use preflight::operator::{self, OperatorOptions, leader};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const GUARDS: &str = "/apis/preflight.dev/v1alpha1/namespaces/shop/databaseguards";
const CEL: &str = "set exactly one of expected.configMapRef and expected.secretRef";

fn yaml(text: &str) -> Value {
    preflight::yaml::from_str(text).unwrap_or_else(|e| panic!("YAML: {e}"))
}

/// The chart rendered by the real Helm engine (`helm template`), object by object.
fn rendered(set: &[&str]) -> Vec<Value> {
    let helm = common::repo().join("target/tools/bin/helm");
    let mut cmd = std::process::Command::new(&helm);
    cmd.args([
        "template",
        "preflight",
        "charts/preflight",
        "--namespace",
        "preflight-system",
    ]);
    for s in set {
        cmd.args(["--set", s]);
    }
    let out = cmd
        .current_dir(common::repo())
        .output()
        .unwrap_or_else(|e| panic!("{}: {e} (scripts/tools.sh builds helm)", helm.display()));
    assert!(
        out.status.success(),
        "helm template: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .split("\n---")
        .filter(|d| d.lines().any(|l| l.starts_with("kind:")))
        .map(yaml)
        .collect()
}

async fn eventually<T>(what: &str, secs: u64, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs}s waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Installs the chart's CRD and waits until the server serves it.
async fn install_crd(admin: &kube::Client) {
    let crd = yaml(
        &std::fs::read_to_string(
            common::repo().join("charts/preflight/crds/databaseguards.preflight.dev.yaml"),
        )
        .expect("crd"),
    );
    create(admin, &crd).await.expect("create the CRD");
    eventually("the CRD to be Established", 30, async || {
        let v = get(
            admin,
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/databaseguards.preflight.dev",
        )
        .await
        .ok()?;
        v["status"]["conditions"]
            .as_array()?
            .iter()
            .any(|c| c["type"] == "Established" && c["status"] == "True")
            .then_some(())
    })
    .await;
    // Discovery lags the condition by a moment.
    eventually("the guards' resource to be served", 30, async || {
        get(admin, "/apis/preflight.dev/v1alpha1/databaseguards")
            .await
            .ok()
            .map(|_| ())
    })
    .await;
}

async fn namespace(admin: &kube::Client, name: &str) {
    create(
        admin,
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
    )
    .await
    .expect("namespace");
}

fn guard(name: &str, expected: Value, interval: &str) -> Value {
    json!({"apiVersion": "preflight.dev/v1alpha1", "kind": "DatabaseGuard",
           "metadata": {"name": name, "namespace": "shop"},
           "spec": {"database": {"secretRef": {"name": "db", "key": "url"}},
                    "expected": expected, "interval": interval, "timeout": "30s"}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_installs_the_crd_and_enforces_its_rules() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let admin = c.admin().await.expect("admin");
    install_crd(&admin).await;
    namespace(&admin, "shop").await;
    let cm = json!({"name": "migrations"});
    let secret = json!({"name": "migrations", "key": "snapshot.json"});

    // CEL, compiled and enforced by the server.
    let both = refusal(
        create(
            &admin,
            &guard(
                "both",
                json!({"configMapRef": cm, "secretRef": secret}),
                "60s",
            ),
        )
        .await,
    );
    assert!(both.contains(CEL), "{both}");
    let neither = refusal(create(&admin, &guard("neither", json!({}), "60s")).await);
    assert!(neither.contains(CEL), "{neither}");
    // The interval's pattern.
    let bad = refusal(create(&admin, &guard("bad", json!({"configMapRef": cm}), "10x")).await);
    assert!(
        bad.contains("spec.interval") && bad.contains("should match"),
        "{bad}"
    );
    create(&admin, &guard("ok", json!({"configMapRef": cm}), "60s"))
        .await
        .expect("a valid guard is admitted");

    // The server's Table output carries the printer columns.
    let table = send(&admin, http::Method::GET, GUARDS, None, "application/json")
        .await
        .expect("list");
    assert_eq!(table["items"].as_array().map(Vec::len), Some(1));
    let req = http::Request::get(GUARDS)
        .header("accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
        .body(Vec::new())
        .expect("request");
    let table: Value = admin.request(req).await.expect("table");
    let columns: Vec<&str> = table["columnDefinitions"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for want in [
        "Name",
        "Verdict",
        "Ledger",
        "Matches",
        "Drift",
        "Enforcement",
        "Checked",
    ] {
        assert!(columns.contains(&want), "{want} not in {columns:?}");
    }
    eprintln!(
        "kube {}: CRD Established; CEL and pattern enforced by the server; Table columns {columns:?}",
        c.version
    );
}

/// Applies the chart's ServiceAccount and RBAC objects (rendered by Helm).
async fn apply_rbac(admin: &kube::Client, objects: &[Value]) -> String {
    let mut sa = String::new();
    for kind in [
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
    ] {
        for o in objects.iter().filter(|o| o["kind"] == kind) {
            create(admin, o)
                .await
                .unwrap_or_else(|e| panic!("apply {kind} {}: {e}", o["metadata"]["name"]));
            if kind == "ServiceAccount" {
                sa = o["metadata"]["name"].as_str().unwrap_or("").to_string();
            }
        }
    }
    assert!(!sa.is_empty(), "the chart renders a ServiceAccount");
    sa
}

/// The incident's revision files as a ConfigMap.
fn migrations(ns: &str) -> Value {
    let dir = common::repo().join("examples/incident/backend/alembic/versions");
    let mut data = serde_json::Map::new();
    for entry in std::fs::read_dir(&dir).expect("versions").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "py") {
            let name = path.file_name().and_then(|n| n.to_str()).expect("name");
            data.insert(
                name.into(),
                std::fs::read_to_string(&path).expect("read").into(),
            );
        }
    }
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bizpilot-migrations", "namespace": ns}, "data": data})
}

fn secret(ns: &str, name: &str, url: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
           "type": "Opaque", "stringData": {"url": url}})
}

fn condition(obj: &Value, type_: &str) -> Option<(String, String)> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| {
            (
                c["status"].as_str().unwrap_or("").to_string(),
                c["reason"].as_str().unwrap_or("").to_string(),
            )
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_runs_with_the_charts_rbac_only() {
    let Some(python) = common::python() else {
        return;
    };
    let Some(c) = Cluster::start().await else {
        return;
    };
    let admin = c.admin().await.expect("admin");
    install_crd(&admin).await;
    namespace(&admin, "preflight-system").await;
    namespace(&admin, "shop").await;
    let objects = rendered(&[]);
    let sa = apply_rbac(&admin, &objects).await;
    let user = format!("system:serviceaccount:preflight-system:{sa}");

    // The incident's database, made by the real Alembic.
    let db = TempDb::new(Kind::Sqlite).await;
    common::alembic(&python, &db, &["upgrade", "016_add_time_entry_and_pos"]);
    common::alembic(&python, &db, &["stamp", "head"]);
    create(&admin, &secret("shop", "db", &db.url))
        .await
        .expect("secret");
    create(&admin, &migrations("shop"))
        .await
        .expect("configmap");
    create(
        &admin,
        &guard(
            "bizpilot",
            json!({"configMapRef": {"name": "bizpilot-migrations"}}),
            "1h",
        ),
    )
    .await
    .expect("guard");

    // The operator, out of cluster, with a token of the chart's ServiceAccount only.
    let token = c.token("preflight-system", &sa).await;
    let client = c.client_with_token("operator", &token).await;
    let mut o = OperatorOptions::new("preflight-system", "e2e-0");
    o.listen = "127.0.0.1:0".parse().expect("addr");
    o.election = leader::Timings {
        lease_duration: Duration::from_secs(3),
        renew_deadline: Duration::from_secs(2),
        retry_period: Duration::from_millis(300),
    };
    o.shutdown_timeout = Duration::from_secs(5);
    let running = operator::start(client, o).await.expect("operator starts");

    let g = eventually("the guard's verdict", 90, async || {
        let g = get(&admin, &format!("{GUARDS}/bizpilot")).await.ok()?;
        condition(&g, "LedgerConsistent").map(|_| g)
    })
    .await;
    assert_eq!(
        condition(&g, "LedgerConsistent"),
        Some(("False".into(), "LedgerAhead".into())),
        "{}",
        g["status"]
    );
    assert_eq!(g["status"]["matchedRevision"], "016_add_time_entry_and_pos");
    assert_eq!(
        g["status"]["repair"]["steps"][0],
        "alembic stamp 016_add_time_entry_and_pos"
    );
    let event = eventually("the LedgerAhead Event", 30, async || {
        let list = get(&admin, "/apis/events.k8s.io/v1/namespaces/shop/events")
            .await
            .ok()?;
        list["items"]
            .as_array()?
            .iter()
            .find(|e| e["reason"] == "LedgerAhead" && e["regarding"]["name"] == "bizpilot")
            .cloned()
    })
    .await;
    assert_eq!(event["type"], "Warning");
    let lease = get(
        &admin,
        "/apis/coordination.k8s.io/v1/namespaces/preflight-system/leases/preflight-operator",
    )
    .await
    .expect("the Lease");
    assert_eq!(lease["spec"]["holderIdentity"], "e2e-0");
    let metrics = common::scrape(running.addr).await;
    assert_eq!(
        common::value(
            &metrics,
            "preflight_ledger_consistent",
            &[("name", "bizpilot")]
        ),
        Some(0.0)
    );
    running.stop().await;

    // Least privilege proven sufficient: nothing the operator asked for was refused.
    let refused = c.forbidden(&user);
    assert!(
        refused.is_empty(),
        "the chart's RBAC refused the operator: {refused:?}"
    );
    let requests = c.requests(&user);
    assert!(requests.len() > 5, "{requests:?}");
    eprintln!(
        "kube {}: operator with the chart's RBAC only: verdict, Event, Lease, metrics; {} requests, none refused",
        c.version,
        requests.len()
    );
}

/// The webhook server preflight runs, registered with the chart's
/// ValidatingWebhookConfiguration pointed at it on loopback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_server_calls_the_webhook_and_honours_its_answer() {
    let Some(c) = Cluster::start().await else {
        return;
    };
    let admin = c.admin().await.expect("admin");
    namespace(&admin, "shop").await;

    // The webhook, serving with a certificate of the cluster's CA.
    let dir = tempfile::tempdir().expect("tmp");
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        l.local_addr().expect("addr").port()
    };
    let (crt, key, ca) = webhook_certs(dir.path());
    let mut webhook = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["webhook", "--webhook-listen", &format!("127.0.0.1:{port}")])
        .args(["--listen", "127.0.0.1:0", "--log-format", "text"])
        .arg("--tls-cert")
        .arg(&crt)
        .arg("--tls-key")
        .arg(&key)
        .args(["--no-kube"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the webhook");

    let vwc = rendered(&[])
        .into_iter()
        .find(|o| o["kind"] == "ValidatingWebhookConfiguration")
        .expect("the chart registers a webhook");
    let mut vwc = vwc;
    let ca_b64: Value =
        serde_json::to_value(k8s_openapi::ByteString(ca.into_bytes())).expect("b64");
    for w in vwc["webhooks"].as_array_mut().expect("webhooks") {
        w["clientConfig"] =
            json!({"url": format!("https://127.0.0.1:{port}/validate"), "caBundle": ca_b64});
    }
    create(&admin, &vwc).await.expect("register the webhook");

    let job = |name: &str, command: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": "shop"},
               "spec": {"template": {"spec": {"restartPolicy": "Never",
                 "containers": [{"name": "migrate", "image": "backend:1",
                                 "command": ["sh", "-c", command]}]}}}})
    };
    // The server's registration takes a moment to reach its admission chain.
    let denied = eventually(
        "the API server to call the webhook",
        30,
        async || match create(&admin, &job("stamp", "alembic stamp head")).await {
            Err(kube::Error::Api(s)) => Some(s.message.clone()),
            Ok(_) => {
                let _ = send(
                    &admin,
                    http::Method::DELETE,
                    "/apis/batch/v1/namespaces/shop/jobs/stamp",
                    None,
                    "application/json",
                )
                .await;
                None
            }
            Err(e) => panic!("{e}"),
        },
    )
    .await;
    assert!(
        denied.contains("preflight") && denied.contains("alembic/stamp"),
        "{denied}"
    );
    create(&admin, &job("upgrade", "alembic upgrade head"))
        .await
        .expect("upgrade head is admitted");
    let _ = webhook.kill();
    let _ = webhook.wait();
    eprintln!(
        "kube {}: the API server called the webhook: `alembic stamp head` refused, `upgrade head` admitted",
        c.version
    );
    let _ = post;
}

/// A CA and a serving certificate for 127.0.0.1: (cert, key, CA PEM).
fn webhook_certs(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = p.self_signed(&ca_key).expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    p.subject_alt_names
        .push(rcgen::SanType::IpAddress("127.0.0.1".parse().expect("ip")));
    let cert = p.signed_by(&key, &ca, &ca_key).expect("cert");
    std::fs::write(dir.join("tls.crt"), cert.pem()).expect("cert");
    std::fs::write(dir.join("tls.key"), key.serialize_pem()).expect("key");
    (dir.join("tls.crt"), dir.join("tls.key"), ca.pem())
}
