//! Spec files on disk: which files are specs, walking directories, reading
//! text in the encodings people save specs in.

use super::Format;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Procfile,
    FlyToml,
    RailwayToml,
    /// A YAML (or JSON) stream; the hint names the format when the file name does.
    Yaml(Option<Format>),
}

/// The kind of a file found while walking a directory; `None` for files that
/// are not deploy specs by name. The hint names the format when the path does
/// (`render.yaml`, `.github/workflows/*.yml`, `.do/app.yaml`, `compose.yaml`).
pub fn kind_for(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let yaml = lower.ends_with(".yaml") || lower.ends_with(".yml");
    let parent = |n: &str| {
        path.parent()
            .and_then(Path::file_name)
            .is_some_and(|p| p.eq_ignore_ascii_case(n))
    };
    let in_workflows = parent("workflows")
        && path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .is_some_and(|p| p == ".github");
    let in_gitlab_ci = parent("ci")
        && path
            .parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .is_some_and(|p| p == ".gitlab");
    Some(match lower.as_str() {
        "procfile" => FileKind::Procfile,
        "fly.toml" => FileKind::FlyToml,
        "railway.toml" => FileKind::RailwayToml,
        "railway.json" => FileKind::Yaml(Some(Format::Railway)),
        "render.yaml" | "render.yml" => FileKind::Yaml(Some(Format::Render)),
        "deploy.template.yaml" | "deploy.template.yml" => {
            FileKind::Yaml(Some(Format::DigitalOcean))
        }
        _ if lower.starts_with("fly.") && lower.ends_with(".toml") => FileKind::FlyToml,
        _ if yaml && in_workflows => FileKind::Yaml(Some(Format::GithubActions)),
        _ if yaml
            && (in_gitlab_ci
                || lower.ends_with(".gitlab-ci.yml")
                || lower.ends_with(".gitlab-ci.yaml")
                || lower.ends_with("gitlab-ci.yml")) =>
        {
            FileKind::Yaml(Some(Format::GitlabCi))
        }
        _ if yaml && (lower.starts_with("compose.") || lower.starts_with("docker-compose")) => {
            FileKind::Yaml(Some(Format::Compose))
        }
        _ if (yaml || lower.ends_with(".json"))
            && (parent(".do") || lower.ends_with(".app.yaml") || lower.ends_with(".app.yml")) =>
        {
            FileKind::Yaml(Some(Format::DigitalOcean))
        }
        _ if yaml || lower.ends_with(".json") => FileKind::Yaml(None),
        _ => return None,
    })
}

/// The kind of a file the user named explicitly: unknown names are read as YAML.
pub fn kind_for_explicit(path: &Path) -> FileKind {
    kind_for(path).unwrap_or(FileKind::Yaml(None))
}

/// The files of a directory walk, in a stable order, and what was skipped.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    /// Helm charts whose templates were skipped (they are not YAML until rendered).
    pub charts: Vec<PathBuf>,
    pub errors: Vec<(PathBuf, String)>,
}

/// Walks `dir` for spec files, honouring `.gitignore`, `.ignore` and
/// `.preflightignore` files. Hidden directories are included (`.do/app.yaml`),
/// `.git` is not. The `templates/` of Helm charts are skipped.
pub fn walk(dir: &Path) -> Walk {
    let mut out = Walk::default();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .require_git(false)
        .add_custom_ignore_filename(".preflightignore")
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|e| {
            let name = e.file_name();
            if name == ".git" {
                return false;
            }
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir
                && (name == "templates" || name == "charts")
                && e.path()
                    .parent()
                    .is_some_and(|p| p.join("Chart.yaml").is_file()))
        })
        .build();
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                let path = e.into_path();
                if path.file_name().is_some_and(|n| n == "Chart.yaml") {
                    if let Some(parent) = path.parent() {
                        out.charts.push(parent.to_path_buf());
                    }
                    continue;
                }
                if kind_for(&path).is_some() {
                    out.files.push(path);
                }
            }
            Ok(_) => {}
            Err(e) => {
                let path = error_path(&e).unwrap_or_else(|| dir.to_path_buf());
                out.errors.push((path, e.to_string()));
            }
        }
    }
    out
}

fn error_path(e: &ignore::Error) -> Option<PathBuf> {
    match e {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        _ => None,
    }
}

/// A reader of text: UTF-8 (BOM stripped) directly, UTF-16 (with a BOM)
/// transcoded. Anything else is read as UTF-8 and rejected line by line.
pub fn text_reader<'a, R: Read + 'a>(reader: R) -> std::io::Result<Box<dyn BufRead + 'a>> {
    let mut buffered = BufReader::with_capacity(64 * 1024, reader);
    let head = buffered.fill_buf()?;
    let utf16 = match head {
        [0xFF, 0xFE, ..] => Some(false),
        [0xFE, 0xFF, ..] => Some(true),
        _ => None,
    };
    let Some(big_endian) = utf16 else {
        return Ok(Box::new(buffered));
    };
    let mut bytes = Vec::new();
    buffered.read_to_end(&mut bytes)?;
    let units = bytes[2..].chunks(2).map(|c| {
        let pair = [c[0], *c.get(1).unwrap_or(&0)];
        if big_endian {
            u16::from_be_bytes(pair)
        } else {
            u16::from_le_bytes(pair)
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Ok(Box::new(Cursor::new(text.into_bytes())))
}

/// A small file that could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum ReadTextError {
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("not UTF-8 text (invalid byte sequence on line {line}); save the file as UTF-8")]
    NotUtf8 { line: usize },
}

/// Reads a whole small file (Procfile, TOML) as text.
pub fn read_text(path: &Path) -> Result<String, ReadTextError> {
    let file = std::fs::File::open(path)?;
    let mut reader = text_reader(file)?;
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| ReadTextError::NotUtf8 {
        line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
    })
}

/// A TOML error with the byte range it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TomlError {
    pub message: String,
    pub span: Option<Range<usize>>,
}

impl From<toml::de::Error> for TomlError {
    fn from(e: toml::de::Error) -> Self {
        TomlError {
            message: e.message().trim().to_owned(),
            span: e.span(),
        }
    }
}
