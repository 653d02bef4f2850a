//! Kustomize: the files a `kustomization.yaml` lists under `resources` are
//! Kubernetes manifests by place, so a walk reports them when unreadable.
//! Overlays and patches need nothing: a patch without a command yields
//! nothing, and a base is linted once, as its own files.

use crate::yaml;
use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

const NAMES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The resource files of every Kustomization among `files`.
pub fn resources(files: &[PathBuf]) -> HashSet<PathBuf> {
    let mut out = HashSet::new();
    for file in files {
        let is_kustomization = file
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| NAMES.contains(&n));
        if !is_kustomization {
            continue;
        }
        let Some(dir) = file.parent() else { continue };
        let Ok(text) = crate::source::files::read_text(file) else {
            continue; // the walk reports it when it lints the file itself
        };
        let Ok(roots) = yaml::parse_document(&text) else {
            continue;
        };
        for root in &roots {
            for item in root
                .get("resources")
                .and_then(yaml::Node::as_seq)
                .unwrap_or(&[])
            {
                if let Some(rel) = item.as_str()
                    && !rel.contains("://")
                {
                    out.insert(normalize(&dir.join(rel)));
                }
            }
        }
    }
    out
}

/// `a/b/../c` → `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_parent_components() {
        assert_eq!(
            normalize(Path::new("r/k8s/overlays/prod/../../base/job.yaml")),
            PathBuf::from("r/k8s/base/job.yaml")
        );
        assert_eq!(normalize(Path::new("./a/./b")), PathBuf::from("a/b"));
    }
}
