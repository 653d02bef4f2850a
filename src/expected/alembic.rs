//! Expected schemas from Alembic revision files, read statically.
//!
//! Each revision's `upgrade()` is read for the operations it performs
//! (`op.create_table`, `add_column`, `create_index`, `batch_alter_table`, …)
//! and applied to a running model in dependency order, which gives the
//! objects that must exist at every revision. The model is partial: column
//! types and defaults are not known without running SQLAlchemy, so only the
//! existence of tables, columns, indexes and constraints, nullability and
//! foreign-key targets are compared. Raw SQL (`op.execute`) is noted, not
//! modelled.

use super::python::{self, Call, Expr, Module, Statement};
use super::{Expected, ExpectedError, SourceKind};
use crate::schema::{Column, Constraint, ConstraintKind, Index, QName, Schema, Table};
use crate::tools::{self, Tool};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// A parsed revision file.
#[derive(Debug)]
pub struct RevisionFile {
    pub id: String,
    pub parents: Vec<String>,
    pub path: PathBuf,
    module: Module,
}

/// Finds the versions directory: `alembic.ini` (its `script_location`), a
/// directory holding `versions/`, or the versions directory itself.
pub fn versions_dir(path: &Path) -> Option<PathBuf> {
    if path.is_file() && path.extension().is_some_and(|e| e == "ini") {
        let text = std::fs::read_to_string(path).ok()?;
        let here = path.parent().unwrap_or(Path::new("."));
        let raw = text.lines().map(str::trim).find_map(|l| {
            l.strip_prefix("script_location")
                .map(|r| r.trim_start_matches([' ', '=', ':']).trim())
        })?;
        // `%(here)s` is the ini's directory; other relative locations are
        // read relative to it too (Alembic resolves them from where it runs,
        // which is that directory in practice).
        let loc = if raw.contains("%(here)s") {
            PathBuf::from(raw.replace("%(here)s", &here.display().to_string()))
        } else if Path::new(raw).is_absolute() {
            PathBuf::from(raw)
        } else {
            here.join(raw)
        };
        return Some(loc.join("versions"));
    }
    if path.join("versions").is_dir() {
        return Some(path.join("versions"));
    }
    if path.join("alembic.ini").is_file() {
        return versions_dir(&path.join("alembic.ini"));
    }
    path.is_dir().then(|| path.to_path_buf())
}

/// True when `dir` holds Python revision files.
pub fn looks_like_alembic(path: &Path) -> bool {
    let Some(dir) = versions_dir(path) else {
        return false;
    };
    std::fs::read_dir(&dir)
        .map(|rd| {
            rd.flatten().any(|e| {
                e.path().extension().is_some_and(|x| x == "py")
                    && std::fs::read_to_string(e.path())
                        .is_ok_and(|t| t.contains("revision") && t.contains("def upgrade"))
            })
        })
        .unwrap_or(false)
}

