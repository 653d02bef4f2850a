//! Drift is complete and fair: for generated schemas, every object kind ×
//! missing / extra / changed is reported as exactly that, and a schema
//! compared with itself — or with another engine's spelling of it — has
//! no differences.

use super::*;
use crate::schema::{EnumType, Sequence, View};
use proptest::prelude::*;

fn column(name: &str, ty: &str, nullable: bool) -> Column {
    Column {
        name: name.into(),
        data_type: Some(ty.into()),
        nullable: Some(nullable),
        default: None,
        identity: None,
        generated: None,
    }
}

/// A table `t<n>` with an id, a few columns, an index, a unique constraint,
/// a check and (after the first) a foreign key to the table before.
fn table(n: usize, extra_cols: usize) -> Table {
    let mut t = Table {
        columns: vec![
            column("id", "integer", false),
            column("name", "varchar(100)", false),
        ],
        ..Table::default()
    };
    for c in 0..extra_cols {
        t.columns.push(column(&format!("c{c}"), "text", true));
    }
    t.indexes.push(Index {
        name: format!("ix_t{n}_name"),
        keys: vec!["name".into()],
        unique: false,
        predicate: None,
        method: None,
    });
    t.constraints.push(Constraint {
        name: format!("t{n}_pkey"),
        kind: ConstraintKind::PrimaryKey {
            columns: vec!["id".into()],
        },
    });
    t.constraints.push(Constraint {
        name: format!("t{n}_name_key"),
        kind: ConstraintKind::Unique {
            columns: vec!["name".into()],
        },
    });
    t.constraints.push(Constraint {
        name: format!("t{n}_name_check"),
        kind: ConstraintKind::Check {
            expression: "char_length(name) > 0".into(),
        },
    });
    if n > 0 {
        t.columns.push(column("parent_id", "integer", true));
        t.constraints.push(Constraint {
            name: format!("t{n}_parent_fkey"),
            kind: ConstraintKind::ForeignKey {
                columns: vec!["parent_id".into()],
                references: format!("t{}", n - 1),
                referenced_columns: vec!["id".into()],
                on_delete: "CASCADE".into(),
                on_update: "NO ACTION".into(),
            },
        });
    }
    t.sort();
    t
}

fn schema(tables: usize, extra_cols: usize) -> Schema {
    let mut s = Schema::new(Engine::Postgres);
    for n in 0..tables {
        s.tables
            .insert(QName::new("public", format!("t{n}")), table(n, extra_cols));
    }
    s.views.insert(
        QName::new("public", "v"),
        View {
            definition: "SELECT id FROM t0".into(),
            materialized: false,
        },
    );
    s.enums.insert(
        QName::new("public", "mood"),
        EnumType {
            labels: vec!["sad".into(), "happy".into()],
        },
    );
    s.sequences.insert(
        QName::new("public", "counter"),
        Sequence {
            data_type: "bigint".into(),
            increment: 1,
            owned_by: None,
        },
    );
    s
}

#[derive(Debug, Clone, Copy)]
enum Mutation {
    DropTable,
    AddTable,
    DropColumn,
    AddColumn,
    ChangeColumnType,
    ChangeNullability,
    DropIndex,
    AddIndex,
    ChangeIndex,
    DropUnique,
    AddUnique,
    DropCheck,
    AddCheck,
    ChangeCheck,
    DropForeignKey,
    AddForeignKey,
    ChangeForeignKey,
    ChangePrimaryKey,
    DropView,
    AddView,
    ChangeView,
    DropEnum,
    AddEnum,
    ChangeEnum,
    DropSequence,
    AddSequence,
    ChangeSequence,
}

const ALL: &[Mutation] = &[
    Mutation::DropTable,
    Mutation::AddTable,
    Mutation::DropColumn,
    Mutation::AddColumn,
    Mutation::ChangeColumnType,
    Mutation::ChangeNullability,
    Mutation::DropIndex,
    Mutation::AddIndex,
    Mutation::ChangeIndex,
    Mutation::DropUnique,
    Mutation::AddUnique,
    Mutation::DropCheck,
    Mutation::AddCheck,
    Mutation::ChangeCheck,
    Mutation::DropForeignKey,
    Mutation::AddForeignKey,
    Mutation::ChangeForeignKey,
    Mutation::ChangePrimaryKey,
    Mutation::DropView,
    Mutation::AddView,
    Mutation::ChangeView,
    Mutation::DropEnum,
    Mutation::AddEnum,
    Mutation::ChangeEnum,
    Mutation::DropSequence,
    Mutation::AddSequence,
    Mutation::ChangeSequence,
];

