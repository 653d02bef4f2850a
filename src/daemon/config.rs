//! The daemon's configuration file (`preflight daemon --config FILE`).
//!
//! ```yaml
//! server:
//!   listen: 0.0.0.0:9187
//!   shutdown_timeout: 10s
//! checks:                       # defaults for every database
//!   interval: 60s
//!   timeout: 30s
//!   concurrency: 8
//! apps:
//!   - name: bizpilot
//!     namespace: production     # a label only
//!     specs: [.do/app.yaml]     # linted, re-linted when they change
//!     digitalocean:
//!       app: bizpilot           # app name or id in the account
//!       token_env: DIGITALOCEAN_TOKEN
//!       interval: 5m
//!     databases:
//!       - name: defaultdb
//!         url_env: DATABASE_URL
//!         expected: backend/alembic.ini
//! ```

use crate::config::LintConfig;
use crate::duration::parse_duration;
use serde::{Deserialize, Deserializer};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map_err(serde::de::Error::custom)
}

fn opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    Option::<String>::deserialize(d)?
        .map(|s| parse_duration(&s).map_err(serde::de::Error::custom))
        .transpose()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonConfig {
    #[serde(default)]
    pub server: ServerConfig,
    #[serde(default)]
    pub checks: CheckDefaults,
    #[serde(default)]
    pub lint: LintConfig,
    pub apps: Vec<AppConfig>,
    /// Directory of the config file: relative paths are relative to it.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default = "default_listen")]
    pub listen: String,
    /// How long checks in flight may take to finish after SIGTERM.
    #[serde(default = "default_shutdown", deserialize_with = "duration")]
    pub shutdown_timeout: Duration,
    /// How often spec files are looked at for changes.
    #[serde(default = "default_watch", deserialize_with = "duration")]
    pub watch_interval: Duration,
}

fn default_listen() -> String {
    "0.0.0.0:9187".into()
}
fn default_shutdown() -> Duration {
    Duration::from_secs(10)
}
fn default_watch() -> Duration {
    Duration::from_secs(5)
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: default_listen(),
            shutdown_timeout: default_shutdown(),
            watch_interval: default_watch(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDefaults {
    #[serde(default = "default_interval", deserialize_with = "duration")]
    pub interval: Duration,
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Fraction of the interval each wait moves at random (spreads load).
    #[serde(default = "default_jitter")]
    pub jitter: f64,
    /// Checks running at once, over all databases.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    #[serde(default = "default_statement_timeout", deserialize_with = "duration")]
    pub statement_timeout: Duration,
    #[serde(default = "default_lock_timeout", deserialize_with = "duration")]
    pub lock_timeout: Duration,
    #[serde(default = "default_connect_timeout", deserialize_with = "duration")]
    pub connect_timeout: Duration,
    /// How long an idle connection is kept for the next check of the same
    /// database (`0s`: open a new connection for every check).
    #[serde(
        default = "default_connection_idle_timeout",
        deserialize_with = "duration"
    )]
    pub connection_idle_timeout: Duration,
}

fn default_interval() -> Duration {
    Duration::from_secs(60)
}
fn default_timeout() -> Duration {
    Duration::from_secs(30)
}
fn default_jitter() -> f64 {
    0.1
}
fn default_concurrency() -> usize {
    8
}
fn default_statement_timeout() -> Duration {
    Duration::from_secs(20)
}
fn default_lock_timeout() -> Duration {
    Duration::from_secs(5)
}
fn default_connection_idle_timeout() -> Duration {
    Duration::from_secs(90)
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(10)
}

