//! Verdicts on small, exact histories: every verdict, and the cases where
//! a healthy database must never be accused.

use super::*;
use crate::expected::changes::Changes;
use crate::expected::{Revision, SourceKind};
use crate::schema::{Column, Constraint, ConstraintKind, Engine, QName, Table};
use crate::tools;

fn table(cols: &[&str]) -> Table {
    let mut t = Table {
        columns: cols
            .iter()
            .map(|c| {
                let mut col = Column::named(*c);
                col.data_type = Some("integer".into());
                col.nullable = Some(*c != "id");
                col
            })
            .collect(),
        ..Table::default()
    };
    t.constraints.push(Constraint {
        name: String::new(),
        kind: ConstraintKind::PrimaryKey {
            columns: vec!["id".into()],
        },
    });
    t
}

/// A schema from `name(col, col)` specs.
fn schema(tables: &[(&str, &[&str])]) -> Schema {
    let mut s = Schema::new(Engine::Postgres);
    for (n, cols) in tables {
        s.tables.insert(QName::new("public", *n), table(cols));
    }
    s.sort();
    s
}

/// Expectations from the schema after each revision.
fn expected(revs: &[(&str, Schema)]) -> Expected {
    Expected::from_schemas(
        SourceKind::Snapshot,
        "test".into(),
        revs.iter()
            .map(|(id, s)| (Some(id.to_string()), s.clone(), None))
            .collect(),
    )
}

fn ledger(tool: &str, applied: &[&str], current: &[&str]) -> Ledger {
    let mut l = Ledger::new(tools::find(tool).expect("tool"), &QName::new("", "ledger"));
    l.applied = applied.iter().map(|s| s.to_string()).collect();
    l.current = current.iter().map(|s| s.to_string()).collect();
    l
}

fn incident() -> Expected {
    expected(&[
        ("001", schema(&[("users", &["id", "email"])])),
        (
            "002",
            schema(&[("users", &["id", "email"]), ("orgs", &["id"])]),
        ),
        (
            "003",
            schema(&[
                ("users", &["id", "email"]),
                ("orgs", &["id"]),
                ("sessions", &["id", "user_id"]),
            ]),
        ),
        (
            "004",
            schema(&[
                ("users", &["id", "email"]),
                ("orgs", &["id"]),
                ("sessions", &["id", "user_id"]),
                ("notifications", &["id"]),
            ]),
        ),
    ])
}

fn alembic(heads: &[&str]) -> Ledger {
    ledger("alembic", heads, heads)
}

#[test]
fn the_incident_is_ledger_ahead_at_the_revision_the_schema_matches() {
    let e = incident();
    let live = e.schema_at(1);
    let d = diagnose(&e, Some(&alembic(&["004"])), &live);
    assert_eq!(d.verdict, Verdict::LedgerAhead, "{}", d.reason);
    assert_eq!(d.matched_revision.as_deref(), Some("002"));
    assert_eq!(d.recorded_not_applied, ["003", "004"]);
    assert!(
        d.reason.contains("tables sessions and notifications"),
        "{}",
        d.reason
    );
}

#[test]
fn an_honest_ledger_at_every_revision_is_pending_or_in_sync() {
    let e = incident();
    for i in 0..4 {
        let id = format!("00{}", i + 1);
        let d = diagnose(&e, Some(&alembic(&[&id])), &e.schema_at(i));
        let want = if i == 3 {
            Verdict::InSync
        } else {
            Verdict::Pending
        };
        assert_eq!(d.verdict, want, "at {id}: {}", d.reason);
        assert_eq!(
            d.matched_revision.as_deref(),
            Some(if i == 3 { "004" } else { &id[..] })
        );
        assert_eq!(d.pending.len(), 3 - i);
    }
}

#[test]
fn migrations_applied_without_being_recorded_are_a_manual_change() {
    let e = incident();
    let d = diagnose(&e, Some(&alembic(&["002"])), &e.schema_at(3));
    assert_eq!(d.verdict, Verdict::ManualChange, "{}", d.reason);
    assert_eq!(d.applied_not_recorded, ["003", "004"]);
}

