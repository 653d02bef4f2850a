//! End to end against a real Kubernetes API server (etcd and kube-apiserver
//! built from their Go modules, `tests/cluster`): the CRD as the server
//! enforces it, the operator running with nothing but the chart's RBAC,
//! and the webhook called by the API server with the chart's registration.
//! Each scenario prints its result; none is skipped in CI.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod cluster;
mod common;

use cluster::{Cluster, create, get, refusal, send, send_as};
use common::{Kind, TempDb, eventually};
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
    for bin in cluster::versions() {
        crd_rules(&Cluster::start(&bin).await).await;
    }
}

async fn crd_rules(c: &Cluster) {
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

/// The incident's database, made by the real Alembic (`upgrade 016`, `stamp head`).
async fn incident_database(python: &Path) -> TempDb {
    let db = TempDb::new(Kind::Sqlite).await;
    common::alembic(python, &db, &["upgrade", "016_add_time_entry_and_pos"]);
    common::alembic(python, &db, &["stamp", "head"]);
    db
}

/// A guard's inputs in a namespace: the Secret `db` with the URL and the
/// ConfigMap of the incident's revision files.
async fn expected_and_url(admin: &kube::Client, ns: &str, db: &TempDb) {
    create(admin, &secret(ns, "db", &db.url))
        .await
        .expect("secret");
    create(admin, &migrations(ns)).await.expect("configmap");
}

fn secret(ns: &str, name: &str, url: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name, "namespace": ns},
           "type": "Opaque", "stringData": {"url": url}})
}

/// A client acting as the chart's ServiceAccount only (a TokenRequest token).
async fn operator_client(c: &Cluster, sa: &str) -> kube::Client {
    let token = c.token("preflight-system", sa).await;
    c.client_with_token("operator", &token).await
}

/// An in-process operator on loopback with a fast (3 s) lease.
fn operator_options() -> OperatorOptions {
    let mut o = OperatorOptions::new("preflight-system", "e2e-0");
    o.listen = "127.0.0.1:0".parse().expect("addr");
    o.election = leader::Timings {
        lease_duration: Duration::from_secs(3),
        renew_deadline: Duration::from_secs(2),
        retry_period: Duration::from_millis(300),
    };
    o.shutdown_timeout = Duration::from_secs(5);
    o
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
    for bin in cluster::versions() {
        operator_rbac(&Cluster::start(&bin).await, &python).await;
    }
}

async fn operator_rbac(c: &Cluster, python: &Path) {
    let admin = c.admin().await.expect("admin");
    install_crd(&admin).await;
    namespace(&admin, "preflight-system").await;
    namespace(&admin, "shop").await;
    let objects = rendered(&[]);
    let sa = apply_rbac(&admin, &objects).await;
    let user = format!("system:serviceaccount:preflight-system:{sa}");

    // The incident's database, made by the real Alembic.
    let db = incident_database(python).await;
    expected_and_url(&admin, "shop", &db).await;
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
    let client = operator_client(c, &sa).await;
    let running = operator::start(client, operator_options())
        .await
        .expect("operator starts");

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
    for bin in cluster::versions() {
        webhook_calls(&Cluster::start(&bin).await).await;
    }
}

