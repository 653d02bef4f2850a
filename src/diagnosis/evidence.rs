//! Evidence: whether the changes of each revision are visible in the live
//! schema. A revision the ledger records whose every checkable change is
//! absent was recorded without being applied; one it does not record whose
//! changes are all there was applied without being recorded; one with some
//! of its changes there and others not was partly applied.
//!
//! Only changes no later revision overwrote count: a table created in one
//! revision and dropped in a later applied one proves nothing by its absence.

use crate::drift::{self, resolve};
use crate::expected::Expected;
use crate::expected::changes::{TableChange, constraint_id, index_id};
use crate::schema::{Column, Constraint, ConstraintKind, Index, QName, Schema, Table};
use rustc_hash::FxHashMap as HashMap;

/// One change a revision makes, with what was there before it.
#[derive(Debug, Clone)]
pub enum Effect {
    TableCreated(QName),
    TableDropped(QName),
    /// A column added (`before` is `None`) or changed.
    ColumnSet {
        table: QName,
        column: Column,
        before: Option<Column>,
    },
    ColumnDropped {
        table: QName,
        name: String,
    },
    IndexCreated {
        table: QName,
        index: Index,
    },
    IndexDropped {
        table: QName,
        index: Index,
    },
    ConstraintCreated {
        table: QName,
        constraint: Constraint,
    },
    ConstraintDropped {
        table: QName,
        constraint: Constraint,
    },
    ViewCreated(QName),
    ViewDropped(QName),
    EnumCreated(QName),
    EnumDropped(QName),
}

/// What overwrites what: later changes to the same object hide earlier ones.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum ObjectKey {
    Table(QName),
    Column(QName, String),
    Index(QName, String),
    Constraint(QName, String),
    View(QName),
    Enum(QName),
}

/// What the live schema says about one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    Present,
    Absent,
    /// Cannot tell (its table is gone, or the change is invisible to the model).
    Unknown,
}

impl Effect {
    fn table(&self) -> Option<&QName> {
        match self {
            Effect::TableCreated(q) | Effect::TableDropped(q) => Some(q),
            Effect::ColumnSet { table, .. }
            | Effect::ColumnDropped { table, .. }
            | Effect::IndexCreated { table, .. }
            | Effect::IndexDropped { table, .. }
            | Effect::ConstraintCreated { table, .. }
            | Effect::ConstraintDropped { table, .. } => Some(table),
            _ => None,
        }
    }

    fn key(&self) -> ObjectKey {
        match self {
            Effect::TableCreated(q) | Effect::TableDropped(q) => ObjectKey::Table(q.clone()),
            Effect::ColumnSet { table, column, .. } => {
                ObjectKey::Column(table.clone(), column.name.clone())
            }
            Effect::ColumnDropped { table, name } => ObjectKey::Column(table.clone(), name.clone()),
            Effect::IndexCreated { table, index } | Effect::IndexDropped { table, index } => {
                ObjectKey::Index(table.clone(), index_id(index))
            }
            Effect::ConstraintCreated { table, constraint }
            | Effect::ConstraintDropped { table, constraint } => {
                ObjectKey::Constraint(table.clone(), constraint_id(constraint))
            }
            Effect::ViewCreated(q) | Effect::ViewDropped(q) => ObjectKey::View(q.clone()),
            Effect::EnumCreated(q) | Effect::EnumDropped(q) => ObjectKey::Enum(q.clone()),
        }
    }

    /// The kind of object it changes, for the reach of unmodelled operations.
    pub fn object(&self) -> crate::drift::ObjectKind {
        use crate::drift::ObjectKind as O;
        match self {
            Effect::TableCreated(_) | Effect::TableDropped(_) => O::Table,
            Effect::ColumnSet { .. } | Effect::ColumnDropped { .. } => O::Column,
            Effect::IndexCreated { .. } | Effect::IndexDropped { .. } => O::Index,
            Effect::ConstraintCreated { .. } | Effect::ConstraintDropped { .. } => O::Constraint,
            Effect::ViewCreated(_) | Effect::ViewDropped(_) => O::View,
            Effect::EnumCreated(_) | Effect::EnumDropped(_) => O::Enum,
        }
    }

    /// The name of the table (or view, type) it changes.
    pub fn target(&self) -> String {
        match self {
            Effect::ViewCreated(q)
            | Effect::ViewDropped(q)
            | Effect::EnumCreated(q)
            | Effect::EnumDropped(q) => q.name.clone(),
            other => other.table().map(|q| q.name.clone()).unwrap_or_default(),
        }
    }

