use super::exit;
use crate::config::{Config, FailOn};
use crate::definitions::Severity;
use crate::lint::{LintReport, Linter};
use crate::report::{ColorChoice, OutputFormat, human, json, sarif};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Spec files or directories to lint; `-` reads a stream from stdin.
    #[arg(default_value = ".")]
    paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, ignore_case = true, default_value_t = OutputFormat::Human)]
    format: OutputFormat,
    /// Lowest severity that makes the exit code 1 [default: error, or `lint.fail_on` in the config].
    #[arg(long, value_enum, ignore_case = true)]
    fail_on: Option<FailOn>,
    /// Also show suppressed findings (they are always counted).
    #[arg(long)]
    show_suppressed: bool,
    /// List what the walk passed over and why (files that are not deploy
    /// specs, CI jobs that do not deploy).
    #[arg(long, short = 'v')]
    verbose: bool,
    /// Values file for Helm charts found among the paths (as `helm template -f`); repeatable.
    #[arg(long = "values", short = 'f', value_name = "FILE")]
    values: Vec<PathBuf>,
    /// Value for Helm charts found among the paths (as `helm template --set`); repeatable.
    #[arg(long, value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Configuration file [default: ./preflight.yaml or ./.preflight.yaml if present].
    #[arg(long)]
    config: Option<PathBuf>,
}

pub fn run(args: LintArgs, color: ColorChoice) -> u8 {
    let config = match Config::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}", crate::text::error_chain(&e));
            return exit::INPUT;
        }
    };
    let fail_on = args
        .fail_on
        .or(config.lint.fail_on)
        .unwrap_or(FailOn::Error);
    let linter = match Linter::new(config) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "error: invalid configuration: {}",
                crate::text::error_chain(&e)
            );
            return exit::INPUT;
        }
    };
    let linter = linter.with_charts(crate::source::helm::render::RenderOptions {
        helm: None,
        values: args.values,
        set: args.set,
    });
    let report = linter.lint_paths(&args.paths);
    let stdout = std::io::stdout();
    let text = match args.format {
        OutputFormat::Human => {
            let style = human::Style {
                color: color.enabled(stdout.is_terminal()),
            };
            human::render_lint(&report, style, args.show_suppressed, args.verbose)
        }
        OutputFormat::Json => pretty(&json::lint(&report, args.show_suppressed, args.verbose)),
        OutputFormat::Sarif => pretty(&sarif::lint(&report)),
    };
    let mut lock = stdout.lock();
    let _ = lock.write_all(text.as_bytes());
    let _ = lock.flush();
    exit_code(&report, fail_on.threshold())
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// 2 when input could not be read, 1 for findings at or above the threshold.
pub fn exit_code(report: &LintReport, threshold: Option<Severity>) -> u8 {
    if !report.errors.is_empty() {
        exit::INPUT
    } else if threshold.is_some_and(|t| report.active().any(|f| f.severity >= t)) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}
