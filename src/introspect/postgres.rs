//! PostgreSQL introspection from `pg_catalog`.
//!
//! Catalogs, not `information_schema`: a role without privileges on a table
//! still sees it in the catalogs (information_schema hides what the role
//! cannot use). A fixed number of queries covers any number of tables. Raw
//! catalog columns are read and the model is built here; server-side
//! deparsing is only used for what can only be compared as text — defaults
//! (deparsed without a relation context, which costs a fraction), index
//! expressions and predicates, check constraints and views.
//!
//! With a second connection sharing the first one's snapshot
//! (`pg_export_snapshot`), the queries run in two halves at once: the cheap
//! relation and column scans on one backend, the deparse-heavy index and
//! constraint queries on the other.

use super::{IntrospectOptions, QueryError};
use crate::schema::normalize;
use crate::schema::{
    Column, Constraint, ConstraintKind, Engine, EnumType, Index, QName, Schema, Sequence, Table,
    View,
};
use futures::TryStreamExt;
use rustc_hash::FxHashMap as HashMap;
use sqlx::postgres::{PgConnection, PgRow};
use sqlx::{AssertSqlSafe, Row};

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

/// Objects that belong to extensions (PostGIS tables, extension types) are
/// not the app's. Written as a join against the (few) extension members so
/// the planner hashes it instead of probing pg_depend once per row.
const EXTENSION_MEMBERS: &str = "LEFT JOIN (SELECT objid FROM pg_depend WHERE classid = 'pg_class'::regclass AND deptype = 'e') x ON x.objid = c.oid";
const NOT_EXTENSION_CLASS: &str = "x.objid IS NULL";
/// The same as a probe of pg_depend's index, for a few rows.
const NOT_EXTENSION_PROBE: &str = "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid AND x.objsubid = 0 AND x.deptype = 'e')";

/// Which relations the queries read, and how they find them.
///
/// Reading every schema, each query joins the whole catalogs (hash joins,
/// one pass each). Reading named schemas — one tenant's schema among
/// thousands — that would scan pg_class (it has no index on the namespace)
/// and pg_depend in every query: instead the tables query finds the
/// relations once and the other queries fetch by oid through the catalogs'
/// indexes.
#[derive(Clone)]
struct Scope {
    /// Condition on `n` (the object's namespace).
    schemas: String,
    /// Condition on `c` (the table) for per-table catalogs.
    tables: String,
    /// Excluding extension members: a join and its condition.
    ext_join: &'static str,
    ext_cond: &'static str,
    /// Standalone sequences: a join and condition excluding owned ones.
    owned_join: &'static str,
    owned_cond: &'static str,
    named: bool,
}

impl Scope {
    fn new(opts: &IntrospectOptions) -> Scope {
        let schemas = schema_filter(opts);
        if opts.schemas.is_empty() {
            Scope {
                tables: schemas.clone(),
                schemas,
                ext_join: EXTENSION_MEMBERS,
                ext_cond: NOT_EXTENSION_CLASS,
                owned_join: "LEFT JOIN (SELECT objid FROM pg_depend WHERE classid = 'pg_class'::regclass AND deptype IN ('a','i')) o ON o.objid = s.seqrelid",
                owned_cond: "o.objid IS NULL",
                named: false,
            }
        } else {
            Scope {
                tables: schemas.clone(),
                schemas,
                ext_join: "",
                ext_cond: NOT_EXTENSION_PROBE,
                owned_join: "",
                owned_cond: "NOT EXISTS (SELECT 1 FROM pg_depend o WHERE o.classid = 'pg_class'::regclass AND o.objid = s.seqrelid AND o.deptype IN ('a','i'))",
                named: true,
            }
        }
    }

    /// Named schemas, once their tables are known: per-table catalogs by oid
    /// (the oids already exclude extension members).
    fn by_oid(mut self, tables: &HashMap<i64, QName>) -> Scope {
        if self.named {
            let mut oids: Vec<String> = tables.keys().map(i64::to_string).collect();
            oids.sort_unstable();
            self.tables = if oids.is_empty() {
                "FALSE".into()
            } else {
                format!("c.oid IN ({})", oids.join(","))
            };
        }
        self
    }
}

