//! Migration tools. Everything preflight knows about one tool lives in its
//! own file and is registered once, in [`ALL`]: its name and documentation,
//! the classifier and rules of the linter, the commands that apply migrations
//! cleanly (tested), how its ledger is recognised, queried and read, and how
//! its CLI is driven one revision at a time for replayed expectations.
//!
//! Adding a tool: write `tools/<tool>.rs` with a `pub static TOOL: ToolDef`,
//! add `mod <tool>;` and `&<tool>::TOOL` to [`ALL`] below. Nothing else
//! matches on tools; the rule catalogue, the ledger detection, the replay
//! command and the tests iterate over [`ALL`].

pub mod alembic;
pub mod atlas;
pub mod dbmate;
pub mod diesel;
pub mod django;
pub mod ecto;
pub mod efcore;
pub mod flask_migrate;
pub mod flyway;
pub mod golang_migrate;
pub mod goose;
pub mod knex;
pub mod laravel;
pub mod liquibase;
pub mod node_pg_migrate;
pub mod prisma;
pub mod rails;
pub mod sequelize;
pub mod sqitch;
pub mod sqlx;
pub mod typeorm;

pub use crate::ledger::read::{LedgerTable, Row};

use crate::command::Invocation;
use crate::ledger::Ledger;
use crate::replay::Replay;
use crate::rules::{Classified, Rule};
use crate::schema::Schema;
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
    pub repair: crate::repair::RepairDef,
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

/// The program a `python -m <module>` runs, for modules of known tools.
pub fn python_module_program(module: &str) -> Option<&'static str> {
    all().find_map(|t| {
        let l = &t.def().launched_as;
        l.python_modules.contains(&module).then_some(l.program)
    })
}

/// The program a script under `node_modules/<package>/` runs.
pub fn node_package_program(package: &str) -> Option<&'static str> {
    all().find_map(|t| {
        let l = &t.def().launched_as;
        l.node_packages.contains(&package).then_some(l.program)
    })
}

/// How a tool's ledger is recognised and read.
pub struct LedgerDef {
    /// The table's default name, lowercase.
    pub table: &'static str,
    /// Columns that tell it apart from other tools' tables of the same name.
    pub columns: &'static [&'static str],
    /// A further condition on the schema (Rails keeps `ar_internal_metadata`
    /// beside `schema_migrations`; dbmate does not).
    pub also: Option<fn(&Schema) -> bool>,
    /// Recognised under any table name when its columns are exactly these
    /// (tools whose table name is configurable and whose shape is unique).
    pub any_name_with_exactly: Option<&'static [&'static str]>,
    /// Tables the tool keeps beside its ledger (locks, metadata): never drift.
    pub companions: &'static [&'static str],
    /// What one ledger entry means for the migrations before it.
    pub entries: Entries,
    /// The query reading the ledger; every column is selected as text.
    pub query: fn(&LedgerTable) -> String,
    /// Reads the rows into the ledger (pure: tested without a database).
    pub read: fn(&mut Ledger, &[Row]),
}

/// What the rows of a ledger say about which migrations were applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entries {
    /// One row per applied migration.
    EachApplied,
    /// One version that implies every earlier one (golang-migrate).
    Cumulative,
    /// The heads of a revision graph; their ancestors are applied (Alembic).
    Heads,
}

impl LedgerDef {
    /// How specific a match is, so that tools sharing a table name are told
    /// apart by the most specific description that fits.
    fn specificity(&self) -> usize {
        self.columns.len() + usize::from(self.also.is_some())
    }
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

    pub fn repair(self) -> &'static crate::repair::RepairDef {
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

/// Every migration tool, in the order classifiers are tried.
pub static ALL: &[&ToolDef] = &[
    &alembic::TOOL,
    &flask_migrate::TOOL,
    &django::TOOL,
    &rails::TOOL,
    &prisma::TOOL,
    &flyway::TOOL,
    &liquibase::TOOL,
    &golang_migrate::TOOL,
    &sqlx::TOOL,
    &dbmate::TOOL,
    &goose::TOOL,
    &knex::TOOL,
    &sequelize::TOOL,
    &typeorm::TOOL,
    &node_pg_migrate::TOOL,
    &efcore::TOOL,
    &laravel::TOOL,
    &ecto::TOOL,
    &diesel::TOOL,
    &sqitch::TOOL,
    &atlas::TOOL,
];

/// Every tool.
pub fn all() -> impl Iterator<Item = Tool> {
    ALL.iter().map(|t| Tool(t))
}

/// A tool by id (`django`, `golang-migrate`).
pub fn find(id: &str) -> Option<Tool> {
    all().find(|t| t.id() == id)
}

/// The tool whose ledger a table of this schema is, if any.
pub fn ledger_of(schema: &Schema, table: &crate::schema::Table, name: &str) -> Option<Tool> {
    let lname = name.to_ascii_lowercase();
    let has = |c: &str| {
        table
            .columns
            .iter()
            .any(|col| col.name.eq_ignore_ascii_case(c))
    };
    let by_name = all()
        .filter_map(|t| t.ledger().map(|l| (t, l)))
        .filter(|(_, l)| {
            l.table == lname
                && l.columns.iter().all(|c| has(c))
                && l.also.is_none_or(|also| also(schema))
        })
        .max_by_key(|(_, l)| l.specificity());
    if let Some((t, _)) = by_name {
        return Some(t);
    }
    all().find(|t| {
        t.ledger()
            .and_then(|l| l.any_name_with_exactly)
            .is_some_and(|cols| table.columns.len() == cols.len() && cols.iter().all(|c| has(c)))
    })
}

/// Ledger tables and the tables tools keep beside them: never drift.
pub fn is_tool_table(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    all()
        .filter_map(Tool::ledger)
        .any(|l| l.table == n || l.companions.contains(&n.as_str()))
}

#[cfg(test)]
mod tests;
