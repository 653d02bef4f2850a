//! `preflight operator`: the Kubernetes side of preflight.
//!
//! Every replica serves `/metrics`, `/healthz` and `/readyz` (and, later, the
//! admission webhook); the replica holding the Lease (`leader`) also runs the
//! `DatabaseGuard` controller (`controller`) and the workload linter
//! (`workloads`). Losing the lease stops both; gaining it starts them.

pub(crate) mod controller;

pub mod leader;
pub(crate) mod workloads;

use crate::config::Config;
use crate::crd::DatabaseGuard;
use crate::lint::Linter;
use crate::metrics::Metrics;
use crate::server::{self, Health};
use controller::Context;
use futures::StreamExt;
use kube::api::Api;
use kube::runtime::controller::{self as kcontroller, Controller};
use kube::runtime::events::Reporter;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// The operator's name in Events (`reportingController`).
pub const CONTROLLER_NAME: &str = "preflight.dev/operator";

#[derive(Debug, Clone)]
pub struct OperatorOptions {
    /// Where `/metrics`, `/healthz` and `/readyz` are served.
    pub listen: SocketAddr,
    /// Watch these namespaces only (empty: the whole cluster).
    pub watch_namespaces: Vec<String>,
    /// The namespace the operator runs in: its Lease lives there, and its
    /// workloads are not linted.
    pub namespace: String,
    /// This replica's name in the Lease and in Events (the pod name).
    pub identity: String,
    pub lease_name: String,
    pub election: leader::Timings,
    /// Guards checked at the same time.
    pub concurrency: u16,
    /// Lint settings (rules, allowlist) for workloads.
    pub lint: Config,
    /// How long checks in flight may finish after SIGTERM.
    pub shutdown_timeout: Duration,
    /// The admission webhook, served by every replica (leader or not).
    pub webhook: Option<crate::webhook::WebhookOptions>,
}

impl OperatorOptions {
    pub fn new(namespace: &str, identity: &str) -> OperatorOptions {
        OperatorOptions {
            listen: SocketAddr::from(([0, 0, 0, 0], 8080)),
            watch_namespaces: Vec::new(),
            namespace: namespace.to_string(),
            identity: identity.to_string(),
            lease_name: "preflight-operator".into(),
            election: leader::Timings::default(),
            concurrency: 4,
            lint: Config::default(),
            shutdown_timeout: Duration::from_secs(20),
            webhook: None,
        }
    }
}

