//! A real Kubernetes control plane for the end-to-end tests: etcd and
//! kube-apiserver built from their Go modules by `scripts/kube.sh` (the test
//! script runs it and names the binaries in `PREFLIGHT_KUBE_BIN`), started on
//! loopback with generated certificates, RBAC authorization, service-account
//! token signing (tokens through the TokenRequest API) and an audit log that
//! records every request's user and response code. Torn down on drop.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub url: String,
    port: u16,
    etcd_port: u16,
    etcd: Option<Child>,
    apiserver: Option<Child>,
    pub version: String,
    /// When the API server was down or not ready yet (restarts): a refusal
    /// then is the server's, not RBAC's.
    unready: Vec<(Timestamp, Timestamp)>,
    down_since: Option<Timestamp>,
}

use k8s_openapi::jiff::Timestamp;

/// The Kubernetes versions to test against: directories holding
/// kube-apiserver and etcd, `:`-separated in `PREFLIGHT_KUBE_BIN` (the test
/// script builds the newest and the oldest it can). Empty means the tests
/// cannot run, which fails them in CI.
pub fn versions() -> Vec<PathBuf> {
    let dirs: Vec<PathBuf> = std::env::var_os("PREFLIGHT_KUBE_BIN")
        .map(|v| std::env::split_paths(&v).collect())
        .unwrap_or_default();
    let (ok, broken): (Vec<PathBuf>, Vec<PathBuf>) = dirs
        .into_iter()
        .partition(|d| d.join("kube-apiserver").is_file() && d.join("etcd").is_file());
    // A version that did not build must fail CI, not shrink the test to the
    // versions that did.
    for d in &broken {
        crate::common::missing(&format!(
            "{} has no kube-apiserver and etcd: run scripts/kube.sh for that version",
            d.display()
        ));
    }
    if let Some(want) = std::env::var("PREFLIGHT_KUBE_VERSIONS")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        for v in want.split_whitespace() {
            if !ok.iter().any(|d| d.file_name().is_some_and(|n| n == v)) {
                crate::common::missing(&format!(
                    "Kubernetes {v} is named in PREFLIGHT_KUBE_VERSIONS but not built: run scripts/kube.sh {v}"
                ));
            }
        }
    }
    if ok.is_empty() {
        crate::common::missing(
            "PREFLIGHT_KUBE_BIN names no directory with kube-apiserver and etcd: run scripts/kube.sh (scripts/test.sh does)",
        );
    }
    ok
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn write(path: &Path, text: impl AsRef<[u8]>) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// A CA, the API server's serving certificate, an admin client certificate
/// (`system:masters`) and the service-account signing key.
fn certificates(dir: &Path) {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "preflight-e2e-ca");
    let ca = p.self_signed(&ca_key).expect("ca");
    write(&dir.join("ca.crt"), ca.pem());

    let key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    p.subject_alt_names
        .push(rcgen::SanType::IpAddress("127.0.0.1".parse().expect("ip")));
    p.subject_alt_names
        .push(rcgen::SanType::IpAddress("10.0.0.1".parse().expect("ip")));
    let cert = p.signed_by(&key, &ca, &ca_key).expect("serving cert");
    write(&dir.join("apiserver.crt"), cert.pem());
    write(&dir.join("apiserver.key"), key.serialize_pem());

    let key = rcgen::KeyPair::generate().expect("key");
    let mut p = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name
        .push(rcgen::DnType::CommonName, "e2e-admin");
    p.distinguished_name
        .push(rcgen::DnType::OrganizationName, "system:masters");
    p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = p.signed_by(&key, &ca, &ca_key).expect("admin cert");
    write(&dir.join("admin.crt"), cert.pem());
    write(&dir.join("admin.key"), key.serialize_pem());

    let sa = rcgen::KeyPair::generate().expect("sa key");
    write(&dir.join("sa.key"), sa.serialize_pem());
    write(&dir.join("sa.pub"), sa.public_key_pem());

    // Every request, its user and its response code.
    write(
        &dir.join("audit-policy.yaml"),
        "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n  - level: Metadata\n",
    );
}

