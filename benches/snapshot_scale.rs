//! Snapshot files at scale, without a database:
//!
//! - a 100-revision history of a 1,000-table schema, stored as changes:
//!   file size (target: under 10 MB), gzip size, and the time to load it;
//! - a 10,000-table schema (19 columns and 2.5 indexes per table, 188k
//!   columns in all): the time to load its snapshot and to diagnose a live
//!   schema identical to it — preflight's own CPU in `verify` (target:
//!   under 1 s with introspection; `benches/schema_scale.sh` times the
//!   whole command against PostgreSQL).
//!
//! `cargo bench --bench snapshot_scale`
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

use preflight::definitions::Ledger;
use preflight::diagnosis;
use preflight::expected::snapshot::{self, SnapshotFile};
use preflight::expected::{Expected, SourceKind};
use preflight::schema::{Column, Constraint, ConstraintKind, Engine, Index, QName, Schema, Table};
use std::time::Instant;

fn column(name: &str, ty: &str, nullable: bool, default: Option<&str>) -> Column {
    Column {
        name: name.into(),
        data_type: Some(ty.into()),
        nullable: Some(nullable),
        default: default.map(str::to_owned),
        identity: None,
        generated: None,
    }
}

/// A table of the shape `schema_scale.sh` creates, widened to `cols` columns.
fn table(i: usize, cols: usize) -> Table {
    let mut t = Table {
        columns: vec![
            column("id", "bigint", false, Some("nextval('t_id_seq'::regclass)")),
            column("name", "varchar(100)", false, None),
            column("email", "varchar(255)", true, None),
            column("amount", "numeric(12,2)", false, Some("0")),
            column("status", "text", false, Some("'new'::text")),
            column("created_at", "timestamptz", false, Some("now()")),
            column("parent_id", "bigint", true, None),
        ],
        ..Table::default()
    };
    for c in t.columns.len()..cols {
        t.columns
            .push(column(&format!("extra_{c}"), "text", true, None));
    }
    t.indexes.push(Index {
        name: format!("t{i}_parent_idx"),
        keys: vec!["parent_id".into()],
        unique: false,
        predicate: None,
        method: None,
    });
    t.indexes.push(Index {
        name: format!("t{i}_created_idx"),
        keys: vec!["created_at".into()],
        unique: false,
        predicate: None,
        method: None,
    });
    if i.is_multiple_of(2) {
        t.indexes.push(Index {
            name: format!("t{i}_name_idx"),
            keys: vec!["lower((name)::text)".into()],
            unique: false,
            predicate: None,
            method: None,
        });
    }
    t.constraints.push(Constraint {
        name: format!("t{i}_pkey"),
        kind: ConstraintKind::PrimaryKey {
            columns: vec!["id".into()],
        },
    });
    t.constraints.push(Constraint {
        name: format!("t{i}_email_key"),
        kind: ConstraintKind::Unique {
            columns: vec!["email".into()],
        },
    });
    if i > 0 {
        t.constraints.push(Constraint {
            name: format!("t{i}_parent_id_fkey"),
            kind: ConstraintKind::ForeignKey {
                columns: vec!["parent_id".into()],
                references: format!("t{}", i - 1),
                referenced_columns: vec!["id".into()],
                on_delete: "CASCADE".into(),
                on_update: "NO ACTION".into(),
            },
        });
    }
    if i.is_multiple_of(10) {
        t.constraints.push(Constraint {
            name: format!("t{i}_amount_check"),
            kind: ConstraintKind::Check {
                expression: "(amount >= (0)::numeric)".into(),
            },
        });
    }
    t.sort();
    t
}

fn mb(bytes: usize) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn history() {
    // Revision 0 creates 100 tables; each of the 99 others creates 9 and
    // changes 3 that exist (a column, an index).
    let mut schema = Schema::new(Engine::Postgres);
    let mut schemas = Vec::new();
    let mut next = 0usize;
    for rev in 0..100 {
        let new = if rev == 0 { 100 } else { 9 };
        for _ in 0..new {
            schema
                .tables
                .insert(QName::new("public", format!("t{next}")), table(next, 12));
            next += 1;
        }
        if rev > 0 {
            for k in 0..3 {
                let q = QName::new("public", format!("t{}", (rev * 7 + k * 13) % next));
                if let Some(t) = schema.tables.get_mut(&q) {
                    t.columns
                        .push(column(&format!("added_in_{rev}"), "integer", true, None));
                    t.indexes.push(Index {
                        name: format!("{}_added_{rev}_idx", q.name),
                        keys: vec![format!("added_in_{rev}")],
                        unique: false,
                        predicate: None,
                        method: None,
                    });
                    t.sort();
                }
            }
        }
        schemas.push((Some(format!("{rev:03}_revision")), schema.clone(), None));
    }
    let expected = Expected::from_schemas(SourceKind::Snapshot, "bench".into(), schemas);
    let file = SnapshotFile::from_expected(&expected);
    let json = file.to_json();
    let gz = snapshot::gzip(json.as_bytes()).unwrap_or_default();
    let whole: usize = (0..100)
        .map(|i| expected.schema_at(i).to_json().len())
        .sum();
    let started = Instant::now();
    let parsed = SnapshotFile::parse(json.as_bytes()).expect("parse");
    let loaded = parsed
        .into_expected(std::path::Path::new("bench.json"))
        .expect("load");
    let head_tables = loaded.head().tables.len();
    let load = started.elapsed();
    println!(
        "100 revisions, {head_tables} tables at the head: {:.2} MB ({:.2} MB gzip; {:.1} MB as one schema per revision), loaded in {} ms",
        mb(json.len()),
        mb(gz.len()),
        mb(whole),
        load.as_millis()
    );
}

fn large() {
    let mut schema = Schema::new(Engine::Postgres);
    for i in 0..10_000 {
        schema
            .tables
            .insert(QName::new("public", format!("t{i}")), table(i, 19));
    }
    let (tables, columns, indexes) = schema.counts();
    let expected = Expected::from_schemas(
        SourceKind::Snapshot,
        "bench".into(),
        vec![(Some("head".into()), schema.clone(), None)],
    );
    let json = SnapshotFile::from_expected(&expected).to_json();
    let gz = snapshot::gzip(json.as_bytes()).unwrap_or_default();
    let mut best_load = u128::MAX;
    let mut best_diagnose = u128::MAX;
    for _ in 0..3 {
        let started = Instant::now();
        let loaded = SnapshotFile::parse(json.as_bytes())
            .expect("parse")
            .into_expected(std::path::Path::new("bench.json"))
            .expect("load");
        best_load = best_load.min(started.elapsed().as_millis());
        let mut ledger = Ledger::new(
            preflight::tools::find("alembic").expect("alembic"),
            &QName::new("public", "alembic_version"),
        );
        ledger.current = vec!["head".into()];
        ledger.applied = ledger.current.clone();
        let started = Instant::now();
        let d = diagnosis::diagnose(&loaded, Some(&ledger), &schema);
        best_diagnose = best_diagnose.min(started.elapsed().as_millis());
        assert_eq!(d.verdict, diagnosis::Verdict::InSync, "{}", d.reason);
    }
    println!(
        "{tables} tables, {columns} columns, {indexes} indexes: snapshot {:.1} MB ({:.1} MB gzip); load {best_load} ms, diagnose {best_diagnose} ms",
        mb(json.len()),
        mb(gz.len())
    );
}

fn main() {
    history();
    large();
}
