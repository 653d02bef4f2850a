//! The schema model: engine-neutral, deterministic (ordered maps, sorted
//! lists), serialisable for snapshot files.
//!
//! Expected schemas may be partial: a field that is `None` (a column type read
//! from an Alembic revision file without running it) is not compared.

pub mod normalize;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The database engines preflight introspects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    Mysql,
    Sqlite,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MySQL/MariaDB",
            Engine::Sqlite => "SQLite",
        }
    }

    /// The schema objects live in when a name has no schema.
    pub fn default_schema(self) -> &'static str {
        match self {
            Engine::Postgres => "public",
            Engine::Mysql | Engine::Sqlite => "",
        }
    }
}

/// A schema-qualified name. MySQL and SQLite objects have an empty schema
/// (the database is the scope).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct QName {
    pub schema: String,
    pub name: String,
}

impl QName {
    pub fn new(schema: impl Into<String>, name: impl Into<String>) -> Self {
        QName {
            schema: schema.into(),
            name: name.into(),
        }
    }

    /// Parses `schema.name` or `name`.
    pub fn parse(s: &str) -> Self {
        match s.split_once('.') {
            Some((schema, name)) => QName::new(schema, name),
            None => QName::new("", s),
        }
    }
}

impl fmt::Display for QName {
    /// `public` (and empty) schemas are left out: `sessions`, `audit.events`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.schema.is_empty() || self.schema == "public" {
            f.write_str(&self.name)
        } else {
            write!(f, "{}.{}", self.schema, self.name)
        }
    }
}

// Snapshot files are JSON: maps keyed by `schema.name` strings.
impl Serialize for Schema {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        SchemaRepr::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Schema {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        SchemaRepr::deserialize(d).map(Schema::from)
    }
}

#[derive(Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SchemaRepr {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    engine: Option<Engine>,
    #[serde(default)]
    tables: BTreeMap<String, Table>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    views: BTreeMap<String, View>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sequences: BTreeMap<String, Sequence>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    enums: BTreeMap<String, EnumType>,
}

fn key(q: &QName) -> String {
    if q.schema.is_empty() {
        q.name.clone()
    } else {
        format!("{}.{}", q.schema, q.name)
    }
}

impl From<&Schema> for SchemaRepr {
    fn from(s: &Schema) -> Self {
        fn keyed<T: Clone>(m: &BTreeMap<QName, T>) -> BTreeMap<String, T> {
            m.iter().map(|(k, v)| (key(k), v.clone())).collect()
        }
        SchemaRepr {
            engine: s.engine,
            tables: keyed(&s.tables),
            views: keyed(&s.views),
            sequences: keyed(&s.sequences),
            enums: keyed(&s.enums),
        }
    }
}

impl From<SchemaRepr> for Schema {
    fn from(r: SchemaRepr) -> Self {
        fn unkeyed<T>(m: BTreeMap<String, T>) -> BTreeMap<QName, T> {
            m.into_iter().map(|(k, v)| (QName::parse(&k), v)).collect()
        }
        Schema {
            engine: r.engine,
            tables: unkeyed(r.tables),
            views: unkeyed(r.views),
            sequences: unkeyed(r.sequences),
            enums: unkeyed(r.enums),
        }
    }
}

/// A database schema (all the objects preflight compares).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    /// The engine it was read from; `None` for engine-neutral expectations.
    pub engine: Option<Engine>,
    pub tables: BTreeMap<QName, Table>,
    pub views: BTreeMap<QName, View>,
    pub sequences: BTreeMap<QName, Sequence>,
    pub enums: BTreeMap<QName, EnumType>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// In ordinal order (order is shown, never compared).
    pub columns: Vec<Column>,
    /// Indexes that do not back a primary key or unique constraint, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// Constraints, by kind then name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
}

impl Table {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    pub fn column_mut(&mut self, name: &str) -> Option<&mut Column> {
        self.columns.iter_mut().find(|c| c.name == name)
    }

    /// Sorts indexes and constraints into their canonical order.
    pub fn sort(&mut self) {
        self.indexes.sort_by(|a, b| a.name.cmp(&b.name));
        self.constraints
            .sort_by(|a, b| (a.kind.order(), &a.name).cmp(&(b.kind.order(), &b.name)));
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Column {
    pub name: String,
    /// Canonical type (`integer`, `varchar(255)`, `timestamptz`, `order_status`);
    /// `None` when unknown.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
    /// The default expression as the engine spells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `always`, `by default` (SQL identity), `auto_increment`, `rowid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// A generated column's expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
}

impl Column {
    pub fn named(name: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            data_type: None,
            nullable: None,
            default: None,
            identity: None,
            generated: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub name: String,
    /// Column names, or expressions in parentheses: `(lower(email))`; ` DESC` appended when descending.
    pub keys: Vec<String>,
    #[serde(default)]
    pub unique: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
    /// Access method when not the engine's default (`gin`, `hash`, `fulltext`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

// No `deny_unknown_fields` here: serde does not support it with `flatten`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Constraint {
    pub name: String,
    #[serde(flatten)]
    pub kind: ConstraintKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConstraintKind {
    PrimaryKey {
        columns: Vec<String>,
    },
    Unique {
        columns: Vec<String>,
    },
    ForeignKey {
        columns: Vec<String>,
        references: String,
        referenced_columns: Vec<String>,
        #[serde(default = "no_action")]
        on_delete: String,
        #[serde(default = "no_action")]
        on_update: String,
    },
    Check {
        expression: String,
    },
}

fn no_action() -> String {
    "NO ACTION".into()
}

impl ConstraintKind {
    fn order(&self) -> u8 {
        match self {
            ConstraintKind::PrimaryKey { .. } => 0,
            ConstraintKind::Unique { .. } => 1,
            ConstraintKind::ForeignKey { .. } => 2,
            ConstraintKind::Check { .. } => 3,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            ConstraintKind::PrimaryKey { .. } => "primary key",
            ConstraintKind::Unique { .. } => "unique constraint",
            ConstraintKind::ForeignKey { .. } => "foreign key",
            ConstraintKind::Check { .. } => "check constraint",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct View {
    pub definition: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub materialized: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sequence {
    #[serde(rename = "type")]
    pub data_type: String,
    pub increment: i64,
    /// The column that owns it (`serial`, identity), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owned_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumType {
    pub labels: Vec<String>,
}

impl Schema {
    pub fn new(engine: Engine) -> Schema {
        Schema {
            engine: Some(engine),
            ..Schema::default()
        }
    }

    /// Puts every table's lists into canonical order (introspection order
    /// must never matter).
    pub fn sort(&mut self) {
        for t in self.tables.values_mut() {
            t.sort();
        }
    }

    /// Canonical JSON: two introspections of the same database are byte-identical.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Counts for summaries.
    pub fn counts(&self) -> (usize, usize, usize) {
        let columns = self.tables.values().map(|t| t.columns.len()).sum();
        let indexes = self.tables.values().map(|t| t.indexes.len()).sum();
        (self.tables.len(), columns, indexes)
    }
}