impl Default for CheckDefaults {
    fn default() -> Self {
        CheckDefaults {
            interval: default_interval(),
            timeout: default_timeout(),
            jitter: default_jitter(),
            concurrency: default_concurrency(),
            statement_timeout: default_statement_timeout(),
            lock_timeout: default_lock_timeout(),
            connect_timeout: default_connect_timeout(),
            connection_idle_timeout: default_connection_idle_timeout(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppConfig {
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    #[serde(default)]
    pub specs: Vec<PathBuf>,
    pub digitalocean: Option<DigitalOceanSource>,
    #[serde(default)]
    pub databases: Vec<DatabaseConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitalOceanSource {
    /// The app's name (`spec.name`) or id.
    pub app: String,
    pub token_env: Option<String>,
    pub token_file: Option<PathBuf>,
    /// API base URL (tests, proxies).
    #[serde(default = "default_api")]
    pub api_url: String,
    #[serde(default, deserialize_with = "opt_duration")]
    pub interval: Option<Duration>,
}

fn default_api() -> String {
    "https://api.digitalocean.com".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    pub name: String,
    pub url: Option<String>,
    pub url_env: Option<String>,
    pub url_file: Option<PathBuf>,
    pub expected: String,
    pub shadow_url_env: Option<String>,
    #[serde(default, deserialize_with = "opt_duration")]
    pub interval: Option<Duration>,
    #[serde(default, deserialize_with = "opt_duration")]
    pub timeout: Option<Duration>,
    #[serde(default)]
    pub schemas: Vec<String>,
}

/// A daemon configuration that could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: Invalid,
    },
}

/// What is wrong with a daemon configuration's content, and where.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    #[error(transparent)]
    Yaml(#[from] crate::yaml::TypedError),
    /// A setting with a value it may not have: `at` names it.
    #[error("{at}{why}")]
    Setting { at: String, why: &'static str },
    #[error("server.listen `{value}`: {source} (write host:port, e.g. 0.0.0.0:9187)")]
    Listen {
        value: String,
        #[source]
        source: std::net::AddrParseError,
    },
}

fn invalid(at: impl Into<String>, why: &'static str) -> Invalid {
    Invalid::Setting { at: at.into(), why }
}

/// A secret that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("{what}: environment variable {var} is not set")]
    NotSet { what: String, var: String },
    #[error("{what}: cannot read {}", file.display())]
    File {
        what: String,
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{what}: no source given")]
    NoSource { what: String },
}

/// A secret read from the environment or a file, at the time it is needed
/// (so rotated secrets are picked up).
pub fn read_secret(
    value: Option<&str>,
    env: Option<&str>,
    file: Option<&Path>,
    what: &str,
) -> Result<String, SecretError> {
    if let Some(v) = value {
        return Ok(v.to_string());
    }
    if let Some(e) = env {
        return std::env::var(e).map_err(|_| SecretError::NotSet {
            what: what.to_string(),
            var: e.to_string(),
        });
    }
    if let Some(f) = file {
        return std::fs::read_to_string(f)
            .map(|s| s.trim().to_string())
            .map_err(|source| SecretError::File {
                what: what.to_string(),
                file: f.to_path_buf(),
                source,
            });
    }
    Err(SecretError::NoSource {
        what: what.to_string(),
    })
}

impl DaemonConfig {
    pub fn load(path: &Path) -> Result<DaemonConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = DaemonConfig::parse(&text).map_err(|source| ConfigError::Invalid {
            path: path.to_path_buf(),
            source,
        })?;
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        config.resolve_paths();
        Ok(config)
    }

    pub fn parse(text: &str) -> Result<DaemonConfig, Invalid> {
        let config: DaemonConfig = crate::yaml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    fn resolve_paths(&mut self) {
        let base = self.base_dir.clone();
        let fix = |p: &mut PathBuf| {
            if p.is_relative() && !base.as_os_str().is_empty() {
                *p = base.join(&*p);
            }
        };
        for app in &mut self.apps {
            app.specs.iter_mut().for_each(fix);
            if let Some(d) = &mut app.digitalocean
                && let Some(f) = &mut d.token_file
            {
                fix(f);
            }
            for db in &mut app.databases {
                if let Some(f) = &mut db.url_file {
                    fix(f);
                }
                // `expected` may carry a kind prefix (`alembic:path`).
                let (prefix, path) = match db.expected.split_once(':') {
                    Some((k, p)) if ["snapshot", "sql", "migrations", "alembic"].contains(&k) => {
                        (format!("{k}:"), p.to_string())
                    }
                    _ => (String::new(), db.expected.clone()),
                };
                let mut p = PathBuf::from(path);
                fix(&mut p);
                db.expected = format!("{prefix}{}", p.display());
            }
        }
    }

    fn validate(&self) -> Result<(), Invalid> {
        if self.checks.concurrency == 0 {
            return Err(invalid("checks.concurrency", " must be at least 1"));
        }
        if !(0.0..=0.9).contains(&self.checks.jitter) {
            return Err(invalid(
                "checks.jitter",
                " must be between 0 and 0.9 (a fraction of the interval)",
            ));
        }
        if self.checks.interval < Duration::from_secs(1) {
            return Err(invalid("checks.interval", " must be at least 1s"));
        }
        self.server
            .listen
            .parse::<std::net::SocketAddr>()
            .map_err(|source| Invalid::Listen {
                value: self.server.listen.clone(),
                source,
            })?;
        let mut apps = HashSet::new();
        for (i, app) in self.apps.iter().enumerate() {
            let at = format!("apps[{i}] ({})", app.name);
            if app.name.trim().is_empty() {
                return Err(invalid(format!("apps[{i}]"), ": name is empty"));
            }
            if !apps.insert((app.namespace.clone(), app.name.clone())) {
                return Err(invalid(at, ": another app has the same name and namespace"));
            }
            if app.specs.is_empty() && app.digitalocean.is_none() && app.databases.is_empty() {
                return Err(invalid(
                    at,
                    ": nothing to check; give specs, digitalocean or databases",
                ));
            }
            if let Some(d) = &app.digitalocean
                && d.token_env.is_none()
                && d.token_file.is_none()
            {
                return Err(invalid(
                    at,
                    ": digitalocean needs token_env or token_file (the token is never written in this file)",
                ));
            }
            let mut dbs = HashSet::new();
            for (j, db) in app.databases.iter().enumerate() {
                let at = format!("{at}.databases[{j}] ({})", db.name);
                if !dbs.insert(db.name.clone()) {
                    return Err(invalid(
                        at,
                        ": another database of this app has the same name",
                    ));
                }
                let sources = [
                    db.url.is_some(),
                    db.url_env.is_some(),
                    db.url_file.is_some(),
                ]
                .iter()
                .filter(|b| **b)
                .count();
                if sources != 1 {
                    return Err(invalid(at, ": give exactly one of url, url_env, url_file"));
                }
                if db.expected.trim().is_empty() {
                    return Err(invalid(at, ": expected is empty"));
                }
                if db.interval.is_some_and(|d| d < Duration::from_secs(1)) {
                    return Err(invalid(at, ": interval must be at least 1s"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_config_parses_with_defaults() {
        let c = DaemonConfig::parse(
            "apps:\n  - name: bizpilot\n    specs: [.do/app.yaml]\n    databases:\n      - name: db\n        url_env: DATABASE_URL\n        expected: alembic:backend/alembic.ini\n        interval: 15s\n",
        )
        .unwrap();
        assert_eq!(c.checks.interval, Duration::from_secs(60));
        assert_eq!(
            c.apps[0].databases[0].interval,
            Some(Duration::from_secs(15))
        );
        assert_eq!(c.server.listen, "0.0.0.0:9187");
    }

    #[test]
    fn mistakes_get_clear_errors() {
        let bad = |yaml: &str| DaemonConfig::parse(yaml).unwrap_err().to_string();
        assert!(bad("apps: []\nchecks: {concurrency: 0}\n").contains("concurrency"));
        assert!(bad("apps:\n  - name: a\n").contains("nothing to check"));
        assert!(
            bad("apps:\n  - name: a\n    databases: [{name: d, expected: x}]\n")
                .contains("exactly one of url")
        );
        assert!(bad("apps:\n  - name: a\n    digitalocean: {app: a}\n").contains("token_env"));
        assert!(bad("apps:\n  - name: a\n    databases: [{name: d, url: 'sqlite://x', expected: x, interval: soon}]\n").contains("soon"));
        assert!(bad("apps:\n  - name: a\n    specs: [x]\n    colour: red\n").contains("colour"));
        assert!(bad("server: {listen: nowhere}\napps: []\n").contains("host:port"));
    }
}
