//! The `preflight` command line.

mod check;
mod daemon;
mod db_args;
mod lint;
mod operator;
mod repair;
mod rules;
mod snapshot;
mod verify;
mod webhook;

use crate::report::ColorChoice;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// `0.1.0 (commit 1a2b3c4d5e6f)`: the release and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("PREFLIGHT_BUILD_COMMIT"),
    ")"
);

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
    version = VERSION,
    about = "Stops database-migration disasters before and after a deploy.",
    long_about = "preflight lints the release steps of deploy specs for migration commands that record \
migrations without running them (`alembic stamp head`), destroy data or roll back, and verifies live \
databases against what their migration ledger claims."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour human output (respects NO_COLOR).
    #[arg(long, global = true, value_enum, ignore_case = true, default_value_t = ColorChoice::Auto)]
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
    /// Print the repair plan for a database, proven on a shadow database with the
    /// project's own tool (never run against the database).
    Repair(repair::RepairCmdArgs),
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
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(CompletionsArgs),
    /// Print the manual page (roff), e.g. `preflight man > preflight.1`, or
    /// write one page per command into a directory.
    Man(ManArgs),
}

#[derive(Debug, clap::Args)]
struct ManArgs {
    /// Write `preflight.1` and `preflight-<command>.1` into this directory.
    #[arg(long, value_name = "DIR")]
    dir: Option<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, ignore_case = true)]
    shell: clap_complete::Shell,
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
        Command::Repair(args) => repair::run(args, cli.color),
        Command::Daemon(args) => daemon::run(args),
        Command::Operator(args) => operator::run(args),
        Command::Crd(args) => operator::crd(args),
        Command::Webhook(args) => webhook::run(args),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(args.shell, &mut cmd, "preflight", &mut std::io::stdout());
            exit::OK
        }
        Command::Man(args) => match man(args.dir.as_deref()) {
            Ok(()) => exit::OK,
            Err(e) => {
                eprintln!("error: could not write the manual pages: {e}");
                exit::INPUT
            }
        },
    }
}

/// The manual page on stdout, or every command's page into `dir`.
fn man(dir: Option<&std::path::Path>) -> std::io::Result<()> {
    let cmd = <Cli as clap::CommandFactory>::command();
    let Some(dir) = dir else {
        return clap_mangen::Man::new(cmd).render(&mut std::io::stdout());
    };
    std::fs::create_dir_all(dir)?;
    let mut file = std::fs::File::create(dir.join("preflight.1"))?;
    clap_mangen::Man::new(cmd.clone()).render(&mut file)?;
    for sub in cmd.get_subcommands() {
        let name = format!("preflight-{}", sub.get_name());
        let page = sub.clone().name(name.clone()).bin_name(name.clone());
        let mut file = std::fs::File::create(dir.join(format!("{name}.1")))?;
        clap_mangen::Man::new(page).render(&mut file)?;
    }
    Ok(())
}
