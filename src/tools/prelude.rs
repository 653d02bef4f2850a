//! What every tool file is written in: the definition types, the command
//! being classified, the ledger readers several tools share, the shadow's
//! address in each ecosystem's spelling. `use super::prelude::*;` at the top
//! of a tool file.

pub(crate) use crate::command::Invocation;
pub(crate) use crate::db::spelling;
pub(crate) use crate::definitions::ledger::{
    Row, each_row_applied, field, flag, sort_versions, versions_applied,
};
pub(crate) use crate::definitions::replay::with_config;
pub(crate) use crate::definitions::sql_folder::{self, Layout, SqlFolder};
pub(crate) use crate::definitions::{
    Accept, Action, Classified, Cli, Connect, Dirty, Driver, Entries, Ledger, LedgerDef, Lister,
    Owner, Project, RepairDef, Replay, ReplayDef, RowKey, Rule, RuleKind, Runtime, Severity, Step,
    Target, Tool, ToolDef, Unrecord,
};
pub(crate) use crate::schema::Engine;
pub(crate) use crate::tools::util;
