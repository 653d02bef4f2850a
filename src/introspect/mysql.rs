//! MySQL and MariaDB introspection from `information_schema`, for the
//! connected database, in six queries whatever the number of tables.

use super::{Rows, field};
use crate::db::Connection;
use crate::schema::normalize;
use crate::schema::{
    Column, Constraint, ConstraintKind, Engine, Index, QName, Schema, Table, View,
};
use std::collections::BTreeMap;

// Long on purpose: one query per information_schema table (tables, columns, keys, indexes,
// checks, views), each followed by its reading into the schema; the blocks share the half-built schema.
pub async fn introspect(conn: &mut Connection) -> Result<Schema, super::QueryError> {
    let mut schema = Schema::new(Engine::Mysql);
    let q = |name: &str| QName::new("", name);

    let tables: Rows = super::run(conn, "tables", "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()").await?;
    for r in &tables {
        if field(r, 1) == "BASE TABLE" || field(r, 1) == "SYSTEM VERSIONED" {
            schema.tables.insert(q(field(r, 0)), Table::default());
        }
    }

    let cols: Rows = super::run(conn, "columns",
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION \
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, ORDINAL_POSITION").await?;
    for r in &cols {
        let Some(t) = schema.tables.get_mut(&q(field(r, 0))) else {
            continue;
        };
        let extra = field(r, 5).to_ascii_lowercase();
        let generated = (extra.contains("generated")
            || extra.contains("virtual")
            || extra.contains("persistent")
            || extra.contains("stored"))
            && !extra.contains("default_generated");
        // MariaDB reports a NULL default as the text `NULL`.
        let default = r.get(4).cloned().flatten().filter(|d| d != "NULL");
        t.columns.push(Column {
            name: field(r, 1).to_string(),
            data_type: Some(normalize::type_name(field(r, 2))),
            nullable: Some(field(r, 3) == "YES"),
            default: if generated { None } else { default },
            identity: extra
                .contains("auto_increment")
                .then(|| "auto_increment".to_string()),
            generated: generated.then(|| field(r, 6).to_string()),
        });
    }

    let stats: Rows = super::run(conn, "indexes",
        "SELECT TABLE_NAME, INDEX_NAME, CAST(NON_UNIQUE AS CHAR), COLUMN_NAME, CAST(SUB_PART AS CHAR), INDEX_TYPE, COLLATION \
         FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX").await?;
    let mut grouped: BTreeMap<(String, String), (bool, Vec<String>, String)> = BTreeMap::new();
    for r in &stats {
        let entry = grouped
            .entry((field(r, 0).to_string(), field(r, 1).to_string()))
            .or_insert_with(|| {
                (
                    field(r, 2) == "0",
                    Vec::new(),
                    field(r, 5).to_ascii_lowercase(),
                )
            });
        let mut key = match r.get(3).cloned().flatten() {
            Some(c) => c,
            None => "(expression)".into(),
        };
        if let Some(len) = r.get(4).cloned().flatten() {
            key.push_str(&format!("({len})"));
        }
        if field(r, 6) == "D" {
            key.push_str(" DESC");
        }
        entry.1.push(key);
    }
    for ((table, name), (unique, keys, method)) in grouped {
        let Some(t) = schema.tables.get_mut(&q(&table)) else {
            continue;
        };
        if name == "PRIMARY" {
            t.constraints.push(Constraint {
                name,
                kind: ConstraintKind::PrimaryKey { columns: keys },
            });
        } else if unique {
            // A MySQL unique key is both a constraint and an index.
            t.constraints.push(Constraint {
                name,
                kind: ConstraintKind::Unique { columns: keys },
            });
        } else {
            t.indexes.push(Index {
                name,
                keys,
                unique: false,
                predicate: None,
                method: (method != "btree").then_some(method),
            });
        }
    }

    let fks: Rows = super::run(conn, "foreign keys",
        "SELECT k.TABLE_NAME, k.CONSTRAINT_NAME, k.COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, k.REFERENCED_TABLE_NAME, k.REFERENCED_COLUMN_NAME, \
                r.UPDATE_RULE, r.DELETE_RULE, DATABASE() \
         FROM information_schema.KEY_COLUMN_USAGE k JOIN information_schema.REFERENTIAL_CONSTRAINTS r \
           ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME \
         WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL \
         ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION").await?;
    // (table, constraint) → (columns, referenced table, referenced columns, on update, on delete)
    type FkParts = (Vec<String>, String, Vec<String>, String, String);
    let mut fk_groups: BTreeMap<(String, String), FkParts> = BTreeMap::new();
    for r in &fks {
        let references = if field(r, 3) == field(r, 8) {
            field(r, 4).to_string()
        } else {
            format!("{}.{}", field(r, 3), field(r, 4))
        };
        let e = fk_groups
            .entry((field(r, 0).to_string(), field(r, 1).to_string()))
            .or_insert_with(|| {
                (
                    Vec::new(),
                    references,
                    Vec::new(),
                    normalize::action(field(r, 6)),
                    normalize::action(field(r, 7)),
                )
            });
        e.0.push(field(r, 2).to_string());
        e.2.push(field(r, 5).to_string());
    }
    for ((table, name), (columns, references, referenced_columns, on_update, on_delete)) in
        fk_groups
    {
        if let Some(t) = schema.tables.get_mut(&q(&table)) {
            t.constraints.push(Constraint {
                name,
                kind: ConstraintKind::ForeignKey {
                    columns,
                    references,
                    referenced_columns,
                    on_delete,
                    on_update,
                },
            });
        }
    }

    // CHECK constraints exist from MySQL 8.0.16 and MariaDB 10.2; older
    // servers have no such view, and then there are none to read.
    let checks: Rows = super::run(conn, "check constraints",
        "SELECT tc.TABLE_NAME, cc.CONSTRAINT_NAME, cc.CHECK_CLAUSE FROM information_schema.TABLE_CONSTRAINTS tc \
         JOIN information_schema.CHECK_CONSTRAINTS cc ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME \
         WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.CONSTRAINT_TYPE = 'CHECK'").await.unwrap_or_default();
    for r in &checks {
        let Some(t) = schema.tables.get_mut(&q(field(r, 0))) else {
            continue;
        };
        let name = field(r, 1);
        let clause = field(r, 2);
        // MariaDB implements JSON as LONGTEXT with an automatic
        // `json_valid(col)` check named after the column: that is the type.
        if clause.replace('`', "") == format!("json_valid({name})")
            && let Some(c) = t.column_mut(name)
        {
            c.data_type = Some("json".into());
            continue;
        }
        t.constraints.push(Constraint {
            name: name.to_string(),
            kind: ConstraintKind::Check {
                expression: clause.to_string(),
            },
        });
    }

    let views: Rows = super::run(conn, "views", "SELECT TABLE_NAME, VIEW_DEFINITION, TABLE_SCHEMA FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE()").await?;
    for r in &views {
        // MySQL qualifies every table in a view's text with the database
        // (`` `shop`.`orders` ``): the same view in another database (a
        // shadow) must read the same.
        let own = format!("`{}`.", field(r, 2).replace('`', "``"));
        schema.views.insert(
            q(field(r, 0)),
            View {
                definition: field(r, 1).replace(&own, ""),
                materialized: false,
            },
        );
    }

    schema.sort();
    Ok(schema)
}
