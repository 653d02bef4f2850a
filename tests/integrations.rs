//! What other tools run: the pre-commit hooks, the GitHub Action's lint step
//! (its SARIF through Microsoft's validator), the workflows through
//! actionlint, completions, man pages and `--version`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_preflight"))
        .parent()
        .expect("bin dir")
        .to_path_buf()
}

/// A tool scripts/tools.sh installs into target/tools/bin; under CI it must exist.
fn tool(name: &str) -> Option<PathBuf> {
    let p = common::repo().join("target/tools/bin").join(name);
    if p.exists() {
        return Some(p);
    }
    common::missing(&format!(
        "{} is missing (run scripts/tools.sh {name})",
        p.display()
    ));
    None
}

fn path_with_preflight() -> std::ffi::OsString {
    let mut paths = vec![bin_dir()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).expect("PATH")
}

#[test]
fn actionlint_passes_on_the_workflows() {
    let Some(actionlint) = tool("actionlint") else {
        return;
    };
    let mut workflows: Vec<PathBuf> = std::fs::read_dir(common::repo().join(".github/workflows"))
        .expect("workflows")
        .map(|e| e.expect("entry").path())
        .collect();
    workflows.sort();
    assert!(workflows.len() >= 2, "{workflows:?}");
    let out = Command::new(actionlint)
        .args(&workflows)
        .current_dir(common::repo())
        .output()
        .expect("run actionlint");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `run:` script of the action's step named `name`.
fn action_step(name: &str) -> String {
    let text = std::fs::read_to_string(common::repo().join("action.yml")).expect("action.yml");
    let roots = preflight::yaml::parse_document(&text).expect("action.yml is YAML");
    let steps = roots[0]
        .path(&["runs", "steps"])
        .and_then(preflight::yaml::Node::as_seq)
        .expect("runs.steps");
    steps
        .iter()
        .find(|s| s.get("name").and_then(preflight::yaml::Node::as_str) == Some(name))
        .and_then(|s| s.get("run"))
        .and_then(preflight::yaml::Node::as_str)
        .unwrap_or_else(|| panic!("no step {name}"))
        .to_owned()
}

/// The action's lint step, run as the runner runs it (`bash -e`), writes a
/// SARIF report the validator accepts and reports the exit code as an output.
#[test]
fn the_action_writes_valid_sarif_and_reports_the_exit_code() {
    let dir = tempfile::tempdir().expect("tmp");
    let output = dir.path().join("github_output");
    let sarif = dir.path().join("preflight.sarif");
    let tree = common::repo().join("tests/corpus/repos/django-digitalocean");
    // As the runner runs a composite step's script: `bash --noprofile --norc -eo pipefail`.
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
        .arg(action_step("Lint"))
        .current_dir(&tree)
        .env("PATH", path_with_preflight())
        .env("INPUT_PATHS", ".")
        .env("INPUT_FAIL_ON", "error")
        .env("INPUT_VALUES", "")
        .env("INPUT_SARIF_FILE", &sarif)
        .env("GITHUB_OUTPUT", &output)
        .output()
        .expect("run the action's step");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outputs = std::fs::read_to_string(&output).expect("outputs");
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif).expect("sarif")).expect("SARIF is JSON");
    let results = report["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{results:?}");

    let Some(validator) = std::env::var_os("PREFLIGHT_SARIF_VALIDATOR") else {
        common::missing("PREFLIGHT_SARIF_VALIDATOR is not set (run scripts/test.sh)");
        return;
    };
    let validation = dir.path().join("validation.sarif");
    let v = Command::new(validator)
        .arg("validate")
        .arg(&sarif)
        .args(["--rule-kind", "Gh;Sarif", "--level", "Error;Warning", "-o"])
        .arg(&validation)
        .output()
        .expect("run the SARIF validator");
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
}

/// `pre-commit try-repo` runs the hook from this repository (uncommitted
/// changes included) on a sample repository: a dangerous release step fails
/// the commit, a clean one passes.
#[test]
fn pre_commit_runs_the_hook_on_a_sample_repository() {
    let Some(pre_commit) = tool("pre-commit") else {
        return;
    };
    if !common::repo().join(".git").exists() {
        eprintln!("skipping: the checkout is not a git repository");
        return;
    }
    let run = |files: &[(&str, &str)]| {
        let dir = tempfile::tempdir().expect("tmp");
        let sample = dir.path().join("sample");
        std::fs::create_dir_all(&sample).expect("mkdir");
        for (name, text) in files {
            let path = sample.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let git = |args: &[&str]| {
            let s = Command::new("git")
                .args(args)
                .current_dir(&sample)
                .output()
                .expect("git");
            assert!(
                s.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&s.stderr)
            );
        };
        git(&["init", "-q"]);
        git(&["add", "-A"]);
        let out = Command::new(&pre_commit)
            .arg("try-repo")
            .arg(common::repo())
            .args(["preflight-lint-system", "--all-files", "--color", "never"])
            .current_dir(&sample)
            .env("PATH", path_with_preflight())
            .env("PRE_COMMIT_HOME", dir.path().join("cache"))
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .expect("run pre-commit");
        (
            out.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (code, log) = run(&[
        (
            "Procfile",
            "web: gunicorn app:app\nrelease: flask db stamp head\n",
        ),
        (".vscode/settings.json", "{\n  // editor\n  \"a\": 1,\n}\n"),
    ]);
    assert_eq!(code, 1, "{log}");
    assert!(
        log.contains("flask-migrate/stamp") && log.contains("Failed"),
        "{log}"
    );
    let (code, log) = run(&[("Procfile", "release: flask db upgrade\n")]);
    assert_eq!(code, 0, "{log}");
    assert!(log.contains("Passed"), "{log}");
}

#[test]
fn version_names_the_commit_and_completions_and_man_pages_are_generated() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_preflight"))
            .args(args)
            .output()
            .expect("run preflight")
    };
    let v = String::from_utf8(run(&["--version"]).stdout).expect("utf-8");
    let commit = v
        .trim()
        .strip_prefix(concat!(
            "preflight ",
            env!("CARGO_PKG_VERSION"),
            " (commit "
        ))
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{v}"));
    assert!(
        commit == "unknown"
            || (commit.len() == 12 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "{v}"
    );
    for shell in ["bash", "zsh", "fish"] {
        let out = run(&["completions", shell]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains("fail-on"), "{shell}");
    }
    let dir = tempfile::tempdir().expect("tmp");
    let out = run(&["man", "--dir", dir.path().to_str().expect("utf-8")]);
    assert!(out.status.success());
    let page = std::fs::read_to_string(dir.path().join("preflight-lint.1")).expect("page");
    assert!(
        page.starts_with(".ie") && page.contains("\\-\\-values"),
        "{page}"
    );
}
