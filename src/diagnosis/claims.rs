//! Claims: which expected revisions a ledger says were applied. Each tool
//! records differently — one row per migration, one version implying every
//! earlier one (golang-migrate), the heads of a revision graph (Alembic) —
//! and the ledger may hold entries the expectations do not know: earlier
//! ones an ordered naming explains (a squashed history, a snapshot taken
//! later), or unknown ones that only newer code has.

use crate::definitions::Entries;
use crate::definitions::Ledger;
use crate::expected::Expected;
use crate::schema::Schema;
use std::collections::{BTreeSet, HashSet, VecDeque};

#[derive(Debug, Clone)]
pub struct Claims {
    /// Revision `i`: every ledger entry it accounts for is recorded.
    pub wholly: Vec<bool>,
    /// Revision `i`: at least one of its entries is recorded.
    pub touched: Vec<bool>,
    /// Recorded entries no revision accounts for and no ordering explains.
    pub unknown: Vec<String>,
    /// Recorded entries earlier than every revision that knows their kind
    /// (an ordered naming puts them before the expectations begin).
    pub earlier: Vec<String>,
    /// The entries of each revision that are recorded.
    recorded: Vec<BTreeSet<String>>,
}

impl Claims {
    pub fn resolve(expected: &Expected, l: &Ledger) -> Claims {
        let n = expected.revisions.len();
        let mut claims = Claims {
            wholly: vec![false; n],
            touched: vec![false; n],
            unknown: Vec::new(),
            earlier: Vec::new(),
            recorded: vec![BTreeSet::new(); n],
        };
        let entries = l.tool.ledger().map_or(Entries::EachApplied, |d| d.entries);
        let hit = |claims: &mut Claims, i: usize, entry: &str| {
            claims.touched[i] = true;
            claims.recorded[i].insert(entry.to_string());
        };
        match entries {
            Entries::EachApplied => {
                for e in &l.applied {
                    match expected.position(e) {
                        Some(i) => hit(&mut claims, i, e),
                        None => claims.not_known(expected, e),
                    }
                }
            }
            Entries::Cumulative => {
                for v in &l.current {
                    let upto = match expected.position(v) {
                        Some(i) => Some(i),
                        None => claims.not_known_version(expected, v),
                    };
                    for i in 0..upto.map_or(0, |u| u + 1) {
                        for e in expected.revisions[i].all_entries().collect::<Vec<_>>() {
                            hit(&mut claims, i, e);
                        }
                    }
                }
            }
            Entries::Heads => {
                let mut heads = Vec::new();
                for h in &l.current {
                    match expected.position(h) {
                        Some(i) => heads.push(i),
                        None => claims.unknown.push(h.clone()),
                    }
                }
                for i in ancestors(expected, &heads) {
                    for e in expected.revisions[i].all_entries().collect::<Vec<_>>() {
                        hit(&mut claims, i, e);
                    }
                }
            }
        }
        for (i, r) in expected.revisions.iter().enumerate() {
            let all: Vec<&str> = r.all_entries().collect();
            claims.wholly[i] =
                !all.is_empty() && all.iter().all(|e| claims.recorded[i].contains(*e));
        }
        claims
    }

    /// An entry no revision accounts for: earlier than the expectations
    /// begin when the tool names entries in order, otherwise unknown.
    fn not_known(&mut self, expected: &Expected, entry: &str) {
        let Some((group, key)) = order_key(entry) else {
            self.unknown.push(entry.to_string());
            return;
        };
        let later_known = expected
            .revisions
            .iter()
            .flat_map(|r| r.all_entries())
            .filter_map(order_key)
            .any(|(g, k)| g == group && k > key);
        if later_known {
            self.earlier.push(entry.to_string());
        } else {
            self.unknown.push(entry.to_string());
        }
    }

    /// A cumulative version that is not a revision id: every revision
    /// numbered up to it, when the versions are numbers below the head.
    fn not_known_version(&mut self, expected: &Expected, v: &str) -> Option<usize> {
        let want: u128 = v.parse().ok()?;
        let mut upto = None;
        let mut beyond_head = true;
        for (i, r) in expected.revisions.iter().enumerate() {
            match r.id.as_deref().and_then(|id| id.parse::<u128>().ok()) {
                Some(id) if id <= want => upto = Some(i),
                Some(_) => beyond_head = false,
                None => return None,
            }
        }
        if beyond_head {
            self.unknown.push(v.to_string());
            return None;
        }
        if want != 0 {
            self.earlier.push(v.to_string());
        }
        upto
    }

