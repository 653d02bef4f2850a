//! `preflight daemon`: long-running without Kubernetes. Checks every
//! configured database on its interval, re-lints spec files when they
//! change, watches live DigitalOcean app specs for dangerous commands and for
//! drift from the repository, and serves `/metrics`, `/healthz`, `/readyz`.

pub mod config;

use crate::config::Config;
use crate::db::cache::ConnectionCache;
use crate::db::{ConnectOptions, DatabaseUrl};
use crate::definitions::Severity;
use crate::diagnosis::Verdict;
use crate::expected::ExpectedSpec;
use crate::introspect::IntrospectOptions;
use crate::lint::{Finding, LintReport, Linter};
use crate::location::Located;
use crate::metrics::{CheckReason, Metrics};
use crate::rules::release;
use crate::schedule::{Cadence, Job, Outcome, Scheduler};
use crate::server::{self, Health};
use crate::source::files::FileKind;
use crate::source::{Format, digitalocean_api};
use crate::verify::{self, VerifyOptions};
use config::{AppConfig, DaemonConfig, DatabaseConfig, DigitalOceanSource, read_secret};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// A running daemon.
pub struct Running {
    /// Where `/metrics` is served.
    pub addr: SocketAddr,
    pub metrics: Arc<Metrics>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops: no new checks; checks in flight get the shutdown timeout.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

struct Shared {
    metrics: Arc<Metrics>,
    /// Idle connections kept between checks (`None`: a new one each time).
    connections: Option<Arc<ConnectionCache>>,
    linter: Arc<Linter>,
    config: DaemonConfig,
}

/// Why the daemon could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("server.listen: `{value}`")]
    ListenAddress {
        value: String,
        #[source]
        source: std::net::AddrParseError,
    },
    #[error("apps.{app}.databases.{database}: expected")]
    Expected {
        app: String,
        database: String,
        #[source]
        source: crate::expected::ExpectedError,
    },
    #[error(transparent)]
    Lint(#[from] crate::lint::GlobError),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Starts the daemon and returns once it listens.
pub async fn start(
    config: DaemonConfig,
    listen: Option<SocketAddr>,
) -> Result<Running, StartError> {
    let addr: SocketAddr = match listen {
        Some(a) => a,
        None => config
            .server
            .listen
            .parse()
            .map_err(|source| StartError::ListenAddress {
                value: config.server.listen.clone(),
                source,
            })?,
    };
    // Expected-schema sources are checked before anything runs: a typo is a
    // configuration error, not a database that looks broken.
    for app in &config.apps {
        for db in &app.databases {
            ExpectedSpec::parse(&db.expected).map_err(|source| StartError::Expected {
                app: app.name.clone(),
                database: db.name.clone(),
                source,
            })?;
        }
    }
    let metrics = Arc::new(Metrics::new());
    let linter = Arc::new(Linter::new(Config {
        lint: config.lint.clone(),
        base_dir: config.base_dir.clone(),
    })?);
    let scheduler = Arc::new(Scheduler::new(config.checks.concurrency));
    let ready = Arc::new(AtomicBool::new(false));
    let stop = CancellationToken::new();
    let server_stop = CancellationToken::new();
    let (bound, server_task) = server::serve(
        addr,
        server::router(Health {
            metrics: metrics.clone(),
            ready: ready.clone(),
        }),
        server_stop.clone(),
    )
    .await
    .map_err(|source| StartError::Listen { addr, source })?;
    info!(addr = %bound, "serving /metrics, /healthz and /readyz");

    let connections = (config.checks.connection_idle_timeout > Duration::ZERO).then(|| {
        Arc::new(ConnectionCache::new(
            config.checks.concurrency.max(1) * 2,
            config.checks.connection_idle_timeout,
        ))
    });
    let shared = Arc::new(Shared {
        connections,
        metrics: metrics.clone(),
        linter,
        config: config.clone(),
    });
    let mut watchers = Vec::new();
    for app in &config.apps {
        for db in &app.databases {
            schedule_database(&shared, &scheduler, app, db);
        }
        if !app.specs.is_empty() {
            watchers.push(tokio::spawn(watch_specs(
                shared.clone(),
                app.clone(),
                stop.clone(),
            )));
        }
        if let Some(source) = &app.digitalocean {
            schedule_live_spec(&shared, &scheduler, app, source);
        }
    }
    ready.store(true, Ordering::Relaxed);
    info!(
        databases = config.apps.iter().map(|a| a.databases.len()).sum::<usize>(),
        apps = config.apps.len(),
        "checks scheduled"
    );

    let deadline = config.server.shutdown_timeout;
    let stop_task = stop.clone();
    let task = tokio::spawn(async move {
        stop_task.cancelled().await;
        info!(
            deadline_s = deadline.as_secs(),
            "stopping: waiting for checks in flight"
        );
        scheduler.shutdown(deadline).await;
        for w in watchers {
            w.abort();
        }
        server_stop.cancel();
        let _ = server_task.await;
        info!("stopped");
    });
    Ok(Running {
        addr: bound,
        metrics,
        stop,
        task,
    })
}

/// Runs until SIGTERM or SIGINT.
pub async fn run(config: DaemonConfig, listen: Option<SocketAddr>) -> Result<(), StartError> {
    let running = start(config, listen).await?;
    server::stop_signal().await;
    running.stop().await;
    Ok(())
}

fn cadence(
    defaults: &config::CheckDefaults,
    interval: Option<Duration>,
    timeout: Option<Duration>,
) -> Cadence {
    Cadence {
        interval: interval.unwrap_or(defaults.interval),
        timeout: timeout.unwrap_or(defaults.timeout),
        jitter: defaults.jitter,
        backoff: Duration::from_secs(5).min(interval.unwrap_or(defaults.interval)),
    }
}

fn schedule_database(
    shared: &Arc<Shared>,
    scheduler: &Scheduler,
    app: &AppConfig,
    db: &DatabaseConfig,
) {
    let ns = app.namespace.clone();
    let name = format!("{}/{}", app.name, db.name);
    let key = format!("db:{ns}:{name}");
    let last = Arc::new(Mutex::new(None::<Verdict>));
    let (s, db2, ns2, name2) = (shared.clone(), db.clone(), ns.clone(), name.clone());
    let job: Job = Arc::new(move || {
        let (s, db, ns, name, last) = (
            s.clone(),
            db2.clone(),
            ns2.clone(),
            name2.clone(),
            last.clone(),
        );
        Box::pin(async move { check_database(&s, &db, &ns, &name, &last).await })
    });
    let m = shared.metrics.clone();
    let (ns3, name3) = (ns, name);
    let on_timeout = Arc::new(move |after: Duration| {
        warn!(namespace = %ns3, name = %name3, after_s = after.as_secs(), "check timed out");
        m.record_error(&ns3, &name3, after.as_secs_f64(), CheckReason::CheckTimeout);
    });
    scheduler.upsert(
        &key,
        cadence(&shared.config.checks, db.interval, db.timeout),
        job,
        Some(on_timeout),
    );
}

/// A database URL that could not be had.
#[derive(Debug, thiserror::Error)]
enum UrlError {
    #[error(transparent)]
    Secret(config::SecretError),
    #[error(transparent)]
    Url(crate::db::DbError),
}

async fn check_database(
    s: &Shared,
    db: &DatabaseConfig,
    ns: &str,
    name: &str,
    last: &Mutex<Option<Verdict>>,
) -> Outcome {
    let started = Instant::now();
    let url = match read_secret(
        db.url.as_deref(),
        db.url_env.as_deref(),
        db.url_file.as_deref(),
        "database URL",
    )
    .map_err(UrlError::Secret)
    .and_then(|u| DatabaseUrl::parse(&u).map_err(UrlError::Url))
    {
        Ok(u) => u,
        Err(e) => {
            warn!(namespace = ns, name, error = %crate::text::error_chain(&e), "cannot check");
            s.metrics.record_error(
                ns,
                name,
                started.elapsed().as_secs_f64(),
                CheckReason::InvalidDatabaseUrl,
            );
            return Outcome::Failed;
        }
    };
    let spec = match ExpectedSpec::parse(&db.expected) {
        Ok(x) => x,
        Err(e) => {
            warn!(namespace = ns, name, error = %e, "cannot check");
            s.metrics.record_error(
                ns,
                name,
                started.elapsed().as_secs_f64(),
                CheckReason::InvalidExpected,
            );
            return Outcome::Failed;
        }
    };
    let checks = &s.config.checks;
    let shadow_url = db
        .shadow_url_env
        .as_deref()
        .and_then(|e| std::env::var(e).ok())
        .and_then(|u| DatabaseUrl::parse(&u).ok());
    let opts = VerifyOptions {
        connect: ConnectOptions {
            connect_timeout: checks.connect_timeout,
            statement_timeout: checks.statement_timeout,
            lock_timeout: checks.lock_timeout,
            ca_file: None,
        },
        introspect: IntrospectOptions {
            schemas: db.schemas.clone(),
        },
        shadow_url,
        expected_revision: None,
        connections: s.connections.clone(),
        launcher: None,
        spec_launchers: Vec::new(),
        prove: None,
    };
    let v = verify::verify(&url, &spec, &opts).await;
    s.metrics.record_verification(ns, name, &v);
    tracing::debug!(
        namespace = ns,
        name,
        verdict = v.verdict.as_str(),
        duration_us = started.elapsed().as_micros() as u64,
        "checked"
    );
    let changed = last
        .lock()
        .map(|mut l| l.replace(v.verdict) != Some(v.verdict))
        .unwrap_or(true);
    if changed {
        if v.verdict.severity().is_some() {
            warn!(namespace = ns, name, database = %v.database, verdict = v.verdict.as_str(), reason = %v.reason, "verdict changed");
        } else {
            info!(namespace = ns, name, database = %v.database, verdict = v.verdict.as_str(), "verdict changed");
        }
    }
    if v.verdict == Verdict::Error {
        Outcome::Failed
    } else {
        Outcome::Ok
    }
}

/// What identifies the current content of spec files: path, size, mtime.
fn fingerprint(paths: &[PathBuf]) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    let mut out = Vec::new();
    for p in paths {
        let files = if p.is_dir() {
            crate::source::files::walk(p).files
        } else {
            vec![p.clone()]
        };
        for f in files {
            let meta = std::fs::metadata(&f).ok();
            out.push((
                f,
                meta.as_ref().map_or(0, |m| m.len()),
                meta.and_then(|m| m.modified().ok()),
            ));
        }
    }
    out
}

/// Lints the app's spec files now and whenever they change.
async fn watch_specs(s: Arc<Shared>, app: AppConfig, stop: CancellationToken) {
    let mut last = None;
    loop {
        let fp = fingerprint(&app.specs);
        if last.as_ref() != Some(&fp) {
            let paths: Vec<String> = app.specs.iter().map(|p| p.display().to_string()).collect();
            let linter = s.linter.clone();
            let report = tokio::task::spawn_blocking(move || linter.lint_paths(&paths))
                .await
                .unwrap_or_default();
            log_report(&app, &report, "spec files");
            s.metrics
                .record_findings(&app.namespace, &app.name, &report.findings);
            last = Some(fp);
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(s.config.server.watch_interval) => {}
        }
    }
}

fn log_report(app: &AppConfig, report: &LintReport, what: &str) {
    for e in &report.errors {
        warn!(app = %app.name, namespace = %app.namespace, file = %e.file, line = e.line, error = %e.message, "cannot read {what}");
    }
    let active: Vec<&Finding> = report
        .active()
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    for f in &active {
        warn!(app = %app.name, namespace = %app.namespace, rule = f.rule.id, severity = f.severity.as_str(), file = %f.file, line = f.line, "{}", f.message);
    }
    info!(app = %app.name, namespace = %app.namespace, steps = report.steps, findings = active.len(), "linted {what}");
}

fn schedule_live_spec(
    shared: &Arc<Shared>,
    scheduler: &Scheduler,
    app: &AppConfig,
    source: &DigitalOceanSource,
) {
    let key = format!("do:{}:{}", app.namespace, app.name);
    let (s, app2, src2) = (shared.clone(), app.clone(), source.clone());
    let job: Job = Arc::new(move || {
        let (s, app, src) = (s.clone(), app2.clone(), src2.clone());
        Box::pin(async move { check_live_spec(&s, &app, &src).await })
    });
    let interval = source.interval.unwrap_or(Duration::from_secs(300));
    let c = Cadence {
        interval,
        timeout: Duration::from_secs(120),
        jitter: shared.config.checks.jitter,
        backoff: Duration::from_secs(10).min(interval),
    };
    scheduler.upsert(&key, c, job, None);
}

/// The name under which the live spec's findings are recorded.
pub fn live_name(app: &str) -> String {
    format!("{app}@live")
}

async fn check_live_spec(s: &Shared, app: &AppConfig, src: &DigitalOceanSource) -> Outcome {
    let token = match read_secret(
        None,
        src.token_env.as_deref(),
        src.token_file.as_deref(),
        "DigitalOcean token",
    ) {
        Ok(t) => t,
        Err(e) => {
            warn!(app = %app.name, error = %crate::text::error_chain(&e), "cannot read the live spec");
            return Outcome::Failed;
        }
    };
    let client = match digitalocean_api::Client::new(&src.api_url, token) {
        Ok(c) => c,
        Err(e) => {
            warn!(app = %app.name, error = %e, "cannot read the live spec");
            return Outcome::Failed;
        }
    };
    let live = match client.find_app(&src.app).await {
        Ok(Some(a)) => a,
        Ok(None) => {
            warn!(app = %app.name, digitalocean_app = %src.app, "no app with this name or id in the account");
            return Outcome::Failed;
        }
        Err(e) => {
            warn!(app = %app.name, error = %e, "cannot read the live spec");
            return Outcome::Failed;
        }
    };
    let live_text = serde_json::to_string_pretty(&live.spec).unwrap_or_default();
    let display = format!(
        "digitalocean:apps/{}",
        if live.id.is_empty() {
            &live.name
        } else {
            &live.id
        }
    );
    let mut report = s.linter.lint_text(
        &live_text,
        &display,
        FileKind::Yaml(Some(Format::DigitalOcean)),
    );

    // Drift from the repository's spec: compare with each spec file that is a
    // DigitalOcean app spec.
    let mut diffs = Vec::new();
    for f in fingerprint(&app.specs).into_iter().map(|(p, _, _)| p) {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let is_do_spec = crate::yaml::parse_document(&text).is_ok_and(|roots| {
            roots
                .iter()
                .any(|r| crate::source::digitalocean::detect(r, true))
        });
        if !is_do_spec {
            continue;
        }
        match crate::spec_drift::compare(&text, &live_text) {
            Ok(d) => {
                for diff in &d {
                    warn!(app = %app.name, namespace = %app.namespace, file = %f.display(), "spec drift: {}", diff.describe());
                }
                diffs.extend(d.into_iter().map(|x| (f.display().to_string(), x)));
            }
            Err(e) => {
                warn!(app = %app.name, file = %f.display(), error = %e, "cannot compare with the live spec")
            }
        }
    }
    s.metrics
        .record_spec_drift(&app.namespace, &app.name, diffs.len());
    for (file, d) in &diffs {
        report.findings.push(spec_drift_finding(&display, file, d));
    }
    log_report(app, &report, "the live spec");
    s.metrics
        .record_findings(&app.namespace, &live_name(&app.name), &report.findings);
    Outcome::Ok
}

fn spec_drift_finding(display: &str, repo_file: &str, d: &crate::spec_drift::StepDiff) -> Finding {
    let rule = &release::SPEC_DRIFT;
    let loc = Located {
        start: crate::location::Position { line: 1, column: 1 },
        end: crate::location::Position { line: 1, column: 2 },
        source_line: String::new(),
    };
    Finding {
        rule,
        severity: rule.severity,
        file: display.to_string(),
        line: loc.start.line,
        column: loc.start.column,
        end_line: loc.end.line,
        end_column: loc.end.column,
        message: crate::redact::text(&format!("{} (repository: {repo_file})", d.describe()))
            .into_owned(),
        object: d.object.clone(),
        phase: None,
        command: d.live.clone(),
        format: Format::DigitalOcean,
        suppressed: None,
        source_line: loc.source_line,
    }
}
