//! How a tool keeps its migrations as SQL files in a folder, so that
//! preflight can replay the folder itself (`--expected migrations:DIR`)
//! and name the tool whose ledger it fills.

use crate::schema::Engine;

/// A tool's folder of SQL migrations.
pub struct SqlFolder {
    pub layout: Layout,
    /// The SQL that applies a migration, from its file's text (the tool's
    /// up section, its own directives removed).
    pub up: fn(&str) -> String,
    /// The ledger entry the tool records for a version (`0001` is `1` where
    /// the tool records a number).
    pub id: fn(&str) -> String,
    /// The checksum the tool records for a migration's text.
    pub checksum: Option<fn(&str) -> String>,
    /// The ledger table as the tool creates it before the first file (a
    /// migration may alter it: `ALTER TABLE schema_migrations ADD …`).
    pub ledger_ddl: fn(Engine) -> &'static str,
}

/// What a migration looks like in the folder.
pub enum Layout {
    /// One directory per migration holding this file (Prisma:
    /// `<timestamp>_<name>/migration.sql`); the directory's name is the entry.
    DirectoryPerMigration(&'static str),
    /// `V<version>__<name>.sql` (Flyway): a prefix, the version (`_` standing
    /// for `.`), a separator, the name.
    Prefixed {
        prefix: char,
        separator: &'static str,
    },
    /// `<version>_<name>.sql` whose text carries one of these markers
    /// (`-- +goose Up`, `-- migrate:up`).
    Marked(&'static [&'static str]),
    /// `<version>_<name>.up.sql` with its `.down.sql` beside it.
    UpDownPair,
    /// `<version>_<name>.sql` or `.up.sql`: any versioned file no other
    /// layout claims.
    Versioned,
}

impl Layout {
    /// Layouts are tried most specific first.
    pub fn precedence(&self) -> u8 {
        match self {
            Layout::DirectoryPerMigration(_) => 0,
            Layout::Prefixed { .. } => 1,
            Layout::Marked(_) => 2,
            Layout::UpDownPair => 3,
            Layout::Versioned => 4,
        }
    }
}

/// The ledger entry of a tool that records versions as numbers.
pub fn numeric_id(version: &str) -> String {
    version.trim_start_matches('0').to_string()
}

/// The version as the file names it.
pub fn same_id(version: &str) -> String {
    version.to_string()
}

/// The file's whole text.
pub fn whole(text: &str) -> String {
    text.to_string()
}

/// The text between the first of `start` and the first of `end` after it.
pub fn section(text: &str, start: &[&str], end: &[&str]) -> String {
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

/// Lowercase hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
