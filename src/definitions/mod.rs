//! Definitions: the types a migration tool is made of — its rules and how it
//! classifies a command, its ledger's shape and readers, how it replays and
//! how it repairs. The tool files (`tools/`) are written in these terms and
//! the engines (lint, ledger reading, diagnosis, replay, repair) read them;
//! nothing here depends on a tool or an engine.

pub(crate) mod ledger;
pub(crate) mod repair;
pub(crate) mod replay;
pub(crate) mod rule;
pub(crate) mod sql_folder;
mod tool;

pub use ledger::{Entries, Ledger, LedgerDef, LedgerTable, Row};
pub use repair::{Accept, Dirty, RepairDef, RowKey, ShadowCli, Unrecord};
pub use replay::{
    Connect, Driver, Lister, Project, Replay, ReplayDef, Runtime, Step, Target, ToolDb, with_config,
};
pub use rule::{Action, Classified, Hit, Owner, Rule, RuleGroup, RuleKind, Severity};
pub use sql_folder::{Layout, SqlFolder};
pub use tool::{Cli, Tool, ToolDef};
