//! PostgreSQL introspection from `pg_catalog`.
//!
//! Catalogs, not `information_schema`: a role without privileges on a table
//! still sees it in the catalogs (information_schema hides what the role
//! cannot use). Seven queries cover any number of tables. Raw catalog columns
//! are read and the model is built here; server-side deparsing
//! (`pg_get_expr`, `pg_get_indexdef`, `pg_get_constraintdef`,
//! `pg_get_viewdef`) is only used for what can only be compared as text:
//! defaults, index expressions and predicates, check constraints and views.

use super::{IntrospectOptions, Rows, field, flag};
use crate::db::Connection;
use crate::schema::normalize;
use crate::schema::{
    Column, Constraint, ConstraintKind, Engine, EnumType, Index, QName, Schema, Sequence, Table,
    View,
};
use std::collections::HashMap;

const SEP: char = '\u{1f}';

fn schema_filter(opts: &IntrospectOptions) -> String {
    if opts.schemas.is_empty() {
        "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'".into()
    } else {
        let list: Vec<String> = opts
            .schemas
            .iter()
            .map(|s| format!("'{}'", s.replace('\'', "''")))
            .collect();
        format!("n.nspname IN ({})", list.join(", "))
    }
}

/// Objects that belong to extensions (PostGIS tables, extension types) are not the app's.
const NOT_EXTENSION_CLASS: &str = "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid AND x.deptype = 'e')";