pub fn load(path: &Path) -> Result<Expected, ExpectedError> {
    let dir = versions_dir(path).ok_or_else(|| ExpectedError::new(path, "no Alembic versions directory found (give alembic.ini, the migration directory or its versions/)"))?;
    let mut files = Vec::new();
    let entries = std::fs::read_dir(&dir).map_err(|e| ExpectedError::new(&dir, e.to_string()))?;
    for entry in entries.flatten() {
        let p = entry.path();
        if p.extension().is_none_or(|e| e != "py") {
            continue;
        }
        let text =
            std::fs::read_to_string(&p).map_err(|e| ExpectedError::new(&p, e.to_string()))?;
        let module = python::parse_module(&text);
        let Some(id) = module
            .assignments
            .get("revision")
            .and_then(|e| e.as_str())
            .map(str::to_owned)
        else {
            continue; // not a revision file (__init__.py, helpers)
        };
        let mut parents = strings(module.assignments.get("down_revision"));
        parents.extend(strings(module.assignments.get("depends_on")));
        files.push(RevisionFile {
            id,
            parents,
            path: p,
            module,
        });
    }
    if files.is_empty() {
        return Err(ExpectedError::new(
            &dir,
            "no Alembic revision files (with `revision = …`) in this directory",
        ));
    }
    let order = topological(&files).map_err(|m| ExpectedError::new(&dir, m))?;

    let mut model = Model::default();
    let mut schemas = Vec::new();
    let mut parents = Vec::new();
    for idx in order {
        let f = &files[idx];
        model.revision = f.id.clone();
        model.file = f
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if let Some(body) = f.module.functions.get("upgrade") {
            model.apply(body, &f.module);
        } else {
            model
                .notes
                .push(format!("{}: no upgrade() function", model.file));
        }
        let mut schema = model.schema.clone();
        schema.sort();
        schemas.push((Some(f.id.clone()), schema, None));
        parents.push(f.parents.clone());
    }
    let mut e = Expected::from_schemas(SourceKind::Alembic, dir.display().to_string(), schemas);
    for (r, p) in e.revisions.iter_mut().zip(parents) {
        r.parents = p;
    }
    e.partial = true;
    e.tool = Some(Tool(&tools::alembic::TOOL));
    e.notes = model.notes;
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

/// Orders revisions parents-first; ties by id, so the order is stable.
fn topological(files: &[RevisionFile]) -> Result<Vec<usize>, String> {
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
        return Err(format!("revision {m} is not among the revision files"));
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
        return Err("the revisions form a cycle".into());
    }
    Ok(order)
}

/// The running model of the schema as revisions are applied.
#[derive(Default)]
struct Model {
    schema: Schema,
    notes: Vec<String>,
    revision: String,
    file: String,
}

impl Model {
    fn note(&mut self, call: &Call, what: &str) {
        self.notes.push(format!(
            "{}:{} ({}): {what}",
            self.file, call.line, self.revision
        ));
    }

    fn apply(&mut self, body: &[Statement], module: &Module) {
        let mut batch_aliases: HashMap<String, QName> = HashMap::new();
        for st in body {
            match st {
                Statement::With { call, alias } if call.method() == "batch_alter_table" => {
                    if let Some(t) = self.table_arg(call, 0, module) {
                        batch_aliases.insert(alias.clone(), t);
                    }
                }
                Statement::With { .. } => {}
                Statement::Call(call) => {
                    let receiver = call.receiver().to_string();
                    if let Some(table) = batch_aliases.get(&receiver).cloned() {
                        self.batch_op(call, &table, module);
                    } else if receiver == "op" {
                        self.op(call, module);
                    }
                }
            }
        }
    }