/// Streams a query's rows into `f`, so no result set is held whole.
async fn each(
    conn: &mut PgConnection,
    what: &'static str,
    sql: String,
    mut f: impl FnMut(&PgRow) -> Result<(), sqlx::Error>,
) -> Result<(), QueryError> {
    let err = |e: sqlx::Error| QueryError::Server {
        what,
        source: e.into(),
    };
    let mut rows = sqlx::query(AssertSqlSafe(sql)).fetch(conn);
    while let Some(row) = rows.try_next().await.map_err(err)? {
        f(&row).map_err(err)?;
    }
    Ok(())
}

/// What the relation-and-column half reads.
#[derive(Default)]
struct Relations {
    tables: HashMap<i64, QName>,
    /// Per table oid, columns with their attnum.
    columns: HashMap<i64, Vec<(i16, Column)>>,
    views: Vec<(QName, String, bool)>,
    enums: Vec<(QName, String)>,
    sequences: Vec<(QName, Sequence)>,
}

/// What the index-and-constraint half reads (attnums still unresolved).
#[derive(Default)]
struct Keys {
    indexes: Vec<RawIndex>,
    constraints: Vec<RawConstraint>,
}

struct RawIndex {
    relid: i64,
    name: String,
    unique: bool,
    keys: Vec<i16>,
    options: Vec<i16>,
    method: String,
    expressions: Option<String>,
    predicate: Option<String>,
}

struct RawConstraint {
    relid: i64,
    name: String,
    kind: String,
    keys: Vec<i16>,
    ref_relid: i64,
    ref_keys: Vec<i16>,
    ref_table: Option<QName>,
    on_update: String,
    on_delete: String,
    check: Option<String>,
}

/// What the tables query found: tables (in `Relations`), views and
/// materialized views, and (for named schemas) sequences.
struct Found {
    relations: Relations,
    views: Vec<(i64, QName, bool)>,
    sequences: Vec<i64>,
}

async fn read_tables(conn: &mut PgConnection, scope: &Scope) -> Result<Found, QueryError> {
    let mut r = Relations::default();
    let mut view_oids: Vec<(i64, QName, bool)> = Vec::new();
    let mut sequences = Vec::new();
    let (filter, ext_join, ext_cond) = (&scope.schemas, scope.ext_join, scope.ext_cond);
    // Named schemas: the sequences come from this one pass over pg_class too.
    let kinds = if scope.named {
        "'r','p','f','v','m','S'"
    } else {
        "'r','p','f','v','m'"
    };
    each(conn, "tables", format!(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace {ext_join} \
         WHERE c.relkind IN ({kinds}) AND NOT c.relispartition AND {filter} AND {ext_cond}"
    ), |row| {
        let oid: i64 = row.try_get(0)?;
        let q = QName::new(row.try_get::<&str, _>(1)?, row.try_get::<&str, _>(2)?);
        match row.try_get::<&str, _>(3)? {
            "v" => view_oids.push((oid, q, false)),
            "m" => view_oids.push((oid, q, true)),
            "S" => sequences.push(oid),
            _ => {
                r.tables.insert(oid, q);
            }
        }
        Ok(())
    }).await?;
    Ok(Found {
        relations: r,
        views: view_oids,
        sequences,
    })
}

