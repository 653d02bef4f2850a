//! Alembic's configuration, read as Alembic reads it: `alembic.ini` (the
//! `[alembic]` section, `%(here)s` and other interpolations, continuation
//! lines) or `[tool.alembic]` in `pyproject.toml`; `script_location` as a
//! path (relative to the working directory, as Alembic resolves it) or a
//! package resource (`myapp:migrations`); several `version_locations` split by
//! `path_separator` / `version_path_separator` (`os`, `:`, `;`, `space`,
//! `newline`, or commas and spaces when unset); `recursive_version_locations`;
//! and the version table `env.py` configures.

use super::super::ExpectedError;
use crate::expected::python::{self, Expr};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where an Alembic project keeps its revisions and its ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct AlembicConfig {
    /// The configuration file read, if any.
    pub file: Option<PathBuf>,
    /// The script directory (holding `env.py`).
    pub script_location: PathBuf,
    /// Directories of revision files.
    pub version_locations: Vec<PathBuf>,
    /// Revision files are also read from subdirectories.
    pub recursive: bool,
    /// `context.configure(version_table=…)` in env.py, when not the default.
    pub version_table: Option<String>,
    pub notes: Vec<String>,
}

impl AlembicConfig {
    /// Reads the configuration a path names: `alembic.ini` (or another ini),
    /// `pyproject.toml`, a directory holding either, a script directory
    /// (`env.py` + `versions/`), or a directory of revision files.
    pub fn find(path: &Path) -> Result<AlembicConfig, ExpectedError> {
        let is = |ext: &str| path.extension().is_some_and(|e| e == ext);
        if path.is_file() && is("ini") {
            return AlembicConfig::from_ini(path, None);
        }
        if path.is_file() && is("toml") {
            return AlembicConfig::from_pyproject(path);
        }
        if path.is_dir() {
            let ini = path.join("alembic.ini");
            if ini.is_file() {
                return AlembicConfig::from_ini(&ini, None);
            }
            let pyproject = path.join("pyproject.toml");
            if pyproject.is_file()
                && std::fs::read_to_string(&pyproject).is_ok_and(|t| t.contains("[tool.alembic]"))
            {
                return AlembicConfig::from_pyproject(&pyproject);
            }
            if path.join("versions").is_dir() {
                return Ok(AlembicConfig::for_script_dir(path));
            }
            return Ok(AlembicConfig {
                file: None,
                script_location: path.parent().unwrap_or(path).to_path_buf(),
                version_locations: vec![path.to_path_buf()],
                recursive: false,
                version_table: None,
                notes: Vec::new(),
            });
        }
        Err(ExpectedError::new(
            path,
            "not an Alembic configuration (give alembic.ini, pyproject.toml with [tool.alembic], the script directory or its versions/)",
        ))
    }

    fn for_script_dir(dir: &Path) -> AlembicConfig {
        let mut c = AlembicConfig {
            file: None,
            script_location: dir.to_path_buf(),
            version_locations: vec![dir.join("versions")],
            recursive: false,
            version_table: None,
            notes: Vec::new(),
        };
        c.read_env_py();
        c
    }

