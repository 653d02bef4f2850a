//! The registry: every tool is complete, ids are unique, ledgers are told
//! apart, and every ledger reader reads the rows its tool writes.

use super::*;
use crate::definitions::ledger::rows;
use crate::definitions::{Ledger, LedgerTable};
use crate::schema::{Column, QName, Table};

fn table(cols: &[&str]) -> Table {
    Table {
        columns: cols.iter().map(|c| Column::named(*c)).collect(),
        ..Table::default()
    }
}

fn schema(tables: &[(&str, &[&str])]) -> Schema {
    let mut s = Schema::default();
    for (name, cols) in tables {
        s.tables.insert(QName::new("", *name), table(cols));
    }
    s
}

fn detected(tables: &[(&str, &[&str])]) -> Vec<&'static str> {
    let s = schema(tables);
    crate::ledger::detect(&s)
        .into_iter()
        .map(|(t, _)| t.id())
        .collect()
}

#[test]
fn ids_are_unique_and_rules_belong_to_their_tool() {
    let mut ids = std::collections::HashSet::new();
    for t in all() {
        assert!(ids.insert(t.id()), "duplicate tool id {}", t.id());
        assert!(!t.name().is_empty() && t.docs_url().starts_with("https://"));
        for r in t.def().rules {
            assert_eq!(
                r.owner,
                crate::definitions::Owner::Tool(t),
                "{} is listed under {}",
                r.id,
                t.id()
            );
            assert!(r.id.starts_with(&format!("{}/", t.id())), "{}", r.id);
        }
    }
}

#[test]
fn tools_sharing_a_table_name_are_told_apart() {
    let sm = "schema_migrations";
    assert_eq!(detected(&[(sm, &["version", "dirty"])]), ["golang-migrate"]);
    assert_eq!(detected(&[(sm, &["version", "inserted_at"])]), ["ecto"]);
    assert_eq!(
        detected(&[
            (sm, &["version"]),
            ("ar_internal_metadata", &["key", "value"])
        ]),
        ["rails"]
    );
    assert_eq!(detected(&[(sm, &["version"])]), ["dbmate"]);
    assert_eq!(
        detected(&[("migrations", &["id", "migration", "batch"])]),
        ["laravel"]
    );
    assert_eq!(
        detected(&[("migrations", &["id", "timestamp", "name"])]),
        ["typeorm"]
    );
    // An application table called `migrations` is nobody's ledger.
    assert!(detected(&[("migrations", &["id", "title"])]).is_empty());
}

#[test]
fn a_renamed_alembic_version_table_is_still_alembic() {
    assert_eq!(
        detected(&[("alembic_version_auth", &["version_num"])]),
        ["alembic"]
    );
    // The shape must be exact: a table that merely has such a column is not.
    assert!(detected(&[("releases", &["id", "version_num"])]).is_empty());
}

#[test]
fn companion_tables_are_tool_tables() {
    for t in [
        "ar_internal_metadata",
        "knex_migrations_lock",
        "DATABASECHANGELOGLOCK",
        "flyway_schema_history",
    ] {
        assert!(is_tool_table(t), "{t}");
    }
    assert!(!is_tool_table("users"));
}

thread_local! {
    /// The tools whose reader a test has fed rows.
    static READ: std::cell::RefCell<std::collections::BTreeSet<&'static str>> =
        const { std::cell::RefCell::new(std::collections::BTreeSet::new()) };
}

fn read(id: &str, data: &[&[Option<&str>]]) -> Ledger {
    let tool = find(id).expect("registered");
    READ.with(|r| r.borrow_mut().insert(tool.id()));
    let mut l = Ledger::new(tool, &QName::new("", "ledger"));
    (tool.ledger().expect("a ledger").read)(&mut l, &rows(data));
    l
}