// Long on purpose: the catalog queries for relations, columns, defaults and identity/serial
// ownership read into one map keyed by OID; each query's rows fill what the previous ones started.
async fn read_relations(
    conn: &mut PgConnection,
    scope: &Scope,
    found: Found,
) -> Result<Relations, QueryError> {
    let Found {
        relations: mut r,
        views: view_oids,
        sequences: sequence_oids,
    } = found;
    let (filter, schemas) = (&scope.tables, &scope.schemas);
    // With tables found by oid, extension members are already left out.
    let (ext_join, ext_cond) = if scope.named {
        ("", "TRUE")
    } else {
        (scope.ext_join, scope.ext_cond)
    };

    // Tens of thousands of columns share a few dozen types: name each once.
    let mut type_cache: HashMap<(String, String, i32), String> = HashMap::default();
    each(conn, "columns", format!(
        "SELECT a.attrelid::int8, a.attnum, a.attname::text, t.typname::text, tn.nspname::text, a.atttypmod, a.attnotnull, \
                a.attidentity::text, a.attgenerated::text, et.typname::text, etn.nspname::text \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace \
         LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A' LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace {ext_join} \
         WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r','p','f') AND NOT c.relispartition AND {filter} AND {ext_cond}"
    ), |row| {
        let relid: i64 = row.try_get(0)?;
        let typmod: i32 = row.try_get(5)?;
        let (typname, typschema, array) = match row.try_get::<Option<&str>, _>(9)? {
            Some(elem) => (elem, row.try_get::<Option<&str>, _>(10)?.unwrap_or(""), true),
            None => (row.try_get::<&str, _>(3)?, row.try_get::<&str, _>(4)?, false),
        };
        let key = (typname.to_string(), typschema.to_string(), typmod);
        let mut ty = match type_cache.get(&key) {
            Some(t) => t.clone(),
            None => {
                let t = type_name(typname, typschema, typmod);
                type_cache.insert(key, t.clone());
                t
            }
        };
        if array {
            ty.push_str("[]");
        }
        let identity = match row.try_get::<&str, _>(7)? {
            "a" => Some("always".to_string()),
            "d" => Some("by default".to_string()),
            _ => None,
        };
        let column = Column {
            name: row.try_get::<&str, _>(2)?.to_string(),
            data_type: Some(ty),
            nullable: Some(!row.try_get::<bool, _>(6)?),
            default: None,
            identity,
            generated: (row.try_get::<&str, _>(8)? == "s").then(String::new),
        };
        r.columns.entry(relid).or_default().push((row.try_get(1)?, column));
        Ok(())
    }).await?;

    // Defaults cannot refer to columns, so they deparse without a relation
    // context (several times cheaper); generated columns need one.
    let mut defaults: Vec<(i64, i16, String)> = Vec::new();
    each(conn, "column defaults", format!(
        "SELECT d.adrelid::int8, d.adnum, CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, 0) ELSE pg_get_expr(d.adbin, d.adrelid) END \
         FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum \
         JOIN pg_class c ON c.oid = d.adrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE c.relkind IN ('r','p','f') AND NOT c.relispartition AND {filter}"
    ), |row| {
        defaults.push((row.try_get(0)?, row.try_get(1)?, row.try_get::<String, _>(2)?));
        Ok(())
    }).await?;
    for (relid, attnum, expr) in defaults {
        if let Some(c) = r
            .columns
            .get_mut(&relid)
            .and_then(|cols| cols.iter_mut().find(|(n, _)| *n == attnum))
        {
            if c.1.generated.is_some() {
                c.1.generated = Some(expr);
            } else {
                c.1.default = Some(expr);
            }
        }
    }

    each(conn, "enum types", format!(
        "SELECT n.nspname::text, t.typname::text, e.enumlabel::text FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid \
         JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {schemas} \
         AND NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = 'pg_type'::regclass AND x.objid = t.oid AND x.deptype = 'e') \
         ORDER BY n.nspname, t.typname, e.enumsortorder"
    ), |row| {
        r.enums.push((QName::new(row.try_get::<&str, _>(0)?, row.try_get::<&str, _>(1)?), row.try_get::<String, _>(2)?));
        Ok(())
    }).await?;

    // Standalone sequences (those owned by a column are implied by its default or identity).
    let (owned_join, owned_cond) = (scope.owned_join, scope.owned_cond);
    let (seq_filter, seq_ext_join, seq_ext_cond) = if scope.named {
        let oids: Vec<String> = sequence_oids.iter().map(i64::to_string).collect();
        let by_oid = if oids.is_empty() {
            "FALSE".to_string()
        } else {
            format!("c.oid IN ({})", oids.join(","))
        };
        (by_oid, "", "TRUE")
    } else {
        (schemas.clone(), scope.ext_join, scope.ext_cond)
    };
    each(conn, "sequences", format!(
        "SELECT n.nspname::text, c.relname::text, format_type(s.seqtypid, NULL), s.seqincrement FROM pg_sequence s \
         JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace {seq_ext_join} {owned_join} \
         WHERE {seq_filter} AND {seq_ext_cond} AND {owned_cond}"
    ), |row| {
        let seq = Sequence { data_type: normalize::type_name(row.try_get::<&str, _>(2)?), increment: row.try_get(3)?, owned_by: None };
        r.sequences.push((QName::new(row.try_get::<&str, _>(0)?, row.try_get::<&str, _>(1)?), seq));
        Ok(())
    }).await?;

    // View bodies can only be compared as text.
    if !view_oids.is_empty() {
        let list: Vec<String> = view_oids
            .iter()
            .map(|(oid, _, _)| oid.to_string())
            .collect();
        let mut defs: HashMap<i64, String> = HashMap::default();
        each(conn, "view definitions", format!("SELECT c.oid::int8, pg_get_viewdef(c.oid, true) FROM pg_class c WHERE c.oid IN ({})", list.join(",")), |row| {
            defs.insert(row.try_get(0)?, row.try_get::<String, _>(1)?);
            Ok(())
        }).await?;
        for (oid, q, materialized) in view_oids {
            let definition = defs
                .get(&oid)
                .map(|d| d.trim().trim_end_matches(';').to_string())
                .unwrap_or_default();
            r.views.push((q, definition, materialized));
        }
    }
    Ok(r)
}

