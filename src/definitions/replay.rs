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
    /// A driver that applies every revision in one process of the tool's
    /// runtime; without one (or when it cannot start) the CLI runs per step.
    pub driver: Option<&'static Driver>,
}

/// A replay driver: a small program in the tool's own runtime that loads the
/// project once and applies revisions through the tool's API on preflight's
/// word (`src/tools/drivers/PROTOCOL.md`), so a replay pays the runtime's
/// start and the project's import once instead of once per revision.
pub struct Driver {
    pub runtime: Runtime,
    /// The file it is written to (in a private directory) and its source,
    /// embedded in the binary.
    pub file: &'static str,
    pub source: &'static str,
    /// Its arguments after the file (usually the tool's configuration).
    pub args: fn(&Project) -> Vec<String>,
}

/// The runtime a driver runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Python,
    Node,
}

impl Runtime {
    /// The program that runs it when the launcher names none.
    pub fn default_program(self) -> &'static str {
        match self {
            Runtime::Python => "python3",
            Runtime::Node => "node",
        }
    }

    /// Whether a launcher's program is this runtime (`/venv/bin/python3.11`,
    /// `node`).
    pub fn is_program(self, program: &str) -> bool {
        let name = std::path::Path::new(program)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(program);
        match self {
            Runtime::Python => name
                .strip_prefix("python")
                .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.')),
            Runtime::Node => name == "node" || name == "nodejs",
        }
    }
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
