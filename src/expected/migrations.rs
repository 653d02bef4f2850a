//! Directories of SQL migrations, replayed into a shadow database up to every
//! revision. Layouts: Flyway (`V<version>__<name>.sql`), golang-migrate
//! (`<version>_<name>.up.sql`), sqlx (`<version>_<name>.sql` or `.up.sql`),
//! dbmate (`-- migrate:up`), goose (`-- +goose Up`), Prisma
//! (`<timestamp>_<name>/migration.sql`).

use super::shadow::{self, Shadow};
use super::{Expected, ExpectedError, SourceKind};
use crate::db::{ConnectOptions, DatabaseUrl};
use crate::definitions::{Layout, SqlFolder, Tool};
use crate::introspect::{self, IntrospectOptions};
use crate::schema::{Engine, Schema};
use crate::tools;
use std::path::{Path, PathBuf};

/// One migration: its ledger id, the SQL that applies it, its checksum as the tool records it.
#[derive(Debug, Clone)]
pub struct Migration {
    pub id: String,
    pub path: PathBuf,
    pub up_sql: String,
    pub checksum: Option<String>,
}

/// Lists the migrations of a directory in apply order, and the tool whose
/// layout it is: the tools' own folder layouts (`ToolDef::sql_folder`), the
/// most specific first.
pub fn list(dir: &Path) -> Result<(Tool, Vec<Migration>), ExpectedError> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ExpectedError::new(dir, e.to_string()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut folders: Vec<(Tool, &SqlFolder)> = tools::all()
        .filter_map(|t| t.def().sql_folder.as_ref().map(|f| (t, f)))
        .collect();
    folders.sort_by_key(|(_, f)| f.layout.precedence());

    for (tool, folder) in &folders {
        let found = match folder.layout {
            Layout::DirectoryPerMigration(file) => per_directory(&entries, file, folder)?,
            Layout::Prefixed { prefix, separator } => {
                prefixed(&entries, prefix, separator, folder)?
            }
            _ => continue,
        };
        if !found.is_empty() {
            return Ok((*tool, found));
        }
    }
    versioned(dir, &entries, &folders)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read(p: &Path) -> Result<String, ExpectedError> {
    std::fs::read_to_string(p).map_err(|e| ExpectedError::new(p, e.to_string()))
}

fn migration(folder: &SqlFolder, version: &str, path: PathBuf, text: &str) -> Migration {
    let id = (folder.id)(version);
    Migration {
        id: if id.is_empty() { "0".into() } else { id },
        path,
        up_sql: (folder.up)(text),
        checksum: folder.checksum.map(|c| c(text)),
    }
}

/// Prisma: one directory per migration, named by its entry.
fn per_directory(
    entries: &[PathBuf],
    file: &str,
    folder: &SqlFolder,
) -> Result<Vec<Migration>, ExpectedError> {
    let mut out = Vec::new();
    for d in entries.iter().filter(|p| p.join(file).is_file()) {
        let path = d.join(file);
        let text = read(&path)?;
        out.push(migration(folder, &file_name(d), path, &text));
    }
    Ok(out)
}

/// Flyway: `V1__init.sql`, `V1.1__more.sql` (repeatable `R__` and undo `U`
/// files are not replayed).
fn prefixed(
    entries: &[PathBuf],
    prefix: char,
    separator: &str,
    folder: &SqlFolder,
) -> Result<Vec<Migration>, ExpectedError> {
    let mut out = Vec::new();
    for p in entries.iter().filter(|p| is_sql(p)) {
        let n = file_name(p);
        let Some((version, _)) = n
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once(separator))
        else {
            continue;
        };
        let text = read(p)?;
        out.push(migration(folder, version, p.clone(), &text));
    }
    out.sort_by(|a, b| version_cmp(&a.id, &b.id));
    Ok(out)
}

