//! Expected schemas: what the database should look like, per revision when
//! the source knows revisions. Sources: snapshot files, SQL DDL applied to a
//! shadow database, directories of SQL migrations replayed into a shadow
//! database, and Alembic revision files read statically.

pub(crate) mod alembic;
pub(crate) mod changes;
pub mod migrations;
pub(crate) mod python;
pub(crate) mod shadow;
pub mod snapshot;
pub(crate) mod sql;

use crate::db::{ConnectOptions, DatabaseUrl};
use crate::definitions::Tool;
use crate::introspect::{self, IntrospectOptions};
use crate::schema::{Engine, Schema};
use changes::Changes;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// An expected-schema source could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}{message}", path.as_ref().map(|p| format!("{}: ", p.display())).unwrap_or_default())]
pub struct ExpectedError {
    pub path: Option<PathBuf>,
    pub message: String,
}

impl ExpectedError {
    pub fn new(path: &Path, message: impl Into<String>) -> Self {
        ExpectedError {
            path: Some(path.to_path_buf()),
            message: message.into(),
        }
    }

    pub fn plain(message: impl Into<String>) -> Self {
        ExpectedError {
            path: None,
            message: message.into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Snapshot,
    Sql,
    Migrations,
    Alembic,
}

/// One revision of an expectation.
#[derive(Debug, Clone)]
pub struct Revision {
    /// The id the ledger records (`018_add_notifications`, `20240101120000`,
    /// `library.0002_books`); `None` for a single schema without revision.
    pub id: Option<String>,
    /// Further ledger entries this revision accounts for: rows one step
    /// recorded besides its id, or — for a snapshot of a live database —
    /// every entry its ledger held.
    pub entries: Vec<String>,
    /// The revisions it follows (Alembic `down_revision` and `depends_on`);
    /// empty means the one before it.
    pub parents: Vec<String>,
    /// The checksum the tool records for this migration, when it records one.
    pub checksum: Option<String>,
    /// What it changes.
    pub changes: Changes,
    /// What it may do that its changes do not show (a computed statement,
    /// SQL not understood, a helper from another module).
    pub unmodelled: Vec<Unmodelled>,
}

/// Something a revision does that was not modelled, and how far it may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmodelled {
    /// The table it concerns (lowercase); `None` when it cannot be told.
    pub table: Option<String>,
    pub reach: Reach,
}

/// What an unmodelled operation may have changed or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// Anything (raw SQL not understood, a helper not read).
    Anything,
    /// Whole tables (a computed `drop_table`), and so everything in them.
    Tables,
    /// Columns, and the indexes and constraints on them.
    Columns,
    /// Indexes and constraints only.
    IndexesAndConstraints,
}

impl Unmodelled {
    /// Whether it may have changed an object of this kind on this table.
    pub fn covers(&self, table: &str, object: crate::drift::ObjectKind) -> bool {
        use crate::drift::ObjectKind as O;
        let table_ok = self
            .table
            .as_deref()
            .is_none_or(|t| t.eq_ignore_ascii_case(table));
        table_ok
            && match self.reach {
                Reach::Anything | Reach::Tables => true,
                Reach::Columns => matches!(object, O::Column | O::Index | O::Constraint),
                Reach::IndexesAndConstraints => matches!(object, O::Index | O::Constraint),
            }
    }
}

impl Revision {
    pub fn new(id: Option<String>, changes: Changes) -> Revision {
        Revision {
            id,
            entries: Vec::new(),
            parents: Vec::new(),
            checksum: None,
            changes,
            unmodelled: Vec::new(),
        }
    }

    /// It may have done something its changes do not show.
    pub fn is_opaque(&self) -> bool {
        !self.unmodelled.is_empty()
    }

    /// Every ledger entry the revision accounts for.
    pub fn all_entries(&self) -> impl Iterator<Item = &str> {
        self.id.iter().chain(&self.entries).map(String::as_str)
    }
}

