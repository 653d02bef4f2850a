//! GitLab CI pipelines (`.gitlab-ci.yml` and the files it includes): the
//! `before_script`, `script` and `after_script` lines of jobs that deploy.
//!
//! A job deploys when it has an `environment`, or its stage or name says so.
//! `extends` and `!reference [.template, script]` are resolved within the
//! file. GitLab runs each line with `set -eo pipefail` and stops at the first
//! failing one.

use super::ci;
use crate::command::CommandText;
use crate::release_step::{Extracted, Phase, Problem, ReleaseStep};
use crate::yaml::{Node, Value};

/// Top-level keys that are not jobs.
const RESERVED: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
];

/// Keys only GitLab jobs have, besides `script`.
const JOB_KEYS: &[&str] = &[
    "stage",
    "image",
    "rules",
    "only",
    "except",
    "environment",
    "needs",
    "tags",
    "artifacts",
    "when",
    "extends",
    "dependencies",
    "allow_failure",
    "resource_group",
    "interruptible",
    "before_script",
    "after_script",
    "trigger",
];

const SCRIPT_KEYS: &[&str] = &["before_script", "script", "after_script"];

fn job_like(v: &Node) -> bool {
    v.get("script").is_some() && JOB_KEYS.iter().any(|k| v.get(k).is_some())
}

/// A pipeline: `stages` and jobs, or jobs with `script` and GitLab's job keys.
pub fn detect(root: &Node) -> bool {
    let Some(entries) = root.as_map() else {
        return false;
    };
    let jobs: Vec<&Node> = entries
        .iter()
        .filter(|(k, _)| k.as_str().is_some_and(|k| !RESERVED.contains(&k)))
        .map(|(_, v)| v)
        .filter(|v| v.get("script").is_some())
        .collect();
    if root.get("stages").and_then(Node::as_seq).is_some() {
        return !jobs.is_empty() || root.get("include").is_some();
    }
    !jobs.is_empty() && jobs.iter().all(|j| job_like(j))
}

pub fn extract(root: &Node, doc: &str) -> Extracted {
    let mut out = Extracted::default();
    let Some(entries) = root.as_map() else {
        return out;
    };
    let pipeline = Pipeline { root };
    let global_vars = ci::variables(root.get("variables"));
    for (key, job) in entries {
        let Some(name) = key.as_str() else { continue };
        if RESERVED.contains(&name) || name.starts_with('.') || job.as_map().is_none() {
            continue;
        }
        let has_script = SCRIPT_KEYS
            .iter()
            .any(|k| pipeline.lookup(job, k, 0).is_some());
        if !has_script {
            continue; // a trigger job, or a script from another file
        }
        let Some(reason) = deploys(&pipeline, name, job) else {
            out.skipped.push(Problem {
                message: format!(
                    "job `{name}` does not deploy (no `environment`, not in a deploy stage): not linted"
                ),
                at: key.span.start,
            });
            continue;
        };
        let mut env = global_vars.clone();
        env.extend(ci::variables(pipeline.lookup(job, "variables", 0)));
        // `allow_failure: true`: the pipeline goes on to deploy when the job
        // fails (`exit_codes:` allows only those codes, not any failure).
        let failure_ignored = pipeline
            .lookup(job, "allow_failure", 0)
            .filter(|n| n.as_str() == Some("true"))
            .map(|_| {
                "the job has `allow_failure`, so the pipeline goes on when it fails".to_string()
            });
        for script_key in SCRIPT_KEYS {
            let node = pipeline.lookup(job, script_key, 0).or_else(|| {
                (*script_key != "script")
                    .then(|| {
                        root.path(&["default", script_key])
                            .or_else(|| root.get(script_key))
                    })
                    .flatten()
            });
            let Some(node) = node else { continue };
            let mut lines = Vec::new();
            pipeline.script_lines(node, script_key, &mut lines, &mut out.problems, 0);
            for (i, line) in lines.into_iter().enumerate() {
                let Some(word) = line.to_word(doc) else {
                    continue;
                };
                if word.text.trim().is_empty() {
                    continue;
                }
                out.steps.push(ReleaseStep {
                    phase: Phase::CiDeploy,
                    object: format!("GitLab job `{name}` ({reason}), `{script_key}`"),
                    object_key: format!("gitlab/{name}/{script_key}/{}", i + 1),
                    at: word.span.start,
                    command: Some(CommandText::Script {
                        text: word,
                        errexit: true,
                        pipefail: true,
                    }),
                    env: env.clone(),
                    directives: Vec::new(),
                    app: None,
                    // `after_script` runs whatever happened; its failures
                    // are ignored anyway, so it is not that job's status.
                    failure_ignored: failure_ignored
                        .clone()
                        .filter(|_| *script_key != "after_script"),
                });
            }
        }
    }
    out
}

struct Pipeline<'a> {
    root: &'a Node,
}

const MAX_EXTENDS: usize = 11; // GitLab's own limit is 11 levels

