//! Expected schemas from Alembic revision files, read statically.
//!
//! The project's configuration says where the revisions are (`config`);
//! each revision's `upgrade()` is read for the operations it performs
//! (`op.create_table`, `add_column`, `create_index`, `batch_alter_table`, …)
//! and applied to a running model in dependency order (`model`), which gives
//! the changes of every revision. The model is partial: column types and
//! defaults are not known without running SQLAlchemy, so only the existence
//! of tables, columns, indexes and constraints, nullability, foreign-key
//! targets and check conditions are compared. What it cannot follow is
//! never held against a database: raw SQL relaxes the tables it names, and a
//! revision doing something computed is opaque. Replaying the revisions with
//! the real Alembic (`preflight snapshot --replay alembic`) is exact.

pub mod config;
mod model;
mod raw_sql;

use super::python::{self, Expr, Module};
use super::{Expected, ExpectedError, SourceKind};
use crate::definitions::Tool;
use crate::schema::Engine;
use crate::tools::{self};
use config::AlembicConfig;
use model::Model;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A parsed revision file.
#[derive(Debug)]
pub struct RevisionFile {
    pub id: String,
    /// `down_revision` (several for a merge) and `depends_on`.
    pub parents: Vec<String>,
    pub branch_labels: Vec<String>,
    pub path: PathBuf,
    module: Module,
}

/// True when `path` is an Alembic project (configuration, script
/// directory or versions directory) with revision files.
pub fn looks_like_alembic(path: &Path) -> bool {
    AlembicConfig::find(path)
        .and_then(|c| c.revision_files())
        .is_ok_and(|files| {
            files.iter().any(|f| {
                std::fs::read_to_string(f)
                    .is_ok_and(|t| t.contains("revision") && t.contains("def upgrade"))
            })
        })
}

/// Reads the revision files of a project.
pub fn read_revisions(config: &AlembicConfig) -> Result<Vec<RevisionFile>, ExpectedError> {
    let mut files = Vec::new();
    for p in config.revision_files()? {
        let text =
            std::fs::read_to_string(&p).map_err(|e| ExpectedError::new(&p, e.to_string()))?;
        let module = python::parse_module(&text);
        let Some(id) = module
            .assignments
            .get("revision")
            .and_then(|e| e.as_str())
            .map(str::to_owned)
        else {
            continue; // not a revision file (helpers)
        };
        let mut parents = strings(module.assignments.get("down_revision"));
        parents.extend(strings(module.assignments.get("depends_on")));
        let branch_labels = strings(module.assignments.get("branch_labels"));
        files.push(RevisionFile {
            id,
            parents,
            branch_labels,
            path: p,
            module,
        });
    }
    if files.is_empty() {
        return Err(ExpectedError::new(
            config
                .version_locations
                .first()
                .map_or(Path::new("."), |p| p.as_path()),
            "no Alembic revision files (with `revision = …`) in the version locations",
        ));
    }
    // `depends_on` may name a branch label: the revision that declares it.
    let labels: HashMap<String, String> = files
        .iter()
        .flat_map(|f| f.branch_labels.iter().map(|l| (l.clone(), f.id.clone())))
        .collect();
    let ids: BTreeSet<String> = files.iter().map(|f| f.id.clone()).collect();
    for f in &mut files {
        for p in &mut f.parents {
            if !ids.contains(p)
                && let Some(id) = labels.get(p)
            {
                *p = id.clone();
            }
        }
        f.parents.dedup();
    }
    Ok(files)
}

/// Expectations from a project's revision files, for a database on `engine`
/// (dialect options of operations apply to their dialect only).
pub fn load(path: &Path, engine: Option<Engine>) -> Result<Expected, ExpectedError> {
    let config = AlembicConfig::find(path)?;
    let files = read_revisions(&config)?;
    let order = topological(&files).map_err(|e| {
        ExpectedError::new(
            config
                .version_locations
                .first()
                .map_or(path, |p| p.as_path()),
            e.to_string(),
        )
    })?;

    let mut model = Model::default();
    model.engine = engine;
    model.notes.extend(config.notes.iter().cloned());
    let mut schemas = Vec::with_capacity(order.len());
    let mut meta = Vec::with_capacity(order.len());
    for idx in order {
        let f = &files[idx];
        let file = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        model.begin(&f.id, &file);
        match f.module.functions.get("upgrade") {
            Some(body) => model.apply(&body.body, &f.module),
            None => model.notes.push(format!("{file}: no upgrade() function")),
        }
        let mut schema = model.schema.clone();
        schema.sort();
        schemas.push((Some(f.id.clone()), schema, None));
        meta.push((f.parents.clone(), model.unmodelled.clone()));
    }
    let mut e = Expected::from_schemas(
        SourceKind::Alembic,
        config
            .file
            .as_ref()
            .unwrap_or(&config.script_location)
            .display()
            .to_string(),
        schemas,
    );
    for (r, (parents, unmodelled)) in e.revisions.iter_mut().zip(meta) {
        r.parents = parents;
        r.unmodelled = unmodelled;
    }
    e.partial = true;
    e.tool = Some(Tool(&tools::alembic::TOOL));
    e.notes = model.notes;
    e.relaxed = model.relaxed;
    e.ledger_table = config.version_table.clone();
    Ok(e)
}

fn strings(e: Option<&Expr>) -> Vec<String> {
    match e {
        Some(Expr::Str(s)) => vec![s.clone()],
        Some(Expr::List(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// Revisions that do not form a graph Alembic could walk.
#[derive(Debug, thiserror::Error)]
enum GraphError {
    #[error("revision {0} is not among the revision files")]
    MissingParent(String),
    #[error("the revisions form a cycle")]
    Cycle,
}

/// Orders revisions parents-first; ties by id, so the order is stable.
fn topological(files: &[RevisionFile]) -> Result<Vec<usize>, GraphError> {
    let index: HashMap<&str, usize> = files
        .iter()
        .enumerate()
        .map(|(i, f)| (f.id.as_str(), i))
        .collect();
    let mut missing_parent = BTreeSet::new();
    let mut indegree = vec![0usize; files.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (i, f) in files.iter().enumerate() {
        for p in &f.parents {
            match index.get(p.as_str()) {
                Some(&pi) => {
                    indegree[i] += 1;
                    children[pi].push(i);
                }
                None => {
                    missing_parent.insert(format!("{} (down_revision of {})", p, f.id));
                }
            }
        }
    }
    if let Some(m) = missing_parent.into_iter().next() {
        return Err(GraphError::MissingParent(m));
    }
    let mut ready: BTreeSet<(&str, usize)> = (0..files.len())
        .filter(|&i| indegree[i] == 0)
        .map(|i| (files[i].id.as_str(), i))
        .collect();
    let mut order = Vec::with_capacity(files.len());
    while let Some(&(id, i)) = ready.iter().next() {
        ready.remove(&(id, i));
        order.push(i);
        for &c in &children[i] {
            indegree[c] -= 1;
            if indegree[c] == 0 {
                ready.insert((files[c].id.as_str(), c));
            }
        }
    }
    if order.len() != files.len() {
        return Err(GraphError::Cycle);
    }
    Ok(order)
}
