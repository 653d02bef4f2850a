//! `preflight operator` against an in-process API server (`fake_kube`) that
//! speaks the list/watch/patch protocol, with guards on real PostgreSQL
//! databases built by the real Alembic: status conditions, Events, metrics,
//! requeue after errors, cleanup of deleted guards, the workload linter and
//! leader election.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;
mod fake_kube;

use common::{Kind, TempDb, eventually, scrape, value};
use fake_kube::FakeKube;
use k8s_openapi::ByteString;
use preflight::operator::{self, OperatorOptions, leader};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;

const GUARDS: &str = "apis/preflight.dev/v1alpha1/databaseguards";
const SECRETS: &str = "api/v1/secrets";
const CONFIGMAPS: &str = "api/v1/configmaps";
const EVENTS: &str = "apis/events.k8s.io/v1/events";
const JOBS: &str = "apis/batch/v1/jobs";
const CRONJOBS: &str = "apis/batch/v1/cronjobs";
const DEPLOYMENTS: &str = "apis/apps/v1/deployments";
const LEASES: &str = "apis/coordination.k8s.io/v1/leases";

fn fast_election() -> leader::Timings {
    leader::Timings {
        lease_duration: Duration::from_millis(1500),
        renew_deadline: Duration::from_millis(1000),
        retry_period: Duration::from_millis(150),
    }
}

async fn start(fake: &FakeKube, identity: &str) -> operator::Running {
    let mut o = OperatorOptions::new("preflight-system", identity);
    o.listen = "127.0.0.1:0".parse().expect("addr");
    o.election = fast_election();
    o.shutdown_timeout = Duration::from_secs(5);
    operator::start(fake.client(), o)
        .await
        .expect("operator starts")
}

fn secret(name: &str, url: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name},
           "type": "Opaque", "data": {"url": ByteString(url.as_bytes().to_vec())}})
}

/// The incident's 18 Alembic revision files, as a ConfigMap.
fn migrations_configmap() -> Value {
    let dir = common::repo().join("examples/incident/backend/alembic/versions");
    let mut data = serde_json::Map::new();
    for entry in std::fs::read_dir(&dir).expect("versions") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "py") {
            let name = path.file_name().and_then(|n| n.to_str()).expect("name");
            data.insert(
                name.into(),
                std::fs::read_to_string(&path).expect("read").into(),
            );
        }
    }
    assert_eq!(data.len(), 18);
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "bizpilot-migrations"}, "data": data})
}

fn guard(name: &str, secret: &str) -> Value {
    json!({"apiVersion": "preflight.dev/v1alpha1", "kind": "DatabaseGuard",
           "metadata": {"name": name},
           "spec": {"database": {"secretRef": {"name": secret, "key": "url"}},
                    "expected": {"configMapRef": {"name": "bizpilot-migrations"}},
                    "interval": "1h", "timeout": "30s"}})
}

/// (status, reason, message) of a condition.
fn condition(obj: &Value, type_: &str) -> Option<(String, String, String)> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
        .map(|c| {
            (
                c["status"].as_str().unwrap_or("").to_string(),
                c["reason"].as_str().unwrap_or("").to_string(),
                c["message"].as_str().unwrap_or("").to_string(),
            )
        })
}

/// The guard once its status answers `type_`.
async fn checked(fake: &FakeKube, ns: &str, name: &str) -> Value {
    eventually(&format!("a status on guard {name}"), 60, async || {
        fake.get(GUARDS, ns, name)
            .filter(|g| condition(g, "Ready").is_some())
    })
    .await
}

fn events_about(fake: &FakeKube, name: &str) -> Vec<Value> {
    fake.list(EVENTS)
        .into_iter()
        .filter(|e| e["regarding"]["name"] == name)
        .collect()
}