pub async fn introspect(
    conn: &mut Connection,
    opts: &IntrospectOptions,
) -> Result<Schema, super::QueryError> {
    let filter = schema_filter(opts);
    let mut schema = Schema::new(Engine::Postgres);

    // Relations.
    let rels: Rows = super::run(conn, "tables", &format!(
        "SELECT c.oid::text, n.nspname, c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r','p','f','v','m') AND NOT c.relispartition AND {filter} AND {NOT_EXTENSION_CLASS}"
    )).await?;
    let mut tables_by_oid: HashMap<String, QName> = HashMap::new();
    let mut views: Vec<(String, QName, bool)> = Vec::new();
    for r in &rels {
        let q = QName::new(field(r, 1), field(r, 2));
        match field(r, 3) {
            "v" => views.push((field(r, 0).to_string(), q, false)),
            "m" => views.push((field(r, 0).to_string(), q, true)),
            _ => {
                tables_by_oid.insert(field(r, 0).to_string(), q.clone());
                schema.tables.insert(q, Table::default());
            }
        }
    }

    // Columns, with the raw pieces of their type.
    let cols: Rows = super::run(conn, "columns", &format!(
        "SELECT a.attrelid::text, a.attnum::text, a.attname, t.typname, tn.nspname, a.atttypmod::text, a.attnotnull::text, \
                a.attidentity::text, a.attgenerated::text, et.typname, etn.nspname \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace \
         LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A' LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','f') AND NOT c.relispartition AND {filter} AND {NOT_EXTENSION_CLASS} \
         ORDER BY a.attrelid, a.attnum"
    )).await?;
    // (table oid, attnum) → column name, for keys of indexes and constraints.
    let mut attnames: HashMap<(String, String), String> = HashMap::with_capacity(cols.len());
    for r in &cols {
        let Some(table) = tables_by_oid
            .get(field(r, 0))
            .and_then(|q| schema.tables.get_mut(q))
        else {
            continue;
        };
        let typmod: i32 = field(r, 5).parse().unwrap_or(-1);
        let (typname, typschema, array) = match r.get(9).cloned().flatten() {
            Some(elem) => (elem, field(r, 10).to_string(), true),
            None => (field(r, 3).to_string(), field(r, 4).to_string(), false),
        };
        let mut ty = type_name(&typname, &typschema, typmod);
        if array {
            ty.push_str("[]");
        }
        let identity = match field(r, 7) {
            "a" => Some("always".to_string()),
            "d" => Some("by default".to_string()),
            _ => None,
        };
        attnames.insert(
            (field(r, 0).to_string(), field(r, 1).to_string()),
            field(r, 2).to_string(),
        );
        table.columns.push(Column {
            name: field(r, 2).to_string(),
            data_type: Some(ty),
            nullable: Some(!flag(r, 6)),
            default: None,
            identity,
            generated: (field(r, 8) == "s").then(String::new),
        });
    }

    // Defaults and generation expressions (deparsed: they are expressions).
    let defs: Rows = super::run(conn, "column defaults", &format!(
        "SELECT d.adrelid::text, d.adnum::text, pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d \
         JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r','p','f') AND NOT c.relispartition AND {filter}"
    )).await?;
    for r in &defs {
        let (Some(q), Some(col)) = (
            tables_by_oid.get(field(r, 0)),
            attnames.get(&(field(r, 0).to_string(), field(r, 1).to_string())),
        ) else {
            continue;
        };
        if let Some(c) = schema.tables.get_mut(q).and_then(|t| t.column_mut(col)) {
            let expr = field(r, 2).to_string();
            if c.generated.is_some() {
                c.generated = Some(expr);
            } else {
                c.default = Some(expr);
            }
        }
    }

    // Indexes; those backing primary key and unique constraints are described
    // by the constraint instead.
    let idx: Rows = super::run(conn, "indexes", &format!(
        "SELECT i.indrelid::text, ic.relname, i.indisunique::text, array_to_string(i.indkey, ' '), i.indnkeyatts::text, am.amname, \
                array_to_string(i.indoption, ' '), \
                CASE WHEN i.indexprs IS NOT NULL THEN (SELECT string_agg(pg_get_indexdef(i.indexrelid, k, true), E'\\x1f' ORDER BY k) FROM generate_series(1, i.indnkeyatts) k) END, \
                CASE WHEN i.indpred IS NOT NULL THEN pg_get_expr(i.indpred, i.indrelid, true) END, \
                (k.conindid IS NOT NULL)::text \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam \
         LEFT JOIN (SELECT DISTINCT conindid FROM pg_constraint WHERE contype IN ('p','u','x')) k ON k.conindid = i.indexrelid \
         WHERE c.relkind IN ('r','p') AND NOT c.relispartition AND {filter}"
    )).await?;
    for r in &idx {
        if flag(r, 9) {
            continue;
        }
        let Some(q) = tables_by_oid.get(field(r, 0)) else {
            continue;
        };
        let relid = field(r, 0);
        let nkey: usize = field(r, 4).parse().unwrap_or(0);
        let options: Vec<&str> = field(r, 6).split(' ').collect();
        let exprs: Vec<&str> = r
            .get(7)
            .and_then(|v| v.as_deref())
            .map(|s| s.split(SEP).collect())
            .unwrap_or_default();
        let keys: Vec<String> = field(r, 3)
            .split(' ')
            .take(nkey)
            .enumerate()
            .map(|(k, attnum)| {
                let mut key = if attnum == "0" {
                    format!(
                        "({})",
                        normalize::expression(exprs.get(k).copied().unwrap_or("?"))
                    )
                } else {
                    attnames
                        .get(&(relid.to_string(), attnum.to_string()))
                        .cloned()
                        .unwrap_or_else(|| format!("#{attnum}"))
                };
                // indoption bit 0: DESC.
                if options
                    .get(k)
                    .and_then(|o| o.parse::<i32>().ok())
                    .is_some_and(|o| o & 1 == 1)
                {
                    key.push_str(" DESC");
                }
                key
            })
            .collect();
        let method = field(r, 5);
        if let Some(t) = schema.tables.get_mut(q) {
            t.indexes.push(Index {
                name: field(r, 1).to_string(),
                keys,
                unique: flag(r, 2),
                predicate: r.get(8).cloned().flatten(),
                method: (method != "btree").then(|| method.to_string()),
            });
        }
    }

    // Constraints; referenced columns are named by the server.
    let cons: Rows = super::run(conn, "constraints", &format!(
        "SELECT co.conrelid::text, co.conname, co.contype::text, array_to_string(co.conkey, ' '), rn.nspname, rc.relname, \
                (SELECT string_agg(ra.attname, E'\\x1f' ORDER BY u.ord) FROM unnest(co.confkey) WITH ORDINALITY AS u(attnum, ord) \
                   JOIN pg_attribute ra ON ra.attrelid = co.confrelid AND ra.attnum = u.attnum), \
                co.confupdtype::text, co.confdeltype::text, \
                CASE WHEN co.contype = 'c' THEN pg_get_constraintdef(co.oid, true) END \
         FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class rc ON rc.oid = co.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
         WHERE co.contype IN ('p','u','f','c') AND c.relkind IN ('r','p','f') AND NOT c.relispartition AND {filter}"
    )).await?;
    for r in &cons {
        let Some(q) = tables_by_oid.get(field(r, 0)) else {
            continue;
        };
        let relid = field(r, 0);
        let columns: Vec<String> = field(r, 3)
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(|a| {
                attnames
                    .get(&(relid.to_string(), a.to_string()))
                    .cloned()
                    .unwrap_or_else(|| format!("#{a}"))
            })
            .collect();
        let kind = match field(r, 2) {
            "p" => ConstraintKind::PrimaryKey { columns },
            "u" => ConstraintKind::Unique { columns },
            "f" => ConstraintKind::ForeignKey {
                columns,
                references: QName::new(field(r, 4), field(r, 5)).to_string(),
                referenced_columns: field(r, 6)
                    .split(SEP)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                on_update: fk_action(field(r, 7)),
                on_delete: fk_action(field(r, 8)),
            },
            _ => {
                let def = field(r, 9);
                let def = def.strip_prefix("CHECK ").unwrap_or(def);
                let def = def.strip_suffix(" NOT VALID").unwrap_or(def);
                ConstraintKind::Check {
                    expression: def.to_string(),
                }
            }
        };
        if let Some(t) = schema.tables.get_mut(q) {
            t.constraints.push(Constraint {
                name: field(r, 1).to_string(),
                kind,
            });
        }
    }

    // Enum types.
    let enums: Rows = super::run(conn, "enum types", &format!(
        "SELECT n.nspname, t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid \
         JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {filter} \
         AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_type'::regclass AND x.objid = t.oid AND x.deptype = 'e') \
         ORDER BY n.nspname, t.typname, e.enumsortorder"
    )).await?;
    for r in &enums {
        schema
            .enums
            .entry(QName::new(field(r, 0), field(r, 1)))
            .or_insert_with(|| EnumType { labels: Vec::new() })
            .labels
            .push(field(r, 2).to_string());
    }

    // Standalone sequences (those owned by a column are implied by its default or identity).
    let seqs: Rows = super::run(conn, "sequences", &format!(
        "SELECT n.nspname, c.relname, format_type(s.seqtypid, NULL), s.seqincrement::text FROM pg_sequence s \
         JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE {filter} AND {NOT_EXTENSION_CLASS} AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass \
           AND d.objid = s.seqrelid AND d.deptype IN ('a','i'))"
    )).await?;
    for r in &seqs {
        schema.sequences.insert(
            QName::new(field(r, 0), field(r, 1)),
            Sequence {
                data_type: normalize::type_name(field(r, 2)),
                increment: field(r, 3).parse().unwrap_or(1),
                owned_by: None,
            },
        );
    }

    // Views (their definitions can only be compared as text).
    if !views.is_empty() {
        let oids: Vec<&str> = views.iter().map(|(oid, _, _)| oid.as_str()).collect();
        let defs: Rows = super::run(conn, "view definitions", &format!(
            "SELECT c.oid::text, pg_get_viewdef(c.oid, true) FROM pg_class c WHERE c.oid IN ({})",
            oids.join(",")
        )).await?;
        let by_oid: HashMap<&str, &str> = defs.iter().map(|r| (field(r, 0), field(r, 1))).collect();
        for (oid, q, materialized) in views {
            let definition = by_oid
                .get(oid.as_str())
                .map(|d| d.trim().trim_end_matches(';').to_string())
                .unwrap_or_default();
            schema.views.insert(
                q,
                View {
                    definition,
                    materialized,
                },
            );
        }
    }

    schema.sort();
    Ok(schema)
}

