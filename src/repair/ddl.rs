//! DDL that brings a live schema back to an expected revision, generated
//! from the schema model for one engine. It is offered as the body of a new
//! migration, never run: a person reviews it and the tool applies it. Each
//! drift item becomes a statement where the model holds the whole object;
//! what cannot be written (a view, a SQLite column change) is said.

use super::ledger_sql::qualified;
use crate::db::quote_ident;
use crate::definitions::Severity;
use crate::drift::{Change, DriftItem, ObjectKind};
use crate::schema::{Column, Constraint, ConstraintKind, Engine, Index, QName, Schema, Table};

/// The generated statements and what could not be generated.
#[derive(Debug, Default)]
pub struct Body {
    pub statements: Vec<String>,
    pub not_generated: Vec<String>,
}

impl Body {
    pub fn text(&self) -> String {
        self.statements.join("\n")
    }
}

/// Statements for the significant drift items (warnings and errors).
pub fn bring_to(engine: Engine, target: &Schema, live: &Schema, drift: &[DriftItem]) -> Body {
    let mut b = Body::default();
    let tables: Vec<&DriftItem> = drift
        .iter()
        .filter(|d| d.severity >= Severity::Warning)
        .collect();
    for d in tables {
        let w = Writer {
            engine,
            target,
            live,
            item: d,
        };
        match w.statement() {
            Ok(s) => b.statements.push(s),
            Err(why) => b.not_generated.push(format!("{}: {why}", d.describe())),
        }
    }
    b
}

/// Why preflight writes no DDL for a difference.
#[derive(Debug, thiserror::Error)]
enum Unwritable {
    #[error("table {0} is not in the model")]
    TableNotInModel(String),
    #[error("not in the expected model")]
    NotInExpectedModel,
    #[error("its definition is not in the model")]
    NoDefinition,
    #[error("its table is not in the live schema")]
    NoLiveTable,
    #[error(
        "SQLite cannot add a constraint to a table: rebuild the table (create the new one, copy, drop, rename)"
    )]
    SqliteAddConstraint,
    #[error("SQLite cannot drop a constraint: rebuild the table")]
    SqliteDropConstraint,
    #[error("SQLite cannot change a column: rebuild the table")]
    SqliteChangeColumn,
    #[error("drop it and create it again as the migrations define it")]
    Recreate,
    #[error("preflight does not write {0} DDL; write it from the revision's migration")]
    Kind(&'static str),
}

struct Writer<'a> {
    engine: Engine,
    target: &'a Schema,
    live: &'a Schema,
    item: &'a DriftItem,
}

