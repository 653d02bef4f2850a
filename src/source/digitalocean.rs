//! DigitalOcean App Platform specs: `.do/app.yaml`, `.do/deploy.template.yaml`
//! (the spec under `spec:`), `doctl apps spec get` output (YAML or JSON), and
//! Apps API responses (`{"app": {"spec": …}}`, `{"apps": […]}`).
//!
//! Jobs carry the phase in `kind` (`PRE_DEPLOY`, `POST_DEPLOY`,
//! `FAILED_DEPLOY`, `SCHEDULED`; `UNSPECIFIED` completes to `POST_DEPLOY`);
//! services and workers may migrate in their `run_command`.

use super::read;
use crate::release_step::{App, Extracted, Phase, Problem, ReleaseStep};
use crate::yaml::Node;

const COMPONENT_KEYS: &[&str] = &["services", "workers", "jobs", "static_sites", "functions"];

/// Top-level keys of other formats that an App Platform spec never has: GitLab
/// CI (`stages`, `variables`, `image`, `include`, `default`, `workflow`),
/// Compose (`version`, `volumes`, `networks`, `configs`, `secrets`), workflows (`on`).
const FOREIGN_KEYS: &[&str] = &[
    "stages",
    "variables",
    "image",
    "include",
    "default",
    "workflow",
    "version",
    "volumes",
    "networks",
    "configs",
    "secrets",
    "on",
    "true",
    "steps",
];

/// `loose` when the file's path says it is an app spec (`.do/app.yaml`): any
/// component key is enough, and wrong shapes are reported. Otherwise the
/// document must look like one: components are lists of named objects.
fn is_app_spec(node: &Node, loose: bool) -> bool {
    if node.as_map().is_none() || node.get("apiVersion").is_some() {
        return false;
    }
    if loose {
        return COMPONENT_KEYS.iter().any(|k| node.get(k).is_some())
            || (node.get("databases").is_some()
                && (node.get("name").is_some() || node.get("region").is_some()));
    }
    if FOREIGN_KEYS.iter().any(|k| node.get(k).is_some())
        || node.as_map().is_some_and(|m| {
            m.iter()
                .any(|(k, _)| k.as_str().is_some_and(|k| k.starts_with("x-")))
        })
    {
        return false;
    }
    let components: Vec<&Node> = COMPONENT_KEYS.iter().filter_map(|k| node.get(k)).collect();
    let lists_of_objects = components.iter().all(|v| {
        v.is_null()
            || v.as_seq()
                .is_some_and(|items| items.iter().all(|i| i.as_map().is_some()))
    });
    let named = |v: &&Node| {
        v.as_seq()
            .is_some_and(|items| items.iter().any(|i| i.get("name").is_some()))
    };
    let databases = node.get("databases").is_some_and(|d| named(&d))
        && (node.get("name").is_some() || node.get("region").is_some());
    lists_of_objects && (components.iter().any(named) || (components.is_empty() && databases))
}

/// The app specs in a document, with the app's name when the document is an
/// API response.
fn app_specs(root: &Node, loose: bool) -> Vec<&Node> {
    let is_spec = |n: &Node| is_app_spec(n, loose);
    if is_spec(root) {
        return vec![root];
    }
    if let Some(spec) = root.get("spec").filter(|s| is_spec(s)) {
        return vec![spec];
    }
    if let Some(spec) = root.path(&["app", "spec"]).filter(|s| is_spec(s)) {
        return vec![spec];
    }
    if let Some(apps) = root.get("apps").and_then(Node::as_seq) {
        return apps
            .iter()
            .filter_map(|a| a.get("spec"))
            .filter(|s| is_spec(s))
            .collect();
    }
    Vec::new()
}

/// An App Platform spec (see [`is_app_spec`] for `loose`).
pub fn detect(root: &Node, loose: bool) -> bool {
    !app_specs(root, loose).is_empty()
}

pub fn extract(root: &Node, doc: &str, loose: bool) -> Extracted {
    let mut out = Extracted::default();
    for spec in app_specs(root, loose) {
        extract_app(spec, doc, &mut out);
    }
    out
}

/// The phase of a job `kind`.
pub fn job_phase(kind: &str) -> Option<Phase> {
    Some(match kind {
        "PRE_DEPLOY" => Phase::PreDeploy,
        // UNSPECIFIED "will auto-complete to POST_DEPLOY kind" (App Platform API).
        "POST_DEPLOY" | "UNSPECIFIED" | "" => Phase::PostDeploy,
        "FAILED_DEPLOY" => Phase::FailedDeploy,
        "SCHEDULED" => Phase::Scheduled,
        _ => return None,
    })
}

