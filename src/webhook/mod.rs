//! The validating admission webhook: `preflight webhook` alone, or beside the
//! controller in `preflight operator`.
//!
//! It judges Jobs, CronJobs, Deployments, StatefulSets, DaemonSets, Pods
//! (release-step policy, rollout gating) and `DatabaseGuard`s (validation),
//! over HTTPS with certificates reloaded from files (`tls`), with what it
//! knows of the cluster (`cluster`), and answers `admission.k8s.io/v1`
//! `AdmissionReview`s (`review`).

pub(crate) mod cluster;
pub(crate) mod guard_check;
pub mod policy;
pub(crate) mod review;
pub(crate) mod tls;

use crate::metrics::Metrics;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use kube::runtime::events::{Event, EventType, Recorder};
use review::{Judge, Verdict};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Largest review accepted: an object and its old version, each up to the
/// API server's 1.5 MiB limit, with room to spare.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The webhook's shared state.
pub struct Webhook {
    pub judge: Judge,
    pub metrics: Arc<Metrics>,
    /// Where Events go (none without an API server).
    pub recorder: Option<Recorder>,
}

fn bad_request(code: StatusCode, message: String) -> Response {
    (
        code,
        [("content-type", "text/plain; charset=utf-8")],
        message + "\n",
    )
        .into_response()
}

/// The envelope of a review, decoded in one pass on the hot path.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "apiVersion", default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    request: Option<review::Request>,
}

const API_VERSION: &str = "admission.k8s.io/v1";

fn wrong_version(api_version: &str, kind: &str) -> Option<Response> {
    (api_version != API_VERSION || kind != "AdmissionReview").then(|| {
        bad_request(
            StatusCode::BAD_REQUEST,
            format!("expected kind AdmissionReview, apiVersion {API_VERSION}; got kind `{kind}`, apiVersion `{api_version}` (set admissionReviewVersions: [v1])"),
        )
    })
}

/// `POST /validate`.
async fn validate(State(w): State<Arc<Webhook>>, body: Bytes) -> Response {
    let started = Instant::now();
    let (request, verdict) = match serde_json::from_slice::<Envelope>(&body) {
        Ok(env) => {
            if let Some(bad) = wrong_version(&env.api_version, &env.kind) {
                return bad;
            }
            let Some(req) = env.request else {
                return bad_request(
                    StatusCode::BAD_REQUEST,
                    "the AdmissionReview has no request".into(),
                );
            };
            let verdict = w.judge.judge(&req);
            (
                Head {
                    uid: req.uid,
                    namespace: req.namespace,
                    dry_run: req.dry_run,
                    kind: req.kind.kind,
                    name: req.name,
                },
                verdict,
            )
        }
        // Off the hot path: say precisely what is wrong.
        Err(decode) => {
            let review: Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) if body.is_empty() => {
                    return bad_request(
                        StatusCode::BAD_REQUEST,
                        format!("empty body: expected an {API_VERSION} AdmissionReview ({e})"),
                    );
                }
                Err(e) => {
                    return bad_request(
                        StatusCode::BAD_REQUEST,
                        format!("the body is not JSON: {e}"),
                    );
                }
            };
            let text = |p: &str| {
                review
                    .pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            if let Some(bad) = wrong_version(&text("/apiVersion"), &text("/kind")) {
                return bad;
            }
            let Some(uid) = review.pointer("/request/uid").and_then(Value::as_str) else {
                return bad_request(
                    StatusCode::BAD_REQUEST,
                    "the AdmissionReview has no request.uid".into(),
                );
            };
            let head = Head {
                uid: uid.to_string(),
                namespace: review
                    .pointer("/request/namespace")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                dry_run: review
                    .pointer("/request/dryRun")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                kind: text("/request/kind/kind"),
                name: text("/request/name"),
            };
            (
                head,
                w.judge
                    .undecodable(&format!("the request does not decode: {decode}")),
            )
        }
    };
    // A dry run is judged like any request and leaves no trace.
    if !request.dry_run {
        w.metrics
            .admission_reviews
            .with_label_values(&[verdict.decision.as_str()])
            .inc();
        w.metrics
            .admission_duration
            .with_label_values(&[] as &[&str])
            .observe(started.elapsed().as_secs_f64());
        if verdict.overridden {
            let ns = request.namespace.as_deref().unwrap_or("");
            w.metrics.admission_overrides.with_label_values(&[ns]).inc();
        }
        log(&request, &verdict);
        record(&w, &verdict);
    }
    axum::Json(review::response(&request.uid, &verdict)).into_response()
}

/// What is said about a request in metrics and logs.
struct Head {
    uid: String,
    namespace: Option<String>,
    dry_run: bool,
    kind: String,
    name: String,
}

fn log(request: &Head, verdict: &Verdict) {
    if verdict.decision == review::Decision::Allowed && !verdict.overridden {
        return;
    }
    tracing::info!(
        decision = verdict.decision.as_str(),
        overridden = verdict.overridden,
        kind = %request.kind,
        namespace = request.namespace.as_deref().unwrap_or(""),
        name = %request.name,
        message = verdict.message.as_deref().unwrap_or(""),
        "admission review"
    );
}