// Long on purpose: one arm per mutation kind of the property test, a table of cases.
/// Applies the mutation to the live side (table `t<k>`, `k >= 1`) and says
/// which item the diff must report.
fn mutate(live: &mut Schema, m: Mutation, k: usize) -> (Change, ObjectKind) {
    let q = QName::new("public", format!("t{k}"));
    let t = live.tables.get_mut(&q).expect("table");
    let drop_constraint = |t: &mut Table, suffix: &str| {
        t.constraints.retain(|c| !c.name.ends_with(suffix));
    };
    use Change::*;
    use ObjectKind as O;
    match m {
        Mutation::DropTable => {
            // Drop the last table, so no foreign key points at it.
            let last = live.tables.keys().last().cloned().expect("a table");
            live.tables.remove(&last);
            (Missing, O::Table)
        }
        Mutation::AddTable => {
            live.tables
                .insert(QName::new("public", "zz_new"), table(0, 0));
            (Extra, O::Table)
        }
        Mutation::DropColumn => {
            t.columns.retain(|c| c.name != "c0");
            (Missing, O::Column)
        }
        Mutation::AddColumn => {
            t.columns.push(column("surprise", "text", true));
            (Extra, O::Column)
        }
        Mutation::ChangeColumnType => {
            t.column_mut("c0").expect("c0").data_type = Some("integer".into());
            (Changed, O::Column)
        }
        Mutation::ChangeNullability => {
            t.column_mut("c0").expect("c0").nullable = Some(false);
            (Changed, O::Column)
        }
        Mutation::DropIndex => {
            t.indexes.clear();
            (Missing, O::Index)
        }
        Mutation::AddIndex => {
            t.indexes.push(Index {
                name: "ix_extra".into(),
                keys: vec!["c0".into()],
                unique: false,
                predicate: Some("c0 IS NOT NULL".into()),
                method: None,
            });
            (Extra, O::Index)
        }
        Mutation::ChangeIndex => {
            t.indexes[0].keys = vec!["lower(name)".into()];
            (Changed, O::Index)
        }
        Mutation::DropUnique => {
            drop_constraint(t, "_name_key");
            (Missing, O::Constraint)
        }
        Mutation::AddUnique => {
            t.constraints.push(Constraint {
                name: "extra_key".into(),
                kind: ConstraintKind::Unique {
                    columns: vec!["c0".into()],
                },
            });
            (Extra, O::Constraint)
        }
        Mutation::DropCheck => {
            drop_constraint(t, "_name_check");
            (Missing, O::Constraint)
        }
        Mutation::AddCheck => {
            t.constraints.push(Constraint {
                name: "extra_check".into(),
                kind: ConstraintKind::Check {
                    expression: "(id > 0)".into(),
                },
            });
            (Extra, O::Constraint)
        }
        Mutation::ChangeCheck => {
            for c in &mut t.constraints {
                if let ConstraintKind::Check { expression } = &mut c.kind {
                    *expression = "char_length(name) > 1".into();
                }
            }
            (Changed, O::Constraint)
        }
        Mutation::DropForeignKey => {
            drop_constraint(t, "_parent_fkey");
            (Missing, O::Constraint)
        }
        Mutation::AddForeignKey => {
            t.constraints.push(Constraint {
                name: "extra_fkey".into(),
                kind: ConstraintKind::ForeignKey {
                    columns: vec!["c0".into()],
                    references: "t0".into(),
                    referenced_columns: vec!["name".into()],
                    on_delete: "NO ACTION".into(),
                    on_update: "NO ACTION".into(),
                },
            });
            (Extra, O::Constraint)
        }
        Mutation::ChangeForeignKey => {
            for c in &mut t.constraints {
                if let ConstraintKind::ForeignKey { on_delete, .. } = &mut c.kind {
                    *on_delete = "SET NULL".into();
                }
            }
            (Changed, O::Constraint)
        }
        Mutation::ChangePrimaryKey => {
            for c in &mut t.constraints {
                if let ConstraintKind::PrimaryKey { columns } = &mut c.kind {
                    columns.push("name".into());
                }
            }
            (Changed, O::Constraint)
        }
        Mutation::DropView => {
            live.views.clear();
            (Missing, O::View)
        }
        Mutation::AddView => {
            live.views.insert(
                QName::new("public", "extra_view"),
                View {
                    definition: "SELECT 1".into(),
                    materialized: false,
                },
            );
            (Extra, O::View)
        }
        Mutation::ChangeView => {
            for v in live.views.values_mut() {
                v.definition = "SELECT id, name FROM t0".into();
            }
            (Changed, O::View)
        }
        Mutation::DropEnum => {
            live.enums.clear();
            (Missing, O::Enum)
        }
        Mutation::AddEnum => {
            live.enums.insert(
                QName::new("public", "extra_enum"),
                EnumType {
                    labels: vec!["a".into()],
                },
            );
            (Extra, O::Enum)
        }
        Mutation::ChangeEnum => {
            for e in live.enums.values_mut() {
                e.labels.pop();
            }
            (Changed, O::Enum)
        }
        Mutation::DropSequence => {
            live.sequences.clear();
            (Missing, O::Sequence)
        }
        Mutation::AddSequence => {
            live.sequences.insert(
                QName::new("public", "extra_seq"),
                Sequence {
                    data_type: "bigint".into(),
                    increment: 1,
                    owned_by: None,
                },
            );
            (Extra, O::Sequence)
        }
        Mutation::ChangeSequence => {
            for s in live.sequences.values_mut() {
                s.increment = 10;
            }
            (Changed, O::Sequence)
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn every_kind_and_change_is_reported_as_itself(
        tables in 2usize..6,
        extra_cols in 1usize..4,
        which in 0usize..ALL.len(),
        k in 1usize..6,
    ) {
        let expected = schema(tables, extra_cols);
        prop_assert!(diff(&expected, &expected, DiffOptions::default()).is_empty());
        let mut live = expected.clone();
        let m = ALL[which];
        let (change, object) = mutate(&mut live, m, k.min(tables - 1));
        let items = diff(&expected, &live, DiffOptions::default());
        prop_assert!(
            items.iter().any(|d| d.change == change && d.object == object),
            "{m:?}: expected {change:?} {object:?}, got {items:#?}"
        );
        // Exactly one object is reported (a dropped table also takes its
        // indexes with it, which people look for by name).
        let objects: BTreeSet<(Change, ObjectKind)> =
            items.iter().map(|d| (d.change, d.object)).collect();
        let allowed: BTreeSet<(Change, ObjectKind)> = match m {
            Mutation::DropTable => [(Change::Missing, ObjectKind::Table), (Change::Missing, ObjectKind::Index)].into(),
            _ => [(change, object)].into(),
        };
        prop_assert_eq!(objects, allowed, "{:?}: {:#?}", m, items);
    }
}

#[test]
fn engine_spellings_are_not_drift() {
    let mut expected = schema(2, 1);
    let mut live = expected.clone();
    // A migration file's spelling against the engine's.
    let t = expected
        .tables
        .get_mut(&QName::new("public", "t1"))
        .expect("t1");
    for c in &mut t.constraints {
        if let ConstraintKind::Check { expression } = &mut c.kind {
            *expression = "char_length(name)>0".into();
        }
    }
    t.indexes[0].keys = vec!["name ASC".into()];
    let lt = live
        .tables
        .get_mut(&QName::new("public", "t1"))
        .expect("t1");
    for c in &mut lt.constraints {
        if let ConstraintKind::Check { expression } = &mut c.kind {
            *expression = "(char_length((name)::text) > 0)".into();
        }
    }
    lt.columns[1].data_type = Some("character varying(100)".into());
    assert_eq!(diff(&expected, &live, DiffOptions::default()), []);
}

#[test]
fn relaxed_tables_are_informational() {
    let expected = schema(2, 1);
    let mut live = expected.clone();
    live.tables.remove(&QName::new("public", "t1"));
    let relaxed: BTreeSet<String> = ["t1".to_string()].into();
    let items = diff(
        &expected,
        &live,
        DiffOptions {
            partial: false,
            relaxed: Some(&relaxed),
        },
    );
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|d| d.severity == Severity::Info && d.note.is_some())
    );
}