impl Writer<'_> {
    fn q(&self, s: &str) -> String {
        quote_ident(self.engine, s)
    }

    fn table_in<'s>(&self, schema: &'s Schema, name: &str) -> Option<(&'s QName, &'s Table)> {
        schema.tables.iter().find(|(q, _)| q.to_string() == name)
    }

    fn owner(&self) -> Result<(&QName, &Table), Unwritable> {
        let name = self.item.table.as_deref().unwrap_or(&self.item.name);
        self.table_in(self.target, name)
            .or_else(|| self.table_in(self.live, name))
            .ok_or_else(|| Unwritable::TableNotInModel(name.to_string()))
    }

    fn statement(&self) -> Result<String, Unwritable> {
        let d = self.item;
        match (d.object, d.change) {
            (ObjectKind::Table, Change::Missing) => {
                let (q, t) = self
                    .table_in(self.target, &d.name)
                    .ok_or(Unwritable::NotInExpectedModel)?;
                Ok(self.create_table(q, t))
            }
            (ObjectKind::Table, Change::Extra) => Ok(format!(
                "-- {} is not in the migrations; drop it only if nothing uses it:\n-- DROP TABLE {};",
                d.name,
                qualified(self.engine, &QName::parse(&d.name))
            )),
            (ObjectKind::Column, _) => self.column(),
            (ObjectKind::Index, Change::Missing) => {
                let (q, t) = self.owner()?;
                let i = t
                    .indexes
                    .iter()
                    .find(|i| i.name == d.name || format!("({})", i.keys.join(", ")) == d.name)
                    .ok_or(Unwritable::NoDefinition)?;
                Ok(self.create_index(q, i))
            }
            (ObjectKind::Index, Change::Extra) => {
                let (q, _) = self.owner()?;
                Ok(match self.engine {
                    Engine::Mysql => format!(
                        "DROP INDEX {} ON {};",
                        self.q(&d.name),
                        qualified(self.engine, q)
                    ),
                    _ => format!("DROP INDEX {};", self.q(&d.name)),
                })
            }
            (ObjectKind::Constraint, Change::Missing) => {
                if self.engine == Engine::Sqlite {
                    return Err(Unwritable::SqliteAddConstraint);
                }
                let (q, t) = self.owner()?;
                let c = t
                    .constraints
                    .iter()
                    .find(|c| c.name == d.name)
                    .ok_or(Unwritable::NoDefinition)?;
                Ok(format!(
                    "ALTER TABLE {} ADD {};",
                    qualified(self.engine, q),
                    self.constraint(c)
                ))
            }
            (ObjectKind::Constraint, Change::Extra) => {
                if self.engine == Engine::Sqlite {
                    return Err(Unwritable::SqliteDropConstraint);
                }
                let (q, t) = self
                    .table_in(self.live, d.table.as_deref().unwrap_or(""))
                    .ok_or(Unwritable::NoLiveTable)?;
                let kind = t
                    .constraints
                    .iter()
                    .find(|c| c.name == d.name)
                    .map(|c| &c.kind);
                let what = match (self.engine, kind) {
                    (Engine::Mysql, Some(ConstraintKind::ForeignKey { .. })) => "FOREIGN KEY",
                    (Engine::Mysql, Some(ConstraintKind::Check { .. })) => "CHECK",
                    (Engine::Mysql, Some(ConstraintKind::Unique { .. })) => "INDEX",
                    _ => "CONSTRAINT",
                };
                Ok(format!(
                    "ALTER TABLE {} DROP {what} {};",
                    qualified(self.engine, q),
                    self.q(&d.name)
                ))
            }
            (ObjectKind::Constraint, Change::Changed) | (ObjectKind::Index, Change::Changed) => {
                Err(Unwritable::Recreate)
            }
            _ => Err(Unwritable::Kind(d.object.as_str())),
        }
    }

    fn column(&self) -> Result<String, Unwritable> {
        let d = self.item;
        let (q, t) = self.owner()?;
        let name = d.name.rsplit('.').next().unwrap_or(&d.name);
        let table = qualified(self.engine, q);
        match d.change {
            Change::Missing => {
                let c = t.column(name).ok_or(Unwritable::NoDefinition)?;
                Ok(format!(
                    "ALTER TABLE {table} ADD COLUMN {};",
                    self.column_def(c)
                ))
            }
            Change::Extra => Ok(format!(
                "-- {} is not in the migrations; drop it only once nothing reads it:\n-- ALTER TABLE {table} DROP COLUMN {};",
                d.name,
                self.q(name)
            )),
            Change::Changed => {
                let c = t.column(name).ok_or(Unwritable::NoDefinition)?;
                match self.engine {
                    Engine::Sqlite => Err(Unwritable::SqliteChangeColumn),
                    Engine::Mysql => Ok(format!(
                        "ALTER TABLE {table} MODIFY COLUMN {};",
                        self.column_def(c)
                    )),
                    Engine::Postgres => {
                        let col = self.q(name);
                        let mut parts = Vec::new();
                        if let Some(ty) = &c.data_type {
                            parts.push(format!("ALTER COLUMN {col} TYPE {ty}"));
                        }
                        match c.nullable {
                            Some(false) => parts.push(format!("ALTER COLUMN {col} SET NOT NULL")),
                            Some(true) => parts.push(format!("ALTER COLUMN {col} DROP NOT NULL")),
                            None => {}
                        }
                        match &c.default {
                            Some(def) => {
                                parts.push(format!("ALTER COLUMN {col} SET DEFAULT {def}"))
                            }
                            None => parts.push(format!("ALTER COLUMN {col} DROP DEFAULT")),
                        }
                        Ok(format!("ALTER TABLE {table} {};", parts.join(", ")))
                    }
                }
            }
        }
    }

    fn column_def(&self, c: &Column) -> String {
        let mut s = self.q(&c.name);
        s.push(' ');
        s.push_str(c.data_type.as_deref().unwrap_or("text"));
        if let (Engine::Postgres, Some(identity)) = (self.engine, &c.identity) {
            let how = if identity.eq_ignore_ascii_case("always") {
                "ALWAYS"
            } else {
                "BY DEFAULT"
            };
            s.push_str(&format!(" GENERATED {how} AS IDENTITY"));
        }
        if c.nullable == Some(false) {
            s.push_str(" NOT NULL");
        }
        if let Some(d) = &c.default {
            s.push_str(&format!(" DEFAULT {d}"));
        }
        s
    }

    fn columns(&self, cols: &[String]) -> String {
        cols.iter()
            .map(|c| self.q(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn constraint(&self, c: &Constraint) -> String {
        let name = format!("CONSTRAINT {} ", self.q(&c.name));
        match &c.kind {
            ConstraintKind::PrimaryKey { columns } => {
                format!("PRIMARY KEY ({})", self.columns(columns))
            }
            ConstraintKind::Unique { columns } => {
                format!("{name}UNIQUE ({})", self.columns(columns))
            }
            ConstraintKind::ForeignKey {
                columns,
                references,
                referenced_columns,
                on_delete,
                on_update,
            } => {
                let mut s = format!(
                    "{name}FOREIGN KEY ({}) REFERENCES {} ({})",
                    self.columns(columns),
                    qualified(self.engine, &QName::parse(references)),
                    self.columns(referenced_columns)
                );
                for (when, action) in [("DELETE", on_delete), ("UPDATE", on_update)] {
                    if !action.eq_ignore_ascii_case("NO ACTION") {
                        s.push_str(&format!(" ON {when} {action}"));
                    }
                }
                s
            }
            ConstraintKind::Check { expression } => format!("{name}CHECK ({expression})"),
        }
    }

    fn create_table(&self, q: &QName, t: &Table) -> String {
        let mut lines: Vec<String> = t.columns.iter().map(|c| self.column_def(c)).collect();
        lines.extend(t.constraints.iter().map(|c| self.constraint(c)));
        let mut s = format!(
            "CREATE TABLE {} (\n    {}\n);",
            qualified(self.engine, q),
            lines.join(",\n    ")
        );
        for i in &t.indexes {
            s.push('\n');
            s.push_str(&self.create_index(q, i));
        }
        s
    }

    fn create_index(&self, q: &QName, i: &Index) -> String {
        let keys: Vec<String> = i
            .keys
            .iter()
            .map(|k| {
                if k.chars().all(|c| c.is_alphanumeric() || c == '_') {
                    self.q(k)
                } else if self.engine == Engine::Mysql {
                    format!("({k})")
                } else {
                    k.clone()
                }
            })
            .collect();
        let using = match (&i.method, self.engine) {
            (Some(m), Engine::Postgres) if !m.eq_ignore_ascii_case("btree") => {
                format!(" USING {m}")
            }
            _ => String::new(),
        };
        let mut s = format!(
            "CREATE {}INDEX {} ON {}{using} ({})",
            if i.unique { "UNIQUE " } else { "" },
            self.q(&i.name),
            qualified(self.engine, q),
            keys.join(", ")
        );
        if let Some(p) = &i.predicate {
            s.push_str(&format!(" WHERE {p}"));
        }
        s.push(';');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::{DiffOptions, diff};

    fn table(cols: &[(&str, &str, bool)]) -> Table {
        Table {
            columns: cols
                .iter()
                .map(|(n, t, null)| Column {
                    data_type: Some(t.to_string()),
                    nullable: Some(*null),
                    ..Column::named(*n)
                })
                .collect(),
            ..Table::default()
        }
    }

    #[test]
    fn a_missing_table_column_and_index_become_statements() {
        let mut target = Schema::new(Engine::Postgres);
        let mut users = table(&[("id", "integer", false), ("email", "text", true)]);
        users.constraints.push(Constraint {
            name: "users_pkey".into(),
            kind: ConstraintKind::PrimaryKey {
                columns: vec!["id".into()],
            },
        });
        users.indexes.push(Index {
            name: "ix_users_email".into(),
            keys: vec!["email".into()],
            unique: true,
            predicate: None,
            method: None,
        });
        target
            .tables
            .insert(QName::new("public", "users"), users.clone());
        target.tables.insert(
            QName::new("public", "audit"),
            table(&[("at", "timestamp with time zone", false)]),
        );
        let mut live = Schema::new(Engine::Postgres);
        let mut live_users = users.clone();
        live_users.columns.pop();
        live_users.indexes.clear();
        live.tables
            .insert(QName::new("public", "users"), live_users);
        let items = diff(&target, &live, DiffOptions::default());
        let body = bring_to(Engine::Postgres, &target, &live, &items);
        let text = body.text();
        assert!(
            text.contains(
                "CREATE TABLE \"audit\" (\n    \"at\" timestamp with time zone NOT NULL\n);"
            ),
            "{text}"
        );
        assert!(
            text.contains("ALTER TABLE \"users\" ADD COLUMN \"email\" text;"),
            "{text}"
        );
        assert!(
            text.contains("CREATE UNIQUE INDEX \"ix_users_email\" ON \"users\" (\"email\");"),
            "{text}"
        );
        assert!(body.not_generated.is_empty(), "{:?}", body.not_generated);
    }

    #[test]
    fn sqlite_says_what_it_cannot_write() {
        let mut target = Schema::new(Engine::Sqlite);
        target
            .tables
            .insert(QName::new("main", "t"), table(&[("a", "INTEGER", false)]));
        let mut live = Schema::new(Engine::Sqlite);
        live.tables
            .insert(QName::new("main", "t"), table(&[("a", "TEXT", false)]));
        let items = diff(&target, &live, DiffOptions::default());
        let body = bring_to(Engine::Sqlite, &target, &live, &items);
        assert!(body.statements.is_empty());
        assert!(
            body.not_generated
                .iter()
                .any(|n| n.contains("rebuild the table")),
            "{:?}",
            body.not_generated
        );
    }
}
