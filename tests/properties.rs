//! Property tests: the shell reader and every spec parser accept any input
//! without panicking, and every span they report lies inside the input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

use preflight::command::{self, CommandText, Word, shell};
use preflight::config::Config;
use preflight::lint::Linter;
use preflight::source::Format;
use preflight::source::files::FileKind;
use proptest::prelude::*;

/// Text that looks like shell: words, quotes, operators, expansions, heredocs.
fn shellish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "alembic",
        "stamp",
        "head",
        "upgrade",
        "sh",
        "-c",
        "bash",
        "-lc",
        "env",
        "X=1",
        "exec",
        "python",
        "-m",
        "&&",
        "||",
        ";",
        "|",
        "&",
        "\n",
        "'",
        "\"",
        "$(",
        ")",
        "`",
        "${",
        "}",
        "<<EOF",
        "EOF",
        "<<-",
        "#",
        "\\",
        "if",
        "then",
        "else",
        "fi",
        "!",
        "(",
        "))",
        "for",
        "do",
        "done",
        "case",
        "in",
        "esac",
        "é",
        "\t",
        "2>&1",
        "$'",
        "npx",
        "php",
        "artisan",
        "manage.py",
        "migrate",
        "--fake",
        "set",
        "-e",
        "{",
        "function",
        "f()",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.join(" "))
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![shellish(), ".{0,200}", "[ -~\n\t]{0,300}"]
}

fn spans_inside(words: &[Word], len: usize) -> bool {
    words.iter().all(|w| {
        w.span.start <= w.span.end && w.span.end <= len && w.source_offset(w.text.len()) <= len + 1
    })
}

fn check_script(s: &shell::Script, len: usize) -> bool {
    s.commands.iter().all(|c| {
        c.span.end <= len
            && spans_inside(&c.words, len)
            && spans_inside(&c.assignments, len)
            && c.heredocs.iter().all(|h| h.body.span.end <= len)
            && c.substitutions.iter().all(|sub| check_script(sub, len))
    })
}

fn linter() -> Linter {
    Linter::new(Config::default()).expect("default config")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn shell_reader_never_panics_and_spans_stay_inside(src in any_text()) {
        let script = shell::parse(&src);
        prop_assert!(check_script(&script, src.len()));
    }

    #[test]
    fn command_analysis_spans_stay_inside(src in any_text()) {
        for inv in command::analyze(&CommandText::Shell(Word::literal(&src, 0)), &preflight::tools::Registry) {
            prop_assert!(inv.span.start <= inv.span.end && inv.span.end <= src.len(), "{:?}", inv.span);
            prop_assert!(spans_inside(&inv.args, src.len()));
        }
        let argv: Vec<Word> = src.split(' ').scan(0, |at, w| { let word = Word::literal(w, *at); *at += w.len() + 1; Some(word) }).collect();
        for inv in command::analyze(&CommandText::Argv(argv), &preflight::tools::Registry) {
            prop_assert!(inv.span.end <= src.len());
        }
    }

    /// Chart templates of any shape: the tolerant reader keeps every offset
    /// and line, and mapping rendered lines back never panics.
    #[test]
    fn chart_templates_never_panic_and_keep_offsets(
        text in "([ -~\n]|\\{\\{-? ?(if|end|else|include|toYaml|\\.Values\\.a|/\\*) ?-?\\}\\}|: |- |\n  ){0,80}",
        line in 1u32..20,
        column in 1u32..60,
    ) {
        use preflight::source::helm::{map::TemplateMap, template};
        let s = template::sanitize(&text);
        prop_assert_eq!(s.text.len(), text.len());
        prop_assert_eq!(s.text.matches('\n').count(), text.matches('\n').count());
        let _ = preflight::yaml::parse_document_lenient(&s.text);
        let _ = template::scan_lines(&text);
        let map = TemplateMap::new(&text);
        if let Some((l, c)) = map.locate(&s.text, line, column) {
            prop_assert!(l >= 1 && l as usize <= text.lines().count().max(1));
            prop_assert!(c >= 1);
        }
    }

    #[test]
    fn yaml_documents_never_panic(text in "[ -~\n]{0,400}") {
        let _ = preflight::yaml::parse_document(&text);
    }

    #[test]
    fn every_spec_parser_reports_positions_inside_the_input(
        body in any_text(),
        kind in prop::sample::select(vec![0usize, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
    ) {
        // Embed arbitrary text where each format keeps its commands.
        let escaped = body.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
        let (text, file_kind) = match kind {
            0 => (format!("jobs:\n- name: m\n  kind: PRE_DEPLOY\n  run_command: \"{escaped}\"\n"), FileKind::Yaml(None)),
            1 => (format!("apiVersion: batch/v1\nkind: Job\nmetadata: {{name: m}}\nspec:\n  template:\n    spec:\n      containers:\n      - name: m\n        command: [\"sh\", \"-c\", \"{escaped}\"]\n"), FileKind::Yaml(None)),
            2 => (format!("release: {}\nweb: gunicorn app\n", body.replace('\n', " ")), FileKind::Procfile),
            3 => (format!("[deploy]\nrelease_command = \"{escaped}\"\n"), FileKind::FlyToml),
            4 => (format!("[deploy]\npreDeployCommand = [\"{escaped}\"]\n"), FileKind::RailwayToml),
            5 => (format!("services:\n- type: web\n  name: w\n  preDeployCommand: \"{escaped}\"\n"), FileKind::Yaml(Some(Format::Render))),
            6 => (format!("on: push\njobs:\n  deploy:\n    environment: prod\n    steps:\n      - run: \"{escaped}\"\n"), FileKind::Yaml(Some(Format::GithubActions))),
            7 => (format!("deploy:\n  stage: deploy\n  script:\n    - \"{escaped}\"\n"), FileKind::Yaml(Some(Format::GitlabCi))),
            8 => (format!("services:\n  web:\n    image: app\n    command: \"{escaped}\"\n"), FileKind::Yaml(Some(Format::Compose))),
            _ => (body.clone(), FileKind::Yaml(None)),
        };
        let report = linter().lint_text(&text, "spec", file_kind);
        let lines = text.lines().count().max(1) as u32;
        for f in &report.findings {
            prop_assert!(f.line >= 1 && f.line <= lines, "line {} of {lines}", f.line);
            prop_assert!(f.column >= 1);
        }
        for e in &report.errors {
            prop_assert!(e.line.is_none_or(|l| l >= 1 && l <= lines + 1));
            prop_assert!(!e.message.is_empty());
        }
    }
}
