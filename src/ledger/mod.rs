//! Ledgers: the tables where migration tools record what they applied.
//! Detected from the introspected schema (table names, then columns to tell
//! tools that share a table name apart), then read in the same read-only
//! session.

pub mod read;

use crate::db::Connection;
use crate::schema::{QName, Schema};
use crate::tools::Tool;
use serde::Serialize;
use std::collections::BTreeMap;

/// What a ledger says.
#[derive(Debug, Clone, Serialize)]
pub struct Ledger {
    pub tool: Tool,
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
    pub fn new(tool: Tool, table: &QName) -> Ledger {
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

/// Ledger tables and the tables tools keep beside them: never drift.
pub fn is_tool_table(name: &str) -> bool {
    crate::tools::is_tool_table(name)
}

/// The ledger tables of a schema, best first.
pub fn detect(schema: &Schema) -> Vec<(Tool, QName)> {
    schema
        .tables
        .iter()
        .filter_map(|(q, table)| {
            crate::tools::ledger_of(schema, table, &q.name).map(|t| (t, q.clone()))
        })
        .collect()
}

/// Reads a detected ledger.
pub async fn read(
    conn: &mut Connection,
    tool: Tool,
    table: &QName,
    schema: &Schema,
) -> Result<Ledger, crate::introspect::QueryError> {
    let Some(def) = tool.ledger() else {
        return Ok(Ledger::new(tool, table));
    };
    let t = read::LedgerTable {
        engine: conn.engine(),
        name: table,
        columns: schema
            .tables
            .get(table)
            .map(|t| t.columns.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default(),
    };
    let rows = crate::introspect::run(conn, "the migration ledger", &(def.query)(&t)).await?;
    let mut ledger = Ledger::new(tool, table);
    (def.read)(&mut ledger, &rows);
    Ok(ledger)
}