/// Expected schemas from one source.
#[derive(Debug, Clone)]
pub struct Expected {
    pub source: SourceKind,
    pub path: String,
    /// In apply order; the last one is the head.
    pub revisions: Vec<Revision>,
    /// Only what the source knows is compared (see `drift::DiffOptions`).
    pub partial: bool,
    /// The migration tool the source belongs to, when known.
    pub tool: Option<Tool>,
    /// What could not be modelled.
    pub notes: Vec<String>,
    /// Tables something not modelled touches (raw SQL naming them): their
    /// expectations are not enforced.
    pub relaxed: BTreeSet<String>,
    /// The ledger table the project configures, when it is not the tool's default.
    pub ledger_table: Option<String>,
    /// The engine the schemas were read from (`None`: engine-neutral).
    engine: Option<Engine>,
    /// The schema at the head, built when first asked for.
    head: std::sync::OnceLock<Schema>,
    /// Ledger entry → revision index.
    index: HashMap<String, usize>,
}

/// A ledger entry as compared: numbers as numbers (`007` is `7`).
pub fn normalize_entry(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_digit()) {
        let t = s.trim_start_matches('0');
        if t.is_empty() {
            "0".into()
        } else {
            t.to_string()
        }
    } else {
        s.to_string()
    }
}

impl Expected {
    pub fn new(source: SourceKind, path: String, revisions: Vec<Revision>) -> Expected {
        let mut e = Expected {
            source,
            path,
            revisions,
            partial: false,
            tool: None,
            notes: Vec::new(),
            relaxed: BTreeSet::new(),
            ledger_table: None,
            engine: None,
            head: std::sync::OnceLock::new(),
            index: HashMap::new(),
        };
        e.reindex();
        e
    }

    /// Expectations from the full schema at each revision.
    pub fn from_schemas(
        source: SourceKind,
        path: String,
        schemas: Vec<(Option<String>, Schema, Option<String>)>,
    ) -> Expected {
        let mut previous = Schema::default();
        let mut revisions = Vec::with_capacity(schemas.len());
        for (id, schema, checksum) in schemas {
            let mut r = Revision::new(id, Changes::between(&previous, &schema));
            r.checksum = checksum;
            previous = schema;
            revisions.push(r);
        }
        let mut e = Expected::new(source, path, revisions);
        e.engine = previous.engine;
        e
    }

    /// Rebuilds the entry index (and forgets the head) after revisions changed.
    pub fn reindex(&mut self) {
        self.head = std::sync::OnceLock::new();
        self.index.clear();
        for (i, r) in self.revisions.iter().enumerate() {
            for e in r.all_entries() {
                self.index.entry(normalize_entry(e)).or_insert(i);
            }
        }
    }

    pub fn set_engine(&mut self, engine: Option<Engine>) {
        self.engine = engine;
        self.head = std::sync::OnceLock::new();
    }

    pub fn engine(&self) -> Option<Engine> {
        self.engine
    }

    /// The schema at the head (built once, when first needed).
    pub fn head(&self) -> &Schema {
        self.head
            .get_or_init(|| self.schema_at(self.revisions.len().saturating_sub(1)))
    }

    /// The id of the last revision.
    pub fn head_id(&self) -> Option<&str> {
        self.revisions.last().and_then(|r| r.id.as_deref())
    }

    /// The schema after revision `i` (every revision up to it applied).
    pub fn schema_at(&self, i: usize) -> Schema {
        let mut s = Schema {
            engine: self.engine,
            ..Schema::default()
        };
        for r in self.revisions.iter().take(i + 1) {
            r.changes.apply(&mut s);
        }
        s.sort();
        s
    }

    /// The revision a ledger entry belongs to (numeric ids compare as numbers).
    pub fn position(&self, entry: &str) -> Option<usize> {
        self.index.get(&normalize_entry(entry)).copied()
    }

    pub fn id(&self, i: usize) -> Option<&str> {
        self.revisions.get(i).and_then(|r| r.id.as_deref())
    }

