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
    if hinted && root.get("services").is_some() {
        return true; // its shape is checked, and reported, by `extract`
    }
    let Some(services) = root.get("services").and_then(Node::as_map) else {
        return false;
    };
    !services.is_empty()
        && root.get("jobs").is_none()
        && services
            .iter()
            .all(|(_, s)| s.as_map().is_some() || s.is_null())
        && services
            .iter()
            .any(|(_, s)| SERVICE_KEYS.iter().any(|k| s.get(k).is_some()))
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
            failure_ignored: None,
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
        (None, Some(c))
            if matches!(c.value, Value::Scalar(..)) && image_tool(service).is_none() =>
        {
            c.to_word(doc)
                .filter(|w| !w.text.trim().is_empty())
                .map(CommandText::Shell)
        }
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
            if e.is_none()
                && let Some((tool, image)) = image_tool(service)
            {
                let at = image.span.start;
                let mut w = Word::literal(tool, at);
                w.span = at..at + image.as_str().map_or(0, str::len);
                argv.insert(0, w);
            }
            (!argv.is_empty()).then_some(CommandText::Argv(argv))
        }
    }
}

/// The migration tool the service's image runs as its entrypoint.
fn image_tool(service: &Node) -> Option<(&'static str, &Node)> {
    let image = service.get("image")?;
    Some((super::kubernetes::image_tool(image.as_str()?)?, image))
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

#[cfg(test)]
mod tests {
    use crate::release_step::Phase;
    use crate::source::Format;
    use crate::source::testing::{detect, found, lint};

    const COMPOSE: &str = "compose.yaml";

    #[test]
    fn recognised_by_a_mapping_of_services() {
        assert_eq!(
            detect("services:\n  web:\n    image: app\n    command: gunicorn app\n"),
            Some(Format::Compose)
        );
        // Render's services are a list; GitLab's global services are images.
        assert_ne!(
            detect("services:\n  - type: web\n    name: x\n"),
            Some(Format::Compose)
        );
        assert_eq!(detect("services:\n  postgres: latest\n"), None);
    }

    #[test]
    fn phases_follow_how_the_service_is_started() {
        let compose = r#"
x-app: &app
  image: shop
services:
  web:
    <<: *app
    command: sh -c "alembic upgrade head && exec gunicorn app"
  migrate:
    <<: *app
    entrypoint: ["alembic"]
    command: ["stamp", "head"]
  worker:
    <<: *app
    depends_on:
      migrate:
        condition: service_completed_successfully
  tools:
    <<: *app
    profiles: [ops]
    command: ["php", "artisan", "migrate:fresh", "--force"]
  flyway:
    image: flyway/flyway:10
    command: -baselineOnMigrate=true migrate
"#;
        let r = lint(COMPOSE, compose);
        let phases: Vec<(String, Option<Phase>)> = r
            .active()
            .map(|f| (format!("{}:{} {}", f.line, f.column, f.rule.id), f.phase))
            .collect();
        assert_eq!(
            phases,
            [
                (
                    "7:21 release/migrate-on-start".to_owned(),
                    Some(Phase::Startup)
                ),
                ("10:19 alembic/stamp".to_owned(), Some(Phase::PreDeploy)),
                ("20:16 laravel/destructive".to_owned(), Some(Phase::Job)),
                // The image's entrypoint is Flyway: `command` is its arguments.
                ("22:12 flyway/baseline".to_owned(), Some(Phase::Startup)),
                (
                    "22:12 release/migrate-on-start".to_owned(),
                    Some(Phase::Startup)
                ),
            ],
            "{:?}",
            found(&r)
        );
    }

    #[test]
    fn bad_inputs() {
        let cases: &[(&str, &str)] = &[
            (
                "services:\n  - command: alembic upgrade head\n",
                "`services` of the Compose file must be a mapping",
            ),
            (
                "services:\n  web: 3\n  migrate:\n    command: x\n",
                "service `web` must be a mapping",
            ),
            (
                "services:\n  web:\n    command: {cmd: migrate}\n",
                "`command` of service `web` must be a string or a list",
            ),
            (
                "services:\n  web:\n    entrypoint: [sh, [c]]\n",
                "`entrypoint` of service `web` must be a string or a list of strings",
            ),
        ];
        for (text, want) in cases {
            let r = lint(COMPOSE, text);
            assert!(
                r.errors.iter().any(|e| e.message.contains(want)),
                "{text:?}: {:?}",
                r.errors
            );
        }
        for text in [
            "services:\n",
            "services:\n  db:\n",
            "services:\n  web:\n    command: ''\n",
        ] {
            let r = lint(COMPOSE, text);
            assert!(r.findings.is_empty() && r.errors.is_empty(), "{text:?}");
        }
    }
}
