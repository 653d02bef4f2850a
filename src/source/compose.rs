//! Docker Compose files (`compose.yaml`, `docker-compose*.yml`): a service's
//! `entrypoint` and `command` run at every `docker compose up`.
//!
//! A service that others wait for with `condition:
//! service_completed_successfully` is a one-shot step before them (the usual
//! `migrate` service); a service behind a `profiles` entry only runs when
//! asked for (`docker compose run migrate`); every other service migrates at
//! its start. Compose splits a string `command` into words without a shell,
//! and an image whose entrypoint is a migration tool (`flyway/flyway`)
//! receives `command` as that tool's arguments.

use super::read;
use crate::command::{self, CommandText, Word};
use crate::release_step::{EnvVar, Extracted, Phase, Problem, ReleaseStep};
use crate::yaml::{Node, Value};

/// Keys of a service that only Compose uses this way.
const SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "command",
    "entrypoint",
    "depends_on",
    "ports",
    "volumes",
    "environment",
    "restart",
    "healthcheck",
];

/// `services:` as a mapping of service names to services. Without a path
/// hint, at least one service must have a Compose key.
pub fn detect(root: &Node, hinted: bool) -> bool {
    let Some(services) = root.get("services").and_then(Node::as_map) else {
        return false;
    };
    hinted
        || (!services.is_empty()
            && root.get("jobs").is_none()
            && services
                .iter()
                .all(|(_, s)| s.as_map().is_some() || s.is_null())
            && services
                .iter()
                .any(|(_, s)| SERVICE_KEYS.iter().any(|k| s.get(k).is_some())))
}

pub fn extract(root: &Node, doc: &str) -> Extracted {
    let mut out = Extracted::default();
    let Some(services) = root.get("services") else {
        return out;
    };
    let Some(entries) = services.as_map() else {
        out.problems.push(Problem {
            message: format!(
                "`services` of the Compose file must be a mapping of service names to services, found {}",
                services.type_name()
            ),
            at: services.span.start,
        });
        return out;
    };
    let awaited = awaited_services(entries);
    for (key, service) in entries {
        let Some(name) = key.as_str() else { continue };
        if service.is_null() {
            continue;
        }
        let what = format!("service `{name}`");
        if !read::is_object(service, &what, &mut out.problems) {
            continue;
        }
        let Some(command) = service_command(service, doc, &what, &mut out.problems) else {
            continue;
        };
        let (phase, when) = if awaited.iter().any(|a| a == name) {
            (
                Phase::PreDeploy,
                " (the services that depend on it wait for it to complete)",
            )
        } else if service.get("profiles").is_some() {
            (Phase::Job, " (behind a profile: runs when started by name)")
        } else {
            (Phase::Startup, "")
        };
        let at = match &command {
            CommandText::Argv(w) => w.first().map_or(service.span.start, |w| w.span.start),
            CommandText::Shell(w) | CommandText::Script { text: w, .. } => w.span.start,
        };
        out.steps.push(ReleaseStep {
            phase,
            object: format!("Compose service `{name}`{when}"),
            object_key: format!("compose/{name}"),
            command: Some(command),
            at,
            env: environment(service.get("environment")),
            directives: Vec::new(),
            app: None,
        });
    }
    out
}

/// Services that another service waits for with
/// `condition: service_completed_successfully`.
fn awaited_services(entries: &[(Node, Node)]) -> Vec<String> {
    let mut out = Vec::new();
    for (_, service) in entries {
        if let Some(deps) = service.get("depends_on").and_then(Node::as_map) {
            for (dep, cond) in deps {
                if cond.get("condition").and_then(Node::as_str)
                    == Some("service_completed_successfully")
                    && let Some(d) = dep.as_str()
                {
                    out.push(d.to_owned());
                }
            }
        }
    }
    out
}

/// The service's command: `entrypoint` followed by `command`.
fn service_command(
    service: &Node,
    doc: &str,
    what: &str,
    problems: &mut Vec<Problem>,
) -> Option<CommandText> {
    let entrypoint = service.get("entrypoint").filter(|n| !n.is_null());
    let command = service.get("command").filter(|n| !n.is_null());
    match (entrypoint, command) {
        (None, None) => None,
        // A lone string `command` is what people write for `sh -c`-free
        // scripts; read it as a command line.
        (None, Some(c)) if matches!(c.value, Value::Scalar(..)) => c
            .to_word(doc)
            .filter(|w| !w.text.trim().is_empty())
            .map(CommandText::Shell),
        (Some(e), None) if matches!(e.value, Value::Scalar(..)) => e
            .to_word(doc)
            .filter(|w| !w.text.trim().is_empty())
            .map(CommandText::Shell),
        (e, c) => {
            let mut argv = Vec::new();
            for (key, node) in [("entrypoint", e), ("command", c)] {
                if let Some(node) = node {
                    argv.extend(words(node, key, what, doc, problems)?);
                }
            }
            if e.is_none() {
                let image = service.get("image");
                if let Some(tool) = image
                    .and_then(Node::as_str)
                    .and_then(super::kubernetes::image_tool)
                {
                    let at = image.map_or(service.span.start, |i| i.span.start);
                    let mut w = Word::literal(tool, at);
                    w.span = at..at + image.and_then(Node::as_str).map_or(0, str::len);
                    argv.insert(0, w);
                }
            }
            (!argv.is_empty()).then_some(CommandText::Argv(argv))
        }
    }
}

fn words(
    node: &Node,
    key: &str,
    what: &str,
    doc: &str,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Word>> {
    match &node.value {
        Value::Scalar(..) => Some(node.to_word(doc).map(|w| command::split_words(&w)).unwrap_or_default()),
        Value::Seq(items) => items
            .iter()
            .map(|i| match &i.value {
                Value::Scalar(text, _) => Some(crate::yaml::align_word(text, doc, i.span.clone())),
                _ => {
                    problems.push(Problem {
                        message: format!("`{key}` of {what} must be a string or a list of strings, found {} in it", i.type_name()),
                        at: i.span.start,
                    });
                    None
                }
            })
            .collect(),
        Value::Map(_) => {
            problems.push(Problem {
                message: format!("`{key}` of {what} must be a string or a list of strings, found a mapping"),
                at: node.span.start,
            });
            None
        }
    }
}

/// `environment:` as a mapping or a list of `KEY=value`.
fn environment(node: Option<&Node>) -> Vec<EnvVar> {
    let Some(node) = node else { return Vec::new() };
    match &node.value {
        Value::Map(_) => super::ci::variables(Some(node)),
        Value::Seq(items) => items
            .iter()
            .filter_map(|i| {
                let (k, v) = i.as_str()?.split_once('=')?;
                Some(EnvVar {
                    name: k.to_owned(),
                    value: v.to_owned(),
                })
            })
            .collect(),
        Value::Scalar(..) => Vec::new(),
    }
}
