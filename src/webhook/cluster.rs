//! What the webhook knows about the cluster: the `DatabaseGuard`s (their
//! selectors, enforcement and last verdicts) and the namespaces' enforcement
//! labels, kept current by watches on every replica. Without an API server
//! the release-step policy still works and rollout gating says it is
//! unavailable.

use super::policy::{Mode, NAMESPACE_LABEL};
use crate::crd::DatabaseGuard;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client, ResourceExt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

pub struct ClusterView {
    /// One store per watched namespace (one for the whole cluster).
    guards: Vec<Store<DatabaseGuard>>,
    namespaces: Option<Store<Namespace>>,
    synced: AtomicBool,
    /// Why gating cannot work (no client, or not listed yet).
    unavailable: Mutex<Option<String>>,
}

/// Why rollout gating cannot work right now (no API, caches not synced).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct GatingUnavailable(pub String);

impl ClusterView {
    /// No API server: release steps only.
    pub fn without_api(reason: &str) -> Arc<ClusterView> {
        Arc::new(ClusterView {
            guards: Vec::new(),
            namespaces: None,
            synced: AtomicBool::new(false),
            unavailable: Mutex::new(Some(reason.to_string())),
        })
    }

    /// Watches guards (of these namespaces, or all when none is named) and
    /// namespaces until `stop`.
    pub fn watch(client: Client, watched: &[String], stop: CancellationToken) -> Arc<ClusterView> {
        let apis: Vec<Api<DatabaseGuard>> = if watched.is_empty() {
            vec![Api::all(client.clone())]
        } else {
            watched
                .iter()
                .map(|ns| Api::namespaced(client.clone(), ns))
                .collect()
        };
        let mut stores = Vec::new();
        let mut guard_streams = Vec::new();
        for api in apis {
            let (store, writer) = reflector::store::<DatabaseGuard>();
            stores.push(store);
            guard_streams.push(
                reflector::reflector(writer, watcher(api, watcher::Config::default()))
                    .default_backoff()
                    .boxed(),
            );
        }
        let (namespaces, ns_writer) = reflector::store::<Namespace>();
        let view = Arc::new(ClusterView {
            guards: stores.clone(),
            namespaces: Some(namespaces.clone()),
            synced: AtomicBool::new(false),
            unavailable: Mutex::new(Some("the DatabaseGuards are not listed yet".into())),
        });
        let guard_stream = futures::stream::select_all(guard_streams);
        let ns_stream = reflector::reflector(
            ns_writer,
            watcher(Api::<Namespace>::all(client), watcher::Config::default()),
        )
        .default_backoff();
        let v = view.clone();
        let stop_watch = stop.clone();
        tokio::spawn(async move {
            let g = guard_stream.for_each(on_error("DatabaseGuards", v.clone()));
            let n = ns_stream.for_each(on_error("namespaces", v.clone()));
            tokio::select! {
                _ = futures::future::join(g, n) => {}
                _ = stop_watch.cancelled() => {}
            }
        });
        let v = view.clone();
        tokio::spawn(async move {
            let ready = async {
                for g in &stores {
                    let _ = g.wait_until_ready().await;
                }
                let _ = namespaces.wait_until_ready().await;
            };
            tokio::select! {
                _ = ready => {
                    v.synced.store(true, Ordering::Relaxed);
                    v.set_unavailable(None);
                    tracing::info!("guards and namespaces listed: rollout gating is active");
                }
                _ = stop.cancelled() => {}
            }
        });
        view
    }

    pub(crate) fn set_unavailable(&self, reason: Option<String>) {
        if let Ok(mut u) = self.unavailable.lock() {
            *u = reason;
        }
    }

    /// `Err` with the reason while rollout gating cannot work.
    pub fn gating(&self) -> Result<(), GatingUnavailable> {
        match self.unavailable.lock() {
            Ok(u) => u.clone().map_or(Ok(()), |why| Err(GatingUnavailable(why))),
            Err(_) => Err(GatingUnavailable("internal error".into())),
        }
    }

    /// The namespace's `preflight.dev/enforcement` label.
    pub fn namespace_mode(&self, namespace: &str) -> Option<Mode> {
        let store = self.namespaces.as_ref()?;
        let ns = store.get(&reflector::ObjectRef::new(namespace))?;
        ns.labels()
            .get(NAMESPACE_LABEL)
            .and_then(|v| Mode::parse(v))
    }

    /// The guards of a namespace.
    pub fn guards_in(&self, namespace: &str) -> Vec<Arc<DatabaseGuard>> {
        self.guards
            .iter()
            .flat_map(|s| s.state())
            .filter(|g| g.namespace().as_deref() == Some(namespace))
            .collect()
    }
}

/// Logs watch errors; before the first listing they make gating unavailable.
fn on_error<K>(
    what: &'static str,
    view: Arc<ClusterView>,
) -> impl FnMut(Result<watcher::Event<K>, watcher::Error>) -> futures::future::Ready<()> {
    move |r| {
        if let Err(e) = r {
            tracing::warn!(error = %e, "cannot watch {what}; rollout gating uses what it last saw");
            if !view.synced.load(Ordering::Relaxed) {
                view.set_unavailable(Some(format!("cannot list {what}: {e}")));
            }
        }
        futures::future::ready(())
    }
}
