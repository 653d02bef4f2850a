//! `preflight operator` and `preflight crd`.

use super::db_args::runtime;
use super::exit;
use crate::config::Config;
use crate::operator::{self, OperatorOptions, leader};
use crate::telemetry::{self, LogFormat};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct OperatorArgs {
    /// Address to serve /metrics, /healthz and /readyz on.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// Watch only these namespaces (repeatable, or comma-separated): a namespaced
    /// install [default: the whole cluster].
    #[arg(long, env = "PREFLIGHT_WATCH_NAMESPACE", value_delimiter = ',')]
    watch_namespace: Vec<String>,
    /// The namespace preflight runs in (its Lease lives there; its workloads are not linted).
    #[arg(long, env = "POD_NAMESPACE", default_value = "preflight-system")]
    namespace: String,
    /// This replica's identity in the Lease and in Events [default: the host name].
    #[arg(long, env = "POD_NAME")]
    identity: Option<String>,
    /// Name of the Lease used for leader election.
    #[arg(long, default_value = "preflight-operator")]
    lease_name: String,
    /// Lease duration; a new leader takes over this long after the old one stops renewing.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    lease_duration: Duration,
    /// Guards checked at the same time.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Lint configuration (rule settings, allowlist) applied to workloads.
    #[arg(long)]
    config: Option<PathBuf>,
    /// How long checks in flight may finish after SIGTERM.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    shutdown_timeout: Duration,
    /// The admission webhook, served by every replica when a certificate is given.
    #[command(flatten)]
    webhook: super::webhook::WebhookFlags,
    /// Log format.
    #[arg(long, value_enum, ignore_case = true, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
    /// Log level (`RUST_LOG` overrides).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Check the arguments, the lint configuration and the certificate, then exit.
    #[arg(long)]
    check_config: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::duration::parse_duration(s).map_err(|e| e.to_string())
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| format!("preflight-{}", std::process::id()))
}

pub fn run(args: OperatorArgs) -> u8 {
    let lint = match Config::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}", crate::text::error_chain(&e));
            return exit::INPUT;
        }
    };
    let identity = args.identity.clone().unwrap_or_else(hostname);
    let mut options = OperatorOptions::new(&args.namespace, &identity);
    options.listen = args.listen;
    options.watch_namespaces = args.watch_namespace.clone();
    options.lease_name = args.lease_name.clone();
    options.election = leader::Timings {
        lease_duration: args.lease_duration,
        renew_deadline: args.lease_duration.mul_f64(2.0 / 3.0),
        retry_period: (args.lease_duration / 7).max(Duration::from_millis(200)),
    };
    options.concurrency = args.concurrency;
    options.webhook = match args
        .webhook
        .options(&args.namespace, &identity, lint.clone())
    {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    options.lint = lint;
    options.shutdown_timeout = args.shutdown_timeout;
    if args.check_config {
        return super::webhook::check(options.webhook.as_ref(), &options.lint);
    }
    telemetry::init(args.log_format, &args.log_level);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    match rt.block_on(operator::run(options)) {
        Ok(()) => exit::OK,
        Err(e) => {
            tracing::error!(error = %crate::text::error_chain(&e), "operator failed");
            eprintln!("error: {}", crate::text::error_chain(&e));
            exit::INPUT
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct CrdArgs {}

pub fn crd(_args: CrdArgs) -> u8 {
    match crate::crd::crd_yaml() {
        Ok(yaml) => {
            print!("{yaml}");
            exit::OK
        }
        Err(e) => {
            eprintln!(
                "error: cannot render the CRD: {}",
                crate::text::error_chain(&e)
            );
            exit::INPUT
        }
    }
}
