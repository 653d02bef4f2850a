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

pub(crate) mod alembic;
pub(crate) mod atlas;
pub(crate) mod dbmate;
pub(crate) mod diesel;
pub(crate) mod django;
pub(crate) mod ecto;
pub(crate) mod efcore;
pub(crate) mod flask_migrate;
pub(crate) mod flyway;
pub(crate) mod golang_migrate;
pub(crate) mod goose;
pub(crate) mod knex;
pub(crate) mod laravel;
pub(crate) mod liquibase;
pub(crate) mod node_pg_migrate;
pub(crate) mod prelude;
pub(crate) mod prisma;
pub(crate) mod rails;
pub(crate) mod sequelize;
pub(crate) mod sqitch;
pub(crate) mod sqlx;
pub(crate) mod typeorm;
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
/// say that a package manager runs a tool (`yarn drizzle-kit …`).
const OTHER_PROGRAMS: &[&str] = &["db-migrate", "drizzle-kit"];

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
