//! `preflight lint .` on whole repository trees (`tests/corpus/repos/`, built
//! from what public repositories hold; `EXPECTED.md` there explains every
//! file): only deploy specs are judged, a file that is not one never makes the
//! walk exit 2, and every planted dangerous step is found at its
//! `file:line:col`: in workflows, GitLab pipelines, Compose files, Kustomize
//! bases and Helm charts (rendered with the real `helm`, and read without it).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Tree {
    name: &'static str,
    exit: i32,
    /// `path:line:col rule severity`
    findings: &'static [&'static str],
    /// `path:line`
    errors: &'static [&'static str],
}

const TREES: &[Tree] = &[
    Tree {
        name: "django-digitalocean",
        exit: 1,
        findings: &[
            ".github/workflows/deploy.yml:41:14 release/masked-failure error",
            "docker-compose.yml:22:21 release/migrate-on-start info",
        ],
        errors: &[],
    },
    Tree {
        name: "helm-chart-repo",
        exit: 1,
        findings: &[
            "charts/api/charts/worker/templates/migrate-job.yaml:21:22 golang-migrate/force error",
            "charts/api/templates/migrate-job.yaml:37:17 alembic/stamp error",
            "charts/api/templates/migrate-job.yaml:48:15 release/masked-failure error",
        ],
        errors: &[],
    },
    Tree {
        name: "fly-prisma",
        exit: 1,
        findings: &["fly.toml:18:22 prisma/migrate-dev error"],
        errors: &[],
    },
    Tree {
        name: "gitlab-monorepo",
        exit: 1,
        findings: &[
            ".gitlab-ci.yml:45:7 release/masked-failure error",
            "ci/billing.gitlab-ci.yml:23:7 flyway/baseline error",
        ],
        errors: &[],
    },
    Tree {
        name: "kustomize-argocd",
        exit: 1,
        findings: &["k8s/base/migrate-job.yaml:19:22 sqlx/database-reset error"],
        errors: &[],
    },
    Tree {
        name: "render-railway",
        exit: 1,
        findings: &[
            "railway.json:10:8 typeorm/schema-sync error",
            "render.yaml:37:19 release/masked-failure warning",
            "render.yaml:37:19 release/migrate-on-start info",
        ],
        errors: &[],
    },
    Tree {
        name: "rails-heroku",
        exit: 1,
        findings: &["Procfile:3:10 release/masked-failure error"],
        errors: &[],
    },
    Tree {
        name: "laravel-compose",
        exit: 1,
        findings: &[
            "compose.yaml:17:28 release/migrate-on-start info",
            "compose.yaml:33:19 laravel/graceful error",
        ],
        errors: &[],
    },
    Tree {
        name: "node-do-unreadable-spec",
        exit: 2,
        findings: &[".do/deploy.template.yaml:24:20 knex/rollback error"],
        errors: &[".do/app.yaml:25"],
    },
];

fn tree_dir(name: &str) -> PathBuf {
    common::repo().join("tests/corpus/repos").join(name)
}

/// The real `helm` (scripts/tools.sh builds it from its Go module).
fn helm() -> Option<PathBuf> {
    let helm = common::repo().join("target/tools/bin/helm");
    if helm.is_file() {
        return Some(helm);
    }
    common::missing(&format!(
        "{} is missing (run scripts/tools.sh helm)",
        helm.display()
    ));
    None
}

/// `preflight lint . --format json --verbose` in `dir`; `helm` is the only
/// Helm the run can find (none: a `PATH` without one).
fn lint(dir: &Path, helm: Option<&Path>, extra: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["lint", ".", "--format", "json", "--verbose"])
        .args(extra)
        .current_dir(dir)
        .env("PATH", "/usr/bin:/bin")
        .env(
            "PREFLIGHT_HELM",
            helm.map(Path::as_os_str).unwrap_or_default(),
        )
        .output()
        .expect("run preflight");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

fn rel(file: &str) -> &str {
    file.strip_prefix("./").unwrap_or(file)
}

fn findings(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {} {}",
                rel(f["file"].as_str().unwrap_or("")),
                f["line"],
                f["column"],
                f["rule"].as_str().unwrap_or(""),
                f["severity"].as_str().unwrap_or("")
            )
        })
        .collect();
    out.sort();
    out
}

fn errors(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| format!("{}:{}", rel(e["file"].as_str().unwrap_or("")), e["line"]))
        .collect()
}