/// A running operator.
pub struct Running {
    pub addr: SocketAddr,
    /// Where the admission webhook listens, when it is served.
    pub webhook_addr: Option<SocketAddr>,
    pub metrics: Arc<Metrics>,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops the controllers (checks in flight get the shutdown timeout),
    /// releases the Lease, then stops serving.
    pub async fn stop(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

/// Why the operator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Lint(#[from] crate::lint::GlobError),
    #[error("cannot listen on {addr}")]
    Listen {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("the webhook")]
    Webhook(#[from] crate::webhook::StartError),
    #[error("cannot configure the Kubernetes client")]
    Client(#[source] kube::Error),
}

/// Starts the operator with `client` and returns once it listens.
pub async fn start(client: Client, options: OperatorOptions) -> Result<Running, StartError> {
    let linter = Arc::new(Linter::new(options.lint.clone())?);
    let metrics = Arc::new(Metrics::new());
    let ready = Arc::new(AtomicBool::new(false));
    let server_stop = CancellationToken::new();
    let (addr, server_task) = server::serve(
        options.listen,
        server::router(Health {
            metrics: metrics.clone(),
            ready: ready.clone(),
        }),
        server_stop.clone(),
    )
    .await
    .map_err(|source| StartError::Listen {
        addr: options.listen,
        source,
    })?;
    info!(%addr, "serving /metrics, /healthz and /readyz");
    let webhook = match options.webhook.clone() {
        Some(mut w) => {
            // The webhook sees the guards the operator may read.
            w.watch_namespaces = options.watch_namespaces.clone();
            let api = crate::webhook::Api::Client(client.clone());
            Some(crate::webhook::start(w, api, metrics.clone()).await?)
        }
        None => None,
    };
    let webhook_addr = webhook.as_ref().map(|w| w.addr);

    let stop = CancellationToken::new();
    let election_stop = CancellationToken::new();
    let lock = leader::LeaseLock::new(
        client.clone(),
        &options.namespace,
        &options.lease_name,
        &options.identity,
        options.election,
    );
    let (mut leading, election) = leader::spawn(lock, election_stop.clone());
    // Every replica is ready to serve; only the leader checks.
    ready.store(true, Ordering::Relaxed);

    let (m, stop_all) = (metrics.clone(), stop.clone());
    let task = tokio::spawn(async move {
        loop {
            // Follow: wait to lead.
            tokio::select! {
                _ = stop_all.cancelled() => break,
                changed = leading.wait_for(|l| *l) => if changed.is_err() { break },
            }
            info!(identity = %options.identity, "leading: starting the controllers");
            m.set_leader(true);
            let lead = CancellationToken::new();
            let controllers = tokio::spawn(run_controllers(
                client.clone(),
                m.clone(),
                linter.clone(),
                options.clone(),
                lead.clone(),
            ));
            let stopping = tokio::select! {
                _ = stop_all.cancelled() => true,
                _ = leading.wait_for(|l| !*l) => false,
            };
            lead.cancel();
            if tokio::time::timeout(options.shutdown_timeout, controllers)
                .await
                .is_err()
            {
                warn!("checks in flight did not finish within the shutdown timeout");
            }
            m.set_leader(false);
            if stopping {
                break;
            }
            info!("lost the lease: controllers stopped");
        }
        // The lease is released only once the controllers are stopped.
        election_stop.cancel();
        let _ = election.await;
        if let Some(w) = webhook {
            w.stop().await;
        }
        server_stop.cancel();
        let _ = server_task.await;
        info!("stopped");
    });
    Ok(Running {
        addr,
        webhook_addr,
        metrics,
        stop,
        task,
    })
}

/// The leader's work: the guard controller and the workload linter.
async fn run_controllers(
    client: Client,
    metrics: Arc<Metrics>,
    linter: Arc<Linter>,
    options: OperatorOptions,
    stop: CancellationToken,
) {
    let reporter = Reporter {
        controller: CONTROLLER_NAME.into(),
        instance: Some(options.identity.clone()),
    };
    let ctx = Arc::new(Context::new(client.clone(), metrics.clone(), reporter));
    let mut exempt: HashSet<String> = HashSet::from(["kube-system".to_string()]);
    exempt.insert(options.namespace.clone());
    // The whole cluster, or each watched namespace on its own (a namespaced
    // install may read nothing cluster-wide).
    let scopes: Vec<Option<String>> = if options.watch_namespaces.is_empty() {
        vec![None]
    } else {
        options.watch_namespaces.iter().cloned().map(Some).collect()
    };
    let per_scope = scopes.into_iter().map(|scope| {
        let guards: Api<DatabaseGuard> = match &scope {
            Some(ns) => Api::namespaced(client.clone(), ns),
            None => Api::all(client.clone()),
        };
        // Deleted guards: their series go (the controller never sees them again).
        let mut cleanup = GuardCleanup::new(ctx.clone());
        let stop_cleanup = stop.clone();
        let deletions = watcher(guards.clone(), watcher::Config::default())
            .default_backoff()
            .take_until(async move { stop_cleanup.cancelled().await })
            .for_each(move |event| {
                match event {
                    Ok(e) => cleanup.observe(&e),
                    Err(e) => warn!(error = %e, "guard watch failed; retrying"),
                }
                async {}
            });
        let stop_controller = stop.clone();
        let guard_controller = Controller::new(guards, watcher::Config::default())
            .with_config(kcontroller::Config::default().concurrency(options.concurrency))
            .graceful_shutdown_on(async move { stop_controller.cancelled().await })
            .run(controller::reconcile, controller::error_policy, ctx.clone())
            .for_each(|result| async move {
                if let Err(e) = result {
                    warn!(error = %e, "guard reconciliation failed");
                }
            });
        let workloads = workloads::WorkloadWatcher::new(
            linter.clone(),
            metrics.clone(),
            Some(ctx.recorder.clone()),
            exempt.clone(),
        );
        let (client, stop) = (client.clone(), stop.clone());
        async move {
            tokio::join!(
                guard_controller,
                deletions,
                workloads.run(client, scope, stop)
            );
        }
    });
    futures::future::join_all(per_scope).await;
}

/// Removes the series of deleted guards, including those deleted while the
/// watch was down (no finalizer needed).
struct GuardCleanup {
    ctx: Arc<Context>,
    known: HashSet<(String, String)>,
    listing: HashSet<(String, String)>,
}

impl GuardCleanup {
    fn new(ctx: Arc<Context>) -> GuardCleanup {
        GuardCleanup {
            ctx,
            known: HashSet::new(),
            listing: HashSet::new(),
        }
    }

    fn forget(&self, ns: &str, name: &str) {
        self.ctx.metrics.remove_target(ns, name);
        self.ctx.forget(ns, name);
    }

    fn key(g: &DatabaseGuard) -> (String, String) {
        (g.namespace().unwrap_or_default(), g.name_any())
    }

    fn observe(&mut self, event: &watcher::Event<DatabaseGuard>) {
        match event {
            watcher::Event::Apply(g) => {
                self.known.insert(Self::key(g));
            }
            watcher::Event::Delete(g) => {
                let (ns, name) = Self::key(g);
                info!(guard = %format!("{ns}/{name}"), "guard deleted: removing its series");
                self.forget(&ns, &name);
                self.known.remove(&(ns, name));
            }
            watcher::Event::Init => self.listing.clear(),
            watcher::Event::InitApply(g) => {
                self.listing.insert(Self::key(g));
            }
            watcher::Event::InitDone => {
                for (ns, name) in self.known.difference(&self.listing) {
                    self.forget(ns, name);
                }
                self.known = std::mem::take(&mut self.listing);
            }
        }
    }
}

/// Runs until SIGTERM or SIGINT, with the in-cluster (or kubeconfig) client.
pub async fn run(options: OperatorOptions) -> Result<(), StartError> {
    let client = Client::try_default().await.map_err(StartError::Client)?;
    let running = start(client, options).await?;
    server::stop_signal().await;
    running.stop().await;
    Ok(())
}
