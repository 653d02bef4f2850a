//! `preflight lint .` on a monorepo-sized tree.
//!
//! `cargo bench --bench lint_walk [-- SERVICES]` writes a repository of SERVICES
//! services (default 400) into a temporary directory, each shaped like what the
//! repository-tree corpus holds: source files, `package.json` and i18n JSON,
//! editor JSON with comments, Kubernetes manifests and a Kustomization, a
//! Compose file, a Helm chart (read without `helm`: templates, values,
//! helpers), a Procfile and a `fly.toml`, plus two workflows and a GitLab
//! pipeline at the root and a `node_modules/` the `.gitignore` hides. It then
//! lints the whole tree as `preflight lint .` does, three times, and prints
//! files per second (walk included) and the peak resident memory.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

use preflight::config::Config;
use preflight::lint::Linter;
use std::path::Path;
use std::time::Instant;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn service(root: &Path, i: usize) {
    let s = format!("services/svc{i:04}");
    for f in 0..6 {
        write(
            root,
            &format!("{s}/src/module{f}.py"),
            "def handler():\n    return 1\n",
        );
    }
    write(
        root,
        &format!("{s}/package.json"),
        "{\n  \"name\": \"svc\",\n  \"scripts\": {\"migrate\": \"knex migrate:latest\", \"test\": \"jest\"}\n}\n",
    );
    write(
        root,
        &format!("{s}/locales/en.json"),
        "{\"jobs\": {\"title\": \"Jobs\"}, \"services\": \"Services\"}\n",
    );
    write(
        root,
        &format!("{s}/.vscode/settings.json"),
        "{\n  // editor\n  \"editor.tabSize\": 2,\n}\n",
    );
    write(
        root,
        &format!("{s}/k8s/base/kustomization.yaml"),
        "resources:\n  - deployment.yaml\n  - migrate-job.yaml\n  - service.yaml\n",
    );
    write(
        root,
        &format!("{s}/k8s/base/deployment.yaml"),
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: svc{i}\nspec:\n  template:\n    spec:\n      initContainers:\n        - name: wait\n          image: busybox\n          command: [sh, -c, 'until nc -z db 5432; do sleep 1; done']\n      containers:\n        - name: app\n          image: svc:1\n          command: [gunicorn, app:app]\n"
        ),
    );
    write(
        root,
        &format!("{s}/k8s/base/migrate-job.yaml"),
        &format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: svc{i}-migrate\n  annotations:\n    argocd.argoproj.io/hook: PreSync\nspec:\n  template:\n    spec:\n      containers:\n        - name: migrate\n          image: svc:1\n          command: [alembic, upgrade, head]\n"
        ),
    );
    write(
        root,
        &format!("{s}/k8s/base/service.yaml"),
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports: [{port: 80}]\n",
    );
    write(
        root,
        &format!("{s}/compose.yaml"),
        "services:\n  app:\n    image: svc\n    command: [gunicorn, app:app]\n  db:\n    image: postgres:16\n",
    );
    write(
        root,
        &format!("{s}/Procfile"),
        "web: gunicorn app:app\nrelease: alembic upgrade head\n",
    );
    write(
        root,
        &format!("{s}/fly.toml"),
        "app = 'svc'\nprocesses = []\n[deploy]\n  release_command = 'alembic upgrade head'\n",
    );
    let c = format!("{s}/chart");
    write(
        root,
        &format!("{c}/Chart.yaml"),
        "apiVersion: v2\nname: svc\nversion: 0.1.0\n",
    );
    write(
        root,
        &format!("{c}/values.yaml"),
        "image:\n  tag: \"{{ .Chart.AppVersion }}\"\nmigrate:\n  command: alembic upgrade head\n",
    );
    write(
        root,
        &format!("{c}/templates/_helpers.tpl"),
        "{{- define \"svc.name\" -}}svc{{- end }}\n",
    );
    write(
        root,
        &format!("{c}/templates/job.yaml"),
        "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ include \"svc.name\" . }}-migrate\n  annotations:\n    \"helm.sh/hook\": pre-upgrade\nspec:\n  template:\n    spec:\n      containers:\n        - name: migrate\n          image: \"svc:{{ .Values.image.tag }}\"\n          command: [\"alembic\", \"upgrade\", \"head\"]\n",
    );
    write(
        root,
        &format!("{c}/templates/deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"svc.name\" . }}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: svc\n          args:\n            {{- toYaml .Values.args | nindent 12 }}\n",
    );
    for f in 0..20 {
        write(
            root,
            &format!("{s}/node_modules/dep{f}/package.json"),
            "{\"name\": \"dep\"}\n",
        );
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
}

fn main() {
    let services: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(400);
    let dir = tempfile::tempdir().expect("tmp");
    let root = dir.path();
    write(root, ".gitignore", "node_modules/\n");
    write(
        root,
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pytest\n",
    );
    write(
        root,
        ".github/workflows/deploy.yml",
        "on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    environment: production\n    steps:\n      - run: alembic upgrade head\n",
    );
    write(
        root,
        ".gitlab-ci.yml",
        "stages: [test, deploy]\ntest:\n  stage: test\n  script: [pytest]\ndeploy:\n  stage: deploy\n  environment: production\n  script: [alembic upgrade head]\n",
    );
    for i in 0..services {
        service(root, i);
    }
    let files = walkdir_count(root);
    // The Helm path must not depend on the machine: read charts without helm.
    // SAFETY: single-threaded at this point; nothing else reads the environment.
    unsafe { std::env::set_var("PREFLIGHT_HELM", "/nonexistent/helm") };
    let linter = Linter::new(Config::default()).expect("config");
    let arg = vec![root.display().to_string()];
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        let report = linter.lint_paths(&arg);
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(report);
    }
    let report = last.expect("a run");
    println!(
        "{services} services, {files} files on disk ({} linted, {} release steps, {} findings, {} input errors, {} passed over)",
        report.files,
        report.steps,
        report.findings.len(),
        report.errors.len(),
        report.skipped.len()
    );
    println!(
        "walk + lint: {:.3} s, {:.0} files on disk per second; peak RSS {} MiB",
        best,
        files as f64 / best,
        peak_rss_kib().map_or(0, |k| k / 1024)
    );
}

fn walkdir_count(root: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                n += 1;
            }
        }
    }
    n
}
