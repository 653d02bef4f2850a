use super::db_args::runtime;
use super::exit;
use crate::daemon::{self, config::DaemonConfig};
use crate::telemetry::{self, LogFormat};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// The daemon's configuration file (YAML; see the README).
    #[arg(long)]
    config: PathBuf,
    /// Address to serve /metrics, /healthz and /readyz on [default: server.listen from the config].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Log format.
    #[arg(long, value_enum, ignore_case = true, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Log level (`RUST_LOG` overrides).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Check the configuration and exit.
    #[arg(long)]
    check_config: bool,
}

pub fn run(args: DaemonArgs) -> u8 {
    let config = match DaemonConfig::load(&args.config) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "error: invalid configuration: {}",
                crate::text::error_chain(&e)
            );
            return exit::INPUT;
        }
    };
    if args.check_config {
        println!(
            "{}: ok ({} apps, {} databases)",
            args.config.display(),
            config.apps.len(),
            config.apps.iter().map(|a| a.databases.len()).sum::<usize>()
        );
        return exit::OK;
    }
    telemetry::init(args.log_format, &args.log_level);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    match rt.block_on(daemon::run(config, args.listen)) {
        Ok(()) => exit::OK,
        Err(e) => {
            tracing::error!(error = %crate::text::error_chain(&e), "daemon failed");
            eprintln!("error: {}", crate::text::error_chain(&e));
            exit::INPUT
        }
    }
}
