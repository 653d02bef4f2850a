//! Spec drift: the release steps of the live spec (what deploys) compared
//! with the repository's spec (what was reviewed). In the incident the
//! repository said `upgrade head` and only the live spec said `stamp head`.

use crate::command::CommandText;
use crate::release_step::Extracted;
use crate::source;
use crate::yaml;
use std::collections::BTreeMap;

/// One release step whose command differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDiff {
    /// ``PRE_DEPLOY job `release-migrate` ``.
    pub object: String,
    /// The command in the repository's spec (`None`: the step is not there).
    pub repo: Option<String>,
    /// The command in the live spec (`None`: the step is not there).
    pub live: Option<String>,
}

impl StepDiff {
    pub fn describe(&self) -> String {
        match (&self.repo, &self.live) {
            (Some(r), Some(l)) => format!(
                "{}: the repository runs `{r}`, the live spec runs `{l}`",
                self.object
            ),
            (Some(r), None) => format!(
                "{}: in the repository (`{r}`) but not in the live spec",
                self.object
            ),
            (None, Some(l)) => format!(
                "{}: in the live spec (`{l}`) but not in the repository",
                self.object
            ),
            (None, None) => self.object.clone(),
        }
    }
}

/// A spec that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{which} spec")]
pub struct SpecError {
    /// `repository` or `live`.
    pub which: &'static str,
    #[source]
    pub source: yaml::YamlError,
}

fn steps(text: &str) -> Result<BTreeMap<String, (String, Option<String>)>, yaml::YamlError> {
    let mut out = BTreeMap::new();
    for root in yaml::parse_document(text)? {
        let extracted: Extracted = source::digitalocean::extract(&root, text, true);
        for s in extracted.steps {
            // Keys without the app name, so a renamed app still compares.
            let key = s
                .object_key
                .split_once('/')
                .map_or(s.object_key.clone(), |(_, k)| k.to_string());
            let command = s.command.as_ref().map(|c| match c {
                CommandText::Shell(w) | CommandText::Script { text: w, .. } => {
                    w.text.split_whitespace().collect::<Vec<_>>().join(" ")
                }
                CommandText::Argv(ws) => ws
                    .iter()
                    .map(|w| w.text.as_str())
                    .collect::<Vec<_>>()
                    .join(" "),
            });
            out.insert(key, (s.object, command));
        }
    }
    Ok(out)
}

/// Release steps whose commands differ between the two specs (YAML or JSON text).
pub fn compare(repo_spec: &str, live_spec: &str) -> Result<Vec<StepDiff>, SpecError> {
    let spec = |which| move |source| SpecError { which, source };
    let repo = steps(repo_spec).map_err(spec("repository"))?;
    let live = steps(live_spec).map_err(spec("live"))?;
    let mut out = Vec::new();
    for (key, (object, cmd)) in &repo {
        match live.get(key) {
            Some((_, lcmd)) if lcmd == cmd => {}
            Some((lobject, lcmd)) => out.push(StepDiff {
                object: lobject.clone(),
                repo: cmd.clone(),
                live: lcmd.clone(),
            }),
            None => out.push(StepDiff {
                object: object.clone(),
                repo: cmd.clone(),
                live: None,
            }),
        }
    }
    for (key, (object, cmd)) in &live {
        if !repo.contains_key(key) {
            out.push(StepDiff {
                object: object.clone(),
                repo: None,
                live: cmd.clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_incident_is_spec_drift() {
        let repo = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/incident/.do/app.yaml"
        ))
        .unwrap();
        let live = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/examples/incident/live-app-spec.json"
        ))
        .unwrap();
        let diffs = compare(&repo, &live).unwrap();
        assert_eq!(diffs.len(), 1, "{diffs:?}");
        assert_eq!(
            diffs[0].repo.as_deref(),
            Some("python -m alembic -c alembic.ini upgrade head")
        );
        assert_eq!(
            diffs[0].live.as_deref(),
            Some("python -m alembic -c alembic.ini stamp head")
        );
        assert!(diffs[0].object.contains("release-migrate"));
        assert!(compare(&repo, &repo).unwrap().is_empty());
    }
}
