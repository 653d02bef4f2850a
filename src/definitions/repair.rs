//! Repairs as preflight defines them: how a tool's CLI brings its ledger and
//! the schema back together (`RepairDef`, declared in each tool's file). The
//! repair engine (`repair/`) builds plans from these definitions.

use super::replay::Project;

/// How a tool's CLI repairs its ledger: everything the plans need to know
/// about one tool, declared in its own file.
pub struct RepairDef {
    /// Applies every pending migration.
    pub apply: &'static [&'static str],
    /// Applies every pending migration when the revisions have several heads
    /// (Alembic branches: `upgrade heads`, as `upgrade head` refuses).
    pub apply_heads: Option<&'static [&'static str]>,
    /// Takes revisions out of the ledger without touching the schema.
    pub unrecord: Unrecord,
    /// Clears a failed migration's mark once its effects are undone.
    pub dirty: Dirty,
    /// Accepts an applied file's edit (records the new checksum).
    pub accept_checksum: Option<Accept>,
    /// How a plan's command runs on a shadow when the replay does not drive
    /// the CLI itself (Alembic through its Python API, TypeORM through its
    /// DataSource): the runner's arguments for the CLI's.
    pub shadow_cli: Option<ShadowCli>,
}

impl RepairDef {
    /// What most tools have: no separate command for branched heads, no
    /// failure mark, no way to accept an edit, no shadow runner of their
    /// own. A tool file states its `apply` and `unrecord` and spreads this.
    pub const DEFAULT: RepairDef = RepairDef {
        apply: &[],
        apply_heads: None,
        unrecord: Unrecord::To(|_| Vec::new()),
        dirty: Dirty::None,
        accept_checksum: None,
        shadow_cli: None,
    };
}

/// The runner's arguments for a CLI command, in the project.
pub type ShadowCli = fn(&Project, &[String]) -> Vec<String>;

/// How revisions recorded without being applied leave the ledger.
pub enum Unrecord {
    /// The tool sets its ledger to the revisions that remain (`alembic stamp
    /// R`, `migrate force V`); an empty list means none.
    To(fn(&[String]) -> Vec<String>),
    /// Django: `migrate --fake <app> <last kept|zero>` for each app.
    PerApp,
    /// No command for it: delete exactly those ledger rows.
    Rows(RowKey),
}

/// What names a row of the ledger.
#[derive(Debug, Clone, Copy)]
pub enum RowKey {
    /// One column holds the ledger entry.
    Column(&'static str),
    /// Liquibase: `filename::id::author`.
    Liquibase,
}

/// How a failed migration's mark is cleared.
pub enum Dirty {
    /// The tool's command, given the failed revision and the last good one.
    Command {
        args: fn(&str, Option<&str>) -> Vec<String>,
        means: &'static str,
    },
    /// Delete the failed row, then apply again.
    Rows(RowKey),
    /// The tool keeps no failure mark.
    None,
}

/// A tool's command that accepts an edited file.
pub struct Accept {
    pub args: &'static [&'static str],
    pub means: &'static str,
}
