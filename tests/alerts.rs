//! The alert rules the chart ships: valid for Prometheus, and each alert
//! fires on recorded incident series and stays silent on healthy ones
//! (`tests/prometheus/alerts_test.yaml`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use std::process::Command;

fn promtool() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("promtool"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        common::missing("promtool is not installed (Debian: apt-get install prometheus)");
    }
    found
}

#[test]
fn alert_rules_are_valid_and_fire_where_they_should() {
    let Some(promtool) = promtool() else { return };
    let root = env!("CARGO_MANIFEST_DIR");
    for args in [
        vec!["check", "rules", "charts/preflight/files/alerts.yaml"],
        vec!["test", "rules", "tests/prometheus/alerts_test.yaml"],
    ] {
        let out = Command::new(&promtool)
            .args(&args)
            .current_dir(root)
            .output()
            .expect("promtool");
        assert!(
            out.status.success(),
            "promtool {args:?}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