    /// Structural changes prove something on their own; comparisons of
    /// expressions and column properties read statically do not.
    pub fn strong(&self, partial: bool) -> bool {
        match self {
            Effect::ColumnSet {
                before: Some(_), ..
            } => !partial,
            Effect::IndexCreated { index, .. } | Effect::IndexDropped { index, .. } => {
                !partial || (index.predicate.is_none() && index.keys.iter().all(|k| plain(k)))
            }
            Effect::ConstraintCreated { constraint, .. }
            | Effect::ConstraintDropped { constraint, .. } => {
                !partial || !matches!(constraint.kind, ConstraintKind::Check { .. })
            }
            _ => true,
        }
    }

    /// For people: `table sessions`, `column users.email`, `index ix_x on t`.
    pub fn describe(&self) -> String {
        match self {
            Effect::TableCreated(q) | Effect::TableDropped(q) => format!("table {q}"),
            Effect::ColumnSet { table, column, .. } => format!("column {table}.{}", column.name),
            Effect::ColumnDropped { table, name } => format!("column {table}.{name}"),
            Effect::IndexCreated { table, index } | Effect::IndexDropped { table, index } => {
                format!("index {} on {table}", index_id(index))
            }
            Effect::ConstraintCreated { table, constraint }
            | Effect::ConstraintDropped { table, constraint } => {
                if constraint.name.is_empty() {
                    format!("{} on {table}", constraint_id(constraint))
                } else {
                    format!("{} {} on {table}", constraint.kind.label(), constraint.name)
                }
            }
            Effect::ViewCreated(q) | Effect::ViewDropped(q) => format!("view {q}"),
            Effect::EnumCreated(q) | Effect::EnumDropped(q) => format!("enum type {q}"),
        }
    }

    /// The change undoes something (a drop), as opposed to creating or changing.
    pub fn is_drop(&self) -> bool {
        matches!(
            self,
            Effect::TableDropped(_)
                | Effect::ColumnDropped { .. }
                | Effect::IndexDropped { .. }
                | Effect::ConstraintDropped { .. }
                | Effect::ViewDropped(_)
                | Effect::EnumDropped(_)
        )
    }

    /// Is the change visible in the live schema?
    pub fn seen(&self, live: &Schema, partial: bool) -> Seen {
        let table = |q: &QName| live.tables.get(&resolve(q, live));
        let present = |b: bool| if b { Seen::Present } else { Seen::Absent };
        match self {
            Effect::TableCreated(q) => present(table(q).is_some()),
            Effect::TableDropped(q) => present(table(q).is_none()),
            Effect::ViewCreated(q) => present(live.views.contains_key(&resolve(q, live))),
            Effect::ViewDropped(q) => present(!live.views.contains_key(&resolve(q, live))),
            Effect::EnumCreated(q) => present(live.enums.contains_key(&resolve(q, live))),
            Effect::EnumDropped(q) => present(!live.enums.contains_key(&resolve(q, live))),
            other => {
                let Some(lt) = other.table().and_then(table) else {
                    return Seen::Unknown;
                };
                other.seen_in(lt, partial)
            }
        }
    }

    fn seen_in(&self, lt: &Table, partial: bool) -> Seen {
        let present = |b: bool| if b { Seen::Present } else { Seen::Absent };
        let matches = |want: &Column, have: &Column| {
            drift::column_differences(want, have, partial)
                .iter()
                .all(|(sev, _, _)| *sev == crate::definitions::Severity::Info)
        };
        match self {
            Effect::ColumnSet { column, before, .. } => match (lt.column(&column.name), before) {
                (None, None) => Seen::Absent,
                (None, Some(_)) => Seen::Unknown,
                (Some(_), None) => Seen::Present,
                (Some(l), Some(b)) => match (matches(column, l), matches(b, l)) {
                    (true, false) => Seen::Present,
                    (false, true) => Seen::Absent,
                    _ => Seen::Unknown,
                },
            },
            Effect::ColumnDropped { name, .. } => present(lt.column(name).is_none()),
            Effect::IndexCreated { index, .. } => present(drift::has_index(lt, index)),
            Effect::IndexDropped { index, .. } => present(!drift::has_index(lt, index)),
            Effect::ConstraintCreated { constraint, .. } => {
                present(drift::has_constraint(lt, constraint))
            }
            Effect::ConstraintDropped { constraint, .. } => {
                present(!drift::has_constraint(lt, constraint))
            }
            _ => Seen::Unknown,
        }
    }
}

