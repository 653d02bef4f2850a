//! Snapshot files written by `preflight snapshot`: versioned JSON holding one
//! schema, or one per revision in the tool's order with the ledger entries
//! each one accounts for. The first revision holds its whole schema; every
//! later one only what it changed, so a long history costs little more than
//! its head. A file may be gzip-compressed (ConfigMaps hold 1 MiB).
//!
//! Format 1 (a whole schema per revision, no ledger entries) is still read.

use super::changes::Changes;
use super::{Expected, ExpectedError, Revision, SourceKind};
use crate::schema::{Engine, Schema};
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotFile {
    pub preflight_snapshot: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// The migration tool whose ledger the revision ids are entries of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    /// The ledger table, when the project configures another name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ledger_table: Option<String>,
    /// In revision order; a snapshot of one schema has one entry.
    pub revisions: Vec<SnapshotRevision>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRevision {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    /// Ledger entries this revision accounts for besides `revision` (every
    /// entry of the ledger for a snapshot of a live database).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ledger: Vec<String>,
    /// The revisions it follows, when not simply the one before (Alembic branches).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    /// The whole schema at this revision (the first revision; format 1)…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Schema>,
    /// …or what it changed since the revision before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Changes>,
}

/// Bytes that are not a snapshot this preflight reads.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("not a gzip-compressed snapshot: {0}")]
    Gzip(#[source] std::io::Error),
    #[error("not a preflight snapshot: {0}")]
    Json(#[source] serde_json::Error),
    #[error("snapshot format {0} is not supported (this preflight reads 1 to {FORMAT_VERSION})")]
    Format(u32),
    #[error("revision {number} ({name}) must hold either `schema` or `changes`")]
    Revision { number: usize, name: String },
}

impl SnapshotFile {
    pub fn new() -> SnapshotFile {
        SnapshotFile {
            preflight_snapshot: FORMAT_VERSION,
            engine: None,
            tool: None,
            ledger_table: None,
            revisions: Vec::new(),
        }
    }

    /// Reads a snapshot file, gzip-compressed or not.
    pub fn read(path: &Path) -> Result<SnapshotFile, ExpectedError> {
        let bytes = std::fs::read(path).map_err(|e| ExpectedError::new(path, e.to_string()))?;
        SnapshotFile::parse(&bytes).map_err(|e| ExpectedError::new(path, e.to_string()))
    }

    pub fn parse(bytes: &[u8]) -> Result<SnapshotFile, SnapshotError> {
        let plain;
        let bytes = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .take(MAX_UNCOMPRESSED)
                .read_to_end(&mut out)
                .map_err(SnapshotError::Gzip)?;
            plain = out;
            &plain[..]
        } else {
            bytes
        };
        let file: SnapshotFile = serde_json::from_slice(bytes).map_err(SnapshotError::Json)?;
        if !(1..=FORMAT_VERSION).contains(&file.preflight_snapshot) {
            return Err(SnapshotError::Format(file.preflight_snapshot));
        }
        for (i, r) in file.revisions.iter().enumerate() {
            if r.schema.is_some() == r.changes.is_some() {
                return Err(SnapshotError::Revision {
                    number: i + 1,
                    name: r.revision.clone().unwrap_or_else(|| "unnamed".into()),
                });
            }
        }
        Ok(file)
    }

    /// The expectations the file holds.
    pub fn into_expected(self, path: &Path) -> Result<Expected, ExpectedError> {
        if self.revisions.is_empty() {
            return Err(ExpectedError::new(path, "the snapshot holds no schema"));
        }
        let mut running = Schema::default();
        let mut revisions = Vec::with_capacity(self.revisions.len());
        let last = self.revisions.len() - 1;
        for (i, r) in self.revisions.into_iter().enumerate() {
            let changes = match (r.schema, r.changes) {
                (Some(schema), _) if i == 0 && last == 0 => Changes::create_owned(schema),
                (Some(schema), _) => Changes::between(&running, &schema),
                (None, Some(c)) => c,
                (None, None) => Changes::default(),
            };
            if i < last {
                changes.apply(&mut running);
            }
            let mut rev = Revision::new(r.revision, changes);
            rev.entries = r.ledger;
            rev.parents = r.parents;
            rev.checksum = r.checksum;
            revisions.push(rev);
        }
        let mut e = Expected::new(SourceKind::Snapshot, path.display().to_string(), Vec::new());
        e.revisions = revisions;
        e.tool = self.tool.as_deref().and_then(crate::tools::find);
        e.ledger_table = self.ledger_table;
        e.set_engine(self.engine);
        e.reindex();
        Ok(e)
    }

    /// A file holding these expectations: the first revision whole, the
    /// others as changes.
    pub fn from_expected(e: &Expected) -> SnapshotFile {
        let mut file = SnapshotFile::new();
        file.engine = e.engine();
        file.tool = e.tool.map(|t| t.id().to_string());
        file.ledger_table = e.ledger_table.clone();
        for (i, r) in e.revisions.iter().enumerate() {
            let (schema, changes) = if i == 0 {
                let mut s = Schema {
                    engine: file.engine,
                    ..Schema::default()
                };
                r.changes.apply(&mut s);
                s.sort();
                (Some(s), None)
            } else {
                (None, Some(r.changes.clone()))
            };
            file.revisions.push(SnapshotRevision {
                revision: r.id.clone(),
                ledger: r.entries.clone(),
                parents: r.parents.clone(),
                checksum: r.checksum.clone(),
                schema,
                changes,
            });
        }
        file
    }

    /// Adds or replaces the entry for `revision` with a whole schema; without
    /// a revision the file holds just this schema. Later revisions keep their
    /// schemas (their changes are recomputed).
    pub fn put(
        self,
        revision: Option<String>,
        ledger: Vec<String>,
        schema: Schema,
        path: &Path,
    ) -> Result<SnapshotFile, ExpectedError> {
        let engine = schema.engine.or(self.engine);
        let tool = self.tool.clone();
        let ledger_table = self.ledger_table.clone();
        // Whole schemas per revision, edited, then stored as changes again.
        let mut entries: Vec<(SnapshotRevision, Schema)> = Vec::new();
        if revision.is_some() && !self.revisions.is_empty() {
            let expected = self.into_expected(path)?;
            for (i, r) in expected.revisions.iter().enumerate() {
                if r.id.is_none() {
                    continue;
                }
                entries.push((
                    SnapshotRevision {
                        revision: r.id.clone(),
                        ledger: r.entries.clone(),
                        parents: r.parents.clone(),
                        checksum: r.checksum.clone(),
                        ..SnapshotRevision::default()
                    },
                    expected.schema_at(i),
                ));
            }
        }
        let new = SnapshotRevision {
            revision: revision.clone(),
            ledger,
            ..SnapshotRevision::default()
        };
        match entries
            .iter_mut()
            .find(|(r, _)| revision.is_some() && r.revision == revision)
        {
            Some(slot) => *slot = (new, schema),
            None => entries.push((new, schema)),
        }
        let mut file = SnapshotFile::new();
        file.engine = engine;
        file.tool = tool;
        file.ledger_table = ledger_table;
        let mut previous: Option<Schema> = None;
        // A revision lists only the entries no revision before it accounts for.
        let mut seen = std::collections::HashSet::new();
        for (mut r, s) in entries {
            r.ledger
                .retain(|e| !seen.contains(e) && Some(e) != r.revision.as_ref());
            seen.extend(r.revision.iter().cloned());
            seen.extend(r.ledger.iter().cloned());
            match &previous {
                None => r.schema = Some(s.clone()),
                Some(p) => r.changes = Some(Changes::between(p, &s)),
            }
            previous = Some(s);
            file.revisions.push(r);
        }
        Ok(file)
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Writes atomically (a temporary file renamed over the target), so an
    /// interrupted run never leaves half a snapshot; gzip-compressed when the
    /// name ends in `.gz`.
    pub fn write(&self, path: &Path) -> Result<(), ExpectedError> {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let json = self.to_json();
        let bytes = if path.extension().is_some_and(|e| e == "gz") {
            gzip(json.as_bytes()).map_err(|e| ExpectedError::new(path, e.to_string()))?
        } else {
            json.into_bytes()
        };
        std::fs::write(&tmp, bytes).map_err(|e| ExpectedError::new(&tmp, e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            ExpectedError::new(path, e.to_string())
        })
    }
}

impl Default for SnapshotFile {
    fn default() -> Self {
        SnapshotFile::new()
    }
}

/// A compressed snapshot never expands past this (a gzip bomb is an error,
/// not an out-of-memory kill).
const MAX_UNCOMPRESSED: u64 = 2 << 30;

pub fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes)?;
    enc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, QName, Table};

    fn schema(tables: &[&str]) -> Schema {
        let mut s = Schema::new(Engine::Postgres);
        for t in tables {
            s.tables.insert(
                QName::new("public", *t),
                Table {
                    columns: vec![Column::named("id")],
                    ..Table::default()
                },
            );
        }
        s
    }

    #[test]
    fn revisions_after_the_first_are_stored_as_changes() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("s.json");
        let mut f = SnapshotFile::new();
        for (rev, tables) in [("1", &["a"][..]), ("2", &["a", "b"]), ("3", &["b", "c"])] {
            f = f
                .put(Some(rev.into()), Vec::new(), schema(tables), &p)
                .expect("put");
        }
        assert!(f.revisions[0].schema.is_some());
        assert!(f.revisions[1].changes.is_some() && f.revisions[2].changes.is_some());
        f.write(&p).expect("write");
        let e = SnapshotFile::read(&p)
            .expect("read")
            .into_expected(&p)
            .expect("expected");
        assert_eq!(e.schema_at(1).tables.len(), 2);
        let head: Vec<&str> = e.head().tables.keys().map(|q| q.name.as_str()).collect();
        assert_eq!(head, ["b", "c"]);
        // Replacing a revision in the middle keeps the ones after it.
        let f = SnapshotFile::read(&p)
            .expect("read")
            .put(Some("2".into()), Vec::new(), schema(&["a", "b", "x"]), &p)
            .expect("put");
        let e = f.into_expected(&p).expect("expected");
        assert!(
            e.schema_at(1)
                .tables
                .contains_key(&QName::new("public", "x"))
        );
        assert_eq!(e.head().tables.len(), 2);
    }

    #[test]
    fn gzip_and_format_one_are_read() {
        let v1 = r#"{"preflight_snapshot":1,"revisions":[{"revision":"1","schema":{"tables":{"public.a":{"columns":[{"name":"id"}]}}}},{"revision":"2","schema":{"tables":{}}}]}"#;
        let f = SnapshotFile::parse(&gzip(v1.as_bytes()).expect("gzip")).expect("parse");
        let e = f.into_expected(Path::new("x.json")).expect("expected");
        assert_eq!(e.schema_at(0).tables.len(), 1);
        assert!(e.head().tables.is_empty());
    }

    #[test]
    fn bad_snapshots_are_errors_that_say_why() {
        for (text, why) in [
            (&b"{}"[..], "missing field"),
            (br#"{"preflight_snapshot":9,"revisions":[]}"#, "format 9"),
            (
                br#"{"preflight_snapshot":2,"revisions":[{"revision":"1"}]}"#,
                "either `schema` or `changes`",
            ),
            (b"\x1f\x8bgarbage", "gzip"),
            (b"not json", "not a preflight snapshot"),
        ] {
            let e = SnapshotFile::parse(text).expect_err(why).to_string();
            assert!(e.contains(why), "{why}: {e}");
        }
    }
}