fn notices(v: &Value) -> Vec<String> {
    v["notices"]
        .as_array()
        .expect("notices")
        .iter()
        .map(|n| {
            format!(
                "{}: {}",
                rel(n["file"].as_str().unwrap_or("")),
                n["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn skipped_files(v: &Value) -> Vec<String> {
    v["skipped"]
        .as_array()
        .expect("skipped (with --verbose)")
        .iter()
        .map(|n| rel(n["file"].as_str().unwrap_or("")).to_owned())
        .collect()
}

#[test]
fn every_tree_yields_exactly_its_planted_findings() {
    let helm = helm();
    for tree in TREES {
        if tree.name == "helm-chart-repo" && helm.is_none() {
            continue;
        }
        let (code, v) = lint(&tree_dir(tree.name), helm.as_deref(), &[]);
        let mut want: Vec<String> = tree.findings.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(findings(&v), want, "{}: findings", tree.name);
        assert_eq!(errors(&v), tree.errors, "{}: input errors", tree.name);
        assert_eq!(code, tree.exit, "{}: exit code", tree.name);
        // No file that is not a deploy spec is even mentioned outside `--verbose`.
        for n in notices(&v) {
            assert!(
                n.contains("duplicate key `command`") && n.starts_with("examples/old/job.yaml"),
                "{}: unexpected notice {n}",
                tree.name
            );
        }
    }
}

#[test]
fn files_that_are_not_deploy_specs_are_passed_over_and_listed_with_verbose() {
    let (_, v) = lint(&tree_dir("django-digitalocean"), None, &[]);
    let skipped = skipped_files(&v);
    for file in [
        ".vscode/settings.json",
        ".devcontainer/devcontainer.json",
        "locale/en.json",
        "tsconfig.json",
        "package.json",
        ".pre-commit-config.yaml",
    ] {
        assert!(
            skipped.iter().any(|s| s == file),
            "{file} not in {skipped:?}"
        );
    }
    let ci = &v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["file"].as_str().is_some_and(|f| f.ends_with("ci.yml")))
        .map(|s| s["message"].as_str().unwrap_or("").to_owned())
        .collect::<Vec<_>>();
    assert!(
        ci.iter().any(|m| m.contains("job `test` does not deploy")),
        "the CI test job is said to be passed over: {ci:?}"
    );
    assert_eq!(v["summary"]["input_errors"], 0);
}

#[test]
fn a_chart_without_helm_lints_literal_commands_and_names_templated_ones() {
    let (code, v) = lint(&tree_dir("helm-chart-repo"), None, &[]);
    assert_eq!(
        findings(&v),
        [
            "charts/api/charts/worker/templates/migrate-job.yaml:21:22 golang-migrate/force error",
            "charts/api/templates/migrate-job.yaml:37:17 alembic/stamp error",
            "charts/api/templates/migrate-job.yaml:48:15 release/not-judged info",
        ]
    );
    let not_judged = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "release/not-judged")
        .unwrap();
    assert!(
        not_judged["message"]
            .as_str()
            .unwrap()
            .contains("{{ .Values.migrate.command | quote }}"),
        "{not_judged}"
    );
    assert!(
        notices(&v)
            .iter()
            .any(|n| n.starts_with("charts/api: Helm chart read without rendering")),
        "{:?}",
        notices(&v)
    );
    assert_eq!(code, 1);
}

/// The four places a chart hides a release command, each with and without
/// Helm: a literal hook, a value, a subchart, and `if`/`else` branches that
/// set `command` twice (not YAML even with the actions replaced).
#[test]
fn stamp_in_a_hook_in_values_in_a_subchart_and_in_branches() {
    let chart = common::repo().join("tests/fixtures/charts/stamp-everywhere");
    let literal = "templates/hook-literal.yaml:15:22 alembic/stamp error";
    let subchart = "charts/audit/templates/hook.yaml:15:15 alembic/stamp error";
    let branches = "templates/hook-branches.yaml:15:22 alembic/stamp error";

    let (code, v) = lint(&chart, None, &[]);
    let mut want = vec![
        literal.to_owned(),
        subchart.to_owned(),
        branches.to_owned(),
        "templates/hook-values.yaml:17:15 release/not-judged info".to_owned(),
    ];
    want.sort();
    assert_eq!(findings(&v), want, "without helm");
    assert_eq!(code, 1);
    assert!(
        notices(&v)
            .iter()
            .any(|n| n.starts_with("templates/hook-branches.yaml: template not readable")),
        "{:?}",
        notices(&v)
    );

    let Some(helm) = helm() else { return };
    let (code, v) = lint(&chart, Some(&helm), &[]);
    let mut want = vec![
        literal.to_owned(),
        subchart.to_owned(),
        branches.to_owned(),
        "templates/hook-values.yaml:17:15 alembic/stamp error".to_owned(),
    ];
    want.sort();
    assert_eq!(findings(&v), want, "with helm");
    assert_eq!(code, 1);
    assert!(notices(&v).is_empty(), "{:?}", notices(&v));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["format"] == "helm-chart")
    );

    // The release's own values decide what runs.
    let (_, v) = lint(
        &chart,
        Some(&helm),
        &[
            "--set",
            "legacyBootstrap=false",
            "--set",
            "migrate.command=alembic upgrade head",
        ],
    );
    let mut want = vec![literal.to_owned(), subchart.to_owned()];
    want.sort();
    assert_eq!(findings(&v), want, "with --set");
}

#[test]
fn a_chart_that_helm_cannot_render_is_read_without_rendering() {
    let Some(helm) = helm() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path().join("app");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: postgresql\n    version: 15.x.x\n    repository: oci://registry-1.docker.io/bitnamicharts\n",
    )
    .unwrap();
    std::fs::copy(
        common::repo().join("tests/fixtures/charts/stamp-everywhere/templates/hook-literal.yaml"),
        chart.join("templates/job.yaml"),
    )
    .unwrap();
    std::fs::write(chart.join("templates/_helpers.tpl"), "{{- define \"stamp.fullname\" -}}x{{- end }}\n{{- define \"stamp.image\" -}}img{{- end }}\n").unwrap();
    let (code, v) = lint(dir.path(), Some(&helm), &[]);
    assert_eq!(
        findings(&v),
        ["app/templates/job.yaml:15:22 alembic/stamp error"]
    );
    let n = notices(&v);
    assert!(
        n.iter()
            .any(|n| n.contains("read without rendering") && n.contains("missing in charts/")),
        "{n:?}"
    );
    assert_eq!(code, 1);
}
