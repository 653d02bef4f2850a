//! Snapshot files written by `preflight snapshot`: JSON, versioned, holding
//! one schema or one schema per revision.

use super::ExpectedError;
use crate::schema::{Engine, Schema};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotFile {
    pub preflight_snapshot: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    /// In revision order; a snapshot of one schema has one entry.
    pub revisions: Vec<SnapshotRevision>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnapshotRevision {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub schema: Schema,
}

impl SnapshotFile {
    pub fn read(path: &Path) -> Result<SnapshotFile, ExpectedError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ExpectedError::new(path, e.to_string()))?;
        let file: SnapshotFile = serde_json::from_str(&text)
            .map_err(|e| ExpectedError::new(path, format!("not a preflight snapshot: {e}")))?;
        if file.preflight_snapshot != FORMAT_VERSION {
            return Err(ExpectedError::new(
                path,
                format!(
                    "snapshot format {} is not supported (this preflight reads {FORMAT_VERSION})",
                    file.preflight_snapshot
                ),
            ));
        }
        Ok(file)
    }

    /// Adds or replaces the entry for `revision`; without a revision the file
    /// holds just this schema.
    pub fn put(&mut self, revision: Option<String>, schema: Schema) {
        self.engine = schema.engine.or(self.engine);
        match &revision {
            Some(r) => match self
                .revisions
                .iter_mut()
                .find(|e| e.revision.as_deref() == Some(r))
            {
                Some(e) => e.schema = schema,
                None => {
                    self.revisions.retain(|e| e.revision.is_some());
                    self.revisions.push(SnapshotRevision { revision, schema });
                }
            },
            None => self.revisions = vec![SnapshotRevision { revision, schema }],
        }
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Writes atomically (a temporary file renamed over the target), so an
    /// interrupted run never leaves half a snapshot.
    pub fn write(&self, path: &Path) -> Result<(), ExpectedError> {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, self.to_json())
            .map_err(|e| ExpectedError::new(&tmp, e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            ExpectedError::new(path, e.to_string())
        })
    }
}
