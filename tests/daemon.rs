//! `preflight daemon` against the real PostgreSQL and a local server that
//! speaks the DigitalOcean Apps API: the incident shows in the metrics
//! (scraped over HTTP and checked by `promtool`), goes back to in-sync once
//! the database is repaired, and a real Prometheus scraping the daemon fires
//! the chart's ledger alert.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{scrape, value};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use common::{Kind, TempDb};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A stand-in for api.digitalocean.com: two pages of apps, the incident's
/// live spec on the second, a rate limit on the very first request.
#[derive(Clone)]
struct FakeApi {
    requests: Arc<AtomicUsize>,
    live_spec: Arc<Value>,
}

async fn apps(
    State(api): State<FakeApi>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let n = api.requests.fetch_add(1, Ordering::SeqCst);
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer test-token") {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"id": "Unauthorized", "message": "Unable to authenticate you"})),
        )
            .into_response();
    }
    if n == 0 {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "0")],
            Json(json!({"id": "too_many_requests", "message": "API Rate limit exceeded."})),
        )
            .into_response();
    }
    match q.get("page").map(String::as_str) {
        Some("2") => Json(json!({
            "apps": [{"id": "b6bdf840-2854-4f87-a36c-5f231c617c84", "spec": *api.live_spec, "default_ingress": "https://bizpilot.ondigitalocean.app"}],
            "links": {"pages": {"first": "https://api.digitalocean.com/v2/apps?page=1&per_page=100", "prev": "https://api.digitalocean.com/v2/apps?page=1&per_page=100"}},
            "meta": {"total": 2}
        }))
        .into_response(),
        _ => Json(json!({
            "apps": [{"id": "4f6c71e2-1e90-4762-9fee-6cc4a0a9f2cf", "spec": {"name": "marketing-site", "region": "ams", "static_sites": [{"name": "web", "build_command": "npm run build"}]}}],
            "links": {"pages": {"next": "https://api.digitalocean.com/v2/apps?page=2&per_page=100", "last": "https://api.digitalocean.com/v2/apps?page=2&per_page=100"}},
            "meta": {"total": 2}
        }))
        .into_response(),
    }
}

async fn fake_api() -> (String, FakeApi) {
    let live: Value = serde_json::from_str(
        &std::fs::read_to_string(common::repo().join("examples/incident/live-app-spec.json"))
            .expect("spec"),
    )
    .expect("json");
    let api = FakeApi {
        requests: Arc::new(AtomicUsize::new(0)),
        live_spec: Arc::new(live),
    };
    let router = axum::Router::new()
        .route("/v2/apps", axum::routing::get(apps))
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    (format!("http://{addr}"), api)
}

