//! Railway config-as-code: `railway.json` / `railway.toml` with
//! `deploy.preDeployCommand` (a string or a list of commands) and
//! `deploy.startCommand`. Code overrides the dashboard for each deployment.

use super::read;
use crate::command::CommandText;
use crate::release_step::{Extracted, Phase, Problem, ReleaseStep};
use crate::yaml::{Node, Value};
use serde::Deserialize;
use toml::Spanned;

pub fn detect(root: &Node) -> bool {
    let schema = root.get("$schema").and_then(Node::as_str).unwrap_or("");
    schema.contains("railway")
        || root
            .get("deploy")
            .is_some_and(|d| d.get("preDeployCommand").is_some() || d.get("startCommand").is_some())
}

/// `railway.json` (read through the YAML parser, a superset of JSON).
pub fn extract_json(root: &Node, doc: &str) -> Extracted {
    let mut out = Extracted::default();
    let Some(deploy) = root.get("deploy") else {
        return out;
    };
    if let Some(pre) = deploy.get("preDeployCommand") {
        let items: Vec<&Node> = match &pre.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Scalar(..) => vec![pre],
            Value::Map(_) => {
                out.problems.push(Problem {
                    message: "`deploy.preDeployCommand` must be a string or a list of strings, found a mapping".into(),
                    at: pre.span.start,
                });
                Vec::new()
            }
        };
        for item in items {
            match item.to_word(doc) {
                Some(w) if !w.text.trim().is_empty() => {
                    out.steps
                        .push(step(Phase::PreDeploy, "`deploy.preDeployCommand`", w))
                }
                Some(_) | None => {}
            }
        }
    }
    if let Some(w) = read::command_field(deploy, "startCommand", "`deploy`", doc, &mut out.problems)
    {
        out.steps
            .push(step(Phase::Startup, "`deploy.startCommand`", w));
    }
    out
}

fn step(phase: Phase, object: &str, word: crate::command::Word) -> ReleaseStep {
    ReleaseStep {
        phase,
        object: object.to_owned(),
        object_key: format!("railway/{}", object.trim_matches('`')),
        at: word.span.start,
        command: Some(CommandText::Shell(word)),
        env: Vec::new(),
        directives: Vec::new(),
        app: None,
        failure_ignored: None,
    }
}

#[derive(Deserialize)]
struct RailwayToml {
    deploy: Option<TomlDeploy>,
}

#[derive(Deserialize)]
struct TomlDeploy {
    /// A string or a list of strings; kept as a value because untagged enums
    /// lose spans.
    #[serde(rename = "preDeployCommand")]
    pre_deploy_command: Option<Spanned<toml::Value>>,
    #[serde(rename = "startCommand")]
    start_command: Option<Spanned<String>>,
}

/// `railway.toml`.
pub fn extract_toml(text: &str) -> Result<Extracted, super::files::TomlError> {
    let cfg: RailwayToml = toml::from_str(text).map_err(super::files::TomlError::from)?;
    let mut out = Extracted::default();
    let Some(deploy) = cfg.deploy else {
        return Ok(out);
    };
    if let Some(pre) = deploy.pre_deploy_command {
        let span = pre.span();
        let commands: Vec<String> = match pre.into_inner() {
            toml::Value::String(s) => vec![s],
            toml::Value::Array(items) => {
                let mut commands = Vec::new();
                for item in items {
                    match item {
                        toml::Value::String(s) => commands.push(s),
                        other => {
                            return Err(super::files::TomlError {
                                message: format!(
                                    "`deploy.preDeployCommand` must hold strings, found {}",
                                    other.type_str()
                                ),
                                span: Some(span),
                            });
                        }
                    }
                }
                commands
            }
            other => {
                return Err(super::files::TomlError {
                    message: format!(
                        "`deploy.preDeployCommand` must be a string or a list of strings, found {}",
                        other.type_str()
                    ),
                    span: Some(span),
                });
            }
        };
        // Locate each command inside the value's span, in order.
        let mut cursor = span.start;
        for cmd in commands {
            let region = text.get(cursor..span.end).unwrap_or("");
            let item_span = match region.find(cmd.as_str()) {
                Some(i) => cursor + i..cursor + i + cmd.len(),
                None => cursor..span.end,
            };
            cursor = item_span.end.min(span.end);
            super::fly::push(
                &mut out,
                text,
                Phase::PreDeploy,
                "`deploy.preDeployCommand`".into(),
                "railway/deploy.preDeployCommand".into(),
                Spanned::new(item_span, cmd),
            );
        }
    }
    if let Some(cmd) = deploy.start_command {
        super::fly::push(
            &mut out,
            text,
            Phase::Startup,
            "`deploy.startCommand`".into(),
            "railway/deploy.startCommand".into(),
            cmd,
        );
    }
    Ok(out)
}
