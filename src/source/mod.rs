//! App spec sources: where deploy definitions come from, and how each format
//! yields release steps.
//!
//! One module per format. YAML-based formats take a parsed document
//! ([`crate::yaml::Node`]) and the document text (for spans); the others parse
//! their own file. All of them return an [`Extracted`]: release steps, apps
//! (for checks across steps) and per-object problems.

pub(crate) mod ci;
pub(crate) mod compose;
pub(crate) mod digitalocean;
pub(crate) mod digitalocean_api;
pub mod files;
pub(crate) mod fly;
pub(crate) mod github_actions;
pub(crate) mod gitlab_ci;
pub mod helm;
pub(crate) mod kubernetes;
pub(crate) mod procfile;
pub(crate) mod railway;
pub(crate) mod render;

use crate::release_step::Extracted;
use crate::yaml::Node;
use serde::Serialize;

/// A deploy-spec format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    DigitalOcean,
    Kubernetes,
    Procfile,
    Fly,
    Render,
    Railway,
    GithubActions,
    GitlabCi,
    Compose,
    /// A Helm chart directory, rendered (or read template by template).
    HelmChart,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::DigitalOcean => "DigitalOcean App Platform spec",
            Format::Kubernetes => "Kubernetes manifest",
            Format::Procfile => "Procfile",
            Format::Fly => "fly.toml",
            Format::Render => "Render Blueprint",
            Format::Railway => "Railway config",
            Format::GithubActions => "GitHub Actions workflow",
            Format::GitlabCi => "GitLab CI pipeline",
            Format::Compose => "Docker Compose file",
            Format::HelmChart => "Helm chart",
        }
    }
}

/// Recognises the format of one YAML/JSON document and extracts its release
/// steps. `hint` comes from the file's path (`render.yaml`,
/// `.github/workflows/*.yml`, `.do/app.yaml`): a file whose path names its
/// format is read as that format, so its shape errors are reported. Without a
/// hint a document is recognised only by markers of its own format, never by
/// one shared key name (`jobs:` is a list in an App Platform spec and a
/// mapping in a workflow). Returns `None` for documents that are not deploy
/// specs (Helm values, `Chart.yaml`, editor settings, …).
pub fn extract_document(
    root: &Node,
    doc: &str,
    hint: Option<Format>,
) -> Option<(Format, Extracted)> {
    let format = detect(root, hint)?;
    let extracted = match format {
        Format::Kubernetes => kubernetes::extract(root, doc),
        Format::DigitalOcean => digitalocean::extract(root, doc, hint == Some(format)),
        Format::Render => render::extract(root, doc),
        Format::Railway => railway::extract_json(root, doc),
        Format::GithubActions => github_actions::extract(root, doc),
        Format::GitlabCi => gitlab_ci::extract(root, doc),
        Format::Compose => compose::extract(root, doc),
        Format::Procfile | Format::Fly | Format::HelmChart => return None,
    };
    Some((format, extracted))
}

/// Which format a document is. Kubernetes objects are recognised first
/// (`apiVersion` and `kind` are unambiguous), then the formats whose path
/// hint matches, then each format by its own markers.
pub fn detect(root: &Node, hint: Option<Format>) -> Option<Format> {
    root.as_map()?;
    if kubernetes::detect(root) {
        return Some(Format::Kubernetes);
    }
    match hint {
        Some(f @ (Format::Render | Format::Railway | Format::GithubActions | Format::GitlabCi)) => {
            return Some(f);
        }
        Some(Format::Compose) if compose::detect(root, true) => return Some(Format::Compose),
        Some(Format::DigitalOcean) if digitalocean::detect(root, true) => {
            return Some(Format::DigitalOcean);
        }
        _ => {}
    }
    if github_actions::detect(root) {
        Some(Format::GithubActions)
    } else if compose::detect(root, false) {
        Some(Format::Compose)
    } else if gitlab_ci::detect(root) {
        Some(Format::GitlabCi)
    } else if render::detect(root) {
        Some(Format::Render)
    } else if digitalocean::detect(root, false) {
        Some(Format::DigitalOcean)
    } else if railway::detect(root) {
        Some(Format::Railway)
    } else {
        None
    }
}

/// Cheap test on a document's raw text: can it hold a release step at all?
/// Every release step sits under a key containing `ommand` (`command`,
/// `run_command`, `preDeployCommand`, …), `args`, `containers`, `script`
/// (GitLab) or `entrypoint` (Compose); workflows have `jobs`, and apps
/// without a command are only interesting when they declare `databases`.
/// Documents without any of these (Services, ConfigMaps, RBAC, …) are not
/// parsed, which keeps large manifest streams fast.
pub fn may_hold_release_steps(text: &str) -> bool {
    use memchr::memmem;
    let b = text.as_bytes();
    [
        "ommand",
        "args",
        "ontainers",
        "databases",
        "jobs",
        "script",
        "entrypoint",
    ]
    .iter()
    .any(|needle| memmem::find(b, needle.as_bytes()).is_some())
}