async fn read_keys(conn: &mut PgConnection, filter: &str) -> Result<Keys, QueryError> {
    let mut k = Keys::default();
    // Indexes backing primary key and unique constraints are described by the constraint.
    each(conn, "indexes", format!(
        "SELECT i.indrelid::int8, ic.relname::text, i.indisunique, string_to_array(i.indkey::text, ' ')::int2[], i.indnkeyatts, am.amname::text, string_to_array(i.indoption::text, ' ')::int2[], \
                CASE WHEN i.indexprs IS NOT NULL THEN pg_get_expr(i.indexprs, i.indrelid, true) END, \
                CASE WHEN i.indpred IS NOT NULL THEN pg_get_expr(i.indpred, i.indrelid, true) END \
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class c ON c.oid = i.indrelid \
         JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_am am ON am.oid = ic.relam \
         WHERE c.relkind IN ('r','p') AND NOT c.relispartition AND {filter} \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = i.indrelid AND k.conindid = i.indexrelid AND k.contype IN ('p','u','x'))"
    ), |row| {
        let nkey: i16 = row.try_get(4)?;
        let mut keys: Vec<i16> = row.try_get(3)?;
        keys.truncate(nkey.max(0) as usize);
        k.indexes.push(RawIndex {
            relid: row.try_get(0)?,
            name: row.try_get(1)?,
            unique: row.try_get(2)?,
            keys,
            options: row.try_get(6)?,
            method: row.try_get(5)?,
            expressions: row.try_get(7)?,
            predicate: row.try_get(8)?,
        });
        Ok(())
    }).await?;

    Ok(k)
}

async fn read_constraints(
    conn: &mut PgConnection,
    filter: &str,
) -> Result<Vec<RawConstraint>, QueryError> {
    let mut k = Keys::default();
    each(conn, "constraints", format!(
        "SELECT co.conrelid::int8, co.conname::text, co.contype::text, co.conkey, co.confrelid::int8, co.confkey, \
                co.confupdtype::text, co.confdeltype::text, \
                CASE WHEN co.contype = 'c' THEN pg_get_expr(co.conbin, co.conrelid, true) END, rn.nspname::text, rc.relname::text \
         FROM pg_constraint co JOIN pg_class c ON c.oid = co.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
         LEFT JOIN pg_class rc ON rc.oid = co.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
         WHERE co.contype IN ('p','u','f','c') AND c.relkind IN ('r','p','f') AND NOT c.relispartition AND {filter}"
    ), |row| {
        let ref_table = match (row.try_get::<Option<&str>, _>(9)?, row.try_get::<Option<&str>, _>(10)?) {
            (Some(s), Some(t)) => Some(QName::new(s, t)),
            _ => None,
        };
        k.constraints.push(RawConstraint {
            relid: row.try_get(0)?,
            name: row.try_get(1)?,
            kind: row.try_get(2)?,
            keys: row.try_get::<Option<Vec<i16>>, _>(3)?.unwrap_or_default(),
            ref_relid: row.try_get(4)?,
            ref_keys: row.try_get::<Option<Vec<i16>>, _>(5)?.unwrap_or_default(),
            ref_table,
            on_update: row.try_get(6)?,
            on_delete: row.try_get(7)?,
            check: row.try_get(8)?,
        });
        Ok(())
    }).await?;
    Ok(k.constraints)
}

