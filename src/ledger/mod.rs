//! Ledgers: the tables where migration tools record what they applied.
//! Detected from the introspected schema (table names, then columns to tell
//! tools that share a table name apart), then read in the same read-only
//! session.

use crate::db::Connection;
use crate::definitions::Ledger;
use crate::definitions::Tool;
use crate::definitions::ledger::LedgerTable;
use crate::schema::{QName, Schema};

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
    let t = LedgerTable {
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