async fn webhook_calls(c: &Cluster) {
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

async fn events(admin: &kube::Client, ns: &str, reason: &str) -> Vec<Value> {
    get(
        admin,
        &format!("/apis/events.k8s.io/v1/namespaces/{ns}/events"),
    )
    .await
    .ok()
    .and_then(|l| l["items"].as_array().cloned())
    .unwrap_or_default()
    .into_iter()
    .filter(|e| e["reason"] == reason)
    .collect()
}

const WEB: &str = "/apis/apps/v1/namespaces/shop/deployments/web";
const MERGE: &str = "application/merge-patch+json";

fn image(tag: &str) -> Value {
    json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": format!("backend:{tag}")}]}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespaced_install_gates_rollouts_through_the_api_server() {
    let Some(python) = common::python() else {
        return;
    };
    for bin in cluster::versions() {
        gated_rollouts(&Cluster::start(&bin).await, &python).await;
    }
}

async fn gated_rollouts(c: &Cluster, python: &Path) {
    let admin = c.admin().await.expect("admin");
    install_crd(&admin).await;
    for ns in ["preflight-system", "shop", "billing", "other"] {
        namespace(&admin, ns).await;
    }
    let objects = rendered(&[
        "operator.watchNamespaces={shop,billing}",
        "webhook.overrides.users={alice}",
    ]);
    let sa = apply_rbac(&admin, &objects).await;
    let user = format!("system:serviceaccount:preflight-system:{sa}");
    assert!(
        !objects
            .iter()
            .any(|o| o["kind"] == "ClusterRole" && o["rules"].to_string().contains("secrets")),
        "a namespaced install grants no cluster-wide Secret read"
    );

    // The incident's database and its guard; the app's Deployment, before the webhook.
    let db = incident_database(python).await;
    expected_and_url(&admin, "shop", &db).await;
    let mut g = guard(
        "bizpilot",
        json!({"configMapRef": {"name": "bizpilot-migrations"}}),
        "2s",
    );
    g["spec"]["selector"] = json!({"matchLabels": {"app": "bizpilot"}});
    create(&admin, &g).await.expect("guard");
    expected_and_url(&admin, "billing", &db).await;
    let mut billing = guard(
        "ledger",
        json!({"configMapRef": {"name": "bizpilot-migrations"}}),
        "1h",
    );
    billing["metadata"]["namespace"] = json!("billing");
    create(&admin, &billing).await.expect("billing guard");
    create(
        &admin,
        &secret("other", "db", "postgres://u:hunter2@db.other/app"),
    )
    .await
    .expect("a Secret elsewhere");
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "bizpilot"}},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "bizpilot"}},
                 "template": {"metadata": {"labels": {"app": "bizpilot"}},
                              "spec": {"containers": [{"name": "web", "image": "backend:1"}]}}}});
    create(&admin, &deployment).await.expect("deployment");

    // The operator and its webhook, with the namespaced Roles' token only.
    let dir = tempfile::tempdir().expect("tmp");
    let (crt, key, ca) = webhook_certs(dir.path());
    let client = operator_client(c, &sa).await;
    let mut o = operator_options();
    o.watch_namespaces = vec!["shop".into(), "billing".into()];
    o.webhook = Some(preflight::webhook::WebhookOptions {
        listen: "127.0.0.1:0".parse().expect("addr"),
        cert: crt,
        key,
        cert_poll: Duration::from_secs(60),
        mode: preflight::webhook::policy::Mode::Enforce,
        failure: preflight::webhook::policy::FailureMode::Ignore,
        namespace: "preflight-system".into(),
        identity: "e2e-0".into(),
        lint: Default::default(),
        overrides: preflight::webhook::policy::Overrides {
            users: vec!["alice".into()],
            groups: Vec::new(),
        },
        watch_namespaces: Vec::new(),
    });
    let running = operator::start(client.clone(), o).await.expect("operator");
    let port = running.webhook_addr.expect("webhook").port();

    let mut vwc = objects
        .iter()
        .find(|o| o["kind"] == "ValidatingWebhookConfiguration")
        .cloned()
        .expect("webhook registration");
    let ca_b64: Value =
        serde_json::to_value(k8s_openapi::ByteString(ca.into_bytes())).expect("b64");
    for w in vwc["webhooks"].as_array_mut().expect("webhooks") {
        w["clientConfig"] =
            json!({"url": format!("https://127.0.0.1:{port}/validate"), "caBundle": ca_b64});
    }
    let vwc_name = vwc["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    create(&admin, &vwc).await.expect("register the webhook");

    eventually("the guard's ledger_ahead verdict", 90, async || {
        let g = get(&admin, &format!("{GUARDS}/bizpilot")).await.ok()?;
        (g["status"]["verdict"] == "ledger_ahead").then_some(())
    })
    .await;
    // The second watched namespace is checked too, with its own Role.
    eventually("the billing guard's verdict", 90, async || {
        let g = get(
            &admin,
            "/apis/preflight.dev/v1alpha1/namespaces/billing/databaseguards/ledger",
        )
        .await
        .ok()?;
        (g["status"]["verdict"] == "ledger_ahead").then_some(())
    })
    .await;

    // A new release while 017 and 018 are missing: refused, with the way out.
    let denied = eventually("the rollout to be refused", 30, async || {
        match send(&admin, http::Method::PATCH, WEB, Some(&image("2")), MERGE).await {
            Err(kube::Error::Api(s)) => Some(s.message.clone()),
            _ => None,
        }
    })
    .await;
    for want in [
        "ledger_ahead",
        "table sessions",
        "repair",
        "alembic stamp 016_add_time_entry_and_pos",
    ] {
        assert!(denied.contains(want), "`{want}` not in: {denied}");
    }

    // A dry run is judged the same and leaves no Event.
    let dry = refusal(
        send(
            &admin,
            http::Method::PATCH,
            &format!("{WEB}?dryRun=All"),
            Some(&image("2")),
            MERGE,
        )
        .await,
    );
    assert!(dry.contains("ledger_ahead"), "{dry}");

    // The override counts only for the users the chart names; both may deploy.
    create(&admin, &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "deployer", "namespace": "shop"},
        "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "patch", "update"]}]}))
        .await
        .expect("role");
    create(
        &admin,
        &json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "deployers", "namespace": "shop"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"},
                     {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"}]}),
    )
    .await
    .expect("rolebinding");
    let mut overridden = image("2");
    overridden["metadata"] =
        json!({"annotations": {"preflight.dev/override": "hotfix INC-42, DBA on call"}});
    // The authorizer learns of a new RoleBinding from its watch a moment
    // later: until then RBAC, not the webhook, refuses bob.
    let bob = eventually("bob's RoleBinding to take effect", 30, async || {
        let said = refusal(
            send_as(
                &admin,
                Some("bob"),
                http::Method::PATCH,
                WEB,
                Some(&overridden),
                MERGE,
            )
            .await,
        );
        (!said.contains("cannot patch resource")).then_some(said)
    })
    .await;
    assert!(bob.contains("bob may not override"), "{bob}");
    send_as(
        &admin,
        Some("alice"),
        http::Method::PATCH,
        &format!("{WEB}?dryRun=All"),
        Some(&overridden),
        MERGE,
    )
    .await
    .expect("alice's dry run is admitted");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        events(&admin, "shop", "AdmissionOverride").await.is_empty(),
        "a dry run records no Event"
    );
    send_as(
        &admin,
        Some("alice"),
        http::Method::PATCH,
        WEB,
        Some(&overridden),
        MERGE,
    )
    .await
    .expect("alice's override is admitted");
    let ev = eventually("the override's Event", 30, async || {
        events(&admin, "shop", "AdmissionOverride")
            .await
            .into_iter()
            .next()
    })
    .await;
    let note = ev["note"].as_str().unwrap_or_default();
    assert!(note.contains("alice") && note.contains("INC-42"), "{note}");

    // Out of reach: a Secret in a namespace the install does not watch.
    let theirs = get(&client, "/api/v1/namespaces/other/secrets/db").await;
    assert!(
        matches!(&theirs, Err(kube::Error::Api(s)) if s.code == 403),
        "the operator's token read another namespace's Secret: {theirs:?}"
    );

    // Repaired with the real Alembic: the next rollout is admitted.
    common::alembic(python, &db, &["stamp", "016_add_time_entry_and_pos"]);
    common::alembic(python, &db, &["upgrade", "head"]);
    eventually("the guard to see the repair", 60, async || {
        let g = get(&admin, &format!("{GUARDS}/bizpilot")).await.ok()?;
        (g["status"]["verdict"] == "in_sync").then_some(())
    })
    .await;
    eventually("the rollout to be admitted", 30, async || {
        send(&admin, http::Method::PATCH, WEB, Some(&image("3")), MERGE)
            .await
            .ok()
    })
    .await;

    // The webhook down: the chart's failurePolicy Ignore admits, Fail refuses.
    running.stop().await;
    send(&admin, http::Method::PATCH, WEB, Some(&image("4")), MERGE)
        .await
        .expect("failurePolicy Ignore admits while the webhook is down");
    let path =
        format!("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/{vwc_name}");
    let current = get(&admin, &path).await.expect("vwc");
    let mut hooks = current["webhooks"].clone();
    for w in hooks.as_array_mut().expect("webhooks") {
        w["failurePolicy"] = json!("Fail");
    }
    send(
        &admin,
        http::Method::PATCH,
        &path,
        Some(&json!({"webhooks": hooks})),
        MERGE,
    )
    .await
    .expect("failurePolicy Fail");
    let down = eventually("failurePolicy Fail to refuse", 30, async || {
        match send(&admin, http::Method::PATCH, WEB, Some(&image("5")), MERGE).await {
            Err(kube::Error::Api(s)) => Some(s.message.clone()),
            _ => None,
        }
    })
    .await;
    assert!(down.contains("failed calling webhook"), "{down}");

    let refused: Vec<String> = c
        .forbidden(&user)
        .into_iter()
        .filter(|r| !r.contains("(other/db)"))
        .collect();
    assert!(
        refused.is_empty(),
        "the namespaced Roles refused the operator: {refused:?}"
    );
    eprintln!(
        "kube {}: namespaced install (two namespaces): rollout refused with the repair's first step, dry run without Event, bob's override ignored, alice's admitted with an Event, another namespace's Secret out of reach, admitted after the repair, failurePolicy Ignore admits and Fail refuses with the webhook down",
        c.version
    );
}