    /// An ini file; `section` defaults to `alembic` (`alembic -n NAME`).
    pub fn from_ini(path: &Path, section: Option<&str>) -> Result<AlembicConfig, ExpectedError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ExpectedError::new(path, e.to_string()))?;
        let here = parent(path);
        let sections = parse_ini(&text);
        let name = section.unwrap_or("alembic");
        let values = sections.get(name).ok_or_else(|| {
            ExpectedError::new(
                path,
                format!("no [{name}] section (Alembic reads its options there)"),
            )
        })?;
        let mut defaults = sections.get("DEFAULT").cloned().unwrap_or_default();
        defaults.insert("here".into(), here.display().to_string());
        let get = |key: &str| values.get(key).map(|v| interpolate(v, values, &defaults));
        let raw_location = get("script_location")
            .ok_or_else(|| ExpectedError::new(path, format!("[{name}] has no script_location")))?;
        let mut notes = Vec::new();
        let script_location = resolve(&raw_location, &here, &mut notes).map_err(|m| {
            ExpectedError::new(path, format!("script_location = {raw_location}: {m}"))
        })?;
        let separator = get("path_separator").or_else(|| get("version_path_separator"));
        let version_locations = match get("version_locations") {
            Some(v) => split_locations(&v, separator.as_deref())
                .iter()
                .map(|l| {
                    resolve(l, &here, &mut notes).map_err(|m| {
                        ExpectedError::new(path, format!("version_locations entry {l}: {m}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            None => vec![script_location.join("versions")],
        };
        let recursive = get("recursive_version_locations").is_some_and(|v| truthy(&v));
        let mut c = AlembicConfig {
            file: Some(path.to_path_buf()),
            script_location,
            version_locations,
            recursive,
            version_table: None,
            notes,
        };
        c.read_env_py();
        Ok(c)
    }

    /// `[tool.alembic]` in pyproject.toml (Alembic 1.16+): the same options,
    /// `version_locations` as a list.
    pub fn from_pyproject(path: &Path) -> Result<AlembicConfig, ExpectedError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| ExpectedError::new(path, e.to_string()))?;
        let doc: toml::Table = toml::from_str(&text)
            .map_err(|e| ExpectedError::new(path, format!("invalid TOML: {}", e.message())))?;
        let tool = doc
            .get("tool")
            .and_then(|t| t.get("alembic"))
            .and_then(toml::Value::as_table)
            .ok_or_else(|| ExpectedError::new(path, "no [tool.alembic] table"))?;
        let here = parent(path);
        let mut defaults = HashMap::new();
        defaults.insert("here".to_string(), here.display().to_string());
        let none = HashMap::new();
        let mut notes = Vec::new();
        let raw_location = tool
            .get("script_location")
            .and_then(toml::Value::as_str)
            .map(|v| interpolate(v, &none, &defaults))
            .ok_or_else(|| ExpectedError::new(path, "[tool.alembic] has no script_location"))?;
        let script_location = resolve(&raw_location, &here, &mut notes).map_err(|m| {
            ExpectedError::new(path, format!("script_location = {raw_location}: {m}"))
        })?;
        let version_locations = match tool.get("version_locations") {
            Some(toml::Value::Array(items)) => items
                .iter()
                .filter_map(toml::Value::as_str)
                .map(|l| {
                    let l = interpolate(l, &none, &defaults);
                    resolve(&l, &here, &mut notes).map_err(|m| {
                        ExpectedError::new(path, format!("version_locations entry {l}: {m}"))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(toml::Value::String(v)) => split_locations(v, None)
                .iter()
                .map(|l| {
                    resolve(&interpolate(l, &none, &defaults), &here, &mut notes)
                        .map_err(|e| ExpectedError::new(path, e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?,
            _ => vec![script_location.join("versions")],
        };
        let recursive = tool
            .get("recursive_version_locations")
            .is_some_and(|v| v.as_bool() == Some(true) || v.as_str().is_some_and(truthy));
        let mut c = AlembicConfig {
            file: Some(path.to_path_buf()),
            script_location,
            version_locations,
            recursive,
            version_table: None,
            notes,
        };
        c.read_env_py();
        Ok(c)
    }

    /// `context.configure(version_table="…")` in env.py (a literal or a
    /// module-level name).
    fn read_env_py(&mut self) {
        let env = self.script_location.join("env.py");
        let Ok(text) = std::fs::read_to_string(&env) else {
            return;
        };
        let module = python::parse_module(&text);
        let literal = |e: &Expr| match e {
            Expr::Str(s) => Some(s.clone()),
            Expr::Name(n) => module
                .assignments
                .get(n)
                .and_then(|v| v.as_str().map(str::to_owned)),
            _ => None,
        };
        for f in module.functions.values() {
            for st in &f.body {
                if let python::Statement::Call(c) = st
                    && c.method() == "configure"
                    && let Some(v) = c.kwarg("version_table")
                {
                    let computed = format!(
                        "{}: version_table is computed; the ledger is found by its shape",
                        env.display()
                    );
                    match literal(v) {
                        Some(t) => self.version_table = Some(t),
                        None if !self.notes.contains(&computed) => self.notes.push(computed),
                        None => {}
                    }
                }
            }
        }
    }

    /// Every revision file (`*.py` but `__init__.py`), in path order.
    pub fn revision_files(&self) -> Result<Vec<PathBuf>, ExpectedError> {
        let mut out = Vec::new();
        for dir in &self.version_locations {
            if !dir.is_dir() {
                return Err(ExpectedError::new(dir, "version location does not exist"));
            }
            collect(dir, self.recursive, &mut out)
                .map_err(|e| ExpectedError::new(dir, e.to_string()))?;
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

fn collect(dir: &Path, recursive: bool, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)?.flatten() {
        let p = entry.path();
        if p.is_dir() {
            if recursive && p.file_name().is_some_and(|n| n != "__pycache__") {
                collect(&p, true, out)?;
            }
        } else if p.extension().is_some_and(|e| e == "py")
            && p.file_name().is_some_and(|n| n != "__init__.py")
        {
            out.push(p);
        }
    }
    Ok(())
}

fn parent(path: &Path) -> PathBuf {
    let p = path.parent().unwrap_or(Path::new("."));
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p.to_path_buf()
    }
}

fn truthy(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "on"
    )
}

/// Sections of an ini file as configparser reads it: `key = value` or
/// `key: value`, keys lowercased, indented continuation lines, `#` and `;`
/// comment lines.
fn parse_ini(text: &str) -> HashMap<String, HashMap<String, String>> {
    let mut sections: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut current = String::new();
    let mut last_key: Option<String> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            last_key = None;
            continue;
        }
        if trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(k) = &last_key
                && let Some(v) = sections.get_mut(&current).and_then(|s| s.get_mut(k))
            {
                v.push('\n');
                v.push_str(trimmed);
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            current = name.trim().to_string();
            sections.entry(current.clone()).or_default();
            last_key = None;
            continue;
        }
        let split = trimmed.find(['=', ':']);
        if let Some(i) = split {
            let key = trimmed[..i].trim().to_ascii_lowercase();
            let value = trimmed[i + 1..].trim().to_string();
            sections
                .entry(current.clone())
                .or_default()
                .insert(key.clone(), value);
            last_key = Some(key);
        }
    }
    sections
}

/// configparser's `%(name)s` interpolation (`%%` is a `%`).
fn interpolate(
    value: &str,
    section: &HashMap<String, String>,
    defaults: &HashMap<String, String>,
) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut depth = 0;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('%') {
            out.push('%');
            rest = r;
            continue;
        }
        if let Some(inner) = after.strip_prefix('(')
            && let Some(close) = inner.find(")s")
        {
            let key = inner[..close].to_ascii_lowercase();
            let v = section.get(&key).or_else(|| defaults.get(&key));
            match v {
                Some(v) if depth < 10 => {
                    depth += 1;
                    out.push_str(&interpolate(v, section, defaults));
                }
                _ => out.push_str(&format!("%({key})s")),
            }
            rest = &inner[close + 2..];
            continue;
        }
        out.push('%');
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Alembic's splitting of `version_locations`.
fn split_locations(value: &str, separator: Option<&str>) -> Vec<String> {
    let parts: Vec<String> = match separator.map(str::trim) {
        Some("space") => value.split(' ').map(str::to_owned).collect(),
        Some("newline") => value.lines().map(str::to_owned).collect(),
        Some("os") => value.split(':').map(str::to_owned).collect(),
        Some(":") => value.split(':').map(str::to_owned).collect(),
        Some(";") => value.split(';').map(str::to_owned).collect(),
        // Unset: commas or spaces (Alembic's legacy behaviour).
        _ => value
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::to_owned)
            .collect(),
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// A location as Alembic resolves it: a package resource `pkg.sub:path`, an
/// absolute path, or a path relative to the working directory. A relative
/// path that only exists next to the configuration file is taken from there,
/// with a note (run from another directory, Alembic would not find it).
/// A package resource (`pkg.sub:path`) with no directory where Alembic
/// would find it.
#[derive(Debug, thiserror::Error)]
#[error("package resource {raw}: no directory {} under the working directory or the configuration's (Python imports are not run)", rel.display())]
struct NoResource {
    raw: String,
    rel: PathBuf,
}

fn resolve(raw: &str, here: &Path, notes: &mut Vec<String>) -> Result<PathBuf, NoResource> {
    if let Some((package, resource)) = raw.split_once(':')
        && !package.is_empty()
        && !package.contains(['/', '\\'])
        && package.len() > 1
    {
        let rel = PathBuf::from(package.replace('.', "/")).join(resource);
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        for base in [
            cwd.clone(),
            here.to_path_buf(),
            cwd.join("src"),
            here.join("src"),
        ] {
            let p = base.join(&rel);
            if p.is_dir() {
                return Ok(p);
            }
        }
        return Err(NoResource {
            raw: raw.to_string(),
            rel,
        });
    }
    let p = PathBuf::from(raw);
    if p.is_absolute() {
        return Ok(p);
    }
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    if cwd.join(&p).is_dir() {
        return Ok(cwd.join(&p));
    }
    if here.join(&p).is_dir() {
        notes.push(format!(
            "{raw} is relative to the working directory for Alembic; read from {} instead",
            here.display()
        ));
        return Ok(here.join(&p));
    }
    Ok(cwd.join(&p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_files_are_read_as_configparser_reads_them() {
        let ini = "[DEFAULT]\nbase = mig\n\n[alembic]\nscript_location = %(here)s/%(base)s\nversion_locations = %(here)s/a %(here)s/b\n  %(here)s/c\nversion_path_separator = space\n# comment\n; another\nsqlalchemy.url = postgresql://x%%y\n";
        let s = parse_ini(ini);
        let a = &s["alembic"];
        let mut d = s["DEFAULT"].clone();
        d.insert("here".into(), "/p".into());
        assert_eq!(interpolate(&a["script_location"], a, &d), "/p/mig");
        assert_eq!(interpolate(&a["sqlalchemy.url"], a, &d), "postgresql://x%y");
        let locs = interpolate(&a["version_locations"], a, &d);
        assert_eq!(
            split_locations(&locs, Some("space")),
            ["/p/a", "/p/b\n/p/c"]
        );
        assert_eq!(
            split_locations("/x/a, /x/b /x/c", None),
            ["/x/a", "/x/b", "/x/c"]
        );
        assert_eq!(split_locations("/x/a:/x/b", Some("os")), ["/x/a", "/x/b"]);
        assert_eq!(split_locations("a;b", Some(";")), ["a", "b"]);
        assert_eq!(split_locations("a\nb", Some("newline")), ["a", "b"]);
    }

    #[test]
    fn locations_resolve_like_alembic() {
        let dir = tempfile::tempdir().expect("tmp");
        let root = dir.path();
        std::fs::create_dir_all(root.join("myapp/db/migrations/versions")).expect("mkdir");
        std::fs::create_dir_all(root.join("branch")).expect("mkdir");
        std::fs::write(
            root.join("alembic.ini"),
            "[alembic]\nscript_location = myapp.db:migrations\nversion_locations = %(here)s/myapp/db/migrations/versions;%(here)s/branch\nversion_path_separator = ;\n",
        )
        .expect("write");
        std::fs::write(
            root.join("myapp/db/migrations/env.py"),
            "VERSION_TABLE = 'alembic_version_auth'\ndef run():\n    context.configure(connection=c, version_table=VERSION_TABLE)\n",
        )
        .expect("write");
        let c = AlembicConfig::find(&root.join("alembic.ini")).expect("config");
        assert_eq!(c.script_location, root.join("myapp/db/migrations"));
        assert_eq!(
            c.version_locations,
            [
                root.join("myapp/db/migrations/versions"),
                root.join("branch")
            ]
        );
        assert_eq!(c.version_table.as_deref(), Some("alembic_version_auth"));
        // pyproject.toml
        std::fs::write(
            root.join("pyproject.toml"),
            "[tool.alembic]\nscript_location = \"%(here)s/myapp/db/migrations\"\nversion_locations = [\"%(here)s/branch\"]\n",
        )
        .expect("write");
        let c = AlembicConfig::find(&root.join("pyproject.toml")).expect("config");
        assert_eq!(c.version_locations, [root.join("branch")]);
        // A package that is not there is an error naming it.
        std::fs::write(
            root.join("bad.ini"),
            "[alembic]\nscript_location = nope:migrations\n",
        )
        .expect("write");
        let e = AlembicConfig::find(&root.join("bad.ini")).expect_err("missing package");
        assert!(e.to_string().contains("nope:migrations"), "{e}");
    }
}
