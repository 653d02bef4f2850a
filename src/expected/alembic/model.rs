//! The running model of the schema as Alembic revisions are applied, read
//! from their `upgrade()` functions: `op.*` and `batch_op.*` operations,
//! followed through local names, literal loops and the module's own helper
//! functions. What cannot be followed — a computed table name, raw SQL built
//! at run time, a helper from another module — makes the revision *opaque*
//! (its changes are incomplete); raw SQL naming its tables relaxes the
//! expectations on those tables instead.

use super::raw_sql::{self, RawSql};
use crate::expected::python::{Call, Expr, Function, Module, Statement};
use crate::expected::{Reach, Unmodelled};
use crate::schema::{Column, Constraint, ConstraintKind, Engine, Index, QName, Schema, Table};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The running model of the schema as revisions are applied.
#[derive(Default)]
pub(super) struct Model {
    pub schema: Schema,
    pub notes: Vec<String>,
    pub revision: String,
    pub file: String,
    /// What the current revision does that is not modelled, and its reach.
    pub unmodelled: Vec<Unmodelled>,
    /// Tables raw SQL touches: their expectations are not enforced.
    pub relaxed: BTreeSet<String>,
    /// Names bound in the function being read (assignments, loop
    /// variables, parameters of an inlined helper).
    env: HashMap<String, Expr>,
    /// Helper functions being inlined, to stop recursion.
    inlining: Vec<String>,
    /// The engine the schema is read for (dialect options apply to it alone).
    pub engine: Option<Engine>,
}

/// Module-level helpers a revision calls are read up to this depth.
const MAX_INLINE: usize = 8;

impl Model {
    /// Starts a revision.
    pub fn begin(&mut self, revision: &str, file: &str) {
        self.revision = revision.to_string();
        self.file = file.to_string();
        self.unmodelled.clear();
        self.env.clear();
    }