    /// A string argument, following `op.f("…")`, `batch_op.f(…)` and module constants.
    fn string(&self, e: Option<&Expr>, module: &Module) -> Option<String> {
        match e? {
            Expr::Str(s) => Some(s.clone()),
            Expr::Call(c) if c.method() == "f" || c.method() == "quoted_name" => {
                self.string(c.args.first(), module)
            }
            Expr::Name(n) => match module.assignments.get(n) {
                Some(Expr::Str(s)) => Some(s.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    fn arg_or_kw<'a>(call: &'a Call, pos: usize, kw: &str) -> Option<&'a Expr> {
        call.kwarg(kw).or_else(|| call.args.get(pos))
    }

    fn table_arg(&self, call: &Call, pos: usize, module: &Module) -> Option<QName> {
        let name = self.string(Self::arg_or_kw(call, pos, "table_name"), module)?;
        let schema = self
            .string(call.kwarg("schema"), module)
            .unwrap_or_default();
        Some(QName::new(schema, name))
    }

    fn string_list(&self, e: Option<&Expr>, module: &Module) -> Vec<String> {
        match e {
            Some(Expr::List(items)) => items
                .iter()
                .filter_map(|i| match i {
                    Expr::Call(c) if c.method() == "text" => c
                        .args
                        .first()
                        .and_then(Expr::as_str)
                        .map(|s| format!("({s})")),
                    other => self.string(Some(other), module),
                })
                .collect(),
            Some(other) => self.string(Some(other), module).into_iter().collect(),
            None => Vec::new(),
        }
    }

    fn op(&mut self, call: &Call, module: &Module) {
        let method = call.method().to_string();
        match method.as_str() {
            "create_table" => {
                let Some(q) = self.table_arg(call, 0, module) else {
                    return self.note(call, "create_table with a computed name");
                };
                let mut table = Table::default();
                for item in call.args.iter().skip(1) {
                    if let Expr::Call(c) = item {
                        self.table_item(&q, &mut table, c, module);
                    }
                }
                finish_primary_key(&q, &mut table);
                self.schema.tables.insert(q, table);
            }
            "drop_table" => {
                if let Some(q) = self.table_arg(call, 0, module) {
                    self.schema.tables.remove(&q);
                }
            }
            "rename_table" => {
                let (Some(old), Some(new)) = (
                    self.string(call.args.first(), module),
                    self.string(call.args.get(1), module),
                ) else {
                    return;
                };
                let schema = self
                    .string(call.kwarg("schema"), module)
                    .unwrap_or_default();
                if let Some(t) = self.schema.tables.remove(&QName::new(&schema, &old)) {
                    self.schema.tables.insert(QName::new(&schema, &new), t);
                }
                for t in self.schema.tables.values_mut() {
                    for c in &mut t.constraints {
                        if let ConstraintKind::ForeignKey { references, .. } = &mut c.kind
                            && QName::parse(references).name == old
                        {
                            *references = new.clone();
                        }
                    }
                }
            }
            "add_column" => {
                let Some(q) = self.table_arg(call, 0, module) else {
                    return;
                };
                if let Some(Expr::Call(c)) = call.args.get(1) {
                    self.add_column(&q, c, module);
                }
            }
            "drop_column" => {
                if let (Some(q), Some(col)) = (
                    self.table_arg(call, 0, module),
                    self.string(call.args.get(1), module),
                ) {
                    self.drop_column(&q, &col);
                }
            }
            "alter_column" => {
                if let (Some(q), Some(col)) = (
                    self.table_arg(call, 0, module),
                    self.string(call.args.get(1), module),
                ) {
                    self.alter_column(&q, &col, call, module);
                }
            }
            "create_index" => {
                let (Some(name), Some(q)) = (
                    self.string(call.args.first(), module),
                    self.table_arg(call, 1, module),
                ) else {
                    return;
                };
                let keys = self.string_list(Self::arg_or_kw(call, 2, "columns"), module);
                self.create_index(&q, name, keys, call, module);
            }
            "drop_index" => {
                let Some(name) = self.string(Self::arg_or_kw(call, 0, "index_name"), module) else {
                    return;
                };
                let table = self
                    .string(call.kwarg("table_name").or(call.args.get(1)), module)
                    .map(|t| {
                        QName::new(
                            self.string(call.kwarg("schema"), module)
                                .unwrap_or_default(),
                            t,
                        )
                    });
                self.drop_named(table.as_ref(), &name);
            }
            "create_foreign_key" => {
                let name = self.string(call.args.first(), module).unwrap_or_default();
                let (Some(source), Some(referent)) = (
                    self.table_arg(call, 1, module),
                    self.string(Self::arg_or_kw(call, 2, "referent_table"), module),
                ) else {
                    return;
                };
                let local = self.string_list(Self::arg_or_kw(call, 3, "local_cols"), module);
                let remote = self.string_list(Self::arg_or_kw(call, 4, "remote_cols"), module);
                self.add_fk(&source, name, local, referent, remote, call, module);
            }
            "create_unique_constraint" => {
                let name = self.string(call.args.first(), module).unwrap_or_default();
                if let Some(q) = self.table_arg(call, 1, module) {
                    let columns = self.string_list(Self::arg_or_kw(call, 2, "columns"), module);
                    self.add_constraint(
                        &q,
                        Constraint {
                            name,
                            kind: ConstraintKind::Unique { columns },
                        },
                    );
                }
            }
            "create_primary_key" => {
                let name = self.string(call.args.first(), module).unwrap_or_default();
                if let Some(q) = self.table_arg(call, 1, module) {
                    let columns = self.string_list(Self::arg_or_kw(call, 2, "columns"), module);
                    self.add_constraint(
                        &q,
                        Constraint {
                            name,
                            kind: ConstraintKind::PrimaryKey { columns },
                        },
                    );
                }
            }
            "create_check_constraint" => {
                let name = self.string(call.args.first(), module).unwrap_or_default();
                if let (Some(q), Some(expression)) = (
                    self.table_arg(call, 1, module),
                    self.string(Self::arg_or_kw(call, 2, "condition"), module),
                ) {
                    self.add_constraint(
                        &q,
                        Constraint {
                            name,
                            kind: ConstraintKind::Check { expression },
                        },
                    );
                }
            }
            "drop_constraint" => {
                let Some(name) = self.string(Self::arg_or_kw(call, 0, "constraint_name"), module)
                else {
                    return;
                };
                let table = self.table_arg(call, 1, module);
                self.drop_named(table.as_ref(), &name);
            }
            "execute" => self.note(
                call,
                "runs raw SQL (op.execute); its effects are not modelled",
            ),
            "bulk_insert"
            | "get_bind"
            | "get_context"
            | "f"
            | "inline_literal"
            | "create_table_comment"
            | "drop_table_comment"
            | "batch_alter_table" => {}
            other => self.note(call, &format!("op.{other} is not modelled")),
        }
    }

    fn batch_op(&mut self, call: &Call, q: &QName, module: &Module) {
        match call.method() {
            "add_column" => {
                if let Some(Expr::Call(c)) = call.args.first() {
                    self.add_column(q, c, module);
                }
            }
            "drop_column" => {
                if let Some(col) = self.string(call.args.first(), module) {
                    self.drop_column(q, &col);
                }
            }
            "alter_column" => {
                if let Some(col) = self.string(call.args.first(), module) {
                    self.alter_column(q, &col, call, module);
                }
            }
            "create_index" => {
                if let Some(name) = self.string(call.args.first(), module) {
                    let keys = self.string_list(Self::arg_or_kw(call, 1, "columns"), module);
                    self.create_index(q, name, keys, call, module);
                }
            }
            "drop_index" | "drop_constraint" => {
                if let Some(name) = self.string(call.args.first(), module) {
                    self.drop_named(Some(q), &name);
                }
            }
            "create_foreign_key" => {
                let name = self.string(call.args.first(), module).unwrap_or_default();
                let Some(referent) =
                    self.string(Self::arg_or_kw(call, 1, "referent_table"), module)
                else {
                    return;
                };
                let local = self.string_list(Self::arg_or_kw(call, 2, "local_cols"), module);
                let remote = self.string_list(Self::arg_or_kw(call, 3, "remote_cols"), module);
                self.add_fk(q, name, local, referent, remote, call, module);
            }
            "create_unique_constraint" => {
                let name = self.string(call.args.first(), module).unwrap_or_default();
                let columns = self.string_list(Self::arg_or_kw(call, 1, "columns"), module);
                self.add_constraint(
                    q,
                    Constraint {
                        name,
                        kind: ConstraintKind::Unique { columns },
                    },
                );
            }
            "create_primary_key" => {
                let name = self.string(call.args.first(), module).unwrap_or_default();
                let columns = self.string_list(Self::arg_or_kw(call, 1, "columns"), module);
                self.add_constraint(
                    q,
                    Constraint {
                        name,
                        kind: ConstraintKind::PrimaryKey { columns },
                    },
                );
            }
            "create_check_constraint" => {
                let name = self.string(call.args.first(), module).unwrap_or_default();
                if let Some(expression) = self.string(Self::arg_or_kw(call, 1, "condition"), module)
                {
                    self.add_constraint(
                        q,
                        Constraint {
                            name,
                            kind: ConstraintKind::Check { expression },
                        },
                    );
                }
            }
            "execute" => self.note(
                call,
                "runs raw SQL in a batch operation; its effects are not modelled",
            ),
            "f" => {}
            other => self.note(call, &format!("batch_op.{other} is not modelled")),
        }
    }

    /// A `sa.Column(…)` or constraint inside `op.create_table`.
    fn table_item(&mut self, q: &QName, table: &mut Table, c: &Call, module: &Module) {
        match c.method() {
            "Column" => {
                if let Some((col, extra)) = self.column(q, c, module) {
                    table.columns.push(col);
                    for con in extra.constraints {
                        table.constraints.push(con);
                    }
                    table.indexes.extend(extra.indexes);
                }
            }
            "PrimaryKeyConstraint" => {
                let columns = c
                    .args
                    .iter()
                    .filter_map(|a| self.string(Some(a), module))
                    .collect();
                let name = self.string(c.kwarg("name"), module).unwrap_or_default();
                table
                    .constraints
                    .retain(|k| !matches!(k.kind, ConstraintKind::PrimaryKey { .. }));
                table.constraints.push(Constraint {
                    name,
                    kind: ConstraintKind::PrimaryKey { columns },
                });
            }
            "UniqueConstraint" => {
                let columns = c
                    .args
                    .iter()
                    .filter_map(|a| self.string(Some(a), module))
                    .collect();
                let name = self.string(c.kwarg("name"), module).unwrap_or_default();
                table.constraints.push(Constraint {
                    name,
                    kind: ConstraintKind::Unique { columns },
                });
            }
            "ForeignKeyConstraint" => {
                let local = self.string_list(Self::arg_or_kw(c, 0, "columns"), module);
                let remote_full = self.string_list(Self::arg_or_kw(c, 1, "refcolumns"), module);
                let (references, remote) = split_refs(&remote_full);
                table.constraints.push(Constraint {
                    name: self.string(c.kwarg("name"), module).unwrap_or_default(),
                    kind: ConstraintKind::ForeignKey {
                        columns: local,
                        references,
                        referenced_columns: remote,
                        on_delete: action(self.string(c.kwarg("ondelete"), module)),
                        on_update: action(self.string(c.kwarg("onupdate"), module)),
                    },
                });
            }
            "CheckConstraint" => {
                if let Some(expression) = self.string(c.args.first(), module) {
                    let name = self.string(c.kwarg("name"), module).unwrap_or_default();
                    table.constraints.push(Constraint {
                        name,
                        kind: ConstraintKind::Check { expression },
                    });
                }
            }
            "Index" => {
                if let Some(name) = self.string(c.args.first(), module) {
                    let keys = c
                        .args
                        .iter()
                        .skip(1)
                        .filter_map(|a| self.string(Some(a), module))
                        .collect();
                    table.indexes.push(Index {
                        name,
                        keys,
                        unique: bool_kw(c, "unique"),
                        predicate: None,
                        method: None,
                    });
                }
            }
            _ => {}
        }
    }

    /// A column and what its keyword arguments imply (inline FK, unique, index).
    fn column(&mut self, q: &QName, c: &Call, module: &Module) -> Option<(Column, Table)> {
        let name = self.string(c.args.first(), module)?;
        let primary = bool_kw(c, "primary_key");
        let nullable = match c.kwarg("nullable") {
            Some(Expr::Bool(b)) => *b && !primary,
            _ => !primary,
        };
        let mut extra = Table::default();
        for a in &c.args {
            if let Expr::Call(fk) = a
                && fk.method() == "ForeignKey"
            {
                let target = self.string(fk.args.first(), module).unwrap_or_default();
                let (references, remote) = split_refs(&[target]);
                extra.constraints.push(Constraint {
                    name: self.string(fk.kwarg("name"), module).unwrap_or_default(),
                    kind: ConstraintKind::ForeignKey {
                        columns: vec![name.clone()],
                        references,
                        referenced_columns: remote,
                        on_delete: action(self.string(fk.kwarg("ondelete"), module)),
                        on_update: action(self.string(fk.kwarg("onupdate"), module)),
                    },
                });
            }
        }
        if primary {
            extra.constraints.push(Constraint {
                name: String::new(),
                kind: ConstraintKind::PrimaryKey {
                    columns: vec![name.clone()],
                },
            });
        }
        if bool_kw(c, "unique") {
            extra.constraints.push(Constraint {
                name: String::new(),
                kind: ConstraintKind::Unique {
                    columns: vec![name.clone()],
                },
            });
        }
        if bool_kw(c, "index") {
            extra.indexes.push(Index {
                name: format!("ix_{}_{}", q.name, name),
                keys: vec![name.clone()],
                unique: false,
                predicate: None,
                method: None,
            });
        }
        let mut col = Column::named(name);
        col.nullable = Some(nullable);
        Some((col, extra))
    }

    fn add_column(&mut self, q: &QName, c: &Call, module: &Module) {
        let Some((col, extra)) = self.column(q, c, module) else {
            return self.note(c, "add_column with a computed column");
        };
        match self.schema.tables.get_mut(q) {
            Some(t) => {
                t.columns.retain(|x| x.name != col.name);
                t.columns.push(col);
                t.constraints.extend(extra.constraints);
                t.indexes.extend(extra.indexes);
                finish_primary_key(q, t);
            }
            None => self.notes.push(format!(
                "{} ({}): add_column on `{q}`, which no earlier revision creates",
                self.file, self.revision
            )),
        }
    }

    fn drop_column(&mut self, q: &QName, col: &str) {
        if let Some(t) = self.schema.tables.get_mut(q) {
            t.columns.retain(|c| c.name != col);
            // Dropping a column drops the indexes and constraints on it.
            t.indexes.retain(|i| !i.keys.iter().any(|k| k == col));
            t.constraints.retain(|c| match &c.kind {
                ConstraintKind::PrimaryKey { columns }
                | ConstraintKind::Unique { columns }
                | ConstraintKind::ForeignKey { columns, .. } => !columns.iter().any(|k| k == col),
                ConstraintKind::Check { .. } => true,
            });
        }
    }

    fn alter_column(&mut self, q: &QName, col: &str, call: &Call, module: &Module) {
        let new_name = self.string(call.kwarg("new_column_name"), module);
        let Some(t) = self.schema.tables.get_mut(q) else {
            return;
        };
        if let Some(Expr::Bool(n)) = call.kwarg("nullable")
            && let Some(c) = t.column_mut(col)
        {
            c.nullable = Some(*n);
        }
        if let Some(new) = new_name {
            if let Some(c) = t.column_mut(col) {
                c.name = new.clone();
            }
            for i in &mut t.indexes {
                for k in &mut i.keys {
                    if k == col {
                        *k = new.clone();
                    }
                }
            }
            for c in &mut t.constraints {
                if let ConstraintKind::PrimaryKey { columns }
                | ConstraintKind::Unique { columns }
                | ConstraintKind::ForeignKey { columns, .. } = &mut c.kind
                {
                    for k in columns {
                        if k == col {
                            *k = new.clone();
                        }
                    }
                }
            }
        }
    }

    fn create_index(
        &mut self,
        q: &QName,
        name: String,
        keys: Vec<String>,
        call: &Call,
        module: &Module,
    ) {
        let predicate =
            ["postgresql_where", "sqlite_where"]
                .iter()
                .find_map(|k| match call.kwarg(k) {
                    Some(Expr::Call(t)) if t.method() == "text" => {
                        self.string(t.args.first(), module)
                    }
                    other => self.string(other, module),
                });
        let index = Index {
            name,
            keys,
            unique: bool_kw(call, "unique"),
            predicate,
            method: None,
        };
        match self.schema.tables.get_mut(q) {
            Some(t) => {
                t.indexes.retain(|i| i.name != index.name);
                t.indexes.push(index);
            }
            None => self.notes.push(format!(
                "{} ({}): index on `{q}`, which no earlier revision creates",
                self.file, self.revision
            )),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add_fk(
        &mut self,
        q: &QName,
        name: String,
        columns: Vec<String>,
        referent: String,
        referenced_columns: Vec<String>,
        call: &Call,
        module: &Module,
    ) {
        let kind = ConstraintKind::ForeignKey {
            columns,
            references: referent,
            referenced_columns,
            on_delete: action(self.string(call.kwarg("ondelete"), module)),
            on_update: action(self.string(call.kwarg("onupdate"), module)),
        };
        self.add_constraint(q, Constraint { name, kind });
    }

    fn add_constraint(&mut self, q: &QName, c: Constraint) {
        if let Some(t) = self.schema.tables.get_mut(q) {
            if matches!(c.kind, ConstraintKind::PrimaryKey { .. }) {
                t.constraints
                    .retain(|k| !matches!(k.kind, ConstraintKind::PrimaryKey { .. }));
            }
            t.constraints.push(c);
        }
    }

    /// Drops an index or constraint by name, in `table` or wherever it is.
    fn drop_named(&mut self, table: Option<&QName>, name: &str) {
        let tables: Vec<QName> = match table {
            Some(q) => vec![q.clone()],
            None => self.schema.tables.keys().cloned().collect(),
        };
        for q in tables {
            if let Some(t) = self.schema.tables.get_mut(&q) {
                t.indexes.retain(|i| i.name != name);
                t.constraints.retain(|c| c.name != name);
            }
        }
    }
}

/// One primary key per table, merged from `primary_key=True` columns.
fn finish_primary_key(_q: &QName, t: &mut Table) {
    let mut pk_cols: Vec<String> = Vec::new();
    let mut named: Option<Constraint> = None;
    for c in &t.constraints {
        if let ConstraintKind::PrimaryKey { columns } = &c.kind {
            if c.name.is_empty() {
                pk_cols.extend(columns.iter().cloned());
            } else {
                named = Some(c.clone());
            }
        }
    }
    t.constraints
        .retain(|c| !matches!(c.kind, ConstraintKind::PrimaryKey { .. }));
    if let Some(n) = named {
        t.constraints.push(n);
    } else if !pk_cols.is_empty() {
        let mut seen = BTreeMap::new();
        pk_cols.retain(|c| seen.insert(c.clone(), ()).is_none());
        t.constraints.push(Constraint {
            name: String::new(),
            kind: ConstraintKind::PrimaryKey { columns: pk_cols },
        });
    }
}

/// `["users.id"]` → (`users`, [`id`]); `schema.table.col` keeps the schema.
fn split_refs(refs: &[String]) -> (String, Vec<String>) {
    let mut table = String::new();
    let mut cols = Vec::new();
    for r in refs {
        match r.rsplit_once('.') {
            Some((t, c)) => {
                table = t.to_string();
                cols.push(c.to_string());
            }
            None => cols.push(r.clone()),
        }
    }
    (table, cols)
}

fn action(a: Option<String>) -> String {
    crate::schema::normalize::action(&a.unwrap_or_default())
}

fn bool_kw(c: &Call, name: &str) -> bool {
    matches!(c.kwarg(name), Some(Expr::Bool(true)))
}
