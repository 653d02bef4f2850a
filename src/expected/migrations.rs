//! Directories of SQL migrations, replayed into a shadow database up to every
//! revision. Layouts: Flyway (`V<version>__<name>.sql`), golang-migrate
//! (`<version>_<name>.up.sql`), sqlx (`<version>_<name>.sql` or `.up.sql`),
//! dbmate (`-- migrate:up`), goose (`-- +goose Up`), Prisma
//! (`<timestamp>_<name>/migration.sql`).

use super::shadow::{self, Shadow};
use super::{Expected, ExpectedError, SourceKind};
use crate::db::{ConnectOptions, DatabaseUrl};
use crate::definitions::Tool;
use crate::introspect::{self, IntrospectOptions};
use crate::schema::{Engine, Schema};
use crate::tools::{self};
use sha2::Digest;
use std::path::{Path, PathBuf};

/// One migration: its ledger id, the SQL that applies it, its checksum as the tool records it.
#[derive(Debug, Clone)]
pub struct Migration {
    pub id: String,
    pub path: PathBuf,
    pub up_sql: String,
    pub checksum: Option<String>,
}

/// Lists the migrations of a directory in apply order, and the tool whose layout it is.
pub fn list(dir: &Path) -> Result<(Tool, Vec<Migration>), ExpectedError> {
    let read =
        |p: &Path| std::fs::read_to_string(p).map_err(|e| ExpectedError::new(p, e.to_string()));
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| ExpectedError::new(dir, e.to_string()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();

    // Prisma: one directory per migration.
    let prisma: Vec<&PathBuf> = entries
        .iter()
        .filter(|p| p.join("migration.sql").is_file())
        .collect();
    if !prisma.is_empty() {
        let mut out = Vec::new();
        for d in prisma {
            let path = d.join("migration.sql");
            let sql = read(&path)?;
            let id = d
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let checksum = Some(hex(&sha2::Sha256::digest(sql.as_bytes())));
            out.push(Migration {
                id,
                path,
                up_sql: sql,
                checksum,
            });
        }
        return Ok((Tool(&tools::prisma::TOOL), out));
    }

    let sql_files: Vec<&PathBuf> = entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };

    // Flyway: V1__init.sql, V1.1__more.sql (repeatable R__ and undo U files are not replayed).
    if sql_files
        .iter()
        .any(|p| name(p).starts_with('V') && name(p).contains("__"))
    {
        let mut out = Vec::new();
        for p in sql_files
            .iter()
            .filter(|p| name(p).starts_with('V') && name(p).contains("__"))
        {
            let n = name(p);
            let version = n[1..n.find("__").unwrap_or(1)].replace('_', ".");
            let sql = read(p)?;
            out.push(Migration {
                id: version,
                path: p.to_path_buf(),
                checksum: Some(flyway_checksum(&sql)),
                up_sql: sql,
            });
        }
        out.sort_by(|a, b| version_cmp(&a.id, &b.id));
        return Ok((Tool(&tools::flyway::TOOL), out));
    }

    let versioned: Vec<(&PathBuf, String)> = sql_files
        .iter()
        .filter_map(|p| {
            let n = name(p);
            let v: String = n.chars().take_while(char::is_ascii_digit).collect();
            (!v.is_empty() && !n.ends_with(".down.sql")).then_some((*p, v))
        })
        .collect();
    if versioned.is_empty() {
        return Err(ExpectedError::new(
            dir,
            "no SQL migrations recognised (Flyway V<n>__*.sql, <version>_*.up.sql, dbmate, goose, sqlx or Prisma layouts)",
        ));
    }
    let mut out = Vec::new();
    let mut tool = Tool(&tools::sqlx::TOOL);
    for (p, v) in versioned {
        let text = read(p)?;
        let n = name(p);
        let (up, t) = if text.contains("-- +goose Up") || text.contains("-- +goose up") {
            (
                section(
                    &text,
                    &["-- +goose Up", "-- +goose up"],
                    &["-- +goose Down", "-- +goose down"],
                ),
                Tool(&tools::goose::TOOL),
            )
        } else if text.contains("-- migrate:up") {
            (
                section(&text, &["-- migrate:up"], &["-- migrate:down"]),
                Tool(&tools::dbmate::TOOL),
            )
        } else if n.ends_with(".up.sql") {
            (
                text.clone(),
                if p.with_file_name(n.replace(".up.sql", ".down.sql")).exists() {
                    Tool(&tools::golang_migrate::TOOL)
                } else {
                    Tool(&tools::sqlx::TOOL)
                },
            )
        } else {
            (text.clone(), Tool(&tools::sqlx::TOOL))
        };
        tool = t;
        let checksum =
            (t == Tool(&tools::sqlx::TOOL)).then(|| hex(&sha2::Sha384::digest(text.as_bytes())));
        // These tools record the version as a number: `0001` is `1`.
        let id = if matches!(t.id(), "goose" | "golang-migrate" | "sqlx") {
            v.trim_start_matches('0').to_string()
        } else {
            v
        };
        let id = if id.is_empty() { "0".into() } else { id };
        out.push(Migration {
            id,
            path: p.to_path_buf(),
            up_sql: up
                .replace("-- +goose StatementBegin", "")
                .replace("-- +goose StatementEnd", ""),
            checksum,
        });
    }
    out.sort_by(|a, b| version_cmp(&a.id, &b.id));
    Ok((tool, out))
}

fn section(text: &str, start: &[&str], end: &[&str]) -> String {
    let from = start
        .iter()
        .filter_map(|s| text.find(s).map(|i| i + s.len()))
        .min()
        .unwrap_or(0);
    let rest = &text[from..];
    let to = end
        .iter()
        .filter_map(|e| rest.find(e))
        .min()
        .unwrap_or(rest.len());
    rest[..to].to_string()
}

/// Flyway's checksum: CRC32 over each line without its line break, as a signed 32-bit number.
pub fn flyway_checksum(sql: &str) -> String {
    let mut h = crc32fast::Hasher::new();
    let sql = sql.strip_prefix('\u{feff}').unwrap_or(sql);
    for line in sql.lines() {
        h.update(line.as_bytes());
    }
    (h.finalize() as i32).to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
    let result = replay(&mut shadow, &migrations).await;
    shadow.drop().await;
    let mut e = Expected::from_schemas(SourceKind::Migrations, dir.display().to_string(), result?);
    e.tool = Some(tool);
    Ok(e)
}

async fn replay(
    shadow: &mut Shadow,
    migrations: &[Migration],
) -> Result<Vec<(Option<String>, Schema, Option<String>)>, ExpectedError> {
    let mut revisions = Vec::with_capacity(migrations.len());
    for m in migrations {
        shadow::apply(&mut shadow.conn, &m.up_sql, &m.path).await?;
        let schema = introspect::introspect(&mut shadow.conn, &IntrospectOptions::default())
            .await
            .map_err(|e| {
                ExpectedError::new(&m.path, format!("introspecting the shadow database: {e}"))
            })?;
        revisions.push((Some(m.id.clone()), schema, m.checksum.clone()));
    }
    Ok(revisions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flyway_checksums_ignore_line_endings() {
        assert_eq!(flyway_checksum("a\nb\n"), flyway_checksum("a\r\nb"));
        assert_eq!(version_cmp("1.10", "1.9"), std::cmp::Ordering::Greater);
    }
}