impl<'a> Pipeline<'a> {
    /// `key` of a job, following `extends` (later templates win, the job's own
    /// value wins over all).
    fn lookup(&self, job: &'a Node, key: &str, depth: usize) -> Option<&'a Node> {
        if let Some(v) = job.get(key) {
            return Some(v);
        }
        if depth >= MAX_EXTENDS {
            return None;
        }
        let extends: Vec<&str> = match job.get("extends") {
            Some(e) => match &e.value {
                Value::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
                _ => e.as_str().into_iter().collect(),
            },
            None => Vec::new(),
        };
        extends
            .iter()
            .rev()
            .filter_map(|t| self.root.get(t))
            .find_map(|t| self.lookup(t, key, depth + 1))
    }

    /// The lines of a script: a string, or a list of strings and nested lists
    /// (`!reference [.template, script]` tags are read as their target).
    fn script_lines(
        &self,
        node: &'a Node,
        key: &str,
        out: &mut Vec<&'a Node>,
        problems: &mut Vec<Problem>,
        depth: usize,
    ) {
        if depth > MAX_EXTENDS {
            return;
        }
        match &node.value {
            Value::Scalar(..) => out.push(node),
            Value::Seq(items) => {
                if let Some(target) = self.reference(items) {
                    self.script_lines(target, key, out, problems, depth + 1);
                    return;
                }
                for item in items {
                    self.script_lines(item, key, out, problems, depth + 1);
                }
            }
            Value::Map(_) => problems.push(Problem {
                message: format!("`{key}` must be a string or a list of strings, found a mapping"),
                at: node.span.start,
            }),
        }
    }

    /// `!reference [.setup, script]`: the tag is not kept by the parser, but
    /// the shape is unmistakable (a hidden job's name, then keys).
    fn reference(&self, items: &[Node]) -> Option<&'a Node> {
        let names: Vec<&str> = items.iter().map(Node::as_str).collect::<Option<_>>()?;
        let (first, keys) = names.split_first()?;
        if !first.starts_with('.') || keys.is_empty() {
            return None;
        }
        let target = self.root.get(first)?;
        target.path(keys)
    }
}

fn deploys(pipeline: &Pipeline<'_>, name: &str, job: &Node) -> Option<String> {
    if let Some(env) = pipeline
        .lookup(job, "environment", 0)
        .and_then(ci::environment_name)
    {
        return Some(format!("deploys to `{env}`"));
    }
    if let Some(stage) = pipeline.lookup(job, "stage", 0).and_then(Node::as_str)
        && ci::says_deploy(stage)
    {
        return Some(format!("stage `{stage}`"));
    }
    if ci::says_deploy(name) {
        return Some("a deploy job".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use crate::source::Format;
    use crate::source::testing::{detect, found, lint};

    const CI: &str = ".gitlab-ci.yml";

    #[test]
    fn recognised_by_stages_or_job_keys() {
        assert_eq!(
            detect(
                "stages: [test, deploy]\nmigrate:\n  stage: deploy\n  script: [alembic upgrade head]\n"
            ),
            Some(Format::GitlabCi)
        );
        assert_eq!(
            detect("migrate:\n  image: python:3.12\n  script: alembic upgrade head\n"),
            Some(Format::GitlabCi)
        );
        // A mapping whose entries merely have `script` is not a pipeline.
        assert_eq!(detect("build:\n  script: make\n"), None);
    }

    #[test]
    fn deploy_jobs_with_templates_references_and_defaults() {
        let ci = "\
default:
  before_script:
    - alembic current
.migrate:
  script:
    - alembic upgrade head || true
.setup:
  before_script:
    - python manage.py migrate --fake
test:
  stage: test
  script: [alembic stamp head]
deploy:
  stage: deploy
  extends: .migrate
deploy-eu:
  environment: { name: eu }
  extends: .migrate
  before_script:
    - !reference [.setup, before_script]
";
        let r = lint(CI, ci);
        // The template's line is reported once although two jobs extend it;
        // the test job is not linted.
        assert_eq!(found(&r), ["6:7 release/masked-failure", "9:7 django/fake"]);
        assert!(
            r.skipped
                .iter()
                .any(|s| s.message.contains("job `test` does not deploy"))
        );
    }

    #[test]
    fn every_line_runs_under_errexit_and_pipefail() {
        let ci = "deploy:\n  stage: deploy\n  script:\n    - alembic upgrade head | tee log\n    - alembic current\n";
        assert_eq!(found(&lint(CI, ci)), Vec::<String>::new());
        let ci = "deploy:\n  stage: deploy\n  script: |\n    set +e\n    alembic upgrade head\n    echo ok\n";
        assert_eq!(found(&lint(CI, ci)), ["5:5 release/masked-failure"]);
        // `allow_failure`: the pipeline goes on to deploy when the job fails.
        let ci = "migrate:\n  stage: deploy\n  allow_failure: true\n  script:\n    - alembic upgrade head\n";
        assert_eq!(found(&lint(CI, ci)), ["5:7 release/masked-failure"]);
        let ci = "migrate:\n  stage: deploy\n  allow_failure:\n    exit_codes: [3]\n  script:\n    - alembic upgrade head\n";
        assert_eq!(
            found(&lint(CI, ci)),
            Vec::<String>::new(),
            "only exit code 3 may fail"
        );
        let ci = "migrate:\n  stage: deploy\n  allow_failure: false\n  script:\n    - alembic upgrade head\n";
        assert_eq!(found(&lint(CI, ci)), Vec::<String>::new());
    }

    #[test]
    fn bad_inputs() {
        let r = lint(
            CI,
            "deploy:\n  stage: deploy\n  script:\n    run: alembic upgrade head\n",
        );
        assert!(
            r.errors
                .iter()
                .any(|e| e.message.contains("`script` must be a string or a list")),
            "{:?}",
            r.errors
        );
        // Cycles and dangling extends end quietly.
        for text in [
            "a:\n  stage: deploy\n  extends: .a\n.a:\n  extends: a\n",
            "a:\n  stage: deploy\n  extends: [.missing]\n  script: [x]\n",
            "stages: [deploy]\ninclude: [{local: ci/a.yml}]\n",
            "deploy:\n  stage: deploy\n  script: [[[alembic upgrade head]]]\n",
        ] {
            let r = lint(CI, text);
            assert!(
                r.findings.is_empty() && r.errors.is_empty(),
                "{text:?}: {:?}",
                r.errors
            );
        }
    }
}
