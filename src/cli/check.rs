use super::db_args::runtime;
use super::exit;
use super::verify::VerifyArgs;
use crate::config::{Config, FailOn};
use crate::lint::Linter;
use crate::report::{ColorChoice, VerdictFormat, human, json};
use crate::verify;
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;

/// `preflight check`: the pre-flight gate for CI and Helm hooks.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Spec files or directories whose release steps to lint.
    #[arg(default_value = ".")]
    paths: Vec<String>,
    #[command(flatten)]
    verify: VerifyArgs,
    /// Configuration file for the lint part.
    #[arg(long)]
    config: Option<PathBuf>,
}

pub fn run(args: CheckArgs, color: ColorChoice) -> u8 {
    let config = match Config::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}", crate::text::error_chain(&e));
            return exit::INPUT;
        }
    };
    let lint_fail_on = config.lint.fail_on.unwrap_or(args.verify.fail_on);
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
    let report = linter.lint_paths(&args.paths);
    let lint_code = super::lint::exit_code(
        &report,
        lint_fail_on.threshold().or(FailOn::Error.threshold()),
    );

    let (url, spec, mut opts) = match args.verify.options() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    // The repair plan runs the tool the way the release step does.
    opts.spec_launchers = report.launchers.clone();
    let v = match runtime() {
        Ok(rt) => rt.block_on(verify::verify(&url, &spec, &opts)),
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    let verify_code = super::verify::exit_code(&v, args.verify.fail_on);

    match args.verify.format {
        VerdictFormat::Json => {
            let out = json!({
                "schema_version": crate::report::SCHEMA_VERSION,
                "lint": json::lint(&report, false, false),
                "verification": crate::report::verify::json(&v),
                "exit_code": lint_code.max(verify_code),
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        VerdictFormat::Human => {
            let style = human::Style {
                color: color.enabled(std::io::stdout().is_terminal()),
            };
            println!("{}\n", style.bold("== release steps"));
            print!("{}", human::render_lint(&report, style, false, false));
            println!("\n{}\n", style.bold("== database"));
            print!(
                "{}",
                crate::report::verify::human(&v, style, args.verify.show_info)
            );
        }
    }
    lint_code.max(verify_code)
}