// Long on purpose: one block of rows and expected ledger per tool, a table of cases.
#[test]
fn readers_interpret_the_rows_their_tool_writes() {
    let l = read("alembic", &[&[Some("a1")], &[Some("b2")]]);
    assert_eq!((l.current.len(), l.notes.len()), (2, 1));

    let l = read(
        "django",
        &[
            &[Some("library"), Some("0001_initial")],
            &[Some("accounts"), Some("0001_initial")],
            &[Some("library"), Some("0002_books")],
        ],
    );
    assert_eq!(l.applied.len(), 3);
    assert_eq!(l.current, ["accounts.0001_initial", "library.0002_books"]);

    let l = read(
        "flyway",
        &[
            &[
                Some("1"),
                Some("BASELINE"),
                None,
                Some("true"),
                Some("<< Flyway Baseline >>"),
            ],
            &[
                Some("2"),
                Some("SQL"),
                Some("-12"),
                Some("true"),
                Some("V2__a.sql"),
            ],
            &[
                Some("3"),
                Some("SQL"),
                Some("7"),
                Some("false"),
                Some("V3__b.sql"),
            ],
            &[
                None,
                Some("SQL"),
                Some("1"),
                Some("true"),
                Some("R__views.sql"),
            ],
        ],
    );
    assert_eq!(
        (l.applied.as_slice(), l.dirty.as_slice()),
        (&["1".to_string(), "2".into()][..], &["3".to_string()][..])
    );
    assert_eq!(l.checksums.get("2").map(String::as_str), Some("-12"));
    assert_eq!(l.notes.len(), 1);

    let l = read("golang-migrate", &[&[Some("20240101"), Some("true")]]);
    assert_eq!(
        (l.current.as_slice(), l.dirty.len()),
        (&["20240101".to_string()][..], 1)
    );

    let l = read(
        "goose",
        &[
            &[Some("0"), Some("true")],
            &[Some("10"), Some("true")],
            &[Some("9"), Some("true")],
            &[Some("10"), Some("false")],
        ],
    );
    assert_eq!(l.applied, ["9"]);

    let l = read(
        "prisma",
        &[
            &[Some("1_init"), Some("abc"), Some("2024"), None],
            &[Some("2_bad"), Some("def"), None, None],
            &[Some("3_undone"), Some("ghi"), None, Some("2024")],
        ],
    );
    assert_eq!(
        (l.applied.as_slice(), l.dirty.as_slice()),
        (&["1_init".to_string()][..], &["2_bad".to_string()][..])
    );

    let l = read(
        "liquibase",
        &[
            &[
                Some("1"),
                Some("ann"),
                Some("db.xml"),
                Some("EXECUTED"),
                Some("9:a"),
            ],
            &[
                Some("2"),
                Some("ann"),
                Some("db.xml"),
                Some("SKIPPED"),
                None,
            ],
            &[Some("3"), Some("ann"), Some("db.xml"), Some("FAILED"), None],
        ],
    );
    assert_eq!(l.applied, ["db.xml::1::ann"]);
    assert_eq!(l.dirty, ["db.xml::3::ann"]);

    let l = read(
        "atlas",
        &[
            &[Some("1"), Some("2"), Some("2"), None],
            &[Some("2"), Some("1"), Some("3"), Some("boom")],
        ],
    );
    assert_eq!((l.applied.len(), l.dirty.len()), (1, 1));

    let l = read(
        "sqlx",
        &[
            &[Some("1"), Some("true"), Some("ab")],
            &[Some("2"), Some("false"), Some("cd")],
        ],
    );
    assert_eq!((l.applied.len(), l.dirty.len()), (1, 1));

    let l = read(
        "rails",
        &[&[Some("20240110")], &[Some("9")], &[Some("20240101")]],
    );
    assert_eq!(l.current, ["20240110"]);
    assert_eq!(l.applied[0], "9");

    for id in [
        "knex",
        "sequelize",
        "typeorm",
        "node-pg-migrate",
        "efcore",
        "laravel",
        "drizzle",
    ] {
        let l = read(id, &[&[Some("a")], &[Some("b")]]);
        assert_eq!(l.current, ["b"], "{id}");
    }

    // Rows come back in any order; versions are ordered as numbers (`9`
    // before `10`) and the last is current.
    for id in ["dbmate", "ecto", "diesel"] {
        let l = read(
            id,
            &[&[Some("20240110")], &[Some("9")], &[Some("20240102")]],
        );
        assert_eq!(l.applied, ["9", "20240102", "20240110"], "{id}");
        assert_eq!(l.current, ["20240110"], "{id}");
    }

    // A new tool with a ledger needs its reader case here.
    let read = READ.with(|r| r.borrow().clone());
    let missing: Vec<&str> = all()
        .filter(|t| t.ledger().is_some() && !read.contains(t.id()))
        .map(|t| t.id())
        .collect();
    assert!(missing.is_empty(), "no reader case for {missing:?}");
}

#[test]
fn every_ledger_query_reads_text_from_the_table() {
    let name = QName::new("", "ledger");
    for t in all() {
        let Some(l) = t.ledger() else { continue };
        let lt = LedgerTable {
            engine: crate::schema::Engine::Postgres,
            name: &name,
            columns: Vec::new(),
        };
        let sql = (l.query)(&lt);
        assert!(
            sql.starts_with("SELECT ") && sql.contains("FROM \"ledger\""),
            "{}: {sql}",
            t.id()
        );
    }
}