/// Introspects on `conn`; with `second` (sharing `conn`'s snapshot), the two
/// halves run concurrently, the second on a task of its own so that decoding
/// its rows does not wait for the first half's (the runtime may give it
/// another thread). The second connection is handed back.
pub async fn introspect(
    conn: &mut PgConnection,
    second: Option<PgConnection>,
    opts: &IntrospectOptions,
) -> Result<(Schema, Option<PgConnection>), QueryError> {
    let scope = Scope::new(opts);
    // Deparsing with a relation context first warms the backend's caches for
    // that relation; index expressions and check constraints share the
    // warm-up when they run on the same backend.
    let mut returned = None;
    let (relations, keys) = match second {
        Some(mut other) => {
            // The second half needs the scope's tables: at once when it reads
            // every schema, after the tables query for named schemas.
            let (tx, rx) = tokio::sync::oneshot::channel::<Scope>();
            let mut tx = Some(tx);
            if !scope.named
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(scope.clone());
            }
            let task = tokio::spawn(async move {
                let keys = async {
                    // A closed channel: the first half failed and says why.
                    let Ok(scope) = rx.await else {
                        return Ok(Keys::default());
                    };
                    let mut keys = read_keys(&mut other, &scope.tables).await?;
                    keys.constraints = read_constraints(&mut other, &scope.tables).await?;
                    Ok::<_, QueryError>(keys)
                }
                .await;
                (other, keys)
            });
            let a = async {
                let found = read_tables(conn, &scope).await?;
                let scope = scope.clone().by_oid(&found.relations.tables);
                if let Some(tx) = tx.take() {
                    let _ = tx.send(scope.clone());
                }
                read_relations(conn, &scope, found).await
            }
            .await;
            drop(tx);
            let (other, b) = task.await.map_err(|source| QueryError::Reader {
                what: "indexes and constraints",
                source,
            })?;
            returned = Some(other);
            (a?, b?)
        }
        None => {
            let found = read_tables(conn, &scope).await?;
            let scope = scope.by_oid(&found.relations.tables);
            let relations = read_relations(conn, &scope, found).await?;
            let mut keys = read_keys(conn, &scope.tables).await?;
            keys.constraints = read_constraints(conn, &scope.tables).await?;
            (relations, keys)
        }
    };
    let mut ref_names: HashMap<(i64, i16), String> = HashMap::default();
    // Referenced tables outside the checked schemas: their key columns by name.
    let outside: Vec<i64> = keys
        .constraints
        .iter()
        .filter(|c| c.kind == "f" && !relations.columns.contains_key(&c.ref_relid))
        .map(|c| c.ref_relid)
        .collect();
    if !outside.is_empty() {
        let list: Vec<String> = outside.iter().map(i64::to_string).collect();
        each(conn, "referenced columns", format!("SELECT attrelid::int8, attnum, attname::text FROM pg_attribute WHERE attrelid IN ({}) AND attnum > 0", list.join(",")), |row| {
            ref_names.insert((row.try_get(0)?, row.try_get(1)?), row.try_get(2)?);
            Ok(())
        })
        .await?;
    }
    Ok((assemble(relations, keys, &ref_names), returned))
}

