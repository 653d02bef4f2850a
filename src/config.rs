//! `preflight.yaml`: project configuration, read by every command.
//!
//! ```yaml
//! lint:
//!   fail_on: warning
//!   rules:
//!     release/migrate-on-start: off      # off | info | warning | error
//!   allow:
//!     - rule: alembic/stamp
//!       path: deploy/bootstrap/*.yaml    # glob, relative to the config file
//!       object: "Job/db-bootstrap/*"     # optional glob on the object key
//!       reason: one-time bootstrap of the empty staging database
//!   exclude: ["vendor/**"]
//! ```

use crate::definitions::Severity;
use crate::rules;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Names of the configuration file looked up in the working directory.
pub const DEFAULT_NAMES: &[&str] = &["preflight.yaml", ".preflight.yaml"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: Invalid,
    },
}

/// What is wrong with a configuration's content.
#[derive(Debug, thiserror::Error)]
pub enum Invalid {
    #[error(transparent)]
    Yaml(#[from] crate::yaml::TypedError),
    #[error("lint.rules: unknown rule `{0}` (see `preflight rules`)")]
    UnknownRule(String),
    #[error("lint.allow[{index}]: unknown rule `{rule}` (see `preflight rules`)")]
    UnknownAllowedRule { index: usize, rule: String },
    #[error("lint.allow[{index}] ({rule}): `reason` is required — say why this exception is safe")]
    NoReason { index: usize, rule: String },
    #[error("{field}: {source}")]
    Glob {
        field: String,
        #[source]
        source: globset::Error,
    },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub lint: LintConfig,
    /// Directory of the config file; allowlist paths are relative to it.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LintConfig {
    pub fail_on: Option<FailOn>,
    #[serde(default)]
    pub rules: BTreeMap<String, RuleSetting>,
    #[serde(default)]
    pub allow: Vec<Allow>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// The lowest severity that makes `lint` exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Info,
    Warning,
    Error,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Error => Some(Severity::Error),
            FailOn::Never => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSetting {
    Off,
    Info,
    Warning,
    Error,
}

impl RuleSetting {
    pub fn severity(self) -> Option<Severity> {
        match self {
            RuleSetting::Off => None,
            RuleSetting::Info => Some(Severity::Info),
            RuleSetting::Warning => Some(Severity::Warning),
            RuleSetting::Error => Some(Severity::Error),
        }
    }
}

/// An allowlist entry: findings of `rule` in files matching `path` (and
/// objects matching `object`) are suppressed, with `reason` shown.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Allow {
    pub rule: String,
    pub path: Option<String>,
    pub object: Option<String>,
    pub reason: Option<String>,
}

impl Config {
    /// Loads the config at `path`, or the default file in the working
    /// directory when there is one; no file is an empty configuration.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => match DEFAULT_NAMES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
            {
                Some(p) => p,
                None => return Ok(Config::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let mut config = Config::parse(&text).map_err(|source| ConfigError::Invalid {
            path: path.clone(),
            source,
        })?;
        config.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(config)
    }

    /// Parses and validates configuration text.
    pub fn parse(text: &str) -> Result<Config, Invalid> {
        let config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            crate::yaml::from_str(text)?
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), Invalid> {
        let glob = |field: String, g: &str| {
            globset::Glob::new(g).map_err(|source| Invalid::Glob { field, source })
        };
        for id in self.lint.rules.keys() {
            if rules::find(id).is_none() {
                return Err(Invalid::UnknownRule(id.clone()));
            }
        }
        for (index, a) in self.lint.allow.iter().enumerate() {
            let rule = a.rule.clone();
            if rules::find(&a.rule).is_none() {
                return Err(Invalid::UnknownAllowedRule { index, rule });
            }
            if a.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Err(Invalid::NoReason { index, rule });
            }
            for (field, g) in [("path", &a.path), ("object", &a.object)] {
                if let Some(g) = g {
                    glob(format!("lint.allow[{index}].{field}"), g)?;
                }
            }
        }
        for g in &self.lint.exclude {
            glob("lint.exclude".into(), g)?;
        }
        Ok(())
    }
}
