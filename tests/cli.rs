//! The `preflight` binary as users run it: exit codes, formats, stdin,
//! suppressions and configuration.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn preflight(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .output()
        .expect("run preflight")
}

fn preflight_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", stdout(o)))
}

const INCIDENT_LIVE: &str = "examples/incident/live-app-spec.yaml";

#[test]
fn the_incident_spec_fails_with_the_stamp_at_its_exact_place() {
    let o = preflight(&["lint", "--color", "never", INCIDENT_LIVE]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains(
            "error[alembic/stamp]: `python -m alembic -c alembic.ini stamp head` records revisions"
        ),
        "{out}"
    );
    assert!(out.contains(&format!("--> {INCIDENT_LIVE}:41:16")), "{out}");
    assert!(
        out.contains("41 |   run_command: python -m alembic -c alembic.ini stamp head"),
        "{out}"
    );
    assert!(
        out.contains("   |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"),
        "{out}"
    );
    assert!(
        out.contains("in PRE_DEPLOY job `release-migrate`, which runs before every deploy"),
        "{out}"
    );
    assert!(!out.contains("\x1b["), "no colour when asked");
}

#[test]
fn the_repository_spec_is_clean() {
    let o = preflight(&["lint", "examples/incident/.do/app.yaml"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn json_output_carries_the_contract_fields() {
    let o = preflight(&["lint", "--format", "json", INCIDENT_LIVE]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["schema_version"], 1);
    let f = &v["findings"][0];
    for key in ["rule", "severity", "file", "line", "column", "message"] {
        assert!(!f[key].is_null(), "missing {key}: {f}");
    }
    assert_eq!(f["rule"], "alembic/stamp");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["line"], 41);
    assert_eq!(f["column"], 16);
    assert_eq!(f["phase"], "pre-deploy");
    assert_eq!(f["format"], "digital-ocean");
    assert_eq!(v["summary"]["errors"], 1);
}

#[test]
fn sarif_output_is_valid_for_code_scanning() {
    let o = preflight(&[
        "lint",
        "--format",
        "sarif",
        "tests/corpus/kubernetes",
        "tests/corpus/broken/bad-indentation.app.yaml",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unreadable file makes the run exit 2"
    );
    let v = json(&o);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let results = run["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let idx = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap_or("")));
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(!uri.starts_with('/') && !uri.contains('\\'), "{uri}");
        assert!(loc["region"]["startLine"].as_u64().unwrap_or(0) >= 1);
        assert!(r["partialFingerprints"]["preflight/v1"].is_string());
    }
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert!(
        notes[0]["message"]["text"]
            .as_str()
            .unwrap_or("")
            .contains("invalid YAML")
    );
}

#[test]
fn stdin_streams_are_linted() {
    let manifest = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec:\n  template:\n    spec:\n      containers:\n      - name: migrate\n        command: [\"sh\", \"-c\"]\n        args: [\"alembic upgrade head || alembic stamp head\"]\n";
    let o = preflight_stdin(&["lint", "--format", "json", "-"], manifest);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["findings"][0]["file"], "<stdin>");
    assert_eq!(v["findings"][0]["line"], 13);
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("runs when `alembic upgrade head` fails")
    );
}

#[test]
fn raw_helm_templates_get_a_hint_not_a_crash() {
    let o = preflight(&[
        "lint",
        "tests/corpus/broken/helm-chart/templates/migrate-job.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("helm template <chart> | preflight lint -"));
    // Walking the chart skips its templates with a note instead.
    let o = preflight(&["lint", "tests/corpus/broken/helm-chart"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("note:"));
}

#[test]
fn fail_on_controls_exit_code_1() {
    let warn_only = "tests/corpus/digitalocean/database-without-migration-job.app.yaml";
    assert_eq!(preflight(&["lint", warn_only]).status.code(), Some(0));
    assert_eq!(
        preflight(&["lint", "--fail-on", "warning", warn_only])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        preflight(&["lint", "--fail-on", "never", INCIDENT_LIVE])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(
        preflight(&["lint", "--format", "xml"]).status.code(),
        Some(2)
    );
    assert_eq!(preflight(&["no-such-command"]).status.code(), Some(2));
    assert_eq!(preflight(&["rules", "alembic/nope"]).status.code(), Some(2));
}

#[test]
fn comment_suppressions_need_a_reason_and_are_still_counted() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("Procfile");
    std::fs::write(
        &path,
        "# preflight-ignore alembic/stamp: one-time bootstrap of the empty review database\nrelease: alembic stamp head\n",
    )
    .expect("write");
    let p = path.to_str().expect("utf-8 path");
    let o = preflight(&["lint", "--format", "json", p]);
    assert_eq!(o.status.code(), Some(0));
    let v = json(&o);
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0));
    let o = preflight(&["lint", "--format", "json", "--show-suppressed", p]);
    let v = json(&o);
    assert_eq!(v["findings"][0]["suppressed"]["kind"], "comment");

    std::fs::write(
        &path,
        "# preflight-ignore alembic/stamp\nrelease: alembic stamp head\n",
    )
    .expect("write");
    let o = preflight(&["lint", "--format", "json", p]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "a suppression without a reason suppresses nothing"
    );
    let v = json(&o);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(rules, ["release/invalid-suppression", "alembic/stamp"]);
}

#[test]
fn annotation_suppressions_apply_to_the_object() {
    let manifest = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: bootstrap\n  annotations:\n    preflight.dev/ignore: \"alembic/stamp: bootstrap of a new tenant database, run once\"\nspec:\n  template:\n    spec:\n      containers:\n      - name: m\n        command: [alembic, stamp, head]\n";
    let o = preflight_stdin(
        &["lint", "--format", "json", "--show-suppressed", "-"],
        manifest,
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(json(&o)["findings"][0]["suppressed"]["kind"], "annotation");
}

#[test]
fn config_allowlist_and_severity_overrides() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = dir.path().join("Procfile");
    std::fs::write(
        &spec,
        "web: alembic upgrade head && gunicorn app\nrelease: alembic stamp head\n",
    )
    .expect("write");
    let cfg = dir.path().join("preflight.yaml");
    std::fs::write(
        &cfg,
        "lint:\n  rules:\n    release/migrate-on-start: off\n  allow:\n    - rule: alembic/stamp\n      path: Procfile\n      reason: review apps are bootstrapped from a schema dump\n",
    )
    .expect("write");
    let o = preflight(&[
        "lint",
        "--format",
        "json",
        "--config",
        cfg.to_str().expect("utf-8"),
        spec.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(
        v["summary"]["infos"], 0,
        "the rule switched off is not reported"
    );

    std::fs::write(&cfg, "lint:\n  allow:\n    - rule: alembic/stamp\n").expect("write");
    let o = preflight(&[
        "lint",
        "--config",
        cfg.to_str().expect("utf-8"),
        spec.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`reason` is required"));
    std::fs::write(&cfg, "lint:\n  rulez: {}\n").expect("write");
    let o = preflight(&[
        "lint",
        "--config",
        cfg.to_str().expect("utf-8"),
        spec.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("rulez"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn secrets_in_specs_are_redacted_in_every_format() {
    let dir = tempfile::tempdir().expect("tmp");
    let spec = dir.path().join("Procfile");
    std::fs::write(
        &spec,
        "release: flyway -url=jdbc:postgresql://db/app -user=app -password=hunter2 baseline\n",
    )
    .expect("write");
    for format in ["human", "json", "sarif"] {
        let o = preflight(&["lint", "--format", format, spec.to_str().expect("utf-8")]);
        assert_eq!(o.status.code(), Some(1));
        let out = stdout(&o);
        assert!(!out.contains("hunter2"), "{format}: {out}");
        assert!(out.contains("-password=***"), "{format}");
    }
}

#[test]
fn colour_follows_the_terminal_flag_and_no_color() {
    let o = preflight(&["lint", "--color", "always", INCIDENT_LIVE]);
    assert!(stdout(&o).contains("\x1b[1;31merror"));
    let o = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["lint", INCIDENT_LIVE])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert!(!stdout(&o).contains("\x1b["));
}

#[test]
fn rules_lists_the_catalogue() {
    let o = preflight(&["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.lines().count() >= 70);
    assert!(out.contains("alembic/stamp"));
    let v = json(&preflight(&["rules", "--format", "json"]));
    assert!(
        v["rules"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["id"] == "flyway/clean"))
    );
    let o = preflight(&["rules", "alembic/stamp"]);
    assert!(stdout(&o).contains("Fix:"));
}

#[test]
fn rule_pages_match_the_catalogue() {
    // docs/rules is generated from the catalogue; regenerate with
    // `PREFLIGHT_UPDATE_DOCS=1 cargo test --test cli rule_pages`.
    let update = std::env::var_os("PREFLIGHT_UPDATE_DOCS").is_some();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
    let mut expected = vec![(root.join("README.md"), preflight::rules::docs::index())];
    for rule in preflight::rules::catalogue() {
        expected.push((
            Path::new(env!("CARGO_MANIFEST_DIR")).join(rule.doc_path()),
            preflight::rules::docs::page(rule),
        ));
    }
    for (path, content) in &expected {
        if update {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, content).expect("write page");
        }
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            &on_disk == content,
            "{} is out of date: run PREFLIGHT_UPDATE_DOCS=1 cargo test --test cli rule_pages",
            path.display()
        );
    }
    // No stale pages for rules that no longer exist.
    let mut on_disk = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("docs dir").flatten() {
            if e.path().is_dir() {
                stack.push(e.path())
            } else {
                on_disk.push(e.path())
            }
        }
    }
    for p in on_disk {
        assert!(
            expected.iter().any(|(e, _)| *e == p),
            "stale page {}",
            p.display()
        );
    }
}

/// The SARIF output passes Microsoft's SARIF validator with the SARIF and
/// GitHub code scanning rule sets. `scripts/test.sh` installs the validator
/// (npm `@microsoft/sarif-multitool`) into `target/tools` and points
/// `PREFLIGHT_SARIF_VALIDATOR` at it; CI sets `PREFLIGHT_REQUIRE_TOOLS=1`, so
/// there a missing validator fails the test instead of skipping it.
#[test]
fn sarif_passes_the_official_validator() {
    let Some(validator) = std::env::var_os("PREFLIGHT_SARIF_VALIDATOR") else {
        common::missing("PREFLIGHT_SARIF_VALIDATOR is not set (run scripts/test.sh)");
        return;
    };
    let dir = tempfile::tempdir().expect("tmp");
    let sarif = dir.path().join("lint.sarif");
    let o = preflight(&[
        "lint",
        "--format",
        "sarif",
        "tests/corpus/kubernetes",
        "tests/corpus/digitalocean",
        "tests/corpus/broken/truncated.json",
    ]);
    std::fs::write(&sarif, &o.stdout).expect("write sarif");
    let report = dir.path().join("validation.sarif");
    let status = Command::new(validator)
        .args([
            "validate",
            sarif.to_str().expect("utf-8"),
            "--rule-kind",
            "Gh;Sarif",
            "--level",
            "Error;Warning",
            "-o",
            report.to_str().expect("utf-8"),
        ])
        .output()
        .expect("run the SARIF validator");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stdout)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("validation output")).expect("json");
    let problems: Vec<String> = v["runs"][0]["results"]
        .as_array()
        .map(|rs| {
            rs.iter()
                .map(|r| format!("{} {} {}", r["level"], r["ruleId"], r["message"]))
                .collect()
        })
        .unwrap_or_default();
    assert!(problems.is_empty(), "SARIF validator: {problems:#?}");
}

/// A verdict has no SARIF form: asking for one is refused by the parser (exit
/// 2, the valid values named) rather than answered with JSON.
#[test]
fn verify_and_check_refuse_sarif_and_name_the_formats() {
    for cmd in ["verify", "check"] {
        let o = preflight(&[
            cmd,
            "--format",
            "sarif",
            "--database-url",
            "sqlite::memory:",
        ]);
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("'sarif'") && err.contains("human, json"),
            "{cmd}: {err}"
        );
    }
}

/// Enum values are accepted in any case, the same for every flag.
#[test]
fn enum_values_are_case_insensitive() {
    let o = preflight(&["lint", "--format", "JSON", INCIDENT_LIVE]);
    assert_eq!(o.status.code(), Some(1));
    json(&o);
    let o = preflight(&["lint", "--color", "Never", INCIDENT_LIVE]);
    assert!(!stdout(&o).contains('\x1b'));
    // The flags parse; the run then stops at the missing certificate.
    let args = [
        "webhook",
        "--no-kube",
        "--check-config",
        "--failure-mode",
        "Ignore",
    ];
    let o = preflight(&[&args[..], &["--mode", "enforce"]].concat());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("needs --tls-cert"), "{err}");
    let o = preflight(&[&args[..], &["--mode", "block"]].concat());
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("`block` is not a mode"), "{err}");
}
