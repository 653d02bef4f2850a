//! `preflight webhook`, and the webhook flags `preflight operator` shares.

use super::db_args::runtime;
use super::exit;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::server::{self, Health};
use crate::telemetry::{self, LogFormat};
use crate::webhook::policy::{FailureMode, Mode};
use crate::webhook::{self, WebhookOptions};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

fn parse_mode(s: &str) -> Result<Mode, String> {
    Mode::parse_any_case(s)
        .ok_or_else(|| format!("`{s}` is not a mode: write Enforce, Warn or Audit"))
}

/// The admission webhook's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct WebhookFlags {
    /// HTTPS address of the admission webhook (`/validate`).
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub webhook_listen: SocketAddr,
    /// TLS certificate (PEM chain), reloaded when the file changes.
    #[arg(long, env = "PREFLIGHT_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM), reloaded when the file changes.
    #[arg(long, env = "PREFLIGHT_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// Mode where neither the namespace label `preflight.dev/enforcement` nor a guard sets one.
    #[arg(long, default_value = "Enforce", value_parser = parse_mode)]
    pub mode: Mode,
    /// Objects preflight cannot decode: admitted (ignore) or denied (fail).
    #[arg(long, value_enum, ignore_case = true, default_value_t = FailureMode::Ignore)]
    pub failure_mode: FailureMode,
    /// A user whose `preflight.dev/override` annotations count (repeatable). With no
    /// --override-user and no --override-group, anyone's do.
    #[arg(long = "override-user", value_name = "USER")]
    pub override_users: Vec<String>,
    /// A group whose members' overrides count (repeatable).
    #[arg(long = "override-group", value_name = "GROUP")]
    pub override_groups: Vec<String>,
}

impl WebhookFlags {
    /// The webhook's options, when a certificate is given (both files or neither).
    pub fn options(
        &self,
        namespace: &str,
        identity: &str,
        lint: Config,
    ) -> Result<Option<WebhookOptions>, String> {
        let (cert, key) = match (&self.tls_cert, &self.tls_key) {
            (Some(c), Some(k)) => (c.clone(), k.clone()),
            (None, None) => return Ok(None),
            _ => return Err("--tls-cert and --tls-key go together".into()),
        };
        Ok(Some(WebhookOptions {
            listen: self.webhook_listen,
            cert,
            key,
            cert_poll: Duration::from_secs(10),
            mode: self.mode,
            failure: self.failure_mode,
            namespace: namespace.to_string(),
            identity: identity.to_string(),
            lint,
            overrides: crate::webhook::policy::Overrides {
                users: self.override_users.clone(),
                groups: self.override_groups.clone(),
            },
            watch_namespaces: Vec::new(),
        }))
    }
}

#[derive(Debug, clap::Args)]
pub struct WebhookArgs {
    #[command(flatten)]
    webhook: WebhookFlags,
    /// Plain HTTP address for /metrics, /healthz and /readyz.
    #[arg(long, default_value = "0.0.0.0:8080")]
    listen: SocketAddr,
    /// The namespace preflight runs in (never judged, nor is kube-system).
    #[arg(long, env = "POD_NAMESPACE", default_value = "preflight-system")]
    namespace: String,
    /// This replica's name in Events.
    #[arg(long, env = "POD_NAME", default_value = "preflight-webhook")]
    identity: String,
    /// Do not contact the Kubernetes API: release steps only, no rollout gating.
    #[arg(long)]
    no_kube: bool,
    /// Lint configuration (rule settings, allowlist).
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(long, value_enum, ignore_case = true, default_value_t = LogFormat::Json)]
    log_format: LogFormat,
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Check the arguments, the lint configuration and the certificate, then exit.
    #[arg(long)]
    check_config: bool,
}

pub fn run(args: WebhookArgs) -> u8 {
    let lint = match Config::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}", crate::text::error_chain(&e));
            return exit::INPUT;
        }
    };
    let options = match args.webhook.options(&args.namespace, &args.identity, lint) {
        Ok(Some(o)) => o,
        Ok(None) => {
            eprintln!(
                "error: the webhook needs --tls-cert and --tls-key (the API server only calls HTTPS webhooks)"
            );
            return exit::INPUT;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    if args.check_config {
        return check(Some(&options), &options.lint);
    }
    telemetry::init(args.log_format, &args.log_level);
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    let result = rt.block_on(async {
        let api = if args.no_kube {
            webhook::Api::Unavailable("disabled with --no-kube".to_string())
        } else {
            match kube::Client::try_default().await {
                Ok(c) => webhook::Api::Client(c),
                Err(e) => webhook::Api::Unavailable(crate::text::error_chain(&e)),
            }
        };
        let metrics = Arc::new(Metrics::new());
        let running = webhook::start(options, api, metrics.clone())
            .await
            .map_err(|e| crate::text::error_chain(&e))?;
        let stop = tokio_util::sync::CancellationToken::new();
        let health = Health {
            metrics,
            ready: Arc::new(AtomicBool::new(true)),
        };
        let (_, http) = server::serve(args.listen, server::router(health), stop.clone())
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        server::stop_signal().await;
        running.stop().await;
        stop.cancel();
        let _ = http.await;
        Ok::<(), String>(())
    });
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            tracing::error!(error = %e, "webhook failed");
            eprintln!("error: {e}");
            exit::INPUT
        }
    }
}

/// `--check-config`: the lint settings build a linter and the certificate
/// files load as a pair.
pub fn check(webhook: Option<&WebhookOptions>, lint: &Config) -> u8 {
    if let Err(e) = crate::lint::Linter::new(lint.clone()) {
        eprintln!("error: {}", crate::text::error_chain(&e));
        return exit::INPUT;
    }
    match webhook {
        Some(w) => match crate::webhook::tls::load(&w.cert, &w.key) {
            Ok(_) => println!(
                "ok: webhook on {} in {} mode, certificate {}",
                w.listen,
                w.mode.as_str(),
                w.cert.display()
            ),
            Err(e) => {
                eprintln!("error: {}", crate::text::error_chain(&e));
                return exit::INPUT;
            }
        },
        None => println!("ok: no webhook (no --tls-cert/--tls-key)"),
    }
    exit::OK
}
