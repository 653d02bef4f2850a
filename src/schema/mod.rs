//! The schema model: engine-neutral, deterministic (ordered maps, sorted
//! lists), serialisable for snapshot files.
//!
//! Expected schemas may be partial: a field that is `None` (a column type read
//! from an Alembic revision file without running it) is not compared.

pub(crate) mod expr;
pub(crate) mod normalize;

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

/// Serde for maps keyed by [`QName`]: JSON objects keyed by `schema.name`
/// (or `name` without a schema), read straight into the map.
pub mod qname_map {
    use super::QName;
    use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
    use serde::ser::{Serialize, Serializer};
    use std::collections::BTreeMap;
    use std::fmt;
    use std::marker::PhantomData;

    pub fn key(q: &QName) -> String {
        if q.schema.is_empty() {
            q.name.clone()
        } else {
            format!("{}.{}", q.schema, q.name)
        }
    }

    pub fn serialize<S: Serializer, V: Serialize>(
        m: &BTreeMap<QName, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_map(m.iter().map(|(k, v)| (key(k), v)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
        d: D,
    ) -> Result<BTreeMap<QName, V>, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = BTreeMap<QName, V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map keyed by schema-qualified names")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                let mut m = BTreeMap::new();
                while let Some((k, v)) = a.next_entry::<std::borrow::Cow<'de, str>, V>()? {
                    m.insert(QName::parse(&k), v);
                }
                Ok(m)
            }
        }
        d.deserialize_map(MapVisitor(PhantomData))
    }
}

/// A database schema (all the objects preflight compares). In snapshot
/// files, maps are keyed by `schema.name` strings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// The engine it was read from; `None` for engine-neutral expectations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<Engine>,
    #[serde(default, with = "qname_map")]
    pub tables: BTreeMap<QName, Table>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "qname_map"
    )]
    pub views: BTreeMap<QName, View>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "qname_map"
    )]
    pub sequences: BTreeMap<QName, Sequence>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "qname_map"
    )]
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
