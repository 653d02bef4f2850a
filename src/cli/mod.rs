//! The `preflight` command line.

mod check;
mod daemon;
mod db_args;
mod lint;
mod operator;
mod rules;
mod snapshot;
mod verify;
mod webhook;

use crate::report::ColorChoice;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes shared by every command.
pub mod exit {
    /// Clean.
    pub const OK: u8 = 0;
    /// Findings or drift at or above `--fail-on`.
    pub const FINDINGS: u8 = 1;
    /// Usage error, unreadable input, or a database that could not be checked.
    pub const INPUT: u8 = 2;
}

#[derive(Debug, Parser)]
#[command(
    name = "preflight",
    version,
    about = "Stops database-migration disasters before and after a deploy.",
    long_about = "preflight lints the release steps of deploy specs for migration commands that record \
migrations without running them (`alembic stamp head`), destroy data or roll back, and verifies live \
databases against what their migration ledger claims."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour human output (respects NO_COLOR).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lint release steps in spec files, directories, or stdin (`-`).
    Lint(lint::LintArgs),
    /// Verify a database against what its migration ledger claims.
    Verify(verify::VerifyArgs),
    /// Write the expected-schema snapshot used by `verify`.
    Snapshot(snapshot::SnapshotArgs),
    /// Lint release steps and verify the database: the pre-flight gate for CI and Helm hooks.
    Check(check::CheckArgs),
    /// Run continuously without Kubernetes: check databases, watch specs, serve metrics.
    Daemon(daemon::DaemonArgs),
    /// Run in Kubernetes: the DatabaseGuard controller, the workload linter, metrics.
    Operator(operator::OperatorArgs),
    /// Serve the admission webhook alone (release-step policy works without an API server).
    Webhook(webhook::WebhookArgs),
    /// Print the CustomResourceDefinitions generated from the Rust types.
    Crd(operator::CrdArgs),
    /// List the rule catalogue, or show one rule.
    Rules(rules::RulesArgs),
}

/// Parses the command line and runs the command.
pub fn main() -> ExitCode {
    ExitCode::from(run_args(std::env::args_os()))
}

/// Runs `preflight` with the given arguments (the first is the program name)
/// and returns its exit code; used by `main` and by the runnable examples.
pub fn run_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run(cli),
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                exit::INPUT
            } else {
                exit::OK
            }
        }
    }
}

fn run(cli: Cli) -> u8 {
    // The one-shot commands log only when asked (`RUST_LOG=preflight=debug`
    // shows, for one, the evidence behind a verdict); the long-running ones
    // set up their own logging.
    if std::env::var_os("RUST_LOG").is_some()
        && !matches!(
            cli.command,
            Command::Daemon(_) | Command::Operator(_) | Command::Webhook(_)
        )
    {
        crate::telemetry::init(crate::telemetry::LogFormat::Text, "warn");
    }
    match cli.command {
        Command::Lint(args) => lint::run(args, cli.color),
        Command::Rules(args) => rules::run(args),
        Command::Verify(args) => verify::run(args, cli.color),
        Command::Snapshot(args) => snapshot::run(args),
        Command::Check(args) => check::run(args, cli.color),
        Command::Daemon(args) => daemon::run(args),
        Command::Operator(args) => operator::run(args),
        Command::Crd(args) => operator::crd(args),
        Command::Webhook(args) => webhook::run(args),
    }
}
