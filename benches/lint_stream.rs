//! Lint throughput on a large Kubernetes manifest stream.
//!
//! `cargo bench --bench lint_stream` generates a stream of N objects shaped
//! like rendered Helm charts (per app: a Deployment with a migrating init
//! container, a pre-upgrade hook Job, a CronJob, a Service, a ConfigMap, a
//! Secret, a ServiceAccount, an HPA, an Ingress and a PodDisruptionBudget),
//! lints it from a file on one thread, and prints objects per second and the
//! peak resident memory. A second run with only Deployments gives the
//! worst case, where every object must be parsed.
//!
//! Target (issue #2): at least 50,000 objects per second on one core, with
//! memory proportional to one document, not to the stream.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

use preflight::config::Config;
use preflight::lint::Linter;
use std::time::Instant;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: APP-web
  namespace: shop
  labels:
    app.kubernetes.io/name: APP
    app.kubernetes.io/instance: shop
    app.kubernetes.io/version: "1.4.2"
  annotations:
    deployment.kubernetes.io/revision: "12"
spec:
  replicas: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: APP
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: APP
    spec:
      serviceAccountName: APP
      securityContext: {runAsNonRoot: true, runAsUser: 10001}
      initContainers:
        - name: migrate
          image: registry.example.com/shop/APP:1.4.2
          command: ["sh", "-c"]
          args: ["python -m alembic -c alembic.ini upgrade head"]
          envFrom:
            - secretRef: {name: APP-db}
      containers:
        - name: web
          image: registry.example.com/shop/APP:1.4.2
          command: ["gunicorn"]
          args: ["app:create_app()", "--bind", "0.0.0.0:8000", "--workers", "4"]
          ports:
            - {name: http, containerPort: 8000, protocol: TCP}
          env:
            - {name: LOG_LEVEL, value: info}
            - name: DATABASE_URL
              valueFrom:
                secretKeyRef: {name: APP-db, key: url}
          resources:
            requests: {cpu: 100m, memory: 256Mi}
            limits: {memory: 512Mi}
          readinessProbe:
            httpGet: {path: /healthz, port: http}
            periodSeconds: 5
"#;

const HOOK_JOB: &str = r#"apiVersion: batch/v1
kind: Job
metadata:
  name: APP-migrate
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-5"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: 1
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: registry.example.com/shop/APP:1.4.2
          command: ["python", "-m", "alembic", "-c", "alembic.ini", "upgrade", "head"]
          envFrom:
            - secretRef: {name: APP-db}
"#;

const CRONJOB: &str = r#"apiVersion: batch/v1
kind: CronJob
metadata:
  name: APP-cleanup
spec:
  schedule: "17 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
            - name: cleanup
              image: registry.example.com/shop/APP:1.4.2
              args: ["python", "-m", "app.tasks.cleanup", "--older-than", "30d"]
"#;

const OTHERS: &[&str] = &[
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: APP\n  labels: {app.kubernetes.io/name: APP}\nspec:\n  type: ClusterIP\n  selector: {app.kubernetes.io/name: APP}\n  ports:\n    - {name: http, port: 80, targetPort: http, protocol: TCP}\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: APP-config\ndata:\n  LOG_LEVEL: info\n  FEATURE_FLAGS: \"search,recommendations\"\n  settings.toml: |\n    [server]\n    port = 8000\n    workers = 4\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: APP-db\ntype: Opaque\nstringData:\n  url: postgresql://APP@db.shop.svc:5432/APP\n",
    "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: APP\n  labels: {app.kubernetes.io/name: APP}\n",
    "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: APP\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: APP-web}\n  minReplicas: 3\n  maxReplicas: 10\n  metrics:\n    - type: Resource\n      resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}\n",
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: APP\n  annotations: {cert-manager.io/cluster-issuer: letsencrypt}\nspec:\n  ingressClassName: nginx\n  tls:\n    - hosts: [APP.example.com]\n      secretName: APP-tls\n  rules:\n    - host: APP.example.com\n      http:\n        paths:\n          - path: /\n            pathType: Prefix\n            backend: {service: {name: APP, port: {name: http}}}\n",
    "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: APP\nspec:\n  minAvailable: 2\n  selector:\n    matchLabels: {app.kubernetes.io/name: APP}\n",
];

/// Writes the stream to `out` object by object, so the benchmark never holds it in memory.
fn write_stream(out: &mut impl std::io::Write, objects: usize, deployments_only: bool) -> usize {
    let mut bytes = 0;
    let mut i = 0;
    while i < objects {
        let app = format!("app{}", i / 10);
        let group: Vec<&str> = if deployments_only {
            vec![DEPLOYMENT]
        } else {
            [DEPLOYMENT, HOOK_JOB, CRONJOB]
                .into_iter()
                .chain(OTHERS.iter().copied())
                .collect()
        };
        for doc in group {
            if i == objects {
                break;
            }
            let text = format!(
                "---\n# Source: {app}/templates/object.yaml\n{}",
                doc.replace("APP", &app)
            );
            out.write_all(text.as_bytes()).expect("write stream");
            bytes += text.len();
            i += 1;
        }
    }
    bytes
}

/// Resets the peak-RSS counter (Linux `clear_refs`), so VmHWM measures the lint alone.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn run(label: &str, objects: usize, deployments_only: bool, linter: &Linter) {
    let dir = std::env::temp_dir().join(format!("preflight-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(format!("{label}.yaml"));
    let bytes = {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("create stream"));
        write_stream(&mut w, objects, deployments_only)
    };
    let file = path.to_string_lossy().into_owned();
    // Warm the page cache and the allocator, then take the best of five runs.
    let _ = linter.lint_paths(std::slice::from_ref(&file));
    let mut best = f64::MAX;
    let mut steps = 0;
    reset_peak_rss();
    for _ in 0..5 {
        let t = Instant::now();
        let report = linter.lint_paths(std::slice::from_ref(&file));
        best = best.min(t.elapsed().as_secs_f64());
        steps = report.steps;
        assert_eq!(report.documents, objects);
        assert!(report.errors.is_empty());
    }
    let _ = std::fs::remove_file(&path);
    println!(
        "{label:<28} {objects:>7} objects  {:>6.1} MB  {:>7.1} ms  {:>9.0} objects/s  {:>6.1} MB/s  {steps} release steps  peak RSS {} MiB",
        bytes as f64 / 1e6,
        best * 1e3,
        objects as f64 / best,
        bytes as f64 / best / 1e6,
        peak_rss_kib() / 1024,
    );
}

fn main() {
    let linter = Linter::new(Config::default()).expect("default config");
    // `cargo bench` passes `--bench`; any other argument filters nothing.
    run("mixed stream", 10_000, false, &linter);
    run("mixed stream (10x)", 100_000, false, &linter);
    run("deployments only", 10_000, true, &linter);
}