#[test]
fn a_revision_applied_half_way_and_not_recorded_is_dirty_with_what_exists() {
    // Revision 003 creates two tables; only one exists (MySQL stopped half-way).
    let e = expected(&[
        ("001", schema(&[("users", &["id"])])),
        (
            "002",
            schema(&[("users", &["id"]), ("a", &["id"]), ("b", &["id"])]),
        ),
    ]);
    let live = schema(&[("users", &["id"]), ("a", &["id"])]);
    let d = diagnose(&e, Some(&alembic(&["001"])), &live);
    assert_eq!(d.verdict, Verdict::Dirty, "{}", d.reason);
    let p = d.partly_applied.expect("partly applied");
    assert_eq!(p.revision, "002");
    assert_eq!(p.present, ["table a"]);
    assert_eq!(p.absent, ["table b"]);
}

#[test]
fn django_apps_migrated_to_different_points_are_pending() {
    // Two apps; `library` is two migrations short of its head.
    let s1 = schema(&[("library_author", &["id"])]);
    let s2 = schema(&[("library_author", &["id"]), ("accounts_user", &["id"])]);
    let s3 = schema(&[
        ("library_author", &["id", "email"]),
        ("accounts_user", &["id"]),
    ]);
    let s4 = schema(&[
        ("library_author", &["id", "email"]),
        ("accounts_user", &["id"]),
        ("library_review", &["id"]),
    ]);
    let e = expected(&[
        ("library.0001_initial", s1),
        ("accounts.0001_initial", s2.clone()),
        ("library.0002_email", s3),
        ("library.0003_reviews", s4),
    ]);
    let l = ledger(
        "django",
        &["library.0001_initial", "accounts.0001_initial"],
        &["accounts.0001_initial", "library.0001_initial"],
    );
    let d = diagnose(&e, Some(&l), &s2);
    assert_eq!(d.verdict, Verdict::Pending, "{}", d.reason);
    assert_eq!(d.pending, ["library.0002_email", "library.0003_reviews"]);

    // The same with a snapshot of the migrated database only (one revision
    // standing for every entry of its ledger): still pending, never ahead.
    let mut head = Expected::new(SourceKind::Snapshot, "head".into(), Vec::new());
    let mut r = Revision::new(
        Some("library.0003_reviews".into()),
        Changes::create(&e.schema_at(3)),
    );
    r.entries = vec![
        "library.0001_initial".into(),
        "accounts.0001_initial".into(),
        "library.0002_email".into(),
    ];
    head.revisions.push(r);
    head.reindex();
    let d = diagnose(&head, Some(&l), &s2);
    assert_eq!(d.verdict, Verdict::Pending, "{}", d.reason);
    assert_eq!(d.pending, ["library.0003_reviews", "library.0002_email"]);
    assert!(d.reason.contains("table library_review"), "{}", d.reason);
    // Every entry recorded and a table missing: the ledger runs ahead.
    let all = ledger(
        "django",
        &[
            "library.0001_initial",
            "accounts.0001_initial",
            "library.0002_email",
            "library.0003_reviews",
        ],
        &["accounts.0001_initial", "library.0003_reviews"],
    );
    let d = diagnose(&head, Some(&all), &e.schema_at(2));
    assert_eq!(d.verdict, Verdict::LedgerAhead, "{}", d.reason);
}

#[test]
fn ordered_names_before_a_head_only_snapshot_are_pending_not_unknown() {
    let s = schema(&[("a", &["id"]), ("b", &["id"])]);
    let e = expected(&[("20240102_b.js", s)]);
    let l = ledger("knex", &["20240101_a.js"], &["20240101_a.js"]);
    let d = diagnose(&e, Some(&l), &schema(&[("a", &["id"])]));
    assert_eq!(d.verdict, Verdict::Pending, "{}", d.reason);
    assert_eq!(d.pending, ["20240102_b.js"]);
    // A later name than anything known is unknown: newer code migrated it.
    let l = ledger("knex", &["20240103_c.js"], &["20240103_c.js"]);
    let d = diagnose(&e, Some(&l), &schema(&[("a", &["id"])]));
    assert_eq!(d.verdict, Verdict::UnknownRevision, "{}", d.reason);
}