// Long on purpose: turns the catalog rows into the schema: tables, then keys and indexes that
// refer to them, then the names of references outside; a straight sequence over one set of maps.
fn assemble(relations: Relations, keys: Keys, outside: &HashMap<(i64, i16), String>) -> Schema {
    let Relations {
        tables,
        columns,
        views,
        enums,
        sequences,
    } = relations;
    let mut schema = Schema::new(Engine::Postgres);
    // (table oid, attnum) → column name, for the keys of indexes and constraints.
    let mut attnames: HashMap<(i64, i16), String> = outside.clone();
    let mut built: HashMap<i64, Table> =
        HashMap::with_capacity_and_hasher(tables.len(), Default::default());
    for (oid, mut cols) in columns {
        cols.sort_by_key(|(n, _)| *n);
        for (n, c) in &cols {
            attnames.insert((oid, *n), c.name.clone());
        }
        built.insert(
            oid,
            Table {
                columns: cols.into_iter().map(|(_, c)| c).collect(),
                ..Table::default()
            },
        );
    }
    let name = |relid: i64, attnum: i16| {
        attnames
            .get(&(relid, attnum))
            .cloned()
            .unwrap_or_else(|| format!("#{attnum}"))
    };

    for ix in keys.indexes {
        let mut exprs = ix
            .expressions
            .as_deref()
            .map(split_top_level)
            .unwrap_or_default()
            .into_iter();
        let key_names: Vec<String> = ix
            .keys
            .iter()
            .enumerate()
            .map(|(k, &attnum)| {
                let mut key = if attnum == 0 {
                    format!(
                        "({})",
                        normalize::expression(&exprs.next().unwrap_or_else(|| "?".into()))
                    )
                } else {
                    name(ix.relid, attnum)
                };
                // indoption bit 0: DESC.
                if ix.options.get(k).is_some_and(|o| o & 1 == 1) {
                    key.push_str(" DESC");
                }
                key
            })
            .collect();
        if let Some(t) = built.get_mut(&ix.relid) {
            t.indexes.push(Index {
                name: ix.name,
                keys: key_names,
                unique: ix.unique,
                predicate: ix.predicate,
                method: (ix.method != "btree").then_some(ix.method),
            });
        }
    }
    for co in keys.constraints {
        let cols: Vec<String> = co.keys.iter().map(|&a| name(co.relid, a)).collect();
        let kind = match co.kind.as_str() {
            "p" => ConstraintKind::PrimaryKey { columns: cols },
            "u" => ConstraintKind::Unique { columns: cols },
            "f" => ConstraintKind::ForeignKey {
                columns: cols,
                references: co.ref_table.map(|q| q.to_string()).unwrap_or_default(),
                referenced_columns: co.ref_keys.iter().map(|&a| name(co.ref_relid, a)).collect(),
                on_update: fk_action(&co.on_update),
                on_delete: fk_action(&co.on_delete),
            },
            _ => ConstraintKind::Check {
                expression: co.check.unwrap_or_default(),
            },
        };
        if let Some(t) = built.get_mut(&co.relid) {
            t.constraints.push(Constraint {
                name: co.name,
                kind,
            });
        }
    }
    for (oid, q) in tables {
        schema
            .tables
            .insert(q, built.remove(&oid).unwrap_or_default());
    }
    for (q, label) in enums {
        schema
            .enums
            .entry(q)
            .or_insert_with(|| EnumType { labels: Vec::new() })
            .labels
            .push(label);
    }
    for (q, s) in sequences {
        schema.sequences.insert(q, s);
    }
    for (q, definition, materialized) in views {
        schema.views.insert(
            q,
            View {
                definition,
                materialized,
            },
        );
    }
    schema.sort();
    schema
}

/// Splits `a, lower(b), c` at top-level commas (as `pg_get_expr` prints a list).
fn split_top_level(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote = false;
    let mut current = String::new();
    for c in s.chars() {
        match c {
            '\'' => quote = !quote,
            '(' if !quote => depth += 1,
            ')' if !quote => depth -= 1,
            ',' if !quote && depth == 0 => {
                parts.push(std::mem::take(&mut current).trim().to_string());
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    if !current.trim().is_empty() {
        parts.push(current.trim().to_string());
    }
    parts
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
    use super::*;

    #[test]
    fn types_come_from_typname_and_typmod() {
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

    #[test]
    fn expression_lists_split_at_top_level() {
        assert_eq!(
            split_top_level("lower((name)::text), (a + b), coalesce(x, 'a,b')"),
            ["lower((name)::text)", "(a + b)", "coalesce(x, 'a,b')"]
        );
    }
}
