//! An in-process Kubernetes API server for controller tests: it keeps
//! objects in memory and speaks the protocol kube's client and watchers use —
//! GET of objects and collections (`List` kinds with a `resourceVersion`),
//! `?watch=true` streams of `ADDED`/`MODIFIED`/`DELETED` events resumed from a
//! resourceVersion, POST (409 when the name exists), PUT with optimistic
//! concurrency (409 on a stale `resourceVersion`), JSON merge PATCH, the
//! `status` subresource (only `status` changes; `generation` moves with the
//! spec), DELETE, and `Status` bodies for errors.
#![allow(dead_code)]

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Collection path (`apis/batch/v1/jobs`), namespace, name.
type Key = (String, String, String);

#[derive(Clone, Debug)]
struct Change {
    rv: u64,
    kind: &'static str,
    collection: String,
    namespace: String,
    object: Value,
}

#[derive(Default)]
struct State {
    rv: u64,
    uid: u64,
    objects: BTreeMap<Key, Value>,
    history: Vec<Change>,
    /// Method and path (with the query) of every request, for assertions.
    requests: Vec<(String, String)>,
}

#[derive(Clone)]
pub struct FakeKube {
    state: Arc<Mutex<State>>,
    changes: broadcast::Sender<Change>,
    /// Set to make every request fail with 503 (an unreachable API server).
    down: Arc<std::sync::atomic::AtomicBool>,
}

type Body = BoxBody<Bytes, Infallible>;

fn full(v: &Value) -> Body {
    Full::new(Bytes::from(v.to_string())).boxed()
}

fn respond(code: StatusCode, v: &Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json")
        .body(full(v))
        .unwrap_or_else(|_| Response::new(full(v)))
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response<Body> {
    respond(
        code,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason, "code": code.as_u16()}),
    )
}

/// RFC 7386 JSON merge patch.
pub fn merge(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = json!({});
            }
            if let Value::Object(t) = target {
                for (k, v) in p {
                    if v.is_null() {
                        t.remove(k);
                    } else {
                        merge(t.entry(k.clone()).or_insert(Value::Null), v);
                    }
                }
            }
        }
        other => *target = other.clone(),
    }
}

/// The parts of a resource path.
struct Target {
    collection: String,
    /// `None`: every namespace.
    namespace: Option<String>,
    name: Option<String>,
    subresource: Option<String>,
    api_version: String,
}

fn parse_path(path: &str) -> Option<Target> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (gv, api_version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => (format!("api/{v}"), v.to_string(), rest),
        ["apis", g, v, rest @ ..] => (format!("apis/{g}/{v}"), format!("{g}/{v}"), rest),
        _ => return None,
    };
    let (namespace, rest) = match rest {
        ["namespaces", ns, rest @ ..] if !rest.is_empty() => (Some(ns.to_string()), rest),
        _ => (None, rest),
    };
    let (resource, name, sub) = match rest {
        [r] => (r, None, None),
        [r, n] => (r, Some(n.to_string()), None),
        [r, n, s] => (r, Some(n.to_string()), Some(s.to_string())),
        _ => return None,
    };
    Some(Target {
        collection: format!("{gv}/{resource}"),
        namespace,
        name,
        subresource: sub,
        api_version,
    })
}