/// Events are published after the response, never delaying it.
fn record(w: &Webhook, verdict: &Verdict) {
    let Some(recorder) = w.recorder.clone() else {
        return;
    };
    for r in verdict.records.clone() {
        let recorder = recorder.clone();
        tokio::spawn(async move {
            let event = Event {
                type_: EventType::Warning,
                reason: r.reason.into(),
                note: Some(crate::text::truncate(&r.note, 1000)),
                action: "Admit".into(),
                secondary: None,
            };
            if let Err(e) = recorder.publish(&event, &r.regarding).await {
                tracing::warn!(error = %e, "cannot record an admission event");
            }
        });
    }
}

/// The HTTPS routes: `/validate`, `/healthz`, `/readyz`.
pub fn router(webhook: Arc<Webhook>) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(|| async { "ready\n" }))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(webhook)
}

/// Serves `router` over TLS on `addr` until `stop`; connections are kept
/// alive, and on stop finish the request in flight.
pub async fn serve_tls(
    addr: SocketAddr,
    certs: Arc<tls::ReloadingCert>,
    router: Router,
    stop: CancellationToken,
) -> Result<(SocketAddr, tokio::task::JoinHandle<()>), StartError> {
    let config = certs.server_config()?;
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let listen = |source| StartError::Listen { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(listen)?;
    let local = listener.local_addr().map_err(listen)?;
    let task = tokio::spawn(async move {
        loop {
            let (stream, peer) = tokio::select! {
                _ = stop.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let (acceptor, router, stop) = (acceptor.clone(), router.clone(), stop.clone());
            tokio::spawn(async move {
                let tls =
                    match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(t)) => t,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                let service = TowerToHyperService::new(router);
                let conn = hyper::server::conn::http1::Builder::new()
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(tls), service);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => {}
                    _ = stop.cancelled() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(Duration::from_secs(10), conn).await;
                    }
                }
            });
        }
    });
    Ok((local, task))
}

/// How to run the webhook.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// The HTTPS address (`/validate`, `/healthz`, `/readyz`).
    pub listen: SocketAddr,
    pub cert: std::path::PathBuf,
    pub key: std::path::PathBuf,
    /// How often the certificate files are looked at.
    pub cert_poll: Duration,
    /// The global mode (namespaces and guards may set their own).
    pub mode: policy::Mode,
    pub failure: policy::FailureMode,
    /// The server's own namespace: never judged (nor is `kube-system`).
    pub namespace: String,
    /// This replica's name in Events.
    pub identity: String,
    pub lint: crate::config::Config,
    /// Whose override annotations count (anyone's by default).
    pub overrides: policy::Overrides,
    /// Watch the guards of these namespaces only (a namespaced install, whose
    /// Roles reach nothing else); empty: every namespace.
    pub watch_namespaces: Vec<String>,
}

/// A running webhook.
pub struct Running {
    pub addr: SocketAddr,
    pub cluster: Arc<cluster::ClusterView>,
    stop: CancellationToken,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Stops accepting; requests in flight finish.
    pub async fn stop(self) {
        self.stop.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// Why the webhook could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error(transparent)]
    Lint(#[from] crate::lint::GlobError),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// The Kubernetes API the webhook reads guards and namespaces from, or why
/// there is none.
pub enum Api {
    Client(kube::Client),
    Unavailable(String),
}

/// Starts the webhook. Without an API, release steps are judged and rollout
/// gating says it is unavailable.
pub async fn start(
    options: WebhookOptions,
    api: Api,
    metrics: Arc<Metrics>,
) -> Result<Running, StartError> {
    let certs = tls::ReloadingCert::new(&options.cert, &options.key)?;
    let linter = Arc::new(crate::lint::Linter::new(options.lint.clone())?);
    let stop = CancellationToken::new();
    let cert_watch = certs.clone().watch(options.cert_poll, stop.clone());
    let (cluster, recorder) = match api {
        Api::Client(client) => {
            let reporter = kube::runtime::events::Reporter {
                controller: "preflight.dev/webhook".into(),
                instance: Some(options.identity.clone()),
            };
            (
                cluster::ClusterView::watch(
                    client.clone(),
                    &options.watch_namespaces,
                    stop.clone(),
                ),
                Some(Recorder::new(client, reporter)),
            )
        }
        Api::Unavailable(why) => {
            tracing::warn!(reason = %why, "no Kubernetes API: release steps are judged, rollout gating is unavailable");
            (
                cluster::ClusterView::without_api(&format!("no Kubernetes API: {why}")),
                None,
            )
        }
    };
    let judge = Judge {
        linter,
        mode: options.mode,
        failure: options.failure,
        exempt: [options.namespace.clone(), "kube-system".to_string()]
            .into_iter()
            .collect(),
        cluster: cluster.clone(),
        overrides: options.overrides.clone(),
    };
    let webhook = Arc::new(Webhook {
        judge,
        metrics,
        recorder,
    });
    let (addr, server) = serve_tls(options.listen, certs, router(webhook), stop.clone()).await?;
    tracing::info!(%addr, mode = options.mode.as_str(), "admission webhook serving /validate");
    Ok(Running {
        addr,
        cluster,
        stop,
        tasks: vec![server, cert_watch],
    })
}
