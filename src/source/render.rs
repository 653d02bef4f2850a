//! Render Blueprints (`render.yaml`): services with `preDeployCommand` (runs
//! before each deploy; a failure cancels it) and `startCommand`; cron jobs;
//! `databases` declare Render Postgres instances.

use super::read;
use crate::command::CommandText;
use crate::release_step::{App, Extracted, Phase, ReleaseStep};
use crate::yaml::Node;

const RENDER_TYPES: &[&str] = &[
    "web", "worker", "pserv", "cron", "static", "keyvalue", "redis",
];

pub fn detect(root: &Node) -> bool {
    if root.get("envVarGroups").is_some() || root.get("previews").is_some() {
        return true;
    }
    root.get("services")
        .and_then(Node::as_seq)
        .is_some_and(|services| {
            services.iter().any(|s| {
                s.get("type")
                    .and_then(Node::as_str)
                    .is_some_and(|t| RENDER_TYPES.contains(&t))
                    && s.get("run_command").is_none()
            })
        })
}

pub fn extract(root: &Node, doc: &str) -> Extracted {
    let mut out = Extracted::default();
    let problems = &mut out.problems;
    let databases = read::list_field(root, "databases", "the Blueprint", problems);
    out.apps.push(App {
        name: "render".into(),
        has_database: !databases.is_empty(),
        database_at: root
            .entry("databases")
            .map_or(root.span.start, |(k, _)| k.span.start),
    });
    for service in read::list_field(root, "services", "the Blueprint", problems) {
        if !read::is_object(service, "a service", problems) {
            continue;
        }
        let name = read::string_field(service, "name", "a service", problems)
            .unwrap_or_else(|| "(unnamed)".into());
        let kind = read::string_field(service, "type", &format!("service `{name}`"), problems)
            .unwrap_or_default();
        let what = format!("{kind} service `{name}`");
        let env = read::env_list(read::list_field(service, "envVars", &what, problems), "key");
        let start_phase = if kind == "cron" {
            Phase::Scheduled
        } else {
            Phase::Startup
        };
        for (key, phase) in [
            ("preDeployCommand", Phase::PreDeploy),
            ("startCommand", start_phase),
            ("dockerCommand", start_phase),
        ] {
            if let Some(cmd) = read::command_field(service, key, &what, doc, problems) {
                out.steps.push(ReleaseStep {
                    phase,
                    object: format!("{what} (`{key}`)"),
                    object_key: format!("render/{name}/{key}"),
                    at: cmd.span.start,
                    command: Some(CommandText::Shell(cmd)),
                    env: env.clone(),
                    directives: Vec::new(),
                    app: Some(0),
                    failure_ignored: None,
                });
            }
        }
    }
    out
}
