//! A migration tool as preflight defines it: one `ToolDef` per tool (declared
//! in `tools/<tool>.rs`, registered in `tools::ALL`) and `Tool`, the handle the
//! engines pass around. Only types: nothing here iterates the registry.

use super::ledger::LedgerDef;
use super::repair::RepairDef;
use super::replay::Replay;
use super::rule::{Classified, Rule};
use crate::command::Invocation;
use serde::Serialize;

/// Everything preflight knows about one migration tool.
pub struct ToolDef {
    /// Stable id: the prefix of rule ids, `ledger.tool` in JSON, the `tool`
    /// metric label, the argument of `snapshot --replay`.
    pub id: &'static str,
    /// The tool's name for people.
    pub name: &'static str,
    /// Its documentation, linked from rule pages.
    pub docs_url: &'static str,
    /// The linter's rules about its commands.
    pub rules: &'static [&'static Rule],
    /// Launchers that run the tool's program, for command analysis:
    /// `python -m <module>` and `node node_modules/<package>/…`.
    pub launched_as: Launched,
    /// Reads one invocation; `None` quickly for programs the tool does not own.
    pub classify: fn(&Invocation) -> Option<Classified>,
    /// Release commands that apply migrations properly: the linter must stay
    /// silent on every one of them (a test checks).
    pub clean: &'static [&'static str],
    /// Its ledger, when preflight can read it.
    pub ledger: Option<LedgerDef>,
    /// How its CLI repairs its ledger: the apply command, how revisions
    /// leave the ledger, how a failure mark is cleared.
    pub repair: RepairDef,
    /// How its CLI applies one revision at a time, or what to do instead.
    pub replay: Replay,
}

/// How launchers name a tool: the program its classifier reads, and the
/// Python modules and npm packages that run it.
pub struct Launched {
    pub program: &'static str,
    pub python_modules: &'static [&'static str],
    pub node_packages: &'static [&'static str],
}

impl Launched {
    /// Not launched through Python or Node.
    pub const NONE: Launched = Launched {
        program: "",
        python_modules: &[],
        node_packages: &[],
    };
}

/// A registered tool; compares and serialises by id.
#[derive(Clone, Copy)]
pub struct Tool(pub &'static ToolDef);

impl Tool {
    pub fn id(self) -> &'static str {
        self.0.id
    }

    pub fn name(self) -> &'static str {
        self.0.name
    }

    /// Directory name of the tool's rule pages (its id).
    pub fn slug(self) -> &'static str {
        self.0.id
    }

    pub fn docs_url(self) -> &'static str {
        self.0.docs_url
    }

    pub fn def(self) -> &'static ToolDef {
        self.0
    }

    pub fn ledger(self) -> Option<&'static LedgerDef> {
        self.0.ledger.as_ref()
    }

    pub fn repair(self) -> &'static RepairDef {
        &self.0.repair
    }

    pub fn replay(self) -> &'static Replay {
        &self.0.replay
    }
}

impl PartialEq for Tool {
    fn eq(&self, other: &Tool) -> bool {
        self.0.id == other.0.id
    }
}

impl Eq for Tool {}

impl std::hash::Hash for Tool {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.0.id.hash(h);
    }
}

impl std::fmt::Debug for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.id)
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.id)
    }
}

impl Serialize for Tool {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.id)
    }
}