    /// The schema the wholly claimed revisions build: the head itself when
    /// every revision is claimed (no copy of a large schema).
    pub fn schema<'e>(&self, expected: &'e Expected) -> std::borrow::Cow<'e, Schema> {
        if self.wholly.iter().all(|&w| w) {
            return std::borrow::Cow::Borrowed(expected.head());
        }
        let mut s = Schema {
            engine: expected.engine(),
            ..Schema::default()
        };
        for (i, r) in expected.revisions.iter().enumerate() {
            if self.wholly[i] {
                r.changes.apply(&mut s);
            }
        }
        s.sort();
        std::borrow::Cow::Owned(s)
    }

    /// The last wholly claimed revision.
    pub fn last_claimed(&self) -> Option<usize> {
        self.wholly.iter().rposition(|&w| w)
    }

    /// The last wholly claimed revision before `i`.
    pub fn matched_before(&self, i: usize) -> Option<usize> {
        self.wholly[..i].iter().rposition(|&w| w)
    }

    /// Some revision's entries are only partly recorded (a snapshot of a
    /// whole ledger that the live one is behind).
    pub fn has_partly_claimed(&self) -> bool {
        self.touched
            .iter()
            .zip(&self.wholly)
            .any(|(&t, &w)| t && !w)
    }

    /// What is not run yet, in order: unclaimed revisions, and the entries of
    /// partly claimed ones that are not recorded.
    pub fn pending(&self, expected: &Expected) -> Vec<String> {
        let mut out = Vec::new();
        for (i, r) in expected.revisions.iter().enumerate() {
            if self.wholly[i] {
                continue;
            }
            if self.touched[i] {
                out.extend(
                    r.all_entries()
                        .filter(|e| !self.recorded[i].contains(*e))
                        .map(str::to_owned),
                );
            } else if let Some(id) = &r.id {
                out.push(id.clone());
            }
        }
        out
    }

    /// The same claims with some revisions taken back.
    pub fn without(&self, revisions: &[usize]) -> Claims {
        let mut c = self.clone();
        for &i in revisions {
            c.wholly[i] = false;
            c.touched[i] = false;
        }
        c
    }
}

/// Every revision the heads depend on, the heads included. Revisions name
/// their parents in a revision graph (Alembic); otherwise the order is the graph.
pub fn ancestors(expected: &Expected, heads: &[usize]) -> BTreeSet<usize> {
    let graph = expected.revisions.iter().any(|r| !r.parents.is_empty());
    if !graph {
        return heads
            .iter()
            .max()
            .map(|&h| (0..=h).collect())
            .unwrap_or_default();
    }
    let mut seen = HashSet::new();
    let mut queue: VecDeque<usize> = heads.iter().copied().collect();
    while let Some(i) = queue.pop_front() {
        if !seen.insert(i) {
            continue;
        }
        for p in &expected.revisions[i].parents {
            if let Some(pi) = expected.position(p) {
                queue.push_back(pi);
            }
        }
    }
    seen.into_iter().collect()
}

/// The order of an entry when its tool names entries in order: a group
/// (Django's app, else none) and the leading number of the name
/// (`20240101120000_add_users`, `0003_books`, `V1.2`).
fn order_key(entry: &str) -> Option<(String, Vec<u128>)> {
    let (group, name) = match entry.split_once('.') {
        Some((g, n)) if !g.is_empty() && !g.starts_with(|c: char| c.is_ascii_digit()) => (g, n),
        _ => ("", entry),
    };
    let name = name.trim_start_matches(['V', 'v']);
    let lead: String = name
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '_')
        .collect();
    let parts: Vec<u128> = lead
        .split(['.', '_'])
        .filter(|p| !p.is_empty())
        .map_while(|p| p.parse().ok())
        .collect();
    (!parts.is_empty()).then(|| (group.to_string(), parts))
}

#[cfg(test)]
mod tests {
    use super::order_key;

    #[test]
    fn ordered_names_have_an_order() {
        assert!(order_key("20240101_b.js") > order_key("20231231_a.js"));
        assert!(
            order_key("library.0003_x").expect("k").1 > order_key("library.0002_y").expect("k").1
        );
        assert_eq!(order_key("library.0003_x").expect("k").0, "library");
        assert!(order_key("1.10") > order_key("1.9"));
        assert_eq!(order_key("ae1027a6acf"), None);
        assert_eq!(order_key("CreateUsers1700000000000"), None);
    }
}