/// An entry no expectation knows (another version of the code migrated the
/// database): the verdict stays unknown_revision, but a schema that is
/// exactly one revision's says which; one that is none says none.
#[test]
fn an_unknown_entry_still_names_the_revision_the_schema_is() {
    let e = incident();
    let d = diagnose(&e, Some(&alembic(&["ffff"])), &e.schema_at(2));
    assert_eq!(d.verdict, Verdict::UnknownRevision, "{}", d.reason);
    assert_eq!(d.matched_revision.as_deref(), Some("003"), "{}", d.reason);
    assert!(d.reason.contains("exactly 003's"), "{}", d.reason);
    let odd = schema(&[("users", &["id"]), ("elsewhere", &["id"])]);
    let d = diagnose(&e, Some(&alembic(&["ffff"])), &odd);
    assert_eq!(d.verdict, Verdict::UnknownRevision);
    assert_eq!(d.matched_revision, None, "{}", d.reason);
}

#[test]
fn alembic_branches_are_read_as_a_graph() {
    // base → a1 (branch a); base → b1 (branch b); two heads.
    let base = schema(&[("users", &["id"])]);
    let a1 = schema(&[("users", &["id"]), ("a", &["id"])]);
    let b1 = schema(&[("users", &["id"]), ("a", &["id"]), ("b", &["id"])]);
    let mut e = expected(&[("base", base.clone()), ("a1", a1), ("b1", b1)]);
    e.revisions[1].parents = vec!["base".into()];
    e.revisions[2].parents = vec!["base".into()];
    // Only branch b applied: the ledger's head is b1 alone.
    let live = schema(&[("users", &["id"]), ("b", &["id"])]);
    let d = diagnose(&e, Some(&alembic(&["b1"])), &live);
    assert_eq!(d.verdict, Verdict::Pending, "{}", d.reason);
    assert_eq!(d.pending, ["a1"]);
    // Both heads recorded, branch a stamped.
    let d = diagnose(&e, Some(&alembic(&["a1", "b1"])), &live);
    assert_eq!(d.verdict, Verdict::LedgerAhead, "{}", d.reason);
    assert_eq!(d.recorded_not_applied, ["a1"]);
}

#[test]
fn a_cumulative_version_claims_every_earlier_revision() {
    let e = incident();
    let mut l = ledger("golang-migrate", &["3"], &["3"]);
    l.applied = vec!["3".into()];
    let e2 = expected(&[
        ("1", e.schema_at(0)),
        ("2", e.schema_at(1)),
        ("3", e.schema_at(2)),
        ("4", e.schema_at(3)),
    ]);
    let d = diagnose(&e2, Some(&l), &e2.schema_at(2));
    assert_eq!(d.verdict, Verdict::Pending, "{}", d.reason);
    let d = diagnose(&e2, Some(&l), &e2.schema_at(1));
    assert_eq!(d.verdict, Verdict::LedgerAhead, "{}", d.reason);
    assert_eq!(d.recorded_not_applied, ["3"]);
}

#[test]
fn a_dropped_table_is_not_taken_for_a_skipped_revision() {
    // 002 creates `tmp`, 003 drops it again: its absence proves nothing.
    let e = expected(&[
        ("001", schema(&[("users", &["id"])])),
        ("002", schema(&[("users", &["id"]), ("tmp", &["id"])])),
        ("003", schema(&[("users", &["id"])])),
    ]);
    let d = diagnose(&e, Some(&alembic(&["003"])), &e.schema_at(2));
    assert_eq!(d.verdict, Verdict::InSync, "{}", d.reason);
}

