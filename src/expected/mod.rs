//! Expected schemas: what the database should look like, per revision when
//! the source knows revisions. Sources: snapshot files, SQL DDL applied to a
//! shadow database, directories of SQL migrations replayed into a shadow
//! database, and Alembic revision files read statically.

pub mod alembic;
pub mod migrations;
pub mod python;
pub mod shadow;
pub mod snapshot;
pub mod sql;

use crate::db::{ConnectOptions, DatabaseUrl};
use crate::introspect::{self, IntrospectOptions};
use crate::ledger::LedgerTool;
use crate::schema::{Engine, Schema};
use serde::Serialize;
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

/// The schema expected at one revision.
#[derive(Debug, Clone)]
pub struct Revision {
    /// The id the ledger records (`018_add_notifications`, `20240101120000`); `None`
    /// for a single schema without revision.
    pub id: Option<String>,
    pub schema: Schema,
    /// The checksum the tool records for this migration, when it records one.
    pub checksum: Option<String>,
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
    pub tool: Option<LedgerTool>,
    /// What could not be modelled.
    pub notes: Vec<String>,
}

impl Expected {
    pub fn head(&self) -> Option<&Revision> {
        self.revisions.last()
    }

    /// Position of a revision id (numeric ids compare as numbers: `007` is `7`).
    pub fn position(&self, id: &str) -> Option<usize> {
        let norm = |s: &str| {
            if s.chars().all(|c| c.is_ascii_digit()) {
                s.trim_start_matches('0').to_string()
            } else {
                s.to_string()
            }
        };
        let want = norm(id);
        self.revisions
            .iter()
            .position(|r| r.id.as_deref().map(norm).as_deref() == Some(want.as_str()))
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
            "json" => ExpectedSpec::Snapshot(p),
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
            let file = tokio::task::spawn_blocking(move || snapshot::SnapshotFile::read(&path))
                .await
                .map_err(|e| ExpectedError::new(p, e.to_string()))??;
            if file.revisions.is_empty() {
                return Err(ExpectedError::new(p, "the snapshot holds no schema"));
            }
            Ok(Expected {
                source: SourceKind::Snapshot,
                path: p.display().to_string(),
                revisions: file
                    .revisions
                    .into_iter()
                    .map(|r| Revision {
                        id: r.revision,
                        schema: r.schema,
                        checksum: None,
                    })
                    .collect(),
                partial: false,
                tool: None,
                notes: Vec::new(),
            })
        }
        ExpectedSpec::Alembic(p) => alembic::load(p),
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
            Ok(Expected {
                source: SourceKind::Sql,
                path: p.display().to_string(),
                revisions: vec![Revision {
                    id: ctx.revision.clone(),
                    schema: schema?,
                    checksum: None,
                }],
                partial: false,
                tool: None,
                notes: Vec::new(),
            })
        }
    }
}