impl Cluster {
    /// Starts etcd and the API server built in `bin`.
    pub async fn start(bin: &Path) -> Cluster {
        let bin = bin.to_path_buf();
        let dir = tempfile::tempdir().expect("tmp");
        certificates(dir.path());
        let version = bin
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let port = free_port();
        let mut c = Cluster {
            url: format!("https://127.0.0.1:{port}"),
            port,
            etcd_port: free_port(),
            dir,
            bin,
            etcd: None,
            apiserver: None,
            version,
            unready: Vec::new(),
            down_since: None,
        };
        c.start_etcd();
        c.start_apiserver().await;
        c
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn log(&self, name: &str) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path(name))
            .expect("log file")
    }

    fn start_etcd(&mut self) {
        let peer = free_port();
        let client = format!("http://127.0.0.1:{}", self.etcd_port);
        let peer_url = format!("http://127.0.0.1:{peer}");
        let child = Command::new(self.bin.join("etcd"))
            .args(["--name", "e2e", "--data-dir"])
            .arg(self.path("etcd"))
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer_url,
                "--initial-advertise-peer-urls",
                &peer_url,
            ])
            .args(["--initial-cluster", &format!("e2e={peer_url}")])
            .args(["--unsafe-no-fsync", "--log-level", "warn"])
            .stdout(Stdio::null())
            .stderr(self.log("etcd.log"))
            .spawn()
            .expect("start etcd");
        self.etcd = Some(child);
    }

    /// Starts (or restarts) the API server and waits until it is ready.
    pub async fn start_apiserver(&mut self) {
        let down_since = self.down_since.take().unwrap_or_else(Timestamp::now);
        let p = |n: &str| self.path(n).display().to_string();
        let child = Command::new(self.bin.join("kube-apiserver"))
            .arg(format!(
                "--etcd-servers=http://127.0.0.1:{}",
                self.etcd_port
            ))
            .args(["--bind-address=127.0.0.1", "--advertise-address=127.0.0.1"])
            .arg(format!("--secure-port={}", self.port))
            .arg(format!("--tls-cert-file={}", p("apiserver.crt")))
            .arg(format!("--tls-private-key-file={}", p("apiserver.key")))
            .arg(format!("--client-ca-file={}", p("ca.crt")))
            .arg(format!("--cert-dir={}", p("certs")))
            .arg("--service-account-issuer=https://kubernetes.default.svc")
            .arg(format!("--service-account-key-file={}", p("sa.pub")))
            .arg(format!(
                "--service-account-signing-key-file={}",
                p("sa.key")
            ))
            .arg("--api-audiences=https://kubernetes.default.svc")
            .arg("--authorization-mode=RBAC")
            // No `kubernetes` Service endpoints to keep: newer releases
            // refuse a loopback advertise address for them.
            .arg("--endpoint-reconciler-type=none")
            .arg("--service-cluster-ip-range=10.0.0.0/24")
            .arg(format!("--audit-policy-file={}", p("audit-policy.yaml")))
            .arg(format!("--audit-log-path={}", p("audit.log")))
            .arg("--audit-log-mode=blocking")
            .arg("--v=0")
            .stdout(Stdio::null())
            .stderr(self.log("apiserver.log"))
            .spawn()
            .expect("start kube-apiserver");
        self.apiserver = Some(child);
        self.wait_ready(Duration::from_secs(90)).await;
        self.unready.push((down_since, Timestamp::now()));
    }

    pub async fn stop_apiserver(&mut self) {
        self.down_since = Some(Timestamp::now());
        if let Some(mut c) = self.apiserver.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    async fn wait_ready(&mut self, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            // A server that exited will not become ready: say why now.
            if let Some(Ok(Some(status))) = self.apiserver.as_mut().map(Child::try_wait) {
                let log = std::fs::read_to_string(self.path("apiserver.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(20).collect();
                panic!(
                    "kube-apiserver exited ({status}):\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            if let Ok(client) = self.admin().await
                && let Ok(text) = client
                    .request_text(
                        http::Request::get("/readyz")
                            .body(Vec::new())
                            .expect("request"),
                    )
                    .await
                && text.trim() == "ok"
            {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(self.path("apiserver.log")).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(40).collect();
                panic!(
                    "kube-apiserver not ready after {within:?}:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// A kubeconfig for a user: the admin's client certificate, or a token.
    pub fn kubeconfig(&self, name: &str, token: Option<&str>) -> PathBuf {
        let user = match token {
            Some(t) => json!({"token": t}),
            None => json!({
                "client-certificate": self.path("admin.crt"),
                "client-key": self.path("admin.key"),
            }),
        };
        let cfg = json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "e2e", "cluster": {"server": self.url, "certificate-authority": self.path("ca.crt")}}],
            "users": [{"name": name, "user": user}],
            "contexts": [{"name": name, "context": {"cluster": "e2e", "user": name, "namespace": "default"}}],
            "current-context": name,
        });
        let path = self.path(&format!("kubeconfig-{name}.json"));
        write(&path, serde_json::to_vec_pretty(&cfg).expect("json"));
        path
    }

    async fn client_from(&self, path: &Path) -> Result<kube::Client, kube::Error> {
        let kc = kube::config::Kubeconfig::read_from(path)?;
        let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await?;
        kube::Client::try_from(cfg)
    }

    /// A `system:masters` client.
    pub async fn admin(&self) -> Result<kube::Client, kube::Error> {
        self.client_from(&self.kubeconfig("admin", None)).await
    }

    /// A client acting with this token only.
    pub async fn client_with_token(&self, name: &str, token: &str) -> kube::Client {
        self.client_from(&self.kubeconfig(name, Some(token)))
            .await
            .expect("token client")
    }

    /// A token of a ServiceAccount, through the TokenRequest API.
    pub async fn token(&self, namespace: &str, service_account: &str) -> String {
        let admin = self.admin().await.expect("admin");
        let v = post(
            &admin,
            &format!("/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token"),
            &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                    "spec": {"audiences": ["https://kubernetes.default.svc"], "expirationSeconds": 3600}}),
        )
        .await
        .unwrap_or_else(|e| panic!("TokenRequest for {namespace}/{service_account}: {e}"));
        v["status"]["token"].as_str().expect("token").to_string()
    }

    /// Requests this user made that the API server refused (403), from the
    /// audit log: `verb resource (namespace/name)`.
    pub fn forbidden(&self, user: &str) -> Vec<String> {
        let log = std::fs::read_to_string(self.path("audit.log")).unwrap_or_default();
        log.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["user"]["username"] == user && e["responseStatus"]["code"] == 403)
            // While a restarted server is not ready its authorizer has not
            // loaded the RBAC objects yet and refuses everyone (seen on a
            // real 1.37 server): not a missing permission.
            .filter(|e| {
                let at = e["requestReceivedTimestamp"]
                    .as_str()
                    .and_then(|t| t.parse::<Timestamp>().ok());
                !at.is_some_and(|at| self.unready.iter().any(|(a, b)| *a <= at && at <= *b))
            })
            .map(|e| {
                format!(
                    "{} {} ({}/{})",
                    e["verb"].as_str().unwrap_or(""),
                    e["objectRef"]["resource"].as_str().unwrap_or(""),
                    e["objectRef"]["namespace"].as_str().unwrap_or(""),
                    e["objectRef"]["name"].as_str().unwrap_or("")
                )
            })
            .collect()
    }

    /// Every audited request of this user: (verb, resource, code).
    pub fn requests(&self, user: &str) -> Vec<(String, String, i64)> {
        let log = std::fs::read_to_string(self.path("audit.log")).unwrap_or_default();
        log.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["user"]["username"] == user)
            .map(|e| {
                (
                    e["verb"].as_str().unwrap_or("").to_string(),
                    e["objectRef"]["resource"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    e["responseStatus"]["code"].as_i64().unwrap_or(0),
                )
            })
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in [self.apiserver.as_mut(), self.etcd.as_mut()]
            .into_iter()
            .flatten()
        {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// The REST path of an object's collection.
pub fn collection(obj: &Value) -> String {
    let api = obj["apiVersion"].as_str().unwrap_or("v1");
    let kind = obj["kind"].as_str().unwrap_or("");
    let ns = obj["metadata"]["namespace"].as_str();
    let plural = match kind {
        "CustomResourceDefinition" => "customresourcedefinitions",
        "ValidatingWebhookConfiguration" => "validatingwebhookconfigurations",
        "ClusterRole" => "clusterroles",
        "ClusterRoleBinding" => "clusterrolebindings",
        "Role" => "roles",
        "RoleBinding" => "rolebindings",
        "ServiceAccount" => "serviceaccounts",
        "Namespace" => "namespaces",
        "Secret" => "secrets",
        "ConfigMap" => "configmaps",
        "DatabaseGuard" => "databaseguards",
        "Job" => "jobs",
        "CronJob" => "cronjobs",
        "Deployment" => "deployments",
        "Lease" => "leases",
        other => panic!("no path known for kind {other}"),
    };
    let prefix = if api == "v1" {
        "/api/v1".to_string()
    } else {
        format!("/apis/{api}")
    };
    match ns {
        Some(ns) => format!("{prefix}/namespaces/{ns}/{plural}"),
        None => format!("{prefix}/{plural}"),
    }
}

/// A JSON request; the API server's `Status` on failure.
pub async fn send(
    client: &kube::Client,
    method: http::Method,
    path: &str,
    body: Option<&Value>,
    content_type: &str,
) -> Result<Value, kube::Error> {
    send_as(client, None, method, path, body, content_type).await
}

/// A JSON request, impersonating `user` when given (as `kubectl --as` does;
/// the client must be allowed to impersonate).
pub async fn send_as(
    client: &kube::Client,
    user: Option<&str>,
    method: http::Method,
    path: &str,
    body: Option<&Value>,
    content_type: &str,
) -> Result<Value, kube::Error> {
    let mut req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type);
    if let Some(user) = user {
        req = req
            .header("Impersonate-User", user)
            .header("Impersonate-Group", "system:authenticated");
    }
    let req = req
        .body(
            body.map(|b| serde_json::to_vec(b).expect("json"))
                .unwrap_or_default(),
        )
        .expect("request");
    client.request::<Value>(req).await
}

pub async fn post(client: &kube::Client, path: &str, body: &Value) -> Result<Value, kube::Error> {
    send(
        client,
        http::Method::POST,
        path,
        Some(body),
        "application/json",
    )
    .await
}

pub async fn get(client: &kube::Client, path: &str) -> Result<Value, kube::Error> {
    send(client, http::Method::GET, path, None, "application/json").await
}

/// Creates an object.
pub async fn create(client: &kube::Client, obj: &Value) -> Result<Value, kube::Error> {
    post(client, &collection(obj), obj).await
}

/// The message of a refusal, for assertions.
pub fn refusal(r: Result<Value, kube::Error>) -> String {
    match r {
        Ok(v) => panic!("expected a refusal, the API server accepted: {v}"),
        Err(kube::Error::Api(s)) => s.message.clone(),
        Err(e) => panic!("expected a refusal from the API server, got: {e}"),
    }
}

impl Cluster {
    /// Compacts etcd's history up to its current revision (through etcd's
    /// JSON gateway), so that watches resuming from an older resourceVersion
    /// get 410 Gone and must list again.
    pub fn compact_etcd(&self) -> i64 {
        let range = self.etcd_json("/v3/kv/range", r#"{"key":"AA=="}"#);
        let revision: i64 = range["header"]["revision"]
            .as_str()
            .and_then(|r| r.parse().ok())
            .expect("etcd's revision");
        self.etcd_json(
            "/v3/kv/compaction",
            &format!(r#"{{"revision":"{revision}","physical":true}}"#),
        );
        revision
    }

    fn etcd_json(&self, path: &str, body: &str) -> Value {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.etcd_port)).expect("etcd");
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        let body = out.split("\r\n\r\n").nth(1).unwrap_or("");
        // A chunked reply: the JSON is the line that starts with `{`.
        let json = body.lines().find(|l| l.starts_with('{')).unwrap_or(body);
        serde_json::from_str(json).unwrap_or_else(|e| panic!("etcd {path}: {e}: {out}"))
    }
}