async fn metric(addr: SocketAddr, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    value(&scrape(addr).await, name, labels)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guards_report_the_healthy_and_the_incident_database() {
    let Some(python) = common::python() else {
        return;
    };
    let healthy = TempDb::new(Kind::Postgres).await;
    common::alembic(&python, &healthy, &["upgrade", "head"]);
    let incident = TempDb::new(Kind::Postgres).await;
    common::alembic(
        &python,
        &incident,
        &["upgrade", "016_add_time_entry_and_pos"],
    );
    common::alembic(&python, &incident, &["stamp", "head"]);

    let fake = FakeKube::new();
    fake.create(CONFIGMAPS, "shop", migrations_configmap());
    fake.create(SECRETS, "shop", secret("healthy-db", &healthy.url));
    fake.create(SECRETS, "shop", secret("incident-db", &incident.url));
    fake.create(GUARDS, "shop", guard("healthy", "healthy-db"));
    fake.create(GUARDS, "shop", guard("bizpilot", "incident-db"));
    let op = start(&fake, "preflight-0").await;

    // The healthy database.
    let g = checked(&fake, "shop", "healthy").await;
    assert_eq!(condition(&g, "Ready").expect("Ready").0, "True");
    let (s, reason, message) = condition(&g, "SchemaInSync").expect("SchemaInSync");
    assert_eq!(
        (s.as_str(), reason.as_str()),
        ("True", "InSync"),
        "{message}"
    );
    assert_eq!(condition(&g, "LedgerConsistent").expect("LC").0, "True");
    assert_eq!(g["status"]["verdict"], "in_sync");
    assert_eq!(g["status"]["ledger"]["version"], "018_add_notifications");
    assert_eq!(g["status"]["observedGeneration"], 1);
    assert_eq!(g["status"]["drift"]["significant"], 0);

    // The incident: the ledger is ahead, the message names what is missing.
    let g = checked(&fake, "shop", "bizpilot").await;
    let (s, reason, message) = condition(&g, "LedgerConsistent").expect("LedgerConsistent");
    assert_eq!((s.as_str(), reason.as_str()), ("False", "LedgerAhead"));
    for table in ["sessions", "notifications"] {
        assert!(message.contains(table), "{table} not in: {message}");
    }
    assert!(
        message.contains("017_add_sessions") && message.contains("018_add_notifications"),
        "{message}"
    );
    assert_eq!(condition(&g, "SchemaInSync").expect("SIS").0, "False");
    assert_eq!(
        condition(&g, "Ready").expect("Ready").0,
        "True",
        "the check itself ran"
    );
    assert_eq!(g["status"]["matchedRevision"], "016_add_time_entry_and_pos");
    // The repair plan, not proven: the operator runs no migration tool.
    let repair = &g["status"]["repair"];
    assert_eq!(
        repair["steps"],
        json!([
            "alembic stamp 016_add_time_entry_and_pos",
            "alembic upgrade head"
        ]),
        "{repair}"
    );
    assert_eq!(repair["proven"], false);
    assert!(
        repair["proof"]
            .as_str()
            .is_some_and(|p| p.contains("preflight repair")),
        "{repair}"
    );
    let missing: Vec<&str> = g["status"]["missing"]
        .as_array()
        .expect("missing")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        missing.contains(&"table sessions") && missing.contains(&"table notifications"),
        "{missing:?}"
    );

    // An Event on the verdict change, naming the missing tables.
    let ev = eventually("the LedgerAhead event", 10, async || {
        events_about(&fake, "bizpilot")
            .into_iter()
            .find(|e| e["reason"] == "LedgerAhead")
    })
    .await;
    assert_eq!(ev["type"], "Warning");
    assert_eq!(ev["regarding"]["kind"], "DatabaseGuard");
    assert_eq!(ev["reportingController"], operator::CONTROLLER_NAME);
    let note = ev["note"].as_str().expect("note");
    assert!(
        note.contains("notifications") && note.contains("sessions"),
        "{note}"
    );
    assert!(
        note.contains("repair, step 1: alembic stamp 016_add_time_entry_and_pos"),
        "{note}"
    );

    // Metrics, with bounded labels.
    let m = scrape(op.addr).await;
    assert_eq!(
        value(
            &m,
            "preflight_schema_in_sync",
            &[("namespace", "shop"), ("name", "healthy")]
        ),
        Some(1.0)
    );
    assert_eq!(
        value(&m, "preflight_ledger_consistent", &[("name", "bizpilot")]),
        Some(0.0)
    );
    assert_eq!(
        value(&m, "preflight_repair_plan_proven", &[("name", "bizpilot")]),
        Some(0.0),
        "a plan exists, not proven"
    );
    assert_eq!(
        value(&m, "preflight_repair_plan_proven", &[("name", "healthy")]),
        None,
        "nothing to repair, no series"
    );
    assert_eq!(
        value(
            &m,
            "preflight_schema_drift_objects",
            &[
                ("name", "bizpilot"),
                ("change", "missing"),
                ("object", "table")
            ]
        ),
        Some(2.0)
    );
    assert_eq!(value(&m, "preflight_leader", &[]), Some(1.0));

    // Our own status updates do not trigger new checks (interval 1h).
    let checks = |m: &str| {
        value(
            m,
            "preflight_checks_total",
            &[("name", "healthy"), ("result", "in_sync")],
        )
    };
    assert_eq!(checks(&m), Some(1.0));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        checks(&scrape(op.addr).await),
        Some(1.0),
        "re-checked without cause"
    );

    // A spec change is checked at once; observedGeneration follows.
    fake.patch(
        GUARDS,
        "shop",
        "healthy",
        &json!({"spec": {"interval": "30m"}}),
    );
    eventually("observedGeneration 2", 30, async || {
        fake.get(GUARDS, "shop", "healthy")
            .filter(|g| g["status"]["observedGeneration"] == 2)
    })
    .await;

    // Repairing the database turns the incident guard green on the next check
    // (a spec change triggers it here; the interval would too).
    common::alembic(&python, &incident, &["stamp", "016_add_time_entry_and_pos"]);
    common::alembic(&python, &incident, &["upgrade", "head"]);
    fake.patch(
        GUARDS,
        "shop",
        "bizpilot",
        &json!({"spec": {"interval": "30m"}}),
    );
    let repaired = eventually("the repaired database in sync", 30, async || {
        fake.get(GUARDS, "shop", "bizpilot").filter(|g| {
            condition(g, "SchemaInSync").is_some_and(|c| c.0 == "True")
                && g["status"]["observedGeneration"] == 2
        })
    })
    .await;
    // Nothing of the incident survives in the status (the webhook gates on `missing`).
    for gone in ["missing", "recordedNotApplied"] {
        assert!(
            repaired["status"].get(gone).is_none(),
            "{gone} still in {:#}",
            repaired["status"]
        );
    }
    assert_eq!(
        repaired["status"]["matchedRevision"],
        "018_add_notifications"
    );
    eventually("the InSync event", 10, async || {
        events_about(&fake, "bizpilot")
            .into_iter()
            .find(|e| e["reason"] == "InSync" && e["type"] == "Normal")
    })
    .await;

    // A deleted guard takes its series with it.
    fake.delete(GUARDS, "shop", "bizpilot");
    eventually("the deleted guard's series gone", 10, async || {
        let m = scrape(op.addr).await;
        (value(&m, "preflight_ledger_consistent", &[("name", "bizpilot")]).is_none()
            && value(&m, "preflight_schema_in_sync", &[("name", "healthy")]).is_some())
        .then_some(())
    })
    .await;
    op.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_not_ready_and_is_retried() {
    let fake = FakeKube::new();
    fake.create(CONFIGMAPS, "shop", migrations_configmap());
    // Nothing listens on port 1.
    fake.create(
        SECRETS,
        "shop",
        secret("dead-db", "postgres://postgres:s3cr3t-pw@127.0.0.1:1/shop"),
    );
    fake.create(GUARDS, "shop", guard("dead", "dead-db"));
    fake.create(GUARDS, "shop", guard("no-secret", "does-not-exist"));
    let mut bad_url = guard("bad-url", "dead-db");
    bad_url["spec"]["database"]["secretRef"]["key"] = json!("password");
    fake.create(GUARDS, "shop", bad_url);
    // A server that accepts and never answers: the check times out.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let silent_port = silent.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in silent.incoming().flatten() {
            held.push(s);
        }
    });
    fake.create(
        SECRETS,
        "shop",
        secret(
            "silent-db",
            &format!("postgres://postgres@127.0.0.1:{silent_port}/shop"),
        ),
    );
    let mut slow = guard("slow", "silent-db");
    slow["spec"]["timeout"] = json!("1s");
    fake.create(GUARDS, "shop", slow);
    let op = start(&fake, "preflight-0").await;

    let g = checked(&fake, "shop", "dead").await;
    let (s, reason, message) = condition(&g, "Ready").expect("Ready");
    assert_eq!((s.as_str(), reason.as_str()), ("False", "CheckFailed"));
    assert!(
        message.contains("127.0.0.1:1"),
        "the message names the server: {message}"
    );
    assert!(
        !message.contains("s3cr3t-pw"),
        "no password in the status: {message}"
    );
    assert_eq!(condition(&g, "SchemaInSync").expect("SIS").0, "False");
    assert_eq!(g["status"]["verdict"], "error");

    let g = checked(&fake, "shop", "no-secret").await;
    let (s, reason, message) = condition(&g, "Ready").expect("Ready");
    assert_eq!((s.as_str(), reason.as_str()), ("False", "SecretNotFound"));
    assert!(message.contains("does-not-exist"), "{message}");
    assert_eq!(condition(&g, "SchemaInSync").expect("SIS").0, "False");

    let g = checked(&fake, "shop", "bad-url").await;
    let (_, reason, message) = condition(&g, "Ready").expect("Ready");
    assert_eq!(reason, "KeyNotFound", "{message}");
    assert!(
        message.contains("password") && message.contains("dead-db"),
        "{message}"
    );

    let ev = eventually("a warning event", 10, async || {
        events_about(&fake, "no-secret")
            .into_iter()
            .find(|e| e["reason"] == "SecretNotFound")
    })
    .await;
    assert_eq!(ev["type"], "Warning");

    // A check that times out says so, with its own reason.
    let g = checked(&fake, "shop", "slow").await;
    let (_, reason, message) = condition(&g, "Ready").expect("Ready");
    assert_eq!(reason, "CheckTimeout", "{message}");
    assert!(message.contains("within 1s"), "{message}");

    // Retried after a short backoff (5 s), not after the 1 h interval; the
    // error counter carries the bounded reason.
    let errors = [
        ("name", "dead"),
        ("result", "error"),
        ("reason", "CheckFailed"),
    ];
    eventually("a retry of the dead database", 20, async || {
        (metric(op.addr, "preflight_checks_total", &errors).await >= Some(2.0)).then_some(())
    })
    .await;
    let m = scrape(op.addr).await;
    for (name, reason) in [
        ("no-secret", "SecretNotFound"),
        ("slow", "CheckTimeout"),
        ("bad-url", "KeyNotFound"),
    ] {
        assert!(
            value(
                &m,
                "preflight_checks_total",
                &[("name", name), ("result", "error"), ("reason", reason)]
            ) >= Some(1.0),
            "{name}: {reason}"
        );
    }
    // An error proves nothing: the health series read 0, never a stale 1.
    assert_eq!(
        value(&m, "preflight_schema_in_sync", &[("name", "dead")]),
        Some(0.0)
    );
    // One Event per verdict change, not one per retry.
    assert_eq!(
        events_about(&fake, "dead")
            .iter()
            .filter(|e| e["reason"] == "CheckFailed")
            .count(),
        1,
        "{:?}",
        events_about(&fake, "dead")
    );
    op.stop().await;
}