#[test]
fn a_changed_check_in_a_recorded_revision_is_not_an_accusation() {
    // Revision 002 only adds a CHECK; the live one is spelled by the engine.
    let mut t2 = table(&["id", "a"]);
    t2.constraints.push(Constraint {
        name: "a_check".into(),
        kind: ConstraintKind::Check {
            expression: "a != 0".into(),
        },
    });
    let mut s2 = schema(&[("t", &["id", "a"])]);
    s2.tables.insert(QName::new("public", "t"), t2.clone());
    let e = expected(&[("001", schema(&[("t", &["id", "a"])])), ("002", s2.clone())]);
    let mut live = s2.clone();
    if let Some(t) = live.tables.get_mut(&QName::new("public", "t"))
        && let Some(c) = t.constraints.iter_mut().find(|c| c.name == "a_check")
    {
        c.kind = ConstraintKind::Check {
            expression: "(a <> 0)".into(),
        };
    }
    let d = diagnose(&e, Some(&alembic(&["002"])), &live);
    assert_eq!(d.verdict, Verdict::InSync, "{}", d.reason);
}

#[test]
fn no_ledger_compares_with_the_head() {
    let e = incident();
    let d = diagnose(&e, None, &e.schema_at(3));
    assert_eq!(d.verdict, Verdict::InSync);
    let d = diagnose(&e, None, &e.schema_at(1));
    assert_eq!(d.verdict, Verdict::ManualChange);
}

#[test]
fn an_empty_ledger_is_pending_unless_the_schema_is_there() {
    let e = incident();
    let empty = ledger("alembic", &[], &[]);
    let d = diagnose(&e, Some(&empty), &Schema::new(Engine::Postgres));
    assert_eq!(d.verdict, Verdict::Pending, "{}", d.reason);
    assert_eq!(d.pending.len(), 4);
    let d = diagnose(&e, Some(&empty), &e.schema_at(3));
    assert_eq!(d.verdict, Verdict::ManualChange, "{}", d.reason);
}

/// Django replacing `unique_together` (an auto-named constraint) by a named
/// `UniqueConstraint` on the same columns, in a migration not yet run: the
/// honest database at the earlier migration has a unique constraint on those
/// columns — what the earlier migration made, not half of the later one.
#[test]
fn what_the_recorded_revisions_explain_is_no_evidence_of_a_later_one() {
    let unique = |name: &str| Constraint {
        name: name.into(),
        kind: ConstraintKind::Unique {
            columns: vec!["a".into(), "b".into()],
        },
    };
    let with = |c: Constraint| {
        let mut s = schema(&[("t", &["id", "a", "b"])]);
        if let Some(t) = s.tables.get_mut(&QName::new("public", "t")) {
            t.constraints.push(c);
        }
        s
    };
    let e = expected(&[
        ("shop.0001_initial", with(unique("t_a_b_8f2c_uniq"))),
        ("shop.0002_named_unique", with(unique("t_ab_key"))),
    ]);
    let live = e.schema_at(0);
    let l = ledger("django", &["shop.0001_initial"], &["shop.0001_initial"]);
    let d = diagnose(&e, Some(&l), &live);
    assert_eq!(d.verdict, Verdict::Pending, "{}", d.reason);
    assert_eq!(d.pending, ["shop.0002_named_unique"]);
    assert!(d.partly_applied.is_none(), "{}", d.reason);
}

/// Django keeps a position per app: faked migrations of `shop` are matched
/// within `shop`, not by whichever other app's migration came last.
#[test]
fn a_per_app_ledger_is_matched_within_the_app() {
    let e = expected(&[
        ("shop.0001_initial", schema(&[("shop_item", &["id"])])),
        (
            "auth.0001_initial",
            schema(&[("shop_item", &["id"]), ("auth_user", &["id"])]),
        ),
        (
            "shop.0002_orders",
            schema(&[
                ("shop_item", &["id"]),
                ("auth_user", &["id"]),
                ("shop_order", &["id"]),
            ]),
        ),
    ]);
    let live = e.schema_at(1);
    let all = ["shop.0001_initial", "auth.0001_initial", "shop.0002_orders"];
    let l = ledger("django", &all, &["auth.0001_initial", "shop.0002_orders"]);
    let d = diagnose(&e, Some(&l), &live);
    assert_eq!(d.verdict, Verdict::LedgerAhead, "{}", d.reason);
    assert_eq!(d.recorded_not_applied, ["shop.0002_orders"]);
    assert_eq!(
        d.matched_revision.as_deref(),
        Some("shop.0001_initial"),
        "{}",
        d.reason
    );
}
