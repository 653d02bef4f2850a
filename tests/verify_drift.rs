//! Drift on each real engine: a schema is snapshotted, then changed one way
//! at a time with the engine's own DDL; `verify` must report exactly that
//! kind of object as missing, extra or changed — and nothing for the
//! untouched schema. (The same matrix on generated schemas, without a
//! database, is the property test in `src/drift/tests.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{Kind, TempDb};
use serde_json::Value;

const BASE: &str = "
CREATE TABLE authors (id integer PRIMARY KEY, name varchar(100) NOT NULL, email varchar(255), nickname text);
CREATE UNIQUE INDEX authors_email_key ON authors (email);
CREATE TABLE books (
  id integer PRIMARY KEY,
  author_id integer,
  title varchar(200) NOT NULL,
  pages integer,
  CONSTRAINT books_pages_check CHECK (pages > 0),
  CONSTRAINT books_author_fkey FOREIGN KEY (author_id) REFERENCES authors (id)
);
CREATE INDEX books_title_idx ON books (title);
CREATE TABLE spare (id integer PRIMARY KEY);
CREATE VIEW long_books AS SELECT id, title FROM books WHERE pages > 500;
";

const PG_EXTRA: &str = "
CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE SEQUENCE counter INCREMENT BY 1;
";

/// (what, DDL per engine (None: the engine cannot), expected change, object)
type Case = (
    &'static str,
    fn(Kind) -> Option<&'static str>,
    &'static str,
    &'static str,
);

const CASES: &[Case] = &[
    (
        "drop a table",
        |_| Some("DROP TABLE spare"),
        "missing",
        "table",
    ),
    (
        "add a table",
        |_| Some("CREATE TABLE surprise (id integer)"),
        "extra",
        "table",
    ),
    (
        "drop a column",
        |_| Some("ALTER TABLE authors DROP COLUMN nickname"),
        "missing",
        "column",
    ),
    (
        "add a column",
        |_| Some("ALTER TABLE authors ADD COLUMN bio text"),
        "extra",
        "column",
    ),
    (
        "change a column's type",
        |k| match k {
            Kind::Postgres => Some("ALTER TABLE authors ALTER COLUMN name TYPE text"),
            Kind::Mysql => Some("ALTER TABLE authors MODIFY name text NOT NULL"),
            Kind::Sqlite => None,
        },
        "changed",
        "column",
    ),
    (
        "change a column's nullability",
        |k| match k {
            Kind::Postgres => Some("ALTER TABLE authors ALTER COLUMN name DROP NOT NULL"),
            Kind::Mysql => Some("ALTER TABLE authors MODIFY name varchar(100) NULL"),
            Kind::Sqlite => None,
        },
        "changed",
        "column",
    ),
    (
        "drop an index",
        |k| match k {
            Kind::Mysql => Some("DROP INDEX books_title_idx ON books"),
            _ => Some("DROP INDEX books_title_idx"),
        },
        "missing",
        "index",
    ),
    (
        "add an index",
        |_| Some("CREATE INDEX books_pages_idx ON books (pages)"),
        "extra",
        "index",
    ),
    (
        "drop a check",
        |k| match k {
            Kind::Sqlite => None,
            _ => Some("ALTER TABLE books DROP CONSTRAINT books_pages_check"),
        },
        "missing",
        "constraint",
    ),
    (
        "add a check",
        |k| match k {
            Kind::Sqlite => None,
            _ => Some("ALTER TABLE authors ADD CONSTRAINT authors_name_check CHECK (name <> '')"),
        },
        "extra",
        "constraint",
    ),
    (
        "drop a foreign key",
        |k| match k {
            Kind::Postgres => Some("ALTER TABLE books DROP CONSTRAINT books_author_fkey"),
            Kind::Mysql => Some("ALTER TABLE books DROP FOREIGN KEY books_author_fkey"),
            Kind::Sqlite => None,
        },
        "missing",
        "constraint",
    ),
    (
        "add a foreign key",
        |k| match k {
            Kind::Sqlite => None,
            _ => Some(
                "ALTER TABLE spare ADD CONSTRAINT spare_id_fkey FOREIGN KEY (id) REFERENCES authors (id)",
            ),
        },
        "extra",
        "constraint",
    ),
    (
        "drop a view",
        |_| Some("DROP VIEW long_books"),
        "missing",
        "view",
    ),
    (
        "add a view",
        |_| Some("CREATE VIEW all_authors AS SELECT id FROM authors"),
        "extra",
        "view",
    ),
    (
        "change a view",
        |k| match k {
            Kind::Postgres => Some(
                "CREATE OR REPLACE VIEW long_books AS SELECT id, title FROM books WHERE pages > 900",
            ),
            Kind::Mysql => Some(
                "CREATE OR REPLACE VIEW long_books AS SELECT id, title FROM books WHERE pages > 900",
            ),
            Kind::Sqlite => None,
        },
        "changed",
        "view",
    ),
    (
        "add an enum type",
        |k| (k == Kind::Postgres).then_some("CREATE TYPE colour AS ENUM ('red')"),
        "extra",
        "enum",
    ),
    (
        "drop an enum type",
        |k| (k == Kind::Postgres).then_some("DROP TYPE mood"),
        "missing",
        "enum",
    ),
    (
        "change an enum type",
        |k| (k == Kind::Postgres).then_some("ALTER TYPE mood ADD VALUE 'calm'"),
        "changed",
        "enum",
    ),
    (
        "add a sequence",
        |k| (k == Kind::Postgres).then_some("CREATE SEQUENCE other_counter"),
        "extra",
        "sequence",
    ),
    (
        "drop a sequence",
        |k| (k == Kind::Postgres).then_some("DROP SEQUENCE counter"),
        "missing",
        "sequence",
    ),
    (
        "change a sequence",
        |k| (k == Kind::Postgres).then_some("ALTER SEQUENCE counter INCREMENT BY 10"),
        "changed",
        "sequence",
    ),
];

