//! The crate's layers, checked from its sources: definitions at the bottom,
//! the tool files above them, the engines above those, the front ends on
//! top, and no import circle between top-level modules (ARCHITECTURE.md,
//! "Layers"). Test code may reach up (a unit test of a source format lints
//! through the engine); only the code that ships is checked.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module's layer. A module may use modules of its own layer
/// or below, never above; within a layer, no circles.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundations",
        &[
            "location",
            "redact",
            "duration",
            "text",
            "telemetry",
            "schema",
            "schedule",
            "command",
            "yaml",
            "release_step",
            "db",
            "introspect",
        ],
    ),
    ("definitions", &["definitions"]),
    ("tools", &["tools"]),
    (
        "engines",
        &[
            "rules",
            "config",
            "source",
            "lint",
            "ledger",
            "drift",
            "expected",
            "diagnosis",
            "replay",
            "repair",
            "verify",
            "spec_drift",
        ],
    ),
    (
        "front ends",
        &[
            "report", "metrics", "crd", "server", "daemon", "webhook", "operator", "cli",
        ],
    ),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

/// The source files of a module, without the files of its `#[cfg(test)]` submodules.
fn shipped_files(entry: &Path, out: &mut Vec<PathBuf>) {
    let Ok(text) = std::fs::read_to_string(entry) else {
        return;
    };
    out.push(entry.to_path_buf());
    let dir = match entry.file_name().and_then(|n| n.to_str()) {
        Some("mod.rs") | Some("lib.rs") => entry.parent().map(Path::to_path_buf),
        _ => entry
            .parent()
            .map(|p| p.join(entry.file_stem().unwrap_or_default())),
    };
    let Some(dir) = dir else { return };
    let mut test_next = false;
    for line in text.lines() {
        let l = line.trim();
        if l.starts_with("#[cfg(test)]") {
            test_next = true;
            continue;
        }
        let decl = l
            .strip_prefix("pub mod ")
            .or_else(|| l.strip_prefix("pub(crate) mod "))
            .or_else(|| l.strip_prefix("pub(super) mod "))
            .or_else(|| l.strip_prefix("mod "));
        if let Some(name) = decl.and_then(|d| d.strip_suffix(';'))
            && !test_next
        {
            let file = dir.join(format!("{name}.rs"));
            if file.exists() {
                shipped_files(&file, out);
            } else {
                shipped_files(&dir.join(name).join("mod.rs"), out);
            }
        }
        if !l.starts_with("#[") {
            test_next = false;
        }
    }
}

/// The text without `#[cfg(test)]` items (inline test modules and helpers).
fn without_test_items(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        // The item ends at its `;` or at the brace closing its body.
        let mut depth = 0usize;
        let mut end = after.len();
        for (j, c) in after.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = j + 1;
                        break;
                    }
                }
                ';' if depth == 0 => {
                    end = j + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Top-level modules named by `crate::x` paths and `use crate::{x, …}` groups.
fn used_modules(text: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let code: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    for (i, _) in code.match_indices("crate::") {
        let after = &code[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let body = &group[..group.find('}').unwrap_or(group.len())];
            for item in body.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if modules.contains(&name) {
                    used.insert(name);
                }
            }
        } else {
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&name) {
                used.insert(name);
            }
        }
    }
    used
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    let modules: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            l.strip_prefix("pub mod ")
                .or_else(|| l.strip_prefix("pub(crate) mod "))
                .or_else(|| l.strip_prefix("mod "))
                .and_then(|m| m.strip_suffix(';'))
                .map(str::to_owned)
        })
        .collect();
    let mut g = BTreeMap::new();
    for m in &modules {
        let entry = if src.join(format!("{m}.rs")).exists() {
            src.join(format!("{m}.rs"))
        } else {
            src.join(m).join("mod.rs")
        };
        let mut files = Vec::new();
        shipped_files(&entry, &mut files);
        let mut uses = BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            uses.extend(used_modules(&without_test_items(&text), &modules));
        }
        uses.remove(m);
        g.insert(m.clone(), uses);
    }
    g
}

/// Strongly connected components with more than one module (Tarjan).
fn circles(g: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        g: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on.insert(v);
        let g = s.g;
        for w in g.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.found.push(comp);
            }
        }
    }
    let mut s = State {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for v in g.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn no_circle_between_top_level_modules() {
    let found = circles(&graph());
    assert!(
        found.is_empty(),
        "top-level modules import each other in a circle: {found:?}"
    );
}

#[test]
fn every_module_has_a_layer_and_uses_only_its_own_or_lower_layers() {
    let g = graph();
    let mut wrong = Vec::new();
    for (m, uses) in &g {
        let Some(lm) = layer_of(m) else {
            wrong.push(format!("{m} is in no layer of tests/layers.rs"));
            continue;
        };
        for u in uses {
            match layer_of(u) {
                Some(lu) if lu > lm => wrong.push(format!(
                    "{m} ({}) uses {u} ({})",
                    LAYERS[lm].0, LAYERS[lu].0
                )),
                _ => {}
            }
        }
    }
    assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
}

#[test]
fn the_checker_sees_a_circle() {
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    g.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    g.insert("d".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(circles(&g), vec![vec!["a", "b", "c"]]);
}

#[test]
fn the_checker_reads_paths_and_groups_outside_tests() {
    let modules: BTreeSet<String> = ["db", "schema", "lint", "tools"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let text = "use crate::{db::Connection, schema};\nfn f() { crate::tools::all(); }\n\
                // crate::lint in a comment\n#[cfg(test)]\nmod tests { use crate::lint::X; }\n";
    let used = used_modules(&without_test_items(text), &modules);
    assert_eq!(
        used,
        ["db", "schema", "tools"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    );
}
