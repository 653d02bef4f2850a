//! Ledgers: the tables where migration tools record what they applied.
//! Detected from the introspected schema (table names, then columns to tell
//! tools that share a table name apart), then read in the same read-only
//! session.

mod read;

use crate::db::Connection;
use crate::schema::{QName, Schema};
use serde::Serialize;
use std::collections::BTreeMap;

/// A migration tool, as identified by its ledger table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LedgerTool {
    Alembic,
    Django,
    Flyway,
    GolangMigrate,
    Rails,
    Dbmate,
    Ecto,
    Prisma,
    Sqlx,
    Liquibase,
    Knex,
    NodePgMigrate,
    Sequelize,
    Goose,
    EfCore,
    Diesel,
    Laravel,
    Typeorm,
    Atlas,
}

impl LedgerTool {
    pub fn name(self) -> &'static str {
        match self {
            LedgerTool::Alembic => "alembic",
            LedgerTool::Django => "django",
            LedgerTool::Flyway => "flyway",
            LedgerTool::GolangMigrate => "golang-migrate",
            LedgerTool::Rails => "rails",
            LedgerTool::Dbmate => "dbmate",
            LedgerTool::Ecto => "ecto",
            LedgerTool::Prisma => "prisma",
            LedgerTool::Sqlx => "sqlx",
            LedgerTool::Liquibase => "liquibase",
            LedgerTool::Knex => "knex",
            LedgerTool::NodePgMigrate => "node-pg-migrate",
            LedgerTool::Sequelize => "sequelize",
            LedgerTool::Goose => "goose",
            LedgerTool::EfCore => "efcore",
            LedgerTool::Diesel => "diesel",
            LedgerTool::Laravel => "laravel",
            LedgerTool::Typeorm => "typeorm",
            LedgerTool::Atlas => "atlas",
        }
    }

    /// Tools whose version is a single value that implies every earlier one.
    pub fn version_is_cumulative(self) -> bool {
        matches!(self, LedgerTool::GolangMigrate | LedgerTool::Alembic)
    }
}

/// What a ledger says.
#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    pub tool: LedgerTool,
    /// The ledger table, schema-qualified when not in the default schema.
    pub table: String,
    /// Applied migrations, in the order they were applied (or sorted by version).
    pub applied: Vec<String>,
    /// The current version(s): Alembic's heads, golang-migrate's version, or
    /// the last applied migration.
    pub current: Vec<String>,
    /// Failed or half-applied migrations (golang-migrate `dirty`, Flyway
    /// `success = false`, Prisma rows never finished, sqlx `success = false`,
    /// Liquibase `FAILED`, Atlas errors).
    pub dirty: Vec<String>,
    /// Recorded checksums by migration (Flyway CRC32, Prisma SHA-256, sqlx SHA-384).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checksums: BTreeMap<String, String>,
    /// Things worth knowing (a Flyway baseline, several Alembic heads).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Ledger {
    pub(crate) fn new(tool: LedgerTool, table: &QName) -> Ledger {
        Ledger {
            tool,
            table: table.to_string(),
            applied: Vec::new(),
            current: Vec::new(),
            dirty: Vec::new(),
            checksums: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// The version to show: the current version(s) joined.
    pub fn version(&self) -> String {
        if self.current.is_empty() {
            "(empty)".into()
        } else {
            self.current.join(",")
        }
    }
}

/// Known ledger tables, with how to tell tools sharing a name apart.
const KNOWN: &[(&str, &[&str], LedgerTool)] = &[
    ("alembic_version", &["version_num"], LedgerTool::Alembic),
    ("django_migrations", &["app", "name"], LedgerTool::Django),
    (
        "flyway_schema_history",
        &["installed_rank"],
        LedgerTool::Flyway,
    ),
    ("schema_migrations", &["dirty"], LedgerTool::GolangMigrate),
    ("schema_migrations", &["inserted_at"], LedgerTool::Ecto),
    ("schema_migrations", &["version"], LedgerTool::Rails), // Rails or dbmate: decided by ar_internal_metadata
    (
        "_prisma_migrations",
        &["migration_name"],
        LedgerTool::Prisma,
    ),
    ("_sqlx_migrations", &["checksum"], LedgerTool::Sqlx),
    (
        "databasechangelog",
        &["orderexecuted"],
        LedgerTool::Liquibase,
    ),
    ("knex_migrations", &["batch"], LedgerTool::Knex),
    ("pgmigrations", &["run_on"], LedgerTool::NodePgMigrate),
    ("sequelizemeta", &["name"], LedgerTool::Sequelize),
    ("goose_db_version", &["version_id"], LedgerTool::Goose),
    (
        "__efmigrationshistory",
        &["migrationid"],
        LedgerTool::EfCore,
    ),
    (
        "__diesel_schema_migrations",
        &["version"],
        LedgerTool::Diesel,
    ),
    ("migrations", &["migration", "batch"], LedgerTool::Laravel),
    ("migrations", &["timestamp", "name"], LedgerTool::Typeorm),
    (
        "atlas_schema_revisions",
        &["version", "applied"],
        LedgerTool::Atlas,
    ),
];

/// Ledger tables and tables that only belong to migration tools (locks,
/// metadata): never reported as extra tables.
pub fn is_tool_table(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    KNOWN.iter().any(|(t, _, _)| *t == n)
        || matches!(
            n.as_str(),
            "ar_internal_metadata"
                | "databasechangeloglock"
                | "knex_migrations_lock"
                | "flyway_schema_history_s_idx"
        )
}

/// The ledger tables of a schema, best first.
pub fn detect(schema: &Schema) -> Vec<(LedgerTool, QName)> {
    let mut found = Vec::new();
    for (q, table) in &schema.tables {
        let lname = q.name.to_ascii_lowercase();
        let has = |c: &str| {
            table
                .columns
                .iter()
                .any(|col| col.name.eq_ignore_ascii_case(c))
        };
        if let Some((_, _, tool)) = KNOWN
            .iter()
            .find(|(t, cols, _)| *t == lname && cols.iter().all(|c| has(c)))
        {
            let tool = if *tool == LedgerTool::Rails
                && !schema
                    .tables
                    .keys()
                    .any(|k| k.name.eq_ignore_ascii_case("ar_internal_metadata"))
            {
                LedgerTool::Dbmate
            } else {
                *tool
            };
            found.push((tool, q.clone()));
        }
    }
    found
}

/// Reads a detected ledger.
pub async fn read(
    conn: &mut Connection,
    tool: LedgerTool,
    table: &QName,
    schema: &Schema,
) -> Result<Ledger, crate::introspect::QueryError> {
    read::read(conn, tool, table, schema).await
}