/// One `preflight operator` process, out of cluster, with a kubeconfig.
struct OperatorProcess {
    child: std::process::Child,
    identity: String,
}

impl OperatorProcess {
    fn start(kubeconfig: &Path, identity: &str, log: &Path) -> OperatorProcess {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"))
            .args([
                "operator",
                "--namespace",
                "preflight-system",
                "--identity",
                identity,
            ])
            .args([
                "--listen",
                "127.0.0.1:0",
                "--lease-duration",
                "3s",
                "--log-format",
                "text",
            ])
            .env("KUBECONFIG", kubeconfig)
            .env("RUST_LOG", "preflight=info")
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(log).expect("log"))
            .spawn()
            .expect("start preflight operator");
        OperatorProcess {
            child,
            identity: identity.to_string(),
        }
    }

    /// SIGKILL: no chance to release the Lease.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OperatorProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn lease_holder(admin: &kube::Client) -> Option<String> {
    get(
        admin,
        "/apis/coordination.k8s.io/v1/namespaces/preflight-system/leases/preflight-operator",
    )
    .await
    .ok()?["spec"]["holderIdentity"]
        .as_str()
        .map(str::to_owned)
}

async fn last_check(admin: &kube::Client, name: &str) -> Option<String> {
    get(admin, &format!("{GUARDS}/{name}")).await.ok()?["status"]["lastCheckTime"]
        .as_str()
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_survives_restarts_expired_watches_and_a_killed_leader() {
    let Some(python) = common::python() else {
        return;
    };
    for bin in cluster::versions() {
        faults(Cluster::start(&bin).await, &python).await;
    }
}

async fn faults(mut c: Cluster, python: &Path) {
    let admin = c.admin().await.expect("admin");
    install_crd(&admin).await;
    namespace(&admin, "preflight-system").await;
    namespace(&admin, "shop").await;
    let sa = apply_rbac(&admin, &rendered(&[])).await;
    let user = format!("system:serviceaccount:preflight-system:{sa}");
    let db = incident_database(python).await;
    expected_and_url(&admin, "shop", &db).await;
    create(
        &admin,
        &guard(
            "bizpilot",
            json!({"configMapRef": {"name": "bizpilot-migrations"}}),
            "1s",
        ),
    )
    .await
    .expect("guard");

    // Two replicas, each its own process with the ServiceAccount's token.
    let token = c.token("preflight-system", &sa).await;
    let kubeconfig = c.kubeconfig("operator", Some(&token));
    let logs = tempfile::tempdir().expect("logs");
    let mut replicas = [
        OperatorProcess::start(&kubeconfig, "replica-a", &logs.path().join("a.log")),
        OperatorProcess::start(&kubeconfig, "replica-b", &logs.path().join("b.log")),
    ];
    eventually("the guard's verdict", 90, async || {
        let g = get(&admin, &format!("{GUARDS}/bizpilot")).await.ok()?;
        (g["status"]["verdict"] == "ledger_ahead").then_some(())
    })
    .await;
    eventually("the verdict's Event", 30, async || {
        (!events(&admin, "shop", "LedgerAhead").await.is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        events(&admin, "shop", "LedgerAhead").await.len(),
        1,
        "one Event for the verdict, however many checks"
    );

    // The API server restarted mid-run, its watch history compacted away:
    // watches resume (with a fresh list), the status keeps converging, and
    // the verdict that did not change records no second Event.
    let before = last_check(&admin, "bizpilot").await.expect("checked");
    c.stop_apiserver().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let revision = c.compact_etcd();
    c.start_apiserver().await;
    let admin = c.admin().await.expect("admin");
    eventually("checks after the restart", 60, async || {
        let now = last_check(&admin, "bizpilot").await?;
        (now > before).then_some(())
    })
    .await;
    // A guard created after the restart is seen: the watch is live again.
    create(
        &admin,
        &guard(
            "late",
            json!({"configMapRef": {"name": "bizpilot-migrations"}}),
            "1h",
        ),
    )
    .await
    .expect("guard");
    eventually("the new guard's verdict", 60, async || {
        let g = get(&admin, &format!("{GUARDS}/late")).await.ok()?;
        (g["status"]["verdict"] == "ledger_ahead").then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let bizpilot_events: Vec<Value> = events(&admin, "shop", "LedgerAhead")
        .await
        .into_iter()
        .filter(|e| e["regarding"]["name"] == "bizpilot")
        .collect();
    assert_eq!(
        bizpilot_events.len(),
        1,
        "no duplicate Event: {bizpilot_events:?}"
    );

    // The leader killed: the other replica takes the Lease within its duration.
    let holder = eventually("a Lease holder", 30, async || lease_holder(&admin).await).await;
    let i = replicas
        .iter()
        .position(|r| r.identity == holder)
        .expect("the holder is one of the replicas");
    let killed = std::time::Instant::now();
    replicas[i].kill();
    let next = eventually("the other replica to take the Lease", 20, async || {
        lease_holder(&admin).await.filter(|h| *h != holder)
    })
    .await;
    let took = killed.elapsed();
    assert!(
        took <= Duration::from_secs(3 + 3),
        "took {took:?} for a 3s lease"
    );
    let after = last_check(&admin, "bizpilot").await.expect("checked");
    eventually("checks by the new leader", 30, async || {
        let now = last_check(&admin, "bizpilot").await?;
        (now > after).then_some(())
    })
    .await;

    let refused = c.forbidden(&user);
    assert!(refused.is_empty(), "RBAC refused the operator: {refused:?}");
    eprintln!(
        "kube {}: API server restarted with etcd compacted at revision {revision}: watches resumed (a guard created after it was checked), checks resumed, no duplicate Event; {holder} killed, {next} took the Lease in {:.1} s (lease 3 s)",
        c.version,
        took.as_secs_f64()
    );
}