fn query(uri: &http::Uri) -> BTreeMap<String, String> {
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn list_kind(collection: &str) -> String {
    match collection.rsplit('/').next().unwrap_or("") {
        "databaseguards" => "DatabaseGuardList",
        "secrets" => "SecretList",
        "configmaps" => "ConfigMapList",
        "jobs" => "JobList",
        "cronjobs" => "CronJobList",
        "deployments" => "DeploymentList",
        "statefulsets" => "StatefulSetList",
        "daemonsets" => "DaemonSetList",
        "events" => "EventList",
        "leases" => "LeaseList",
        "namespaces" => "NamespaceList",
        _ => "List",
    }
    .to_string()
}

impl FakeKube {
    pub fn new() -> FakeKube {
        let (changes, _) = broadcast::channel(4096);
        FakeKube {
            state: Arc::new(Mutex::new(State::default())),
            changes,
            down: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    /// A kube client talking to this server.
    pub fn client(&self) -> kube::Client {
        let fake = self.clone();
        let service = tower::service_fn(move |req: Request<kube::client::Body>| {
            let fake = fake.clone();
            async move { Ok::<_, Infallible>(fake.handle(req).await) }
        });
        kube::Client::new(service, "default")
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, std::sync::atomic::Ordering::SeqCst);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stores an object as a client would create it; returns it as stored.
    pub fn create(&self, collection: &str, namespace: &str, object: Value) -> Value {
        let mut st = self.lock();
        self.insert(&mut st, collection, namespace, object)
            .unwrap_or_else(|e| panic!("create in {collection}: {e}"))
    }

    fn insert(
        &self,
        st: &mut State,
        collection: &str,
        namespace: &str,
        mut object: Value,
    ) -> Result<Value, String> {
        st.rv += 1;
        st.uid += 1;
        let (rv, uid) = (st.rv, st.uid);
        let meta = object
            .as_object_mut()
            .ok_or("not an object")?
            .entry("metadata")
            .or_insert(json!({}));
        let name = match meta.get("name").and_then(Value::as_str) {
            Some(n) => n.to_string(),
            None => format!(
                "{}{uid:05x}",
                meta.get("generateName")
                    .and_then(Value::as_str)
                    .ok_or("no name")?
            ),
        };
        let key = (collection.to_string(), namespace.to_string(), name.clone());
        if st.objects.contains_key(&key) {
            return Err(format!("{name} already exists"));
        }
        merge(
            meta,
            &json!({"name": name, "uid": format!("uid-{uid}"), "resourceVersion": rv.to_string(),
                    "creationTimestamp": "2026-11-26T12:00:00Z", "generation": 1}),
        );
        if !namespace.is_empty() {
            merge(meta, &json!({"namespace": namespace}));
        }
        st.objects.insert(key, object.clone());
        self.record(st, "ADDED", collection, namespace, &object);
        Ok(object)
    }

    fn record(
        &self,
        st: &mut State,
        kind: &'static str,
        collection: &str,
        namespace: &str,
        object: &Value,
    ) {
        let change = Change {
            rv: st.rv,
            kind,
            collection: collection.to_string(),
            namespace: namespace.to_string(),
            object: object.clone(),
        };
        st.history.push(change.clone());
        let _ = self.changes.send(change);
    }

    /// Replaces (when `status_only`, the status of) a stored object, with a
    /// new resourceVersion; the generation moves when the spec changes.
    fn store(&self, st: &mut State, key: &Key, mut new: Value, status_only: bool) -> Value {
        let old = st.objects.get(key).cloned().unwrap_or(Value::Null);
        if status_only {
            let mut merged = old.clone();
            merged["status"] = new.get("status").cloned().unwrap_or(Value::Null);
            new = merged;
        } else if old.get("status").is_some() {
            new["status"] = old["status"].clone();
        }
        st.rv += 1;
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(1)
            + i64::from(!status_only && old.get("spec") != new.get("spec"));
        let mut meta = old["metadata"].clone();
        if !status_only {
            meta = new["metadata"].clone();
            for k in ["uid", "creationTimestamp", "name", "namespace"] {
                meta[k] = old["metadata"][k].clone();
            }
        }
        meta["resourceVersion"] = json!(st.rv.to_string());
        meta["generation"] = json!(generation);
        new["metadata"] = meta;
        st.objects.insert(key.clone(), new.clone());
        self.record(st, "MODIFIED", &key.0, &key.1, &new);
        new
    }

    /// Changes a stored object with a merge patch, as a client would.
    pub fn patch(&self, collection: &str, namespace: &str, name: &str, patch: &Value) -> Value {
        let mut st = self.lock();
        let key = (
            collection.to_string(),
            namespace.to_string(),
            name.to_string(),
        );
        let mut obj = st
            .objects
            .get(&key)
            .cloned()
            .unwrap_or_else(|| panic!("no {name}"));
        merge(&mut obj, patch);
        let status_only = patch.get("status").is_some() && patch.get("spec").is_none();
        self.store(&mut st, &key, obj, status_only)
    }

    pub fn delete(&self, collection: &str, namespace: &str, name: &str) {
        let mut st = self.lock();
        let key = (
            collection.to_string(),
            namespace.to_string(),
            name.to_string(),
        );
        if let Some(mut obj) = st.objects.remove(&key) {
            st.rv += 1;
            obj["metadata"]["resourceVersion"] = json!(st.rv.to_string());
            self.record(&mut st, "DELETED", collection, namespace, &obj);
        }
    }

    pub fn get(&self, collection: &str, namespace: &str, name: &str) -> Option<Value> {
        self.lock()
            .objects
            .get(&(
                collection.to_string(),
                namespace.to_string(),
                name.to_string(),
            ))
            .cloned()
    }

    pub fn list(&self, collection: &str) -> Vec<Value> {
        self.lock()
            .objects
            .iter()
            .filter(|(k, _)| k.0 == collection)
            .map(|(_, v)| v.clone())
            .collect()
    }

    pub fn requests(&self) -> Vec<(String, String)> {
        self.lock().requests.clone()
    }

    async fn handle(&self, req: Request<kube::client::Body>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let path = parts.uri.path().to_string();
        let logged = parts
            .uri
            .path_and_query()
            .map_or(path.clone(), |p| p.to_string());
        self.lock()
            .requests
            .push((parts.method.to_string(), logged));
        if self.down.load(std::sync::atomic::Ordering::SeqCst) {
            return status(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceUnavailable",
                "the server is down",
            );
        }
        let Some(t) = parse_path(&path) else {
            return status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("no route {path}"),
            );
        };
        let q = query(&parts.uri);
        let bytes = match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string()),
        };
        let input: Value = if bytes.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(&bytes) {
                Ok(v) => v,
                Err(e) => {
                    return status(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        &format!("invalid JSON: {e}"),
                    );
                }
            }
        };
        let ns = t.namespace.clone().unwrap_or_default();
        match (&parts.method, &t.name) {
            (&Method::GET, None) if q.get("watch").is_some_and(|w| w == "true" || w == "1") => {
                self.watch(&t, &q)
            }
            (&Method::GET, None) => self.list_response(&t),
            (&Method::GET, Some(name)) => match self.get(&t.collection, &ns, name) {
                Some(o) => respond(StatusCode::OK, &o),
                None => status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    &format!("{name} not found"),
                ),
            },
            (&Method::POST, None) => {
                let mut st = self.lock();
                match self.insert(&mut st, &t.collection, &ns, input) {
                    Ok(o) => respond(StatusCode::CREATED, &o),
                    Err(e) => status(StatusCode::CONFLICT, "AlreadyExists", &e),
                }
            }
            (&Method::PUT, Some(name)) => {
                let mut st = self.lock();
                let key = (t.collection.clone(), ns.clone(), name.clone());
                let Some(old) = st.objects.get(&key) else {
                    return status(
                        StatusCode::NOT_FOUND,
                        "NotFound",
                        &format!("{name} not found"),
                    );
                };
                let sent = input["metadata"]["resourceVersion"].as_str();
                if sent.is_some_and(|rv| Some(rv) != old["metadata"]["resourceVersion"].as_str()) {
                    return status(
                        StatusCode::CONFLICT,
                        "Conflict",
                        "the object has been modified; please apply your changes to the latest version and try again",
                    );
                }
                let o = self.store(
                    &mut st,
                    &key,
                    input,
                    t.subresource.as_deref() == Some("status"),
                );
                respond(StatusCode::OK, &o)
            }
            (&Method::PATCH, Some(name)) => {
                let mut st = self.lock();
                let key = (t.collection.clone(), ns.clone(), name.clone());
                let Some(mut obj) = st.objects.get(&key).cloned() else {
                    return status(
                        StatusCode::NOT_FOUND,
                        "NotFound",
                        &format!("{name} not found"),
                    );
                };
                merge(&mut obj, &input);
                let o = self.store(
                    &mut st,
                    &key,
                    obj,
                    t.subresource.as_deref() == Some("status"),
                );
                respond(StatusCode::OK, &o)
            }
            (&Method::DELETE, Some(name)) => match self.get(&t.collection, &ns, name) {
                Some(o) => {
                    self.delete(&t.collection, &ns, name);
                    respond(StatusCode::OK, &o)
                }
                None => status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    &format!("{name} not found"),
                ),
            },
            _ => status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "not supported by the fake",
            ),
        }
    }

    fn list_response(&self, t: &Target) -> Response<Body> {
        let st = self.lock();
        let items: Vec<Value> = st
            .objects
            .iter()
            .filter(|(k, _)| {
                k.0 == t.collection && t.namespace.as_ref().is_none_or(|ns| *ns == k.1)
            })
            .map(|(_, v)| {
                // Like the real server, items of a list carry no kind.
                let mut v = v.clone();
                if let Some(m) = v.as_object_mut() {
                    m.remove("kind");
                    m.remove("apiVersion");
                }
                v
            })
            .collect();
        respond(
            StatusCode::OK,
            &json!({"kind": list_kind(&t.collection), "apiVersion": t.api_version,
                    "metadata": {"resourceVersion": st.rv.to_string()}, "items": items}),
        )
    }

    fn watch(&self, t: &Target, q: &BTreeMap<String, String>) -> Response<Body> {
        let from: u64 = q
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let (collection, namespace) = (t.collection.clone(), t.namespace.clone());
        let wanted = move |c: &Change| {
            c.collection == collection && namespace.as_ref().is_none_or(|ns| *ns == c.namespace)
        };
        // History and subscription under one lock: no change is missed or doubled.
        let (backlog, mut rx) = {
            let st = self.lock();
            let backlog: Vec<Change> = st
                .history
                .iter()
                .filter(|c| c.rv > from && wanted(c))
                .cloned()
                .collect();
            (backlog, self.changes.subscribe())
        };
        let last = backlog.last().map_or(from, |c| c.rv);
        let stream = async_stream(backlog, move |tx| async move {
            loop {
                match rx.recv().await {
                    Ok(c) if c.rv > last && wanted(&c) => {
                        if tx.send(c).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => return,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        Response::builder()
            .status(StatusCode::OK)
            .header("content-type", "application/json")
            .body(BodyExt::boxed(StreamBody::new(stream)))
            .unwrap_or_else(|_| Response::new(full(&Value::Null)))
    }
}

/// Watch lines: the backlog, then whatever `live` forwards, until the
/// client goes away.
fn async_stream<F, Fut>(
    backlog: Vec<Change>,
    live: F,
) -> impl futures::Stream<Item = Result<http_body::Frame<Bytes>, Infallible>> + Send + 'static
where
    F: FnOnce(tokio::sync::mpsc::Sender<Change>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Change>(1024);
    tokio::spawn(live(tx));
    let line = |c: Change| {
        let mut line = json!({"type": c.kind, "object": c.object}).to_string();
        line.push('\n');
        Ok(http_body::Frame::data(Bytes::from(line)))
    };
    futures::stream::iter(backlog.into_iter().map(line)).chain(tokio_stream_from(rx).map(line))
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Change>,
) -> impl futures::Stream<Item = Change> + Send + 'static {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

use futures::StreamExt;
