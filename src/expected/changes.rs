//! What one revision changes, object by object. Snapshot files store every
//! revision after the first as its changes (a 100-revision history of a
//! 1,000-table schema stays the size of one schema plus what changed), and
//! the diagnosis reads a revision's changes as the evidence of whether it
//! was applied.

use crate::schema::{
    Column, Constraint, ConstraintKind, EnumType, Index, QName, Schema, Sequence, Table, View,
    qname_map,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The changes of one revision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Changes {
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "qname_map"
    )]
    pub tables: BTreeMap<QName, TableChange>,
    /// A view's definition after the revision; `None` when it was dropped.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "qname_map"
    )]
    pub views: BTreeMap<QName, Option<View>>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "qname_map"
    )]
    pub sequences: BTreeMap<QName, Option<Sequence>>,
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        with = "qname_map"
    )]
    pub enums: BTreeMap<QName, Option<EnumType>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TableChange {
    Create(Table),
    Drop,
    Alter(TableAlter),
}

/// The changes to a table that exists before and after a revision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableAlter {
    /// Columns added or changed, as they are after the revision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<Column>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop_columns: Vec<String>,
    /// Indexes added or changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub indexes: Vec<Index>,
    /// Indexes dropped, by identity (see [`index_id`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop_indexes: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constraints: Vec<Constraint>,
    /// Constraints dropped, by identity (see [`constraint_id`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drop_constraints: Vec<String>,
}

/// An index's identity within one expectation: its name, or its keys when
/// it has none (names unknown to a static reading).
pub fn index_id(i: &Index) -> String {
    if i.name.is_empty() {
        format!("({})", i.keys.join(", "))
    } else {
        i.name.clone()
    }
}

/// A constraint's identity within one expectation: its name, or what it
/// constrains when it has none.
pub fn constraint_id(c: &Constraint) -> String {
    if !c.name.is_empty() {
        return c.name.clone();
    }
    match &c.kind {
        ConstraintKind::PrimaryKey { .. } => "primary key".into(),
        ConstraintKind::Unique { columns } => format!("unique ({})", columns.join(", ")),
        ConstraintKind::ForeignKey {
            columns,
            references,
            ..
        } => format!("foreign key ({}) → {references}", columns.join(", ")),
        ConstraintKind::Check { expression } => format!("check ({expression})"),
    }
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
            && self.views.is_empty()
            && self.sequences.is_empty()
            && self.enums.is_empty()
    }

    /// Everything of `schema`, as changes from nothing.
    pub fn create(schema: &Schema) -> Changes {
        Changes::between(&Schema::default(), schema)
    }

    /// Everything of `schema`, taking it apart without copying.
    pub fn create_owned(schema: Schema) -> Changes {
        Changes {
            tables: schema
                .tables
                .into_iter()
                .map(|(q, t)| (q, TableChange::Create(t)))
                .collect(),
            views: schema
                .views
                .into_iter()
                .map(|(q, v)| (q, Some(v)))
                .collect(),
            sequences: schema
                .sequences
                .into_iter()
                .map(|(q, v)| (q, Some(v)))
                .collect(),
            enums: schema
                .enums
                .into_iter()
                .map(|(q, v)| (q, Some(v)))
                .collect(),
        }
    }

    /// The changes that turn `before` into `after`.
    pub fn between(before: &Schema, after: &Schema) -> Changes {
        let mut c = Changes::default();
        for (q, at) in &after.tables {
            match before.tables.get(q) {
                None => {
                    c.tables.insert(q.clone(), TableChange::Create(at.clone()));
                }
                Some(bt) if bt != at => {
                    let alter = TableAlter::between(bt, at);
                    if alter != TableAlter::default() {
                        c.tables.insert(q.clone(), TableChange::Alter(alter));
                    }
                }
                Some(_) => {}
            }
        }
        for q in before.tables.keys() {
            if !after.tables.contains_key(q) {
                c.tables.insert(q.clone(), TableChange::Drop);
            }
        }
        fn objects<T: Clone + PartialEq>(
            before: &BTreeMap<QName, T>,
            after: &BTreeMap<QName, T>,
        ) -> BTreeMap<QName, Option<T>> {
            let mut out = BTreeMap::new();
            for (q, a) in after {
                if before.get(q) != Some(a) {
                    out.insert(q.clone(), Some(a.clone()));
                }
            }
            for q in before.keys() {
                if !after.contains_key(q) {
                    out.insert(q.clone(), None);
                }
            }
            out
        }
        c.views = objects(&before.views, &after.views);
        c.sequences = objects(&before.sequences, &after.sequences);
        c.enums = objects(&before.enums, &after.enums);
        c
    }

    /// Applies the changes. An alteration of a table that does not exist
    /// (its creating revision left out) is skipped.
    pub fn apply(&self, schema: &mut Schema) {
        for (q, change) in &self.tables {
            match change {
                TableChange::Create(t) => {
                    schema.tables.insert(q.clone(), t.clone());
                }
                TableChange::Drop => {
                    schema.tables.remove(q);
                }
                TableChange::Alter(a) => {
                    if let Some(t) = schema.tables.get_mut(q) {
                        a.apply(t);
                    }
                }
            }
        }
        fn objects<T: Clone>(changes: &BTreeMap<QName, Option<T>>, into: &mut BTreeMap<QName, T>) {
            for (q, v) in changes {
                match v {
                    Some(v) => {
                        into.insert(q.clone(), v.clone());
                    }
                    None => {
                        into.remove(q);
                    }
                }
            }
        }
        objects(&self.views, &mut schema.views);
        objects(&self.sequences, &mut schema.sequences);
        objects(&self.enums, &mut schema.enums);
    }
}