fn plain(key: &str) -> bool {
    key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The changes of one revision, given the schema before it.
// Long on purpose: one match arm per kind of schema change a revision can make, each stating what
// in the live schema shows it applied or not.
pub fn effects(changes: &crate::expected::changes::Changes, before: &Schema) -> Vec<Effect> {
    let mut out = Vec::new();
    for (q, change) in &changes.tables {
        match change {
            TableChange::Create(t) => {
                out.push(Effect::TableCreated(q.clone()));
                for c in &t.columns {
                    out.push(Effect::ColumnSet {
                        table: q.clone(),
                        column: c.clone(),
                        before: None,
                    });
                }
                for i in &t.indexes {
                    out.push(Effect::IndexCreated {
                        table: q.clone(),
                        index: i.clone(),
                    });
                }
                for c in &t.constraints {
                    out.push(Effect::ConstraintCreated {
                        table: q.clone(),
                        constraint: c.clone(),
                    });
                }
            }
            // Dropping or altering what the state before does not hold
            // (another unapplied revision creates it) shows nothing.
            TableChange::Drop if before.tables.contains_key(q) => {
                out.push(Effect::TableDropped(q.clone()))
            }
            TableChange::Drop => {}
            TableChange::Alter(_) if !before.tables.contains_key(q) => {}
            TableChange::Alter(a) => {
                let old = before.tables.get(q);
                for c in &a.columns {
                    out.push(Effect::ColumnSet {
                        table: q.clone(),
                        column: c.clone(),
                        before: old.and_then(|t| t.column(&c.name)).cloned(),
                    });
                }
                for name in a
                    .drop_columns
                    .iter()
                    .filter(|n| old.is_some_and(|t| t.column(n).is_some()))
                {
                    out.push(Effect::ColumnDropped {
                        table: q.clone(),
                        name: name.clone(),
                    });
                }
                let old_index = |id: &str| {
                    old.and_then(|t| t.indexes.iter().find(|i| index_id(i) == id))
                        .cloned()
                };
                for i in &a.indexes {
                    // A changed index: the old definition goes, the new one
                    // comes — unless they compare the same (nothing to see).
                    if let Some(prev) = old_index(&index_id(i)) {
                        if drift::same_index(&prev, i) {
                            continue;
                        }
                        out.push(Effect::IndexDropped {
                            table: q.clone(),
                            index: prev,
                        });
                    }
                    out.push(Effect::IndexCreated {
                        table: q.clone(),
                        index: i.clone(),
                    });
                }
                for id in &a.drop_indexes {
                    if let Some(prev) = old_index(id) {
                        out.push(Effect::IndexDropped {
                            table: q.clone(),
                            index: prev,
                        });
                    }
                }
                let old_constraint = |id: &str| {
                    old.and_then(|t| t.constraints.iter().find(|c| constraint_id(c) == id))
                        .cloned()
                };
                for c in &a.constraints {
                    if let Some(prev) = old_constraint(&constraint_id(c)) {
                        if drift::same_constraint(&prev, c) {
                            continue;
                        }
                        out.push(Effect::ConstraintDropped {
                            table: q.clone(),
                            constraint: prev,
                        });
                    }
                    out.push(Effect::ConstraintCreated {
                        table: q.clone(),
                        constraint: c.clone(),
                    });
                }
                for id in &a.drop_constraints {
                    if let Some(prev) = old_constraint(id) {
                        out.push(Effect::ConstraintDropped {
                            table: q.clone(),
                            constraint: prev,
                        });
                    }
                }
            }
        }
    }
    for (q, v) in &changes.views {
        match (v, before.views.contains_key(q)) {
            (Some(_), false) => out.push(Effect::ViewCreated(q.clone())),
            (None, true) => out.push(Effect::ViewDropped(q.clone())),
            _ => {}
        }
    }
    for (q, v) in &changes.enums {
        match (v, before.enums.contains_key(q)) {
            (Some(_), false) => out.push(Effect::EnumCreated(q.clone())),
            (None, true) => out.push(Effect::EnumDropped(q.clone())),
            _ => {}
        }
    }
    out
}

/// The changes worth naming: the parts of a created table go with it.
pub fn headline(effects: &[Effect]) -> impl Iterator<Item = &Effect> {
    let created: Vec<&QName> = effects
        .iter()
        .filter_map(|e| match e {
            Effect::TableCreated(q) => Some(q),
            _ => None,
        })
        .collect();
    effects.iter().filter(move |e| match e {
        Effect::TableCreated(_) => true,
        other => !other.table().is_some_and(|t| created.contains(&t)),
    })
}

/// The evidence about one revision.
#[derive(Debug, Clone, Default)]
pub struct RevisionEvidence {
    /// Changes visible in the live schema.
    pub present: Vec<Effect>,
    /// Changes that are not.
    pub absent: Vec<Effect>,
    /// Structural changes that put something in place and are there.
    pub strong_present: usize,
    /// Changes that put something in place and are there, any kind.
    pub made_present: usize,
    pub strong_absent: usize,
    /// Tables it alters that the live schema does not have at all.
    pub missing_tables: Vec<QName>,
}

impl RevisionEvidence {
    /// All of it that can be seen is there.
    pub fn applied(&self) -> bool {
        self.absent.is_empty() && self.strong_present > 0
    }

    /// Some of it is there, some not.
    pub fn partly(&self) -> bool {
        self.strong_present > 0 && self.strong_absent > 0
    }
}

/// Evidence for every revision: `claimed[i]` says whether the ledger records
/// revision `i` (wholly). Claimed revisions are read against the schema the
/// claims build; others against it too (what they would change next).
pub fn gather(expected: &Expected, claimed: &[bool], live: &Schema) -> Vec<RevisionEvidence> {
    let partial = expected.partial;
    // Effects per revision, with the state the claimed revisions build.
    let mut state = Schema::default();
    let mut all: Vec<Vec<Effect>> = Vec::with_capacity(expected.revisions.len());
    for (i, r) in expected.revisions.iter().enumerate() {
        all.push(effects(&r.changes, &state));
        if claimed.get(i).copied().unwrap_or(false) {
            r.changes.apply(&mut state);
        }
    }
    // The last claimed revision writing each object.
    let mut last: HashMap<ObjectKey, usize> = HashMap::default();
    for (i, effs) in all.iter().enumerate() {
        if claimed.get(i).copied().unwrap_or(false) {
            for e in effs {
                last.insert(e.key(), i);
            }
        }
    }
    // Relaxed tables say nothing; ledger tables are the tool's, created by
    // whatever step ran first.
    let relaxed = |e: &Effect| {
        e.table().is_some_and(|q| {
            let name = q.name.to_ascii_lowercase();
            expected.relaxed.contains(&name)
                || crate::tools::is_tool_table(&name)
                || expected
                    .ledger_table
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case(&name))
        })
    };
    let mut out = Vec::with_capacity(all.len());
    for (i, effs) in all.into_iter().enumerate() {
        let is_claimed = claimed.get(i).copied().unwrap_or(false);
        let mut ev = RevisionEvidence::default();
        for e in effs {
            if relaxed(&e) {
                continue;
            }
            // Overwritten by a later claimed revision (the object itself, or
            // its table dropped or created again)?
            let later = |k: &ObjectKey| last.get(k).is_some_and(|&j| j > i);
            let table_later = e.table().is_some_and(|q| {
                !matches!(e, Effect::TableCreated(_) | Effect::TableDropped(_))
                    && later(&ObjectKey::Table(q.clone()))
            });
            if later(&e.key()) || table_later || (is_claimed && last.get(&e.key()) != Some(&i)) {
                continue;
            }
            let mut strong = e.strong(partial);
            if !matches!(e, Effect::TableCreated(_) | Effect::TableDropped(_))
                && let Some(q) = e.table()
                && !live.tables.contains_key(&resolve(q, live))
            {
                if !ev.missing_tables.contains(q) {
                    ev.missing_tables.push(q.clone());
                }
                continue;
            }
            // What the recorded revisions already explain says nothing of an
            // unrecorded one: a constraint it creates that an earlier one
            // already put in place (a name reused, unique_together made a
            // named UniqueConstraint, an engine's positional name) is there
            // in the honest state too.
            if !is_claimed && !e.is_drop() && e.seen(&state, partial) == Seen::Present {
                continue;
            }
            match e.seen(live, partial) {
                // A drop that is "done" proves little: the object may never
                // have been created (its revision skipped too). Only changes
                // that put something there count as positive evidence.
                Seen::Present => {
                    // An index found only under another name may be one the
                    // engine made itself (MySQL indexes every foreign key).
                    if let Effect::IndexCreated { table, index } = &e
                        && !index.name.is_empty()
                        && !live.tables.get(&resolve(table, live)).is_some_and(|t| {
                            t.indexes
                                .iter()
                                .any(|i| i.name.eq_ignore_ascii_case(&index.name))
                        })
                    {
                        strong = false;
                    }
                    if !e.is_drop() {
                        ev.strong_present += usize::from(strong);
                        ev.made_present += 1;
                    }
                    ev.present.push(e);
                }
                Seen::Absent => {
                    ev.strong_absent += usize::from(strong);
                    ev.absent.push(e);
                }
                Seen::Unknown => {}
            }
        }
        out.push(ev);
    }
    out
}