async fn wait_for(addr: std::net::SocketAddr, what: &str, cond: impl Fn(&str) -> bool) -> String {
    for _ in 0..150 {
        let m = scrape(addr).await;
        if cond(&m) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("timed out waiting for {what}:\n{}", scrape(addr).await);
}

fn config(dir: &Path, db_url: &str, api: &str) -> preflight::daemon::config::DaemonConfig {
    let token = dir.join("do-token");
    std::fs::write(&token, "test-token\n").expect("token");
    let yaml = format!(
        "checks:\n  interval: 1s\n  timeout: 20s\n  jitter: 0.0\napps:\n  - name: bizpilot\n    namespace: shop\n    specs: [{spec}]\n    digitalocean:\n      app: bizpilot\n      token_file: {token}\n      api_url: {api}\n      interval: 1s\n    databases:\n      - name: defaultdb\n        url: \"{db_url}\"\n        expected: alembic:{ini}\n        interval: 1s\n",
        spec = common::repo()
            .join("examples/incident/.do/app.yaml")
            .display(),
        token = token.display(),
        ini = common::incident_alembic_ini().display(),
    );
    let path = dir.join("preflight-daemon.yaml");
    std::fs::write(&path, yaml).expect("config");
    preflight::daemon::config::DaemonConfig::load(&path).expect("valid config")
}

fn promtool() -> Option<std::path::PathBuf> {
    match which("promtool") {
        Some(p) => Some(p),
        None => {
            common::missing("promtool is not installed (Debian: apt-get install prometheus)");
            None
        }
    }
}

fn which(bin: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(bin))
            .find(|p| p.is_file())
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incident_in_metrics_then_repaired() {
    let Some(python) = common::python() else {
        return;
    };
    let db = TempDb::new(Kind::Postgres).await;
    common::alembic(&python, &db, &["upgrade", "016_add_time_entry_and_pos"]);
    common::alembic(&python, &db, &["stamp", "head"]);
    let (api_url, api) = fake_api().await;
    let dir = tempfile::tempdir().expect("tmp");
    let running = preflight::daemon::start(
        config(dir.path(), &db.url, &api_url),
        Some("127.0.0.1:0".parse().expect("addr")),
    )
    .await
    .expect("start");
    let addr = running.addr;
    let target = [("namespace", "shop"), ("name", "bizpilot/defaultdb")];

    let m = wait_for(addr, "the incident", |m| {
        value(m, "preflight_ledger_consistent", &target) == Some(0.0)
            && value(m, "preflight_spec_drift", &[("name", "bizpilot")]) == Some(1.0)
    })
    .await;
    assert_eq!(value(&m, "preflight_schema_in_sync", &target), Some(0.0));
    assert_eq!(
        value(
            &m,
            "preflight_schema_drift_objects",
            &[
                ("name", "bizpilot/defaultdb"),
                ("change", "missing"),
                ("object", "table")
            ]
        ),
        Some(2.0)
    );
    assert_eq!(
        value(
            &m,
            "preflight_ledger_info",
            &[
                ("name", "bizpilot/defaultdb"),
                ("tool", "alembic"),
                ("version", "018_add_notifications")
            ]
        ),
        Some(1.0)
    );
    assert!(
        value(
            &m,
            "preflight_checks_total",
            &[("name", "bizpilot/defaultdb"), ("result", "ledger_ahead")]
        )
        .is_some_and(|v| v >= 1.0)
    );
    assert_eq!(
        value(
            &m,
            "preflight_release_step_findings",
            &[
                ("name", "bizpilot@live"),
                ("rule", "alembic/stamp"),
                ("severity", "error")
            ]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(
            &m,
            "preflight_release_step_findings",
            &[("name", "bizpilot@live"), ("rule", "release/spec-drift")]
        ),
        Some(1.0)
    );
    assert!(
        value(
            &m,
            "preflight_release_step_findings",
            &[("name", "bizpilot"), ("rule", "alembic/stamp")]
        )
        .is_none(),
        "the repository's spec is clean"
    );
    assert!(
        !m.contains("stamp head") && !m.contains("postgres://"),
        "no command or URL in label values"
    );
    assert!(
        api.requests.load(Ordering::SeqCst) >= 3,
        "the rate-limited request was retried and both pages read"
    );

    // The exposition passes promtool's checks.
    if let Some(promtool) = promtool() {
        let mut child = std::process::Command::new(promtool)
            .args(["check", "metrics"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("promtool");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(m.as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("promtool");
        assert!(
            out.status.success(),
            "promtool check metrics:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Health endpoints.
    assert_eq!(
        reqwest::get(format!("http://{addr}/healthz"))
            .await
            .expect("healthz")
            .status(),
        200
    );
    assert_eq!(
        reqwest::get(format!("http://{addr}/readyz"))
            .await
            .expect("readyz")
            .status(),
        200
    );

    // Repair the database the way the incident write-up did; the series follow.
    common::alembic(&python, &db, &["stamp", "016_add_time_entry_and_pos"]);
    common::alembic(&python, &db, &["upgrade", "head"]);
    let m = wait_for(addr, "in sync", |m| {
        value(m, "preflight_schema_in_sync", &target) == Some(1.0)
    })
    .await;
    assert_eq!(value(&m, "preflight_ledger_consistent", &target), Some(1.0));
    assert!(
        value(
            &m,
            "preflight_schema_drift_objects",
            &[("name", "bizpilot/defaultdb"), ("change", "missing")]
        )
        .is_none(),
        "drift series are removed once fixed"
    );
    running.stop().await;
}

/// A real Prometheus scrapes the daemon with the chart's alert rules loaded
/// (their `for:` shortened) and fires the ledger alert for the incident.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_fires_the_ledger_alert() {
    let Some(python) = common::python() else {
        return;
    };
    let Some(prometheus) = which("prometheus") else {
        common::missing("prometheus is not installed (Debian: apt-get install prometheus)");
        return;
    };
    let db = TempDb::new(Kind::Postgres).await;
    common::alembic(&python, &db, &["upgrade", "016_add_time_entry_and_pos"]);
    common::alembic(&python, &db, &["stamp", "head"]);
    let (api_url, _api) = fake_api().await;
    let dir = tempfile::tempdir().expect("tmp");
    let running = preflight::daemon::start(
        config(dir.path(), &db.url, &api_url),
        Some("127.0.0.1:0".parse().expect("addr")),
    )
    .await
    .expect("start");

    let rules = std::fs::read_to_string(common::repo().join("charts/preflight/files/alerts.yaml"))
        .expect("rules");
    let rules = regex::Regex::new(r"for: \d+m")
        .expect("re")
        .replace_all(&rules, "for: 0s")
        .replace("[15m]", "[30s]");
    std::fs::write(dir.path().join("alerts.yaml"), rules).expect("write rules");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [alerts.yaml]\nscrape_configs:\n  - job_name: preflight\n    static_configs:\n      - targets: ['{}']\n", running.addr),
    )
    .expect("write config");
    let mut prom = std::process::Command::new(prometheus)
        .arg(format!(
            "--config.file={}",
            dir.path().join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start prometheus");
    let mut firing = false;
    for _ in 0..120 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let Ok(resp) = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/alerts")).await else {
            continue;
        };
        let v: Value = resp.json().await.unwrap_or_default();
        firing = v["data"]["alerts"].as_array().is_some_and(|alerts| {
            alerts.iter().any(|a| {
                a["labels"]["alertname"] == "PreflightLedgerInconsistent"
                    && a["labels"]["name"] == "bizpilot/defaultdb"
                    && a["state"] == "firing"
            })
        });
        if firing {
            break;
        }
    }
    let _ = prom.kill();
    let _ = prom.wait();
    running.stop().await;
    assert!(firing, "PreflightLedgerInconsistent did not fire");
}
