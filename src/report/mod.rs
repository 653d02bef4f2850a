//! Output formats shared by the commands: human (terminal), JSON, SARIF.

pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod sarif;
pub(crate) mod verify;

use serde::Serialize;

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    Human,
    Json,
    Sarif,
}

/// `--format` of `verify` and `check`: a verdict is not a list of findings in
/// files, so SARIF is not offered (the parser refuses it instead of printing JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum VerdictFormat {
    Human,
    Json,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Colour on a terminal unless `NO_COLOR` is set (https://no-color.org).
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

/// Version of the JSON output contract.
pub const SCHEMA_VERSION: u32 = 1;
