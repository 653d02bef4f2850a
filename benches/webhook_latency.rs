//! The admission webhook under load: `cargo bench --bench webhook_latency`.
//!
//! Starts the release `preflight webhook --no-kube` as its own process with a
//! fresh certificate, then sends a typical Deployment review (an UPDATE with a
//! new image: every request is linted) over loopback TLS with keep-alive, at a
//! fixed rate (open loop: latency is measured from the moment a request was
//! due, so a stall is not hidden). Reports latency percentiles, the rate
//! achieved, errors, and the server's CPU and peak RSS.
//!
//! Target (issue #5): p99 under 2 ms at 2,000 requests/s, no errors, under
//! 50 MB. Environment: PREFLIGHT_BENCH_RPS (2000), PREFLIGHT_BENCH_SECONDS (20),
//! PREFLIGHT_BENCH_CONNECTIONS (8: the API server keeps a small pool).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

use serde_json::{Value, json};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn deployment(image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "shop", "uid": "6f2c1a0e-8d2b-4f7a-9c11-2e5d3b7a9f10",
                     "labels": {"app": "bizpilot", "app.kubernetes.io/component": "api"},
                     "annotations": {"deployment.kubernetes.io/revision": "42"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "bizpilot", "app.kubernetes.io/component": "api"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "template": {
                "metadata": {"labels": {"app": "bizpilot", "app.kubernetes.io/component": "api"}},
                "spec": {
                    "serviceAccountName": "bizpilot",
                    "initContainers": [{"name": "wait-for-db", "image": "busybox:1.36",
                        "command": ["sh", "-c", "until nc -z db 5432; do sleep 1; done"]}],
                    "containers": [{
                        "name": "api", "image": image,
                        "command": ["gunicorn", "app.main:app", "-k", "uvicorn.workers.UvicornWorker", "-b", "0.0.0.0:8000", "--workers", "4"],
                        "ports": [{"containerPort": 8000, "name": "http"}],
                        "env": [{"name": "DATABASE_URL", "valueFrom": {"secretKeyRef": {"name": "bizpilot-db", "key": "url"}}},
                                {"name": "LOG_LEVEL", "value": "info"}],
                        "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
                        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5},
                        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10}
                    }, {
                        "name": "worker", "image": image,
                        "command": ["celery", "-A", "app.worker", "worker", "--loglevel=info"]
                    }]
                }
            }
        }
    })
}

fn review(n: u64) -> Value {
    let k = json!({"group": "apps", "version": "v1", "kind": "Deployment"});
    let r = json!({"group": "apps", "version": "v1", "resource": "deployments"});
    json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": format!("00000000-0000-0000-0000-{n:012}"),
        "kind": k, "resource": r, "requestKind": k, "requestResource": r,
        "name": "api", "namespace": "shop", "operation": "UPDATE",
        "userInfo": {"username": "system:serviceaccount:argocd:argocd-application-controller", "groups": ["system:authenticated"]},
        "object": deployment("registry.example.com/bizpilot/backend:1.15.0"),
        "oldObject": deployment("registry.example.com/bizpilot/backend:1.14.0"),
        "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": "UpdateOptions"}
    }})
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18443)
}

