//! The spec corpus: realistic files of every format, plus broken ones. Every
//! file is either linted or gets a clean per-file error; nothing panics; the
//! run goes on after a bad file. The snapshot records what each file yields,
//! so a change in behaviour shows up in review.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

use preflight::config::Config;
use preflight::lint::{LintReport, Linter};
use preflight::source::files;
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn corpus_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("corpus dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                // Whole repository trees are walked by `tests/repos.rs`.
                if path.file_name().is_some_and(|n| n != "repos") {
                    stack.push(path);
                }
            } else if path.file_name().is_some_and(|n| n != "README.md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn rel(path: &Path) -> String {
    path.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus"))
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn every_corpus_file_is_linted_or_gets_a_clean_error() {
    let linter = Linter::new(Config::default()).expect("config");
    let mut summary = String::new();
    let files = corpus_files();
    assert!(files.len() >= 100, "corpus has {} files", files.len());
    for path in &files {
        let kind = files::kind_for_explicit(path);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut report = LintReport::default();
            linter.lint_file(path, kind, true, &mut report);
            report.sort();
            report
        }));
        let report = outcome.unwrap_or_else(|_| panic!("{} panicked", rel(path)));
        let _ = writeln!(summary, "{}", rel(path));
        for e in &report.errors {
            assert!(!e.message.is_empty());
            assert_eq!(Path::new(&e.file), path.as_path(), "errors name their file");
            let at = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            let _ = writeln!(summary, "  input error{at}: {}", e.message);
        }
        for f in &report.findings {
            assert_eq!(Path::new(&f.file), path.as_path());
            let _ = writeln!(
                summary,
                "  {}[{}]:{}:{} {}",
                f.severity, f.rule.id, f.line, f.column, f.message
            );
        }
        for n in &report.notices {
            let _ = writeln!(summary, "  note: {}", n.message);
        }
    }
    insta::assert_snapshot!("corpus", summary);
}

#[test]
fn a_dangerous_file_is_never_clean() {
    // Files whose name says they hold a dangerous command must yield an error
    // finding (or, for broken encodings, an input error) — never nothing.
    let linter = Linter::new(Config::default()).expect("config");
    for path in corpus_files() {
        let name = rel(&path);
        let dangerous = [
            "stamp",
            "fake",
            "reset",
            "force",
            "baseline",
            "schema-load",
            "load",
            "clean",
            "wipe",
            "fresh",
            "resolve",
            "log-only",
            "migrate-set",
            "downgrade",
            "rollback",
            "masked",
            "changelog-sync",
            "liquibase-sync",
            "db-push",
        ]
        .iter()
        .any(|k| name.contains(k));
        // A ConfigMap-mounted script is not visible to a spec linter.
        if !dangerous || name.contains("spec-get-clean") || name.contains("configmap-script") {
            continue;
        }
        let mut report = LintReport::default();
        linter.lint_file(&path, files::kind_for_explicit(&path), true, &mut report);
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.severity >= preflight::definitions::Severity::Warning)
                || !report.errors.is_empty(),
            "{name} yielded nothing"
        );
    }
}

#[test]
fn a_bad_document_in_a_stream_does_not_hide_the_rest() {
    let linter = Linter::new(Config::default()).expect("config");
    let good = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: m}\nspec:\n  template:\n    spec:\n      containers:\n      - name: m\n        command: [alembic, upgrade, head]\n";
    let bad = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: bad\nspec: {containers: [}\n";
    let stamp = good.replace("upgrade", "stamp");
    let mut stream = String::new();
    for i in 0..5_000 {
        stream.push_str("---\n");
        stream.push_str(match i {
            2_500 => bad,
            4_999 => &stamp,
            _ => good,
        });
    }
    let report = linter.lint_text(&stream, "stream.yaml", files::FileKind::Yaml(None));
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    // The parser stops at the unterminated flow mapping, on the document's 5th line.
    assert_eq!(report.errors[0].line, Some(2_500 * 10 + 5));
    assert_eq!(report.findings.len(), 1);
    assert_eq!(report.findings[0].rule.id, "alembic/stamp");
    // `command:` is the 10th line of a document; the bad one is 5 lines shorter.
    assert_eq!(report.findings[0].line, 4_999 * 10 + 10 - 5);
    assert_eq!(report.documents, 5_000);
}

#[test]
fn unreadable_paths_are_input_errors() {
    let linter = Linter::new(Config::default()).expect("config");
    let report = linter.lint_paths(&["tests/corpus/does-not-exist.yaml".into()]);
    assert_eq!(report.errors.len(), 1);
    assert!(
        report.errors[0].message.contains("No such file"),
        "{}",
        report.errors[0].message
    );
}
