//! Migration tools. Everything preflight knows about one tool lives in its
//! own file and is registered once, in [`ALL`]: its name and documentation,
//! the classifier and rules of the linter, the commands that apply migrations
//! cleanly (tested), how its ledger is recognised, queried and read, and how
//! its CLI is driven one revision at a time for replayed expectations.
//!
//! Adding a tool: write `tools/<tool>.rs` with a `pub static TOOL: ToolDef`
//! and add its name to `registry!` below. Nothing else matches on tools; the
//! rule catalogue, the ledger detection, the replay command and the tests
//! iterate over [`ALL`].

pub(crate) mod prelude;
pub(crate) mod util;

use crate::definitions::{Tool, ToolDef};
use crate::schema::Schema;

/// The program a `python -m <module>` runs, for modules of known tools.
pub fn python_module_program(module: &str) -> Option<&'static str> {
    all().find_map(|t| {
        let cli = &t.def().cli;
        cli.python_modules.contains(&module).then_some(cli.program)
    })
}

/// The program a script under `node_modules/<package>/` runs.
pub fn node_package_program(package: &str) -> Option<&'static str> {
    all().find_map(|t| {
        let cli = &t.def().cli;
        cli.node_packages.contains(&package).then_some(cli.program)
    })
}

/// Migration tools preflight has no file for yet, whose program names still
/// say that a package manager runs a tool (`yarn db-migrate …`).
const OTHER_PROGRAMS: &[&str] = &["db-migrate"];

/// A migration tool's program, as package managers run it.
pub fn is_tool_program(name: &str) -> bool {
    OTHER_PROGRAMS.contains(&name) || all().any(|t| t.def().cli.programs.contains(&name))
}

/// The program of a container image whose entrypoint is a migration tool
/// (`registry.example.com/flyway/flyway:10` → `flyway`).
pub fn image_program(image: &str) -> Option<&'static str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let repo = match without_digest.rfind(':') {
        Some(i) if !without_digest[i..].contains('/') => &without_digest[..i],
        _ => without_digest,
    };
    all().find_map(|t| {
        let cli = &t.def().cli;
        cli.images
            .iter()
            .any(|img| repo == *img || repo.ends_with(&format!("/{img}")))
            .then_some(cli.program)
    })
}

/// The registry as command analysis asks it about launchers.
pub struct Registry;

impl crate::command::ToolPrograms for Registry {
    fn python_module(&self, module: &str) -> Option<&'static str> {
        python_module_program(module)
    }

    fn node_package(&self, package: &str) -> Option<&'static str> {
        node_package_program(package)
    }

    fn is_tool_program(&self, name: &str) -> bool {
        is_tool_program(name)
    }
}

/// The registry: one line per tool, in the order their classifiers are tried.
/// Each name is both the tool's file (`tools/<name>.rs`, declared as a module
/// here) and its entry in [`ALL`], so a tool is registered in one place.
macro_rules! registry {
    ($($tool:ident),* $(,)?) => {
        $(pub(crate) mod $tool;)*
        /// Every tool, in classifier order.
        pub static ALL: &[&ToolDef] = &[$(&$tool::TOOL),*];
    };
}

registry! {
    alembic,
    flask_migrate,
    django,
    rails,
    prisma,
    drizzle,
    flyway,
    liquibase,
    golang_migrate,
    sqlx,
    dbmate,
    goose,
    knex,
    sequelize,
    typeorm,
    node_pg_migrate,
    efcore,
    laravel,
    ecto,
    diesel,
    sqitch,
    atlas,
}

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
