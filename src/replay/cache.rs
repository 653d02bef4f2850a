//! Replays cached by content: an unchanged project replayed with the same
//! tool on the same engine gives the same expectations, so the second time
//! they are read from the cache instead of replayed.
//!
//! The key covers everything the replay's outcome depends on that preflight
//! can see without running the tool: preflight's version, the tool, the
//! engine, the launcher and configuration file, every file of the project
//! (its content and relative path; `.gitignore`d files, `.git`,
//! `node_modules`, virtualenvs and caches excepted, but the project's lock
//! files and the installed tool's `package.json` included) and the launcher
//! program's size and modification time (an upgraded tool outside the
//! project). Anything else that changes the outcome needs `--no-cache`.

use super::ReplayOptions;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Directories never hashed: dependencies, virtualenvs, caches, VCS data.
const SKIPPED_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "__pycache__",
    ".venv",
    "venv",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    "target",
    "vendor",
    "tmp",
    "log",
];

/// Files larger than this are hashed by size and time only (databases,
/// archives someone left in the project).
const LARGE: u64 = 8 * 1024 * 1024;

/// Where cached replays live: `$PREFLIGHT_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/preflight`, else `~/.cache/preflight`.
pub fn default_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("PREFLIGHT_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d).join("preflight"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".cache").join("preflight"))
}

/// The replay's key, or why there is none (an unreadable project file).
pub fn key(opts: &ReplayOptions) -> std::io::Result<String> {
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &[u8]| {
        h.update(name.as_bytes());
        h.update((value.len() as u64).to_le_bytes());
        h.update(value);
    };
    field("preflight", env!("CARGO_PKG_VERSION").as_bytes());
    field("tool", opts.tool.id().as_bytes());
    field("engine", opts.engine.name().as_bytes());
    // The server (MySQL and MariaDB differ), shown without its password.
    if let Some(u) = &opts.shadow_url {
        field("server", u.to_string().as_bytes());
    }
    for w in &opts.launcher {
        field("launcher", w.as_bytes());
    }
    if let Some(c) = &opts.project.config {
        field("config", c.to_string_lossy().as_bytes());
    }
    field("use_driver", &[u8::from(opts.use_driver)]);
    if let Some(stamp) = opts.launcher.first().and_then(|p| program_stamp(p)) {
        field("launcher-program", stamp.as_bytes());
    }
    for pkg in opts.tool.def().cli.node_packages {
        let manifest = opts
            .project
            .dir
            .join("node_modules")
            .join(pkg)
            .join("package.json");
        if let Ok(bytes) = std::fs::read(&manifest) {
            field("tool-package", &bytes);
        }
    }
    for (rel, digest) in project_files(&opts.project.dir)? {
        field("file", rel.as_bytes());
        field("content", &digest);
    }
    Ok(hex(&h.finalize()))
}

/// The cached snapshot for `key`, when there is one.
pub fn lookup(dir: &Path, key: &str) -> Option<Vec<u8>> {
    std::fs::read(entry(dir, key)).ok()
}

/// Stores a replay's snapshot under `key` (written whole, then renamed, so a
/// reader never sees half a file).
pub fn store(dir: &Path, key: &str, snapshot: &[u8]) -> std::io::Result<()> {
    let path = entry(dir, key);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, snapshot)?;
    std::fs::rename(&tmp, &path)
}

fn entry(dir: &Path, key: &str) -> PathBuf {
    dir.join("replay").join(format!("{key}.json.gz"))
}

/// Every file of the project that the key covers, by relative path, each
/// with a digest of its content.
fn project_files(dir: &Path) -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_global(false)
        .require_git(false)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && e.file_name()
                    .to_str()
                    .is_some_and(|n| SKIPPED_DIRS.contains(&n)))
        })
        .build();
    for entry in walk {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = entry.path();
        let rel = path
            .strip_prefix(dir)
            .unwrap_or(path)
            .to_string_lossy()
            .replace('\\', "/");
        let meta = entry.metadata().map_err(std::io::Error::other)?;
        let digest = if meta.len() > LARGE {
            format!("{}:{:?}", meta.len(), meta.modified().ok()).into_bytes()
        } else {
            Sha256::digest(std::fs::read(path)?).to_vec()
        };
        out.push((rel, digest));
    }
    out.sort();
    Ok(out)
}

/// The launcher program's size and modification time, found as the shell
/// would find it.
fn program_stamp(program: &str) -> Option<String> {
    let path = Path::new(program);
    let found = if path.components().count() > 1 {
        Some(path.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(program))
                .find(|p| p.is_file())
        })
    }?;
    let meta = std::fs::metadata(&found).ok()?;
    Some(format!(
        "{}:{}:{:?}",
        found.display(),
        meta.len(),
        meta.modified().ok()
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_file_changes_the_key_and_ignored_files_do_not() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path();
        std::fs::create_dir_all(p.join("migrations")).expect("mkdir");
        std::fs::create_dir_all(p.join("node_modules/x")).expect("mkdir");
        std::fs::write(p.join("migrations/001.sql"), "CREATE TABLE a (id int);").expect("w");
        let files = |p: &Path| project_files(p).expect("walk");
        let before = files(p);
        std::fs::write(p.join("node_modules/x/index.js"), "x").expect("w");
        assert_eq!(
            files(p),
            before,
            "node_modules is not the project's history"
        );
        std::fs::write(p.join("migrations/001.sql"), "CREATE TABLE a (id bigint);").expect("w");
        assert_ne!(files(p), before, "an edited migration is a new history");
        std::fs::write(p.join(".gitignore"), "scratch/\n").expect("w");
        let with_ignore = files(p);
        std::fs::create_dir_all(p.join("scratch")).expect("mkdir");
        std::fs::write(p.join("scratch/notes"), "n").expect("w");
        assert_eq!(files(p), with_ignore, ".gitignore'd files do not count");
    }

    #[test]
    fn store_then_lookup() {
        let dir = tempfile::tempdir().expect("tmp");
        assert_eq!(lookup(dir.path(), "k"), None);
        store(dir.path(), "k", b"snapshot").expect("store");
        assert_eq!(lookup(dir.path(), "k").as_deref(), Some(&b"snapshot"[..]));
    }
}
