//! A migration tool as preflight defines it: one `ToolDef` per tool (declared
//! in `tools/<tool>.rs`, registered in `tools::ALL`) and `Tool`, the handle the
//! engines pass around. Only types: nothing here iterates the registry.

use super::ledger::LedgerDef;
use super::repair::RepairDef;
use super::replay::Replay;
use super::rule::{Classified, Rule};
use super::sql_folder::SqlFolder;
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
    /// How release steps run it: programs, launchers, images, subcommands
    /// and options.
    pub cli: Cli,
    /// Reads one invocation; `None` quickly for programs the tool does not own.
    pub classify: fn(&Invocation) -> Option<Classified>,
    /// Release commands that apply migrations properly: the linter must stay
    /// silent on every one of them (a test checks).
    pub clean: &'static [&'static str],
    /// How it keeps SQL migrations in a folder, when it does.
    pub sql_folder: Option<SqlFolder>,
    /// Its ledger, when preflight can read it.
    pub ledger: Option<LedgerDef>,
    /// How its CLI repairs its ledger: the apply command, how revisions
    /// leave the ledger, how a failure mark is cleared.
    pub repair: RepairDef,
    /// How its CLI applies one revision at a time, or what to do instead.
    pub replay: Replay,
}

/// A tool's command line as release steps run it: one declaration that the
/// linter's classifier, command analysis, the spec readers and the repair
/// plans all read.
pub struct Cli {
    /// The program its classifier reads, as launchers name it (`python -m
    /// django` runs `django-admin`; golang-migrate's binary is `migrate`).
    pub program: &'static str,
    /// Every name the tool's program goes by when package managers and
    /// scripts run it (`yarn knex …`, `npm run typeorm -- …`).
    pub programs: &'static [&'static str],
    /// Python modules that run it (`python -m alembic`).
    pub python_modules: &'static [&'static str],
    /// npm packages whose scripts run it (`node node_modules/typeorm/cli.js`).
    pub node_packages: &'static [&'static str],
    /// Container images whose entrypoint is the tool, so a container's
    /// `args` alone are its arguments (`flyway/flyway`).
    pub images: &'static [&'static str],
    /// How people run it when no release step says otherwise (`npx knex`).
    pub run_as: &'static [&'static str],
    /// Subcommands that begin the tool's own arguments in a release command
    /// (`upgrade` in `python -m alembic -c alembic.ini upgrade head`): what
    /// comes before is the launcher a repair plan reuses.
    pub subcommands: &'static [&'static str],
    /// Options that take a value: their values are not positional arguments.
    pub value_options: &'static [&'static str],
    /// Options of a release command every repair step needs too (`-d
    /// data-source.js`, `--knexfile f`, `-c alembic.ini` after the verb).
    pub carried: &'static [&'static str],
}

impl Cli {
    /// Nothing declared: a tool file spreads it (`..Cli::NONE`) and states
    /// only what it has.
    pub const NONE: Cli = Cli {
        program: "",
        programs: &[],
        python_modules: &[],
        node_packages: &[],
        images: &[],
        run_as: &[],
        subcommands: &[],
        value_options: &[],
        carried: &[],
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
