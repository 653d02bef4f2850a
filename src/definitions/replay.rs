//! Replays as preflight defines them: how a tool's CLI applies one revision
//! at a time to a shadow database (`ReplayDef`), or what to do instead. The
//! replay engine (`replay/`) drives these definitions.

use crate::db::DatabaseUrl;
use std::path::PathBuf;

/// Whether and how a tool's CLI applies one revision at a time.
pub enum Replay {
    Steps(ReplayDef),
    /// The tool cannot step; what to do instead.
    Unsupported {
        instead: &'static str,
    },
}

/// How a tool's CLI applies one revision at a time.
pub struct ReplayDef {
    /// The command that runs the tool when none is given after `--`.
    pub launcher: &'static [&'static str],
    /// How one revision is applied.
    pub step: Step,
    /// How the shadow database reaches the tool: environment and arguments.
    pub connect: fn(&ToolDb, &Project) -> Connect,
}

pub enum Step {
    /// A command that applies the next pending migration. When none is
    /// left the ledger does not change; some tools then exit non-zero with
    /// one of the `done` messages.
    Next {
        args: fn(&Project) -> Vec<String>,
        done: &'static [&'static str],
    },
    /// A command that migrates up to a named revision, over the revisions
    /// in the tool's order.
    To {
        list: Lister,
        args: fn(&Project, &Target) -> Vec<String>,
    },
}

/// Where the revisions to step through come from.
pub enum Lister {
    /// Files in a directory of the project, in name order.
    Files {
        dir: &'static str,
        ext: &'static str,
        /// The ledger entry a file name stands for (`None`: not a migration).
        id: fn(&str) -> Option<String>,
    },
    /// The output of one of the tool's commands.
    Command {
        args: fn(&Project) -> Vec<String>,
        parse: fn(&str) -> Vec<Target>,
    },
}

/// One revision to step to.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The ledger entry it records.
    pub id: String,
    /// What the tool's command names it (a file, `app name`).
    pub name: String,
    /// The revisions it follows, when the tool has a revision graph.
    pub parents: Vec<String>,
}

impl Target {
    pub fn new(id: impl Into<String>) -> Target {
        let id = id.into();
        Target {
            name: id.clone(),
            id,
            parents: Vec::new(),
        }
    }
}

/// The project being replayed.
#[derive(Debug, Clone)]
pub struct Project {
    /// Where the tool runs.
    pub dir: PathBuf,
    /// The tool's configuration file, when given (`alembic.ini`, a knexfile,
    /// a TypeORM data source).
    pub config: Option<PathBuf>,
}

/// The shadow database as the tool must reach it.
pub struct ToolDb {
    pub url: DatabaseUrl,
    /// The server is MariaDB (JDBC tools pick its driver).
    pub mariadb: bool,
}

/// Environment variables and arguments that point the tool at the shadow.
#[derive(Debug, Default)]
pub struct Connect {
    pub env: Vec<(String, String)>,
    /// Arguments right after the launcher (global options).
    pub args: Vec<String>,
    /// Arguments after the step's own (options of the command).
    pub trailing: Vec<String>,
}

impl Connect {
    pub fn env(name: &str, value: String) -> Connect {
        Connect {
            env: vec![(name.into(), value)],
            ..Connect::default()
        }
    }
}

/// A tool's arguments with its configuration file first, when one is given
/// (`--knexfile f`, `-configFiles=f`).
pub fn with_config(p: &Project, flag: &str, args: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(c) = &p.config {
        if flag.ends_with('=') {
            out.push(format!("{flag}{}", c.display()));
        } else {
            out.push(flag.to_string());
            out.push(c.display().to_string());
        }
    }
    out.extend(args.iter().map(|a| a.to_string()));
    out
}