fn job(name: &str, command: &str) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": name, "annotations": {"helm.sh/hook": "pre-upgrade"}},
           "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "migrate", "image": "registry.example.com/bizpilot:1.4.2",
                "command": ["sh", "-c", command]}]}}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_stamps_gets_an_event_and_a_metric() {
    let fake = FakeKube::new();
    fake.create(
        JOBS,
        "shop",
        job(
            "migrate",
            "cd backend && python -m alembic -c alembic.ini stamp head",
        ),
    );
    fake.create(
        JOBS,
        "shop",
        job("migrate-ok", "python -m alembic upgrade head"),
    );
    fake.create(JOBS, "kube-system", job("exempt", "alembic stamp head"));
    fake.create(DEPLOYMENTS, "shop", json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
            "initContainers": [{"name": "migrate", "image": "web:1", "command": ["npx", "prisma", "migrate", "reset", "--force"]}],
            "containers": [{"name": "web", "image": "web:1"}]}}}}));
    let op = start(&fake, "preflight-0").await;

    let stamp = [
        ("namespace", "shop"),
        ("name", "Job/migrate"),
        ("rule", "alembic/stamp"),
        ("severity", "error"),
    ];
    eventually("the stamp finding metric", 20, async || {
        (metric(op.addr, "preflight_release_step_findings", &stamp).await == Some(1.0))
            .then_some(())
    })
    .await;
    let ev = eventually("the finding event", 10, async || {
        events_about(&fake, "migrate")
            .into_iter()
            .find(|e| e["reason"] == "DangerousReleaseStep")
    })
    .await;
    assert_eq!(ev["type"], "Warning");
    assert_eq!(ev["regarding"]["kind"], "Job");
    let note = ev["note"].as_str().expect("note");
    assert!(
        note.contains("alembic/stamp") && note.contains("stamp head"),
        "{note}"
    );
    assert!(
        note.contains("container `migrate`") || note.contains("migrate"),
        "{note}"
    );

    let reset = [("name", "Deployment/web"), ("rule", "prisma/reset")];
    eventually("the init-container finding", 10, async || {
        (metric(op.addr, "preflight_release_step_findings", &reset).await == Some(1.0))
            .then_some(())
    })
    .await;
    let m = scrape(op.addr).await;
    assert_eq!(
        value(
            &m,
            "preflight_release_step_findings",
            &[("name", "Job/migrate-ok")]
        ),
        None
    );
    assert_eq!(
        value(
            &m,
            "preflight_release_step_findings",
            &[("namespace", "kube-system")]
        ),
        None
    );
    assert!(
        events_about(&fake, "migrate-ok").is_empty() && events_about(&fake, "exempt").is_empty()
    );

    // A status update is not a new finding: no second event.
    fake.patch(JOBS, "shop", "migrate", &json!({"status": {"active": 1}}));
    // A Job a CronJob owns is the CronJob's business.
    let mut owned = job("nightly-29123", "alembic stamp head");
    owned["metadata"]["ownerReferences"] = json!([{"apiVersion": "batch/v1", "kind": "CronJob", "name": "nightly", "uid": "u1", "controller": true}]);
    fake.create(JOBS, "shop", owned);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let stamp_events = events_about(&fake, "migrate")
        .into_iter()
        .filter(|e| e["reason"] == "DangerousReleaseStep")
        .count();
    assert_eq!(stamp_events, 1);
    assert!(events_about(&fake, "nightly-29123").is_empty());

    // The fix clears the series; deleting the workload removes it.
    fake.patch(JOBS, "shop", "migrate", &json!({"spec": {"template": {"spec": {"containers": [
        {"name": "migrate", "image": "registry.example.com/bizpilot:1.4.2", "command": ["sh", "-c", "alembic upgrade head"]}]}}}}));
    eventually("the fixed job's finding gone", 10, async || {
        metric(op.addr, "preflight_release_step_findings", &stamp)
            .await
            .is_none()
            .then_some(())
    })
    .await;
    fake.delete(DEPLOYMENTS, "shop", "web");
    eventually("the deleted deployment's series gone", 10, async || {
        metric(op.addr, "preflight_release_step_findings", &reset)
            .await
            .is_none()
            .then_some(())
    })
    .await;
    let _ = CRONJOBS;
    op.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_replica_leads_and_hands_over_when_it_stops() {
    let fake = FakeKube::new();
    let a = start(&fake, "preflight-a").await;
    let b = start(&fake, "preflight-b").await;
    let leaders = async |a: SocketAddr, b: SocketAddr| {
        (
            metric(a, "preflight_leader", &[]).await == Some(1.0),
            metric(b, "preflight_leader", &[]).await == Some(1.0),
        )
    };
    let (la, lb) = eventually("a leader", 10, async || {
        let l = leaders(a.addr, b.addr).await;
        (l.0 || l.1).then_some(l)
    })
    .await;
    assert!(la != lb, "exactly one leader");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        leaders(a.addr, b.addr).await,
        (la, lb),
        "leadership is stable"
    );
    let lease = fake
        .get(LEASES, "preflight-system", "preflight-operator")
        .expect("lease");
    let (leader, follower, follower_id) = if la {
        (a, b, "preflight-b")
    } else {
        (b, a, "preflight-a")
    };
    assert_ne!(lease["spec"]["holderIdentity"], follower_id);

    // The leader stops and releases the lease: the other takes over at once,
    // well before the lease would have expired.
    let stopped = tokio::time::Instant::now();
    leader.stop().await;
    eventually("the follower leading", 10, async || {
        (metric(follower.addr, "preflight_leader", &[]).await == Some(1.0)).then_some(())
    })
    .await;
    assert!(stopped.elapsed() < Duration::from_secs(5));
    let lease = fake
        .get(LEASES, "preflight-system", "preflight-operator")
        .expect("lease");
    assert_eq!(lease["spec"]["holderIdentity"], follower_id);
    assert_eq!(lease["spec"]["leaseTransitions"], 1);
    follower.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_leader_is_replaced_after_the_lease_expires() {
    let fake = FakeKube::new();
    let timings = fast_election();
    let a = leader::LeaseLock::new(fake.client(), "ops", "lock", "a", timings);
    let b = leader::LeaseLock::new(fake.client(), "ops", "lock", "b", timings);
    assert!(a.try_acquire_or_renew().await.expect("a"));
    assert!(!b.try_acquire_or_renew().await.expect("b"), "held by a");
    assert!(a.try_acquire_or_renew().await.expect("a renews"));
    // a crashes (stops renewing); b sees the record unchanged for a lease duration.
    assert!(!b.try_acquire_or_renew().await.expect("b"));
    tokio::time::sleep(timings.lease_duration + Duration::from_millis(100)).await;
    assert!(b.try_acquire_or_renew().await.expect("b takes over"));
    // a comes back: it is not the holder any more.
    assert!(!a.try_acquire_or_renew().await.expect("a"));
    let lease = fake.get(LEASES, "ops", "lock").expect("lease");
    assert_eq!(lease["spec"]["holderIdentity"], "b");

    // Two candidates racing on a stale resourceVersion: the API server's
    // optimistic concurrency lets only one win.
    let c = leader::LeaseLock::new(fake.client(), "ops", "race", "c", timings);
    let d = leader::LeaseLock::new(fake.client(), "ops", "race", "d", timings);
    let (rc, rd) = tokio::join!(c.try_acquire_or_renew(), d.try_acquire_or_renew());
    assert!(
        rc.expect("c") ^ rd.expect("d"),
        "exactly one wins the lease"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crd_is_generated_with_validation_status_and_columns() {
    let yaml = preflight::crd::crd_yaml().expect("crd");
    let crd: Value = serde_json::to_value(serde_saphyr_roundtrip(&yaml)).expect("json");
    let v = &crd["spec"]["versions"][0];
    assert_eq!(crd["spec"]["names"]["shortNames"][0], "dbguard");
    assert_eq!(crd["spec"]["scope"], "Namespaced");
    assert!(
        v["subresources"]["status"].is_object(),
        "status subresource"
    );
    let columns: Vec<&str> = v["additionalPrinterColumns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        columns,
        [
            "Verdict",
            "Ledger",
            "Matches",
            "Drift",
            "Enforcement",
            "Checked"
        ]
    );
    let spec = &v["schema"]["openAPIV3Schema"]["properties"]["spec"];
    assert_eq!(
        spec["properties"]["interval"]["pattern"],
        "^[0-9]+(ms|s|m|h)$"
    );
    assert_eq!(
        spec["properties"]["enforcement"]["enum"],
        json!(["Enforce", "Warn", "Audit"])
    );
    assert!(
        spec["properties"]["expected"]["x-kubernetes-validations"][0]["rule"]
            .as_str()
            .expect("rule")
            .contains("has(self.configMapRef)")
    );
    assert_eq!(spec["required"], json!(["database", "expected"]));
}

/// Reads YAML back through preflight's YAML module.
fn serde_saphyr_roundtrip(yaml: &str) -> Value {
    preflight::yaml::from_str::<Value>(yaml).expect("the CRD is valid YAML")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_cut_off_from_the_api_server_steps_down() {
    let fake = FakeKube::new();
    let timings = fast_election();
    let lock = leader::LeaseLock::new(fake.client(), "ops", "lock", "a", timings);
    let stop = tokio_util::sync::CancellationToken::new();
    let (mut leading, task) = leader::spawn(lock, stop.clone());
    tokio::time::timeout(Duration::from_secs(5), leading.wait_for(|l| *l))
        .await
        .expect("leads")
        .expect("channel");
    fake.set_down(true);
    let cut = tokio::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(5), leading.wait_for(|l| !*l))
        .await
        .expect("steps down")
        .expect("channel");
    // Before the lease could expire for the others.
    let waited = cut.elapsed();
    assert!(
        waited >= timings.renew_deadline - timings.retry_period * 2
            && waited < timings.lease_duration,
        "stepped down after {waited:?}"
    );
    fake.set_down(false);
    stop.cancel();
    task.await.expect("task");
}