fn fk_action(code: &str) -> String {
    match code {
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        "r" => "RESTRICT",
        _ => "NO ACTION",
    }
    .to_string()
}

/// A column type from `pg_type.typname` and `atttypmod`, without asking the
/// server to format it.
fn type_name(typname: &str, typschema: &str, typmod: i32) -> String {
    let base = match typname {
        "varchar" if typmod >= 4 => format!("varchar({})", typmod - 4),
        "bpchar" if typmod >= 4 => format!("char({})", typmod - 4),
        "numeric" if typmod >= 4 => {
            let t = typmod - 4;
            let (p, s) = ((t >> 16) & 0xffff, t & 0xffff);
            format!("numeric({p},{s})")
        }
        "bit" | "varbit" if typmod >= 0 => format!("{typname}({typmod})"),
        "timestamp" | "timestamptz" | "time" | "timetz" | "interval"
            if typmod >= 0 && typmod != 6 =>
        {
            format!("{typname}({typmod})")
        }
        _ if typschema == "pg_catalog" => typname.to_string(),
        // User types (enums, domains, composites) by name; `public` is implicit.
        _ => QName::new(typschema, typname).to_string(),
    };
    normalize::type_name(&base)
}

#[cfg(test)]
mod tests {
    #[test]
    fn types_come_from_typname_and_typmod() {
        use super::type_name;
        assert_eq!(type_name("varchar", "pg_catalog", 259), "varchar(255)");
        assert_eq!(
            type_name("numeric", "pg_catalog", ((12 << 16) | 2) + 4),
            "numeric(12,2)"
        );
        assert_eq!(type_name("int4", "pg_catalog", -1), "integer");
        assert_eq!(type_name("timestamptz", "pg_catalog", -1), "timestamptz");
        assert_eq!(type_name("order_status", "public", -1), "order_status");
        assert_eq!(type_name("mood", "app", -1), "app.mood");
    }
}