/// `<version>_<name>.sql` files: each is the first tool's whose marker its
/// text carries, else a golang-migrate pair when its `.down.sql` is beside
/// it, else sqlx's; the folder is the last file's tool.
fn versioned(
    dir: &Path,
    entries: &[PathBuf],
    folders: &[(Tool, &SqlFolder)],
) -> Result<(Tool, Vec<Migration>), ExpectedError> {
    let mut out = Vec::new();
    let mut tool = None;
    for p in entries.iter().filter(|p| is_sql(p)) {
        let n = file_name(p);
        let v: String = n.chars().take_while(char::is_ascii_digit).collect();
        if v.is_empty() || n.ends_with(".down.sql") {
            continue;
        }
        let text = read(p)?;
        let pair =
            n.ends_with(".up.sql") && p.with_file_name(n.replace(".up.sql", ".down.sql")).exists();
        let Some((t, folder)) = folders.iter().find(|(_, f)| match f.layout {
            Layout::Marked(markers) => markers.iter().any(|m| text.contains(m)),
            Layout::UpDownPair => pair,
            Layout::Versioned => true,
            _ => false,
        }) else {
            continue;
        };
        tool = Some(*t);
        out.push(migration(folder, &v, p.clone(), &text));
    }
    let Some(tool) = tool else {
        return Err(ExpectedError::new(
            dir,
            "no SQL migrations recognised (Flyway V<n>__*.sql, <version>_*.up.sql, dbmate, goose, sqlx or Prisma layouts)",
        ));
    };
    out.sort_by(|a, b| version_cmp(&a.id, &b.id));
    Ok((tool, out))
}

fn is_sql(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "sql")
}

/// `1.10` after `1.9`; numbers as numbers.
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parts = |s: &str| -> Vec<u128> {
        s.split(['.', '_'])
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    parts(a).cmp(&parts(b)).then_with(|| a.cmp(b))
}

/// Replays every migration into a shadow database, introspecting after each.
pub async fn load(
    dir: &Path,
    engine: Engine,
    shadow_url: Option<&DatabaseUrl>,
    target: Option<&DatabaseUrl>,
    opts: &ConnectOptions,
) -> Result<Expected, ExpectedError> {
    let (tool, migrations) = list(dir)?;
    let mut shadow = Shadow::create(engine, shadow_url, target, opts).await?;
    let result = replay(&mut shadow, tool, engine, &migrations).await;
    shadow.drop().await;
    let mut e = Expected::from_schemas(SourceKind::Migrations, dir.display().to_string(), result?);
    e.tool = Some(tool);
    Ok(e)
}

/// Applies the files in order as the tool would: its ledger table exists
/// before the first one (a migration may alter it), and is not part of what
/// the migrations create.
async fn replay(
    shadow: &mut Shadow,
    tool: Tool,
    engine: Engine,
    migrations: &[Migration],
) -> Result<Vec<(Option<String>, Schema, Option<String>)>, ExpectedError> {
    let ledger = tool.ledger().map(|l| l.table);
    if let (Some(folder), Some(first)) = (&tool.def().sql_folder, migrations.first()) {
        let ddl = (folder.ledger_ddl)(engine);
        shadow::apply(&mut shadow.conn, ddl, &first.path)
            .await
            .map_err(|e| ExpectedError {
                message: format!(
                    "creating {}'s ledger table first, {}",
                    tool.name(),
                    e.message
                ),
                ..e
            })?;
    }
    let mut revisions = Vec::with_capacity(migrations.len());
    for m in migrations {
        shadow::apply(&mut shadow.conn, &m.up_sql, &m.path).await?;
        let mut schema = introspect::introspect(&mut shadow.conn, &IntrospectOptions::default())
            .await
            .map_err(|e| {
                ExpectedError::new(&m.path, format!("introspecting the shadow database: {e}"))
            })?;
        if let Some(table) = ledger {
            schema
                .tables
                .retain(|q, _| !q.name.eq_ignore_ascii_case(table));
        }
        revisions.push((Some(m.id.clone()), schema, m.checksum.clone()));
    }
    Ok(revisions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_as_numbers() {
        assert_eq!(version_cmp("1.10", "1.9"), std::cmp::Ordering::Greater);
    }
}