    fn note(&mut self, call: &Call, what: &str) {
        let note = format!("{}:{} ({}): {what}", self.file, call.line, self.revision);
        if !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    /// Something the model cannot follow adds objects it cannot name: the
    /// revision's changes are incomplete, but nothing the model knows about
    /// can have been removed by it.
    fn unknown_addition(&mut self, call: &Call, what: &str) {
        self.note(
            call,
            &format!("{what}; not modelled (what it adds is not expected)"),
        );
    }

    /// Something the model cannot follow may change or remove what it knows,
    /// within `reach` on `table` (any table when `None`): the revision is opaque.
    fn opaque(&mut self, call: &Call, what: &str, table: Option<&QName>, reach: Reach) {
        let u = Unmodelled {
            table: table.map(|q| q.name.to_ascii_lowercase()),
            reach,
        };
        if !self.unmodelled.contains(&u) {
            self.unmodelled.push(u);
        }
        self.note(
            call,
            &format!(
                "{what}; not modelled, so this revision's changes are not held against the database"
            ),
        );
    }

    pub fn apply(&mut self, body: &[Statement], module: &Module) {
        let mut batch_aliases: HashMap<String, QName> = HashMap::new();
        for st in body {
            match st {
                Statement::With { call, alias } if call.method() == "batch_alter_table" => {
                    match self.table_arg(call, 0, module) {
                        Some(t) => {
                            batch_aliases.insert(alias.clone(), t);
                        }
                        None => self.opaque(
                            call,
                            "batch_alter_table on a computed table name",
                            None,
                            Reach::Columns,
                        ),
                    }
                }
                Statement::With { .. } => {}
                Statement::Assign { name, value } => {
                    let v = self.resolve(value, module);
                    self.env.insert(name.clone(), v);
                }
                Statement::For {
                    var, iter, body, ..
                } => self.for_loop(var, iter, body, module),
                Statement::Call(call) => {
                    let receiver = call.receiver().to_string();
                    if let Some(table) = batch_aliases.get(&receiver).cloned() {
                        self.batch_op(call, &table, module);
                    } else if receiver == "op" {
                        self.op(call, module);
                    } else if call.method() == "execute" {
                        // `op.get_bind().execute(…)`, `connection.execute(text(…))`.
                        self.execute(call, module, None);
                    } else if receiver.is_empty() && module.functions.contains_key(&call.func) {
                        self.inline(call, module);
                    } else if looks_like_schema_helper(call) {
                        self.opaque(
                            call,
                            &format!("calls {}, which is not read", call.func),
                            None,
                            Reach::Anything,
                        );
                    }
                }
            }
        }
    }

    /// `for x in [literal, …]` runs its body once per item; any other
    /// iterable leaves the loop variable unknown.
    fn for_loop(&mut self, var: &str, iter: &Expr, body: &[Statement], module: &Module) {
        let items = match self.resolve(iter, module) {
            Expr::List(items) if items.len() <= 1000 => Some(items),
            _ => None,
        };
        let saved = self.env.get(var).cloned();
        match items {
            Some(items) => {
                for item in items {
                    // `for name, kind in [("a", 1)]` binds the first name to the first item.
                    let v = match item {
                        Expr::List(mut parts) if !parts.is_empty() => parts.remove(0),
                        other => other,
                    };
                    self.env.insert(var.to_string(), v);
                    self.apply(body, module);
                }
            }
            None => {
                self.env.insert(var.to_string(), Expr::Other);
                self.apply(body, module);
            }
        }
        match saved {
            Some(v) => self.env.insert(var.to_string(), v),
            None => self.env.remove(var),
        };
    }

    /// A helper function of the revision file, read with its arguments bound.
    fn inline(&mut self, call: &Call, module: &Module) {
        let Some(f) = module.functions.get(&call.func) else {
            return;
        };
        if self.inlining.len() >= MAX_INLINE || self.inlining.contains(&call.func) {
            return self.opaque(
                call,
                &format!("{} calls itself too deeply", call.func),
                None,
                Reach::Anything,
            );
        }
        let saved = std::mem::take(&mut self.env);
        let mut env: HashMap<String, Expr> = HashMap::new();
        for (i, p) in f.params.iter().enumerate() {
            let v = call
                .kwarg(p)
                .or_else(|| call.args.get(i))
                .map(|e| resolve_in(e, &saved, module))
                .unwrap_or(Expr::Other);
            env.insert(p.clone(), v);
        }
        self.env = env;
        self.inlining.push(call.func.clone());
        let body: &Function = f;
        self.apply(&body.body, module);
        self.inlining.pop();
        self.env = saved;
    }

    /// Raw SQL: data changes nothing; DDL relaxes the tables it names;
    /// anything computed is opaque.
    fn execute(&mut self, call: &Call, module: &Module, batch_table: Option<&QName>) {
        let arg = call.args.first().map(|a| self.resolve(a, module));
        let kind = match &arg {
            Some(Expr::Str(sql)) => raw_sql::classify(sql),
            Some(Expr::FStr(t)) => raw_sql::classify_template(t),
            Some(Expr::Call(c)) if c.method() == "text" => {
                match c.args.first().map(|a| self.resolve(a, module)) {
                    Some(Expr::Str(sql)) => raw_sql::classify(&sql),
                    Some(Expr::FStr(t)) => raw_sql::classify_template(&t),
                    _ => RawSql::Unknown,
                }
            }
            // SQLAlchemy Core statements: `table.update()…`, `sa.insert(t)…`.
            Some(Expr::Call(c))
                if [
                    "update",
                    "insert",
                    "delete",
                    "select",
                    "values",
                    "where",
                    "bulk_insert",
                ]
                .iter()
                .any(|m| c.func.ends_with(m) || c.func.contains(&format!(".{m}"))) =>
            {
                RawSql::Data
            }
            _ => RawSql::Unknown,
        };
        match kind {
            RawSql::Data => {}
            RawSql::Ddl { tables, indexes } => {
                let mut names: BTreeSet<String> = tables.into_iter().collect();
                for ix in indexes {
                    for (q, t) in &self.schema.tables {
                        if t.indexes.iter().any(|i| i.name.eq_ignore_ascii_case(&ix)) {
                            names.insert(q.name.to_ascii_lowercase());
                        }
                    }
                }
                if let Some(q) = batch_table {
                    names.insert(q.name.to_ascii_lowercase());
                }
                self.note(
                    call,
                    &format!(
                        "raw SQL changes {}; not modelled, so expectations on {} are relaxed",
                        names.iter().cloned().collect::<Vec<_>>().join(", "),
                        if names.len() == 1 { "it" } else { "them" }
                    ),
                );
                self.relaxed.extend(names);
            }
            RawSql::Unknown => match batch_table {
                Some(q) => {
                    self.note(
                        call,
                        &format!("raw SQL on {q} is not modelled; expectations on it are relaxed"),
                    );
                    self.relaxed.insert(q.name.to_ascii_lowercase());
                }
                None => self.opaque(
                    call,
                    "runs SQL that is computed or not understood",
                    None,
                    Reach::Anything,
                ),
            },
        }
    }

    /// An expression with bound names replaced by their values.
    fn resolve(&self, e: &Expr, module: &Module) -> Expr {
        resolve_in(e, &self.env, module)
    }

    /// A string argument, following `op.f("…")`, `batch_op.f(…)`, bound
    /// names and module constants.
    fn string(&self, e: Option<&Expr>, module: &Module) -> Option<String> {
        match self.resolve(e?, module) {
            Expr::Str(s) => Some(s),
            Expr::Call(c) if c.method() == "f" || c.method() == "quoted_name" => {
                self.string(c.args.first(), module)
            }
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
        let e = e.map(|e| self.resolve(e, module));
        match e.as_ref() {
            Some(Expr::List(items)) => items
                .iter()
                .filter_map(|i| match i {
                    Expr::Call(c) if c.method() == "text" => {
                        c.args.first().and_then(Expr::as_str).map(text_key)
                    }
                    other => self.string(Some(other), module),
                })
                .collect(),
            Some(other) => self.string(Some(other), module).into_iter().collect(),
            None => Vec::new(),
        }
    }

    /// One `op.<operation>(…)` call of a revision's `upgrade()`.
    fn op(&mut self, call: &Call, module: &Module) {
        match call.method() {
            "create_table" => self.op_create_table(call, module),
            "drop_table" => match self.table_arg(call, 0, module) {
                Some(q) => {
                    self.schema.tables.remove(&q);
                }
                None => self.opaque(call, "drop_table with a computed name", None, Reach::Tables),
            },
            "rename_table" => self.op_rename_table(call, module),
            "add_column" => {
                let Some(q) = self.table_arg(call, 0, module) else {
                    return self.unknown_addition(call, "add_column on a computed table name");
                };
                match call.args.get(1).map(|a| self.resolve(a, module)) {
                    Some(Expr::Call(c)) => self.add_column(&q, &c, module),
                    _ => self.unknown_addition(call, "add_column with a computed column"),
                }
            }
            "drop_column" | "alter_column" => self.op_on_column(call, module),
            "create_index" => {
                let (Some(name), Some(q)) = (
                    self.string(Self::arg_or_kw(call, 0, "index_name"), module),
                    self.table_arg(call, 1, module),
                ) else {
                    return self.unknown_addition(call, "create_index with a computed name");
                };
                let keys = self.string_list(Self::arg_or_kw(call, 2, "columns"), module);
                self.create_index(&q, name, keys, call, module);
            }
            "drop_index" => self.op_drop_index(call, module),
            "create_foreign_key" => self.op_create_foreign_key(call, module),
            "create_unique_constraint" => {
                self.op_create_constraint(call, module, NewConstraint::Unique)
            }
            "create_primary_key" => {
                self.op_create_constraint(call, module, NewConstraint::PrimaryKey)
            }
            "create_check_constraint" => {
                self.op_create_constraint(call, module, NewConstraint::Check)
            }
            "drop_constraint" => {
                let Some(name) = self.string(Self::arg_or_kw(call, 0, "constraint_name"), module)
                else {
                    let t = self.table_arg(call, 1, module);
                    return self.opaque(
                        call,
                        "drop_constraint with a computed name",
                        t.as_ref(),
                        Reach::IndexesAndConstraints,
                    );
                };
                let table = self.table_arg(call, 1, module);
                self.drop_named(table.as_ref(), &name);
            }
            "execute" => self.execute(call, module, None),
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

    fn op_create_table(&mut self, call: &Call, module: &Module) {
        let Some(q) = self.table_arg(call, 0, module) else {
            return self.unknown_addition(call, "create_table with a computed name");
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

    /// `rename_table(old, new)`: the table and the foreign keys that name it.
    fn op_rename_table(&mut self, call: &Call, module: &Module) {
        let (Some(old), Some(new)) = (
            self.string(call.args.first(), module),
            self.string(call.args.get(1), module),
        ) else {
            return self.opaque(
                call,
                "rename_table with a computed name",
                None,
                Reach::Tables,
            );
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

    /// `drop_column(table, column)` and `alter_column(table, column, …)`.
    fn op_on_column(&mut self, call: &Call, module: &Module) {
        let method = call.method();
        let (Some(q), Some(col)) = (
            self.table_arg(call, 0, module),
            self.string(call.args.get(1), module),
        ) else {
            let t = self.table_arg(call, 0, module);
            return self.opaque(
                call,
                &format!("{method} with a computed name"),
                t.as_ref(),
                Reach::Columns,
            );
        };
        if method == "drop_column" {
            self.drop_column(&q, &col);
        } else {
            self.alter_column(&q, &col, call, module);
        }
    }

    fn op_drop_index(&mut self, call: &Call, module: &Module) {
        let Some(name) = self.string(Self::arg_or_kw(call, 0, "index_name"), module) else {
            let t = self.table_arg(call, 1, module);
            return self.opaque(
                call,
                "drop_index with a computed name",
                t.as_ref(),
                Reach::IndexesAndConstraints,
            );
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

    fn op_create_foreign_key(&mut self, call: &Call, module: &Module) {
        let name = self
            .string(Self::arg_or_kw(call, 0, "constraint_name"), module)
            .unwrap_or_default();
        let source = self
            .string(Self::arg_or_kw(call, 1, "source_table"), module)
            .map(|t| {
                QName::new(
                    self.string(call.kwarg("source_schema"), module)
                        .unwrap_or_default(),
                    t,
                )
            });
        let (Some(source), Some(referent)) = (
            source,
            self.string(Self::arg_or_kw(call, 2, "referent_table"), module),
        ) else {
            return self.unknown_addition(call, "create_foreign_key with a computed name");
        };
        let local = self.string_list(Self::arg_or_kw(call, 3, "local_cols"), module);
        let remote = self.string_list(Self::arg_or_kw(call, 4, "remote_cols"), module);
        self.add_fk(&source, name, local, referent, remote, call, module);
    }

    /// `create_unique_constraint`, `create_primary_key`,
    /// `create_check_constraint`: a name, a table, then the columns (or the
    /// condition).
    fn op_create_constraint(&mut self, call: &Call, module: &Module, what: NewConstraint) {
        let name = self
            .string(Self::arg_or_kw(call, 0, "constraint_name"), module)
            .unwrap_or_default();
        let Some(q) = self.table_arg(call, 1, module) else {
            return;
        };
        let columns = || self.string_list(Self::arg_or_kw(call, 2, "columns"), module);
        let kind = match what {
            NewConstraint::Unique => ConstraintKind::Unique { columns: columns() },
            NewConstraint::PrimaryKey => ConstraintKind::PrimaryKey { columns: columns() },
            NewConstraint::Check => {
                match self.string(Self::arg_or_kw(call, 2, "condition"), module) {
                    Some(expression) => ConstraintKind::Check { expression },
                    None => return,
                }
            }
        };
        self.add_constraint(&q, Constraint { name, kind });
    }

    fn batch_op(&mut self, call: &Call, q: &QName, module: &Module) {
        match call.method() {
            "add_column" => {
                if let Some(Expr::Call(c)) = call.args.first() {
                    self.add_column(q, c, module);
                }
            }
            "drop_column" => match self.string(Self::arg_or_kw(call, 0, "column_name"), module) {
                Some(col) => self.drop_column(q, &col),
                None => self.opaque(
                    call,
                    "batch drop_column with a computed name",
                    Some(q),
                    Reach::Columns,
                ),
            },
            "alter_column" => match self.string(Self::arg_or_kw(call, 0, "column_name"), module) {
                Some(col) => self.alter_column(q, &col, call, module),
                None => self.opaque(
                    call,
                    "batch alter_column with a computed name",
                    Some(q),
                    Reach::Columns,
                ),
            },
            "create_index" => match self.string(Self::arg_or_kw(call, 0, "index_name"), module) {
                Some(name) => {
                    let keys = self.string_list(Self::arg_or_kw(call, 1, "columns"), module);
                    self.create_index(q, name, keys, call, module);
                }
                None => self.unknown_addition(call, "batch create_index with a computed name"),
            },
            "drop_index" | "drop_constraint" => match self.string(
                call.kwarg("index_name")
                    .or_else(|| call.kwarg("constraint_name"))
                    .or(call.args.first()),
                module,
            ) {
                Some(name) => self.drop_named(Some(q), &name),
                None => self.opaque(
                    call,
                    "batch drop with a computed name",
                    Some(q),
                    Reach::IndexesAndConstraints,
                ),
            },
            "create_foreign_key" => {
                let name = self
                    .string(Self::arg_or_kw(call, 0, "constraint_name"), module)
                    .unwrap_or_default();
                let Some(referent) =
                    self.string(Self::arg_or_kw(call, 1, "referent_table"), module)
                else {
                    return self
                        .unknown_addition(call, "batch create_foreign_key with a computed name");
                };
                let local = self.string_list(Self::arg_or_kw(call, 2, "local_cols"), module);
                let remote = self.string_list(Self::arg_or_kw(call, 3, "remote_cols"), module);
                self.add_fk(q, name, local, referent, remote, call, module);
            }
            "create_unique_constraint" => {
                let name = self
                    .string(Self::arg_or_kw(call, 0, "constraint_name"), module)
                    .unwrap_or_default();
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
                let name = self
                    .string(Self::arg_or_kw(call, 0, "constraint_name"), module)
                    .unwrap_or_default();
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
                let name = self
                    .string(Self::arg_or_kw(call, 0, "constraint_name"), module)
                    .unwrap_or_default();
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
            "execute" => self.execute(call, module, Some(q)),
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
        // MySQL's MODIFY and CHANGE restate the whole column: a type change or
        // a rename without `nullable` or `existing_nullable` leaves it
        // nullable there.
        let restated = self.engine.is_none_or(|e| e == Engine::Mysql)
            && (call.kwarg("type_").is_some() || call.kwarg("new_column_name").is_some())
            && call.kwarg("nullable").is_none()
            && call.kwarg("existing_nullable").is_none();
        let Some(t) = self.schema.tables.get_mut(q) else {
            return;
        };
        if let Some(c) = t.column_mut(col) {
            match call.kwarg("nullable") {
                Some(Expr::Bool(n)) => c.nullable = Some(*n),
                _ if restated => c.nullable = None,
                _ => {}
            }
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
        // Dialect options count only on their dialect: an index with a
        // `postgresql_where` is a full index on MySQL.
        let dialect = match self.engine {
            Some(Engine::Postgres) => Some("postgresql"),
            Some(Engine::Sqlite) => Some("sqlite"),
            Some(Engine::Mysql) => Some("mysql"),
            None => None,
        };
        let option = |name: &str| {
            let kwarg = |d: &str| call.kwarg(&format!("{d}_{name}"));
            match dialect {
                Some(d) => kwarg(d),
                None => kwarg("postgresql").or_else(|| kwarg("sqlite")),
            }
        };
        let text = |e: Option<&Expr>| match e.map(|e| self.resolve(e, module)) {
            Some(Expr::Call(t)) if t.method() == "text" => self.string(t.args.first(), module),
            other => self.string(other.as_ref(), module),
        };
        let predicate = text(option("where"));
        let method = text(option("using")).map(|m| m.to_ascii_lowercase());
        let index = Index {
            name,
            keys,
            unique: bool_kw(call, "unique"),
            predicate,
            method,
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

/// `x` with the names bound in `env` (and module constants) replaced.
fn resolve_in(e: &Expr, env: &HashMap<String, Expr>, module: &Module) -> Expr {
    match e {
        Expr::Name(n) => match env.get(n).or_else(|| module.assignments.get(n)) {
            Some(
                v @ (Expr::Str(_)
                | Expr::FStr(_)
                | Expr::List(_)
                | Expr::Num(_)
                | Expr::Bool(_)
                | Expr::Call(_)),
            ) => v.clone(),
            Some(_) => Expr::Other,
            None => e.clone(),
        },
        Expr::List(items) => Expr::List(items.iter().map(|i| resolve_in(i, env, module)).collect()),
        // An f-string whose placeholders are all bound names becomes a string.
        Expr::FStr(t) => {
            let mut out = String::new();
            let mut rest = t.as_str();
            while let Some(open) = rest.find('{') {
                out.push_str(&rest[..open]);
                let Some(close) = rest[open..].find('}') else {
                    return e.clone();
                };
                let name = rest[open + 1..open + close].trim();
                match env.get(name).or_else(|| module.assignments.get(name)) {
                    Some(Expr::Str(v)) => out.push_str(v),
                    _ => return e.clone(),
                }
                rest = &rest[open + close + 1..];
            }
            out.push_str(rest);
            Expr::Str(out)
        }
        other => other.clone(),
    }
}

/// A call into code the reader does not see that probably changes the
/// schema (`add_images_tables.upgrade(meta)`, `helpers.drop_column(…)`).
fn looks_like_schema_helper(call: &Call) -> bool {
    let receiver = call.receiver();
    let root = receiver.split('.').next().unwrap_or("");
    if matches!(
        root,
        "" | "sa"
            | "sqlalchemy"
            | "op"
            | "context"
            | "logger"
            | "log"
            | "logging"
            | "LOG"
            | "print"
            | "os"
            | "json"
            | "datetime"
            | "uuid"
            | "time"
            | "re"
            | "typing"
            | "self"
            | "session"
            | "conn"
            | "connection"
            | "bind"
            | "inspector"
            | "insp"
            | "meta"
            | "metadata"
            | "table"
            | "postgresql"
            | "mysql"
            | "sqlite"
    ) {
        return false;
    }
    let m = call.method().to_ascii_lowercase();
    [
        "upgrade", "migrate", "create_", "drop_", "add_", "alter_", "rename_",
    ]
    .iter()
    .any(|w| m.starts_with(w) || m == *w)
}

/// The constraints an `op.create_*` call adds.
enum NewConstraint {
    Unique,
    PrimaryKey,
    Check,
}

/// An index key given as `sa.text(…)`: an expression is parenthesised as
/// CREATE INDEX needs it, but its ordering stays outside (`sa.text("b ASC")`
/// is the column `b` ascending, not the expression `(b ASC)`).
fn text_key(text: &str) -> String {
    let (expr, ordering) = crate::schema::normalize::split_ordering(text);
    let plain = !expr.is_empty()
        && expr
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'"');
    let key = if plain {
        expr.to_string()
    } else {
        format!("({expr})")
    };
    if ordering.is_empty() {
        key
    } else {
        format!("{key} {ordering}")
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