fn extract_app(spec: &Node, doc: &str, out: &mut Extracted) {
    let problems = &mut out.problems;
    let app_name =
        read::string_field(spec, "name", "the app", problems).unwrap_or_else(|| "app".into());
    let app_index = out.apps.len();
    let app_env = read::env_list(read::list_field(spec, "envs", "the app", problems), "key");

    let databases = read::list_field(spec, "databases", "the app", problems);
    let sql_database = databases.iter().find(|db| {
        // Redis, Kafka, MongoDB and OpenSearch have no migration ledger.
        matches!(
            db.get("engine").and_then(Node::as_str).unwrap_or("PG"),
            "PG" | "MYSQL" | "UNSET" | ""
        )
    });
    out.apps.push(App {
        name: app_name.clone(),
        has_database: sql_database.is_some(),
        database_at: spec
            .entry("databases")
            .map_or(spec.span.start, |(k, _)| k.span.start),
    });

    for job in read::list_field(spec, "jobs", "the app", problems) {
        if !read::is_object(job, "a job", problems) {
            continue;
        }
        let problems_before = problems.len();
        let name = read::string_field(job, "name", "a job", problems)
            .unwrap_or_else(|| "(unnamed)".into());
        let what = format!("job `{name}`");
        let kind = read::string_field(job, "kind", &what, problems)
            .unwrap_or_else(|| "UNSPECIFIED".into());
        let Some(phase) = job_phase(&kind) else {
            problems.push(Problem {
                message: format!(
                    "`kind` of {what} is `{kind}`; App Platform knows PRE_DEPLOY, POST_DEPLOY, FAILED_DEPLOY, SCHEDULED and UNSPECIFIED"
                ),
                at: job.get("kind").map_or(job.span.start, |k| k.span.start),
            });
            continue;
        };
        let command = read::command_field(job, "run_command", &what, doc, problems);
        if command.is_none() && problems.len() > problems_before {
            continue; // the job is malformed; its problems are reported instead
        }
        let mut env = app_env.clone();
        env.extend(read::env_list(
            read::list_field(job, "envs", &what, problems),
            "key",
        ));
        out.steps.push(ReleaseStep {
            phase,
            object: format!(
                "{} job `{name}`",
                if kind.is_empty() {
                    "UNSPECIFIED"
                } else {
                    &kind
                }
            ),
            object_key: format!("{app_name}/jobs/{name}"),
            at: job.get("name").map_or(job.span.start, |n| n.span.start),
            command: command.map(crate::command::CommandText::Shell),
            env,
            directives: Vec::new(),
            app: Some(app_index),
            failure_ignored: None,
        });
    }

    for (key, label) in [("services", "service"), ("workers", "worker")] {
        for component in read::list_field(spec, key, "the app", problems) {
            if !read::is_object(component, &format!("a {label}"), problems) {
                continue;
            }
            let name = read::string_field(component, "name", &format!("a {label}"), problems)
                .unwrap_or_else(|| "(unnamed)".into());
            let what = format!("{label} `{name}`");
            // Without a run_command the component runs its image's default:
            // that is how services normally start, not a release step.
            let Some(command) = read::command_field(component, "run_command", &what, doc, problems)
            else {
                continue;
            };
            let mut env = app_env.clone();
            env.extend(read::env_list(
                read::list_field(component, "envs", &what, problems),
                "key",
            ));
            out.steps.push(ReleaseStep {
                phase: Phase::Startup,
                object: what,
                object_key: format!("{app_name}/{key}/{name}"),
                at: command.span.start,
                command: Some(crate::command::CommandText::Shell(command)),
                env,
                directives: Vec::new(),
                app: Some(app_index),
                failure_ignored: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::source::Format;
    use crate::source::testing::{detect, lint};

    #[test]
    fn found_files_must_look_like_an_app_spec() {
        let spec = "name: shop\nregion: ams\njobs:\n  - name: migrate\n    kind: PRE_DEPLOY\n    run_command: alembic upgrade head\n";
        assert_eq!(detect(spec), Some(Format::DigitalOcean));
        // Shared key names are not enough: i18n files, GitLab's global services.
        assert_eq!(detect("jobs:\n  title: Jobs\nservices: Services\n"), None);
        assert_ne!(
            detect("image: python\nservices:\n  - name: postgres:16\nmigrate:\n  script: [x]\n"),
            Some(Format::DigitalOcean)
        );
    }

    #[test]
    fn a_spec_by_its_path_reports_wrong_shapes() {
        let r = lint(
            ".do/app.yaml",
            "name: x\njobs:\n  name: migrate\n  run_command: alembic stamp head\n",
        );
        assert!(
            r.errors
                .iter()
                .any(|e| e.message.contains("`jobs` of the app must be a list")),
            "{:?}",
            r.errors
        );
    }
}