    pub fn has_revisions(&self) -> bool {
        self.revisions.iter().any(|r| r.id.is_some())
    }
}

/// Where the expected schema comes from, as given on the command line:
/// `snapshot:FILE`, `sql:FILE`, `migrations:DIR`, `alembic:PATH`, or a path
/// whose kind is recognised.
#[derive(Debug, Clone)]
pub enum ExpectedSpec {
    Snapshot(PathBuf),
    Sql(PathBuf),
    Migrations(PathBuf),
    Alembic(PathBuf),
}

impl ExpectedSpec {
    pub fn parse(s: &str) -> Result<ExpectedSpec, ExpectedError> {
        if let Some((kind, path)) = s.split_once(':') {
            let p = PathBuf::from(path);
            match kind {
                "snapshot" => return Ok(ExpectedSpec::Snapshot(p)),
                "sql" => return Ok(ExpectedSpec::Sql(p)),
                "migrations" => return Ok(ExpectedSpec::Migrations(p)),
                "alembic" => return Ok(ExpectedSpec::Alembic(p)),
                _ => {}
            }
        }
        let p = PathBuf::from(s);
        if !p.exists() {
            return Err(ExpectedError::new(&p, "no such file or directory"));
        }
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        Ok(match ext.as_str() {
            "json" | "gz" => ExpectedSpec::Snapshot(p),
            "toml" if p.file_name().is_some_and(|n| n == "pyproject.toml") => {
                ExpectedSpec::Alembic(p)
            }
            "sql" => ExpectedSpec::Sql(p),
            "ini" => ExpectedSpec::Alembic(p),
            _ if p.is_dir() && alembic::looks_like_alembic(&p) => ExpectedSpec::Alembic(p),
            _ if p.is_dir() => ExpectedSpec::Migrations(p),
            _ => {
                return Err(ExpectedError::new(
                    &p,
                    "cannot tell what kind of expected schema this is; prefix it with snapshot:, sql:, migrations: or alembic:",
                ));
            }
        })
    }
}

/// Context for sources that need a shadow database.
pub struct LoadContext<'a> {
    pub engine: Engine,
    pub shadow_url: Option<&'a DatabaseUrl>,
    pub target: Option<&'a DatabaseUrl>,
    pub connect: &'a ConnectOptions,
    /// Label for a single SQL schema (`--expected-revision`).
    pub revision: Option<String>,
}

pub async fn load(spec: &ExpectedSpec, ctx: &LoadContext<'_>) -> Result<Expected, ExpectedError> {
    match spec {
        ExpectedSpec::Snapshot(p) => {
            // Parsing a large snapshot is CPU work: off the async threads, so
            // the live database is read meanwhile.
            let path = p.clone();
            tokio::task::spawn_blocking(move || {
                snapshot::SnapshotFile::read(&path)?.into_expected(&path)
            })
            .await
            .map_err(|e| ExpectedError::new(p, e.to_string()))?
        }
        ExpectedSpec::Alembic(p) => alembic::load(p, Some(ctx.engine)),
        ExpectedSpec::Migrations(p) => {
            migrations::load(p, ctx.engine, ctx.shadow_url, ctx.target, ctx.connect).await
        }
        ExpectedSpec::Sql(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| ExpectedError::new(p, e.to_string()))?;
            let mut shadow =
                shadow::Shadow::create(ctx.engine, ctx.shadow_url, ctx.target, ctx.connect).await?;
            let applied = shadow::apply(&mut shadow.conn, &text, p).await;
            let schema = match applied {
                Ok(()) => introspect::introspect(&mut shadow.conn, &IntrospectOptions::default())
                    .await
                    .map_err(|e| {
                        ExpectedError::new(p, format!("introspecting the shadow database: {e}"))
                    }),
                Err(e) => Err(e),
            };
            shadow.drop().await;
            Ok(Expected::from_schemas(
                SourceKind::Sql,
                p.display().to_string(),
                vec![(ctx.revision.clone(), schema?, None)],
            ))
        }
    }
}