fn proc_field(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() {
    let rps = env_or("PREFLIGHT_BENCH_RPS", 2000);
    let seconds = env_or("PREFLIGHT_BENCH_SECONDS", 20);
    let connections = env_or("PREFLIGHT_BENCH_CONNECTIONS", 8) as usize;

    let dir = tempfile::tempdir().expect("tmp");
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&key, &ca, &ca_key)
        .expect("cert");
    let (cert_path, key_path) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
    std::fs::write(&cert_path, cert.pem()).expect("cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("key");

    let (port, metrics_port) = (free_port(), free_port());
    let child = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args([
            "webhook",
            "--no-kube",
            "--log-level",
            "warn",
            "--mode",
            "Enforce",
        ])
        .arg("--tls-cert")
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .args(["--webhook-listen", &format!("127.0.0.1:{port}")])
        .args(["--listen", &format!("127.0.0.1:{metrics_port}")])
        .spawn()
        .expect("start preflight webhook");
    let pid = child.id();
    let _server = Server(child);

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let client = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(ca.pem().as_bytes()).expect("ca"))
            .pool_max_idle_per_host(connections)
            .timeout(Duration::from_secs(5))
            .build()
            .expect("client");
        let url = format!("https://127.0.0.1:{port}/validate");
        let body = Arc::new(serde_json::to_vec(&review(1)).expect("json"));
        // Wait for the server, then warm up the connections.
        for _ in 0..100 {
            if client.post(&url).body(body.to_vec()).header("content-type", "application/json").send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let check: Value = client.post(&url).body(body.to_vec()).header("content-type", "application/json")
            .send().await.expect("post").json().await.expect("json");
        assert_eq!(check["response"]["allowed"], true, "a clean Deployment: {check}");

        // Limit requests in flight to the pool size, as an API server's
        // connection pool would; the open-loop schedule still counts waiting.
        let permits = Arc::new(tokio::sync::Semaphore::new(connections));
        let run = |total: u64, record: bool| {
            let (client, url, body, permits) = (client.clone(), url.clone(), body.clone(), permits.clone());
            async move {
                let latencies = Arc::new(Mutex::new(Vec::with_capacity(total as usize)));
                let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
                let start = Instant::now();
                let interval = Duration::from_nanos(1_000_000_000 / rps);
                // tokio's timer has a resolution of 1 ms: a thread paces the
                // requests instead, stamping when each was due.
                let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Instant>();
                std::thread::spawn(move || {
                    for i in 0..total {
                        let due = start + interval * i as u32;
                        if let Some(wait) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(wait);
                        }
                        if tx.send(due).is_err() {
                            return;
                        }
                    }
                });
                let mut tasks = Vec::with_capacity(total as usize);
                while let Some(due) = rx.recv().await {
                    let (client, url, body, permits) = (client.clone(), url.clone(), body.clone(), permits.clone());
                    let (latencies, errors) = (latencies.clone(), errors.clone());
                    tasks.push(tokio::spawn(async move {
                        let Ok(_permit) = permits.acquire().await else { return };
                        let ok = match client.post(&url).body(body.to_vec()).header("content-type", "application/json").send().await {
                            Ok(r) if r.status() == 200 => r.bytes().await.is_ok(),
                            _ => false,
                        };
                        let took = due.elapsed();
                        if !ok {
                            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        if record {
                            latencies.lock().await.push(took);
                        }
                    }));
                }
                for t in tasks {
                    let _ = t.await;
                }
                let elapsed = start.elapsed();
                let mut l = latencies.lock().await.clone();
                l.sort_unstable();
                (l, errors.load(std::sync::atomic::Ordering::Relaxed), elapsed)
            }
        };
        run(rps * 2, false).await;
        let ticks0 = cpu_ticks(pid).unwrap_or(0);
        let started = Instant::now();
        let (lat, errors, elapsed) = run(rps * seconds, true).await;
        let cpu = (cpu_ticks(pid).unwrap_or(0) - ticks0) as f64 / 100.0 / started.elapsed().as_secs_f64() * 100.0;
        let pct = |p: f64| lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1))).copied().unwrap_or_default();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!("webhook: {} reviews of a 2-container Deployment UPDATE over loopback TLS, keep-alive, {connections} connections", lat.len());
        println!("  offered {rps}/s, achieved {:.0}/s, errors {errors}", lat.len() as f64 / elapsed.as_secs_f64());
        println!(
            "  latency p50 {:.3} ms  p90 {:.3} ms  p99 {:.3} ms  p99.9 {:.3} ms  max {:.3} ms",
            ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(pct(0.999)), ms(lat.last().copied().unwrap_or_default())
        );
        println!(
            "  server: CPU {cpu:.0}% of one core, RSS {:.1} MiB, peak {:.1} MiB",
            proc_field(pid, "VmRSS:").unwrap_or(0) as f64 / 1024.0,
            proc_field(pid, "VmHWM:").unwrap_or(0) as f64 / 1024.0
        );
    });
}