/// Raw Helm templates are Go templates, not YAML: they are recognised by their
/// actions so the user gets a hint instead of a YAML syntax error.
pub fn looks_like_helm_template(text: &str) -> bool {
    use memchr::memmem;
    let b = text.as_bytes();
    memmem::find(b, b"{{").is_some()
        && [
            ".Values",
            ".Release",
            ".Chart",
            "{{-",
            "-}}",
            "include ",
            "template ",
            "{{/*",
            ".Capabilities",
            "toYaml",
        ]
        .iter()
        .any(|n| memmem::find(b, n.as_bytes()).is_some())
}

/// Helpers for reading spec nodes.
pub(crate) mod read {
    use crate::command::Word;
    use crate::release_step::{EnvVar, Problem};
    use crate::yaml::{Node, Value};

    /// A string field; problems are recorded when it is not a scalar.
    pub fn string_field(
        node: &Node,
        key: &str,
        what: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<String> {
        let v = node.get(key)?;
        match &v.value {
            Value::Scalar(..) => v.as_str().map(str::to_owned),
            _ => {
                problems.push(Problem {
                    message: format!(
                        "`{key}` of {what} must be a string, found {}",
                        v.type_name()
                    ),
                    at: v.span.start,
                });
                None
            }
        }
    }

    /// A command string field as a word located in the document.
    pub fn command_field(
        node: &Node,
        key: &str,
        what: &str,
        doc: &str,
        problems: &mut Vec<Problem>,
    ) -> Option<Word> {
        let v = node.get(key)?;
        match &v.value {
            Value::Scalar(..) => v.to_word(doc).filter(|w| !w.text.trim().is_empty()),
            _ => {
                problems.push(Problem {
                    message: format!(
                        "`{key}` of {what} must be a string, found {}",
                        v.type_name()
                    ),
                    at: v.span.start,
                });
                None
            }
        }
    }

    /// True for a mapping; anything else in a list of objects is a problem.
    pub fn is_object(node: &Node, what: &str, problems: &mut Vec<Problem>) -> bool {
        if node.as_map().is_some() {
            return true;
        }
        problems.push(Problem {
            message: format!("{what} must be a mapping, found {}", node.type_name()),
            at: node.span.start,
        });
        false
    }

    /// A list field; a non-list value is a problem, a missing or null one is empty.
    pub fn list_field<'a>(
        node: &'a Node,
        key: &str,
        what: &str,
        problems: &mut Vec<Problem>,
    ) -> &'a [Node] {
        match node.get(key) {
            None => &[],
            Some(v) if v.is_null() => &[],
            Some(v) => match v.as_seq() {
                Some(items) => items,
                None => {
                    problems.push(Problem {
                        message: format!(
                            "`{key}` of {what} must be a list, found {}",
                            v.type_name()
                        ),
                        at: v.span.start,
                    });
                    &[]
                }
            },
        }
    }

    /// `name`/`value` (Kubernetes) or `key`/`value` (DigitalOcean) pairs with
    /// literal values; secrets and references are skipped.
    pub fn env_list(items: &[Node], name_key: &str) -> Vec<EnvVar> {
        items
            .iter()
            .filter(|e| e.get("type").and_then(Node::as_str) != Some("SECRET"))
            .filter_map(|e| {
                Some(EnvVar {
                    name: e.get(name_key)?.as_str()?.to_owned(),
                    value: e.get("value")?.as_str()?.to_owned(),
                })
            })
            .collect()
    }
}

/// Test helpers shared by the format modules.
#[cfg(test)]
pub(crate) mod testing {
    use crate::config::Config;
    use crate::lint::{LintReport, Linter};
    use crate::source::Format;

    /// Lints `text` as a file at `path` (whose name gives the format hint).
    pub fn lint(path: &str, text: &str) -> LintReport {
        let kind = super::files::kind_for_explicit(std::path::Path::new(path));
        Linter::new(Config::default())
            .expect("config")
            .lint_text(text, path, kind)
    }

    /// The same text found by a walk under a name that gives no hint.
    pub fn detect(text: &str) -> Option<Format> {
        let roots = crate::yaml::parse_document(text).expect("yaml");
        roots.iter().find_map(|r| super::detect(r, None))
    }

    /// `line:col rule` of each active finding.
    pub fn found(report: &LintReport) -> Vec<String> {
        report
            .active()
            .map(|f| format!("{}:{} {}", f.line, f.column, f.rule.id))
            .collect()
    }
}