async fn base(kind: Kind) -> TempDb {
    let db = TempDb::new(kind).await;
    db.exec(BASE).await;
    if kind == Kind::Postgres {
        db.exec(PG_EXTRA).await;
    }
    db
}

fn items(v: &Value) -> Vec<(String, String)> {
    v["drift"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|d| {
                    (
                        d["change"].as_str().unwrap_or("").to_string(),
                        d["object"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_and_change_is_reported_on_every_engine() {
    for kind in [Kind::Postgres, Kind::Mysql, Kind::Sqlite] {
        let tmp = tempfile::tempdir().expect("tmp");
        let snapshot = tmp.path().join("base.json");
        let db = base(kind).await;
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_preflight"))
            .args(["snapshot", "--database-url", &db.url, "-o"])
            .arg(&snapshot)
            .output()
            .expect("snapshot");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = snapshot.to_str().unwrap_or_default();
        let (_, v) =
            common::preflight_json(&["verify", "--database-url", &db.url, "--expected", expected]);
        assert_eq!(
            items(&v),
            Vec::<(String, String)>::new(),
            "{kind:?}: the untouched schema: {v}"
        );
        let mut checked = 0;
        for (what, ddl, change, object) in CASES {
            let Some(ddl) = ddl(kind) else { continue };
            let db = base(kind).await;
            db.exec(ddl).await;
            let (_, v) = common::preflight_json(&[
                "verify",
                "--database-url",
                &db.url,
                "--expected",
                expected,
            ]);
            let found = items(&v);
            assert!(
                found.iter().any(|(c, o)| c == change && o == object),
                "{kind:?}, {what}: expected {change} {object}, got {found:?}"
            );
            checked += 1;
        }
        eprintln!("{kind:?}: {checked} kinds of change reported as themselves");
    }
}

/// Index keys Alembic revisions write as `sa.text("b ASC")` are the column
/// ascending, as the engine stores it: the statically read revisions and the
/// database the real Alembic migrated agree (no `manual_change`).
#[tokio::test(flavor = "multi_thread")]
async fn text_index_keys_read_statically_are_not_drift() {
    let Some(python) = common::python() else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join("migrations/versions")).expect("mkdir");
    let fixture = common::repo().join("tests/fixtures/tools/alembic");
    std::fs::copy(
        fixture.join("migrations/env.py"),
        dir.join("migrations/env.py"),
    )
    .expect("env.py");
    std::fs::write(
        dir.join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/migrations\n",
    )
    .expect("ini");
    std::fs::write(
        dir.join("migrations/versions/r1.py"),
        r#"import sqlalchemy as sa
from alembic import op
revision = "r1"
down_revision = None
def upgrade():
    op.create_table("t", sa.Column("id", sa.Integer, primary_key=True), sa.Column("b", sa.String(20)), sa.Column("e", sa.String(50)))
    op.create_index("t_b_idx", "t", [sa.text("b ASC")])
    op.create_index("t_e_idx", "t", [sa.text("lower(e) DESC")])
"#,
    )
    .expect("revision");
    // env.py configures logging from the ini file only when it has sections.
    let env = std::fs::read_to_string(dir.join("migrations/env.py")).expect("env");
    std::fs::write(
        dir.join("migrations/env.py"),
        env.replace("    fileConfig(config.config_file_name)", "    pass"),
    )
    .expect("env");
    let db = TempDb::new(Kind::Postgres).await;
    let out = std::process::Command::new(&python)
        .args(["-m", "alembic", "-c"])
        .arg(dir.join("alembic.ini"))
        .args(["upgrade", "head"])
        .env("DATABASE_URL", db.sqlalchemy_url())
        .output()
        .expect("alembic");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ini = dir.join("alembic.ini");
    let (code, v) = common::preflight_json(&[
        "verify",
        "--database-url",
        &db.url,
        "--expected",
        ini.to_str().expect("utf-8"),
    ]);
    assert_eq!((code, v["verdict"].as_str()), (0, Some("in_sync")), "{v}");
}