impl TableAlter {
    pub fn between(b: &Table, a: &Table) -> TableAlter {
        let mut out = TableAlter::default();
        for c in &a.columns {
            if b.column(&c.name) != Some(c) {
                out.columns.push(c.clone());
            }
        }
        for c in &b.columns {
            if a.column(&c.name).is_none() {
                out.drop_columns.push(c.name.clone());
            }
        }
        for i in &a.indexes {
            let id = index_id(i);
            if !b.indexes.iter().any(|x| index_id(x) == id && x == i) {
                out.indexes.push(i.clone());
            }
        }
        for i in &b.indexes {
            let id = index_id(i);
            if !a.indexes.iter().any(|x| index_id(x) == id) {
                out.drop_indexes.push(id);
            }
        }
        for c in &a.constraints {
            let id = constraint_id(c);
            if !b
                .constraints
                .iter()
                .any(|x| constraint_id(x) == id && x == c)
            {
                out.constraints.push(c.clone());
            }
        }
        for c in &b.constraints {
            let id = constraint_id(c);
            if !a.constraints.iter().any(|x| constraint_id(x) == id) {
                out.drop_constraints.push(id);
            }
        }
        out
    }

    pub fn apply(&self, t: &mut Table) {
        t.columns.retain(|c| !self.drop_columns.contains(&c.name));
        for c in &self.columns {
            match t.column_mut(&c.name) {
                Some(existing) => *existing = c.clone(),
                None => t.columns.push(c.clone()),
            }
        }
        t.indexes.retain(|i| {
            let id = index_id(i);
            !self.drop_indexes.contains(&id) && !self.indexes.iter().any(|n| index_id(n) == id)
        });
        t.indexes.extend(self.indexes.iter().cloned());
        t.constraints.retain(|c| {
            let id = constraint_id(c);
            !self.drop_constraints.contains(&id)
                && !self.constraints.iter().any(|n| constraint_id(n) == id)
        });
        t.constraints.extend(self.constraints.iter().cloned());
        t.sort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: &str) -> Column {
        let mut c = Column::named(name);
        c.data_type = Some(ty.into());
        c
    }

    fn schema(tables: &[(&str, Table)]) -> Schema {
        let mut s = Schema::default();
        for (n, t) in tables {
            s.tables.insert(QName::new("public", *n), t.clone());
        }
        s.sort();
        s
    }

    #[test]
    fn changes_between_two_schemas_rebuild_the_second() {
        let users = Table {
            columns: vec![col("id", "integer"), col("email", "text")],
            indexes: vec![Index {
                name: "ix_email".into(),
                keys: vec!["email".into()],
                unique: false,
                predicate: None,
                method: None,
            }],
            constraints: vec![Constraint {
                name: String::new(),
                kind: ConstraintKind::PrimaryKey {
                    columns: vec!["id".into()],
                },
            }],
        };
        let mut users2 = users.clone();
        users2.columns[1].data_type = Some("varchar(255)".into());
        users2.columns.push(col("name", "text"));
        users2.indexes.clear();
        users2.constraints.push(Constraint {
            name: "users_name_check".into(),
            kind: ConstraintKind::Check {
                expression: "name <> ''".into(),
            },
        });
        let before = schema(&[("users", users), ("old", Table::default())]);
        let after = schema(&[
            ("users", users2),
            (
                "sessions",
                Table {
                    columns: vec![col("id", "integer")],
                    ..Table::default()
                },
            ),
        ]);
        let c = Changes::between(&before, &after);
        assert_eq!(c.tables.len(), 3);
        let mut rebuilt = before.clone();
        c.apply(&mut rebuilt);
        assert_eq!(rebuilt, after);
        // And they survive a round trip through JSON.
        let json = serde_json::to_string(&c).expect("json");
        assert!(
            json.contains("\"drop\"") && json.contains("\"create\""),
            "{json}"
        );
        let back: Changes = serde_json::from_str(&json).expect("read back");
        assert_eq!(back, c);
        assert!(Changes::between(&after, &after).is_empty());
    }
}
