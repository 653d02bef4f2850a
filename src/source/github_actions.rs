//! GitHub Actions workflows (`.github/workflows/*.yml`): the `run:` steps of
//! jobs that deploy, and the remote script of `appleboy/ssh-action`.
//!
//! A job deploys when it targets an `environment`, when its id or name (or
//! the workflow's name) says so, or when one of its steps runs a deploy
//! command or a deploy action. Other jobs (tests, builds) are not linted: a
//! test job may stamp a throwaway database on purpose. Steps run with the
//! runner's default shell, `bash -e` (`bash --noprofile --norc -eo pipefail`
//! with `shell: bash`), so a failing command stops the job.

use super::{ci, read};
use crate::command::{CommandText, Word};
use crate::release_step::{EnvVar, Extracted, Phase, Problem, ReleaseStep};
use crate::yaml::Node;

/// Actions that deploy (`uses:` prefixes, lower case).
const DEPLOY_ACTIONS: &[&str] = &[
    "superfly/flyctl-actions",
    "digitalocean/app_action",
    "akhileshns/heroku-deploy",
    "azure/webapps-deploy",
    "azure/k8s-deploy",
    "google-github-actions/deploy-",
    "aws-actions/amazon-ecs-deploy",
    "appleboy/ssh-action",
    "easingthemes/ssh-deploy",
    "johnbeynon/render-deploy-action",
    "bervproject/railway-deploy",
    "cloudflare/wrangler-action",
    "dokku/github-action",
];

/// A workflow: `on` and `jobs`, each job a mapping with `runs-on`, `steps`
/// or `uses` (a reusable workflow call).
pub fn detect(root: &Node) -> bool {
    let has_on = root.get("on").is_some() || root.get("true").is_some();
    has_on
        && root.get("jobs").and_then(Node::as_map).is_some_and(|jobs| {
            !jobs.is_empty()
                && jobs.iter().all(|(_, j)| {
                    j.get("runs-on").is_some()
                        || j.get("steps").is_some()
                        || j.get("uses").is_some()
                })
        })
}

pub fn extract(root: &Node, doc: &str) -> Extracted {
    let mut out = Extracted::default();
    let workflow = root
        .get("name")
        .and_then(Node::as_str)
        .unwrap_or("workflow")
        .to_owned();
    let Some(jobs) = root.get("jobs") else {
        return out;
    };
    let Some(jobs) = jobs.as_map() else {
        out.problems.push(Problem {
            message: format!(
                "`jobs` of the workflow must be a mapping of job ids to jobs, found {}",
                jobs.type_name()
            ),
            at: jobs.span.start,
        });
        return out;
    };
    let workflow_env = ci::variables(root.get("env"));
    let workflow_shell = root
        .path(&["defaults", "run", "shell"])
        .and_then(Node::as_str);
    for (id_node, job) in jobs {
        let id = id_node.as_str().unwrap_or("(unnamed)");
        if !read::is_object(job, &format!("job `{id}`"), &mut out.problems) {
            continue;
        }
        let steps = read::list_field(job, "steps", &format!("job `{id}`"), &mut out.problems);
        let Some(reason) = deploys(id, job, steps, &workflow, root.get("env")) else {
            out.skipped.push(Problem {
                message: format!(
                    "job `{id}` does not deploy (no `environment`, no deploy step, nothing in its name): not linted"
                ),
                at: id_node.span.start,
            });
            continue;
        };
        let mut env = workflow_env.clone();
        env.extend(ci::variables(job.get("env")));
        let job_shell = job
            .path(&["defaults", "run", "shell"])
            .and_then(Node::as_str)
            .or(workflow_shell);
        for (i, step) in steps.iter().enumerate() {
            if step.as_map().is_none() {
                continue;
            }
            let label = step
                .get("name")
                .or_else(|| step.get("id"))
                .and_then(Node::as_str)
                .map_or_else(|| format!("#{}", i + 1), str::to_owned);
            let object = format!("workflow `{workflow}`, job `{id}` ({reason}), step `{label}`");
            let object_key = format!("{workflow}/{id}/{}", i + 1);
            let mut step_env = env.clone();
            step_env.extend(ci::variables(step.get("env")));
            let what = format!("step `{label}` of job `{id}`");
            if let Some(word) = read::command_field(step, "run", &what, doc, &mut out.problems) {
                let shell = step.get("shell").and_then(Node::as_str).or(job_shell);
                let Some((errexit, pipefail)) = shell_options(shell) else {
                    out.skipped.push(Problem {
                        message: format!(
                            "{what} runs in `{}`, not a POSIX shell: not linted",
                            shell.unwrap_or("")
                        ),
                        at: step.span.start,
                    });
                    continue;
                };
                // A command chosen by a `workflow_dispatch` input runs each of
                // its options on some day: each is judged.
                for (word, chosen) in with_each_choice(&word, root) {
                    let object = match chosen {
                        Some((input, value)) => {
                            format!("{object}, with input `{input}` = `{value}`")
                        }
                        None => object.clone(),
                    };
                    let mut release_step = step_of(
                        object,
                        object_key.clone(),
                        CommandText::Script {
                            text: word,
                            errexit,
                            pipefail,
                        },
                        step_env.clone(),
                    );
                    release_step.failure_ignored = continue_on_error(step, job);
                    out.steps.push(release_step);
                }
            } else if uses(step).starts_with("appleboy/ssh-action")
                && let Some(with) = step.get("with")
                && let Some(word) =
                    read::command_field(with, "script", &what, doc, &mut out.problems)
            {
                // The script runs on the remote host, with `set -e` only
                // when `script_stop` (v0.x) is set.
                let errexit = with.get("script_stop").and_then(Node::as_str) == Some("true");
                out.steps.push(step_of(
                    format!("{object} (remote script)"),
                    object_key,
                    CommandText::Script {
                        text: word,
                        errexit,
                        pipefail: false,
                    },
                    step_env,
                ));
            }
        }
    }
    out
}

fn step_of(
    object: String,
    object_key: String,
    command: CommandText,
    env: Vec<EnvVar>,
) -> ReleaseStep {
    let at = match &command {
        CommandText::Script { text, .. } | CommandText::Shell(text) => text.span.start,
        CommandText::Argv(w) => w.first().map_or(0, |w| w.span.start),
    };
    ReleaseStep {
        phase: Phase::CiDeploy,
        object,
        object_key,
        command: Some(command),
        at,
        env,
        directives: Vec::new(),
        app: None,
        failure_ignored: None,
    }
}

/// The script once per option of the first `workflow_dispatch` choice
/// input it reads (`${{ inputs.command }}`, `${{ github.event.inputs.command }}`),
/// the expression replaced by the option; else the script as it is.
fn with_each_choice(word: &Word, root: &Node) -> Vec<(Word, Option<(String, String)>)> {
    let inputs = root
        .path(&["on", "workflow_dispatch", "inputs"])
        .and_then(Node::as_map);
    let found = inputs.and_then(|inputs| {
        inputs.iter().find_map(|(name, input)| {
            let name = name.as_str()?;
            let options: Vec<String> = input
                .get("options")
                .and_then(Node::as_seq)?
                .iter()
                .filter_map(|o| o.as_str().map(str::to_owned))
                .collect();
            let range = input_expression(&word.text, name)?;
            Some((name.to_string(), options, range))
        })
    });
    match found {
        Some((name, options, range)) if !options.is_empty() => options
            .into_iter()
            .map(|o| {
                let w = word.with_replaced(range.clone(), &o);
                (w, Some((name.clone(), o)))
            })
            .collect(),
        _ => vec![(word.clone(), None)],
    }
}

/// Where `text` reads input `name` in a `${{ … }}` expression.
fn input_expression(text: &str, name: &str) -> Option<std::ops::Range<usize>> {
    let mut from = 0;
    while let Some(i) = text[from..].find("${{") {
        let start = from + i;
        let end = start + text[start..].find("}}")? + 2;
        let inner = text[start + 3..end - 2].trim();
        if inner == format!("inputs.{name}") || inner == format!("github.event.inputs.{name}") {
            return Some(start..end);
        }
        from = end;
    }
    None
}

/// `continue-on-error: true` on the step or its job: the workflow goes on
/// (to its deploy steps) when the step fails. An expression may be true.
fn continue_on_error(step: &Node, job: &Node) -> Option<String> {
    let set = |n: &Node| {
        n.get("continue-on-error")
            .and_then(Node::as_str)
            .is_some_and(|v| v != "false")
    };
    if set(step) {
        Some("the step has `continue-on-error`, so the job goes on when it fails".into())
    } else if set(job) {
        Some("its job has `continue-on-error`, so the workflow goes on when it fails".into())
    } else {
        None
    }
}

fn uses(step: &Node) -> String {
    step.get("uses")
        .and_then(Node::as_str)
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The secret holding a database's address that a job reads (its env, the
/// workflow's, a step's env, `with:` or script), when the job has no service
/// containers of its own (a test job's database is one of those).
fn reaches_a_database(job: &Node, steps: &[Node], workflow_env: Option<&Node>) -> Option<String> {
    if job.get("services").is_some() {
        return None;
    }
    let in_map = |m: Option<&Node>| {
        m.and_then(Node::as_map).and_then(|entries| {
            entries.iter().find_map(|(k, v)| {
                ci::database_secret(k.as_str().unwrap_or(""), v.as_str().unwrap_or(""))
            })
        })
    };
    in_map(workflow_env)
        .or_else(|| in_map(job.get("env")))
        .or_else(|| {
            steps.iter().find_map(|step| {
                in_map(step.get("env"))
                    .or_else(|| in_map(step.get("with")))
                    .or_else(|| {
                        let run = step.get("run").and_then(Node::as_str)?;
                        ci::database_secret("", run)
                    })
            })
        })
}

/// Why a job counts as a deploy, or `None` when it does not.
fn deploys(
    id: &str,
    job: &Node,
    steps: &[Node],
    workflow: &str,
    workflow_env: Option<&Node>,
) -> Option<String> {
    if let Some(env) = job.get("environment").and_then(ci::environment_name) {
        return Some(format!("deploys to `{env}`"));
    }
    let name = job.get("name").and_then(Node::as_str).unwrap_or("");
    if ci::says_deploy(id) || ci::says_deploy(name) {
        return Some("a deploy job".into());
    }
    for step in steps {
        let uses = uses(step);
        if let Some(action) = DEPLOY_ACTIONS.iter().find(|a| uses.starts_with(*a)) {
            return Some(format!("uses `{}`", action.trim_end_matches('-')));
        }
        if let Some(cmd) = step
            .get("run")
            .and_then(Node::as_str)
            .and_then(ci::deploy_command)
        {
            return Some(format!("runs `{cmd}`"));
        }
    }
    // Whatever it is called: a job that reaches a real database is a
    // release step for that database.
    if let Some(secret) = reaches_a_database(job, steps, workflow_env) {
        return Some(format!("reaches the database in `{secret}`"));
    }
    if ci::says_deploy(workflow) && !ci::says_not_deploy(id) && !ci::says_not_deploy(name) {
        return Some("in a deploy workflow".into());
    }
    None
}

/// `errexit` and `pipefail` of a step's shell; `None` for shells that are not
/// POSIX (`pwsh`, `python`, `cmd`).
fn shell_options(shell: Option<&str>) -> Option<(bool, bool)> {
    let Some(shell) = shell else {
        return Some((true, false)); // `bash -e {0}`
    };
    let program = shell.split_whitespace().next().unwrap_or("");
    let program = program.rsplit('/').next().unwrap_or(program);
    match (program, shell.contains("{0}")) {
        ("bash", false) => Some((true, true)),
        ("sh", false) => Some((true, false)),
        ("bash" | "sh", true) => Some((
            shell
                .split_whitespace()
                .any(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('e')),
            shell.contains("pipefail"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::source::Format;
    use crate::source::testing::{detect, found, lint};

    const WF: &str = ".github/workflows/deploy.yml";

    #[test]
    fn recognised_by_on_and_a_mapping_of_jobs() {
        let wf =
            "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n";
        assert_eq!(detect(wf), Some(Format::GithubActions));
        // i18n files and App Platform specs have `jobs` too.
        assert_eq!(detect("jobs:\n  title: Jobs\n  empty: No jobs yet\n"), None);
        assert_ne!(
            detect(
                "name: app\njobs:\n  - name: migrate\n    kind: PRE_DEPLOY\n    run_command: x\n"
            ),
            Some(Format::GithubActions)
        );
    }

    #[test]
    fn only_jobs_that_deploy_are_linted() {
        let wf = "\
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: alembic stamp head
  migrate:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: alembic stamp head
  ship:
    runs-on: ubuntu-latest
    steps:
      - uses: superfly/flyctl-actions/setup-flyctl@master
      - run: python manage.py migrate --fake
";
        let r = lint(WF, wf);
        assert_eq!(found(&r), ["11:14 alembic/stamp", "16:14 django/fake"]);
        assert!(
            r.skipped
                .iter()
                .any(|s| s.message.contains("job `test` does not deploy"))
        );
        let f = r.active().next().unwrap();
        assert_eq!(f.phase, Some(crate::release_step::Phase::CiDeploy));
        assert!(f.object.contains("deploys to `production`"), "{}", f.object);
    }

    /// A job that migrates the database in its secrets is a release step
    /// whatever it is called; a test job with its own service container is not.
    #[test]
    fn a_job_that_reaches_a_real_database_is_linted() {
        let wf = "\
on:
  push:
    branches: [main]
  workflow_dispatch:
jobs:
  db:
    runs-on: ubuntu-latest
    env:
      DATABASE_URL: ${{ secrets.DATABASE_URL }}
    steps:
      - run: npx prisma migrate reset --force
  test:
    runs-on: ubuntu-latest
    services:
      postgres:
        image: postgres:16
    env:
      DATABASE_URL: postgres://postgres@localhost/test
    steps:
      - run: npx prisma migrate reset --force
";
        let r = lint(WF, wf);
        assert_eq!(found(&r), ["11:14 prisma/reset"]);
        let f = r.active().next().unwrap();
        assert!(
            f.object.contains("reaches the database in `DATABASE_URL`"),
            "{}",
            f.object
        );
    }

    /// `flyway ${{ inputs.command }}` with `clean` among the choices runs
    /// `flyway clean` the day someone picks it: each option is judged, at
    /// the command in the workflow.
    #[test]
    fn every_option_of_a_dispatch_input_is_judged() {
        let wf = "\
on:
  workflow_dispatch:
    inputs:
      command:
        type: choice
        options: [info, migrate, clean]
jobs:
  flyway:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: flyway -url=$URL ${{ github.event.inputs.command }}
";
        let r = lint(WF, wf);
        assert_eq!(found(&r), ["12:14 flyway/clean"]);
        let f = r.active().next().unwrap();
        assert!(
            f.object.contains("with input `command` = `clean`"),
            "{}",
            f.object
        );
        // Without a choice the script is read once, as written.
        let plain = wf.replace(
            "        type: choice\n        options: [info, migrate, clean]\n",
            "        type: string\n",
        );
        assert_eq!(found(&lint(WF, &plain)), Vec::<String>::new());
    }

    #[test]
    fn the_runner_shell_stops_at_the_first_failure() {
        // `bash -e`: the next line does not hide a failed migration.
        let wf = "on: push\njobs:\n  deploy:\n    runs-on: x\n    steps:\n      - run: |\n          alembic upgrade head\n          echo done\n";
        assert_eq!(found(&lint(WF, wf)), Vec::<String>::new());
        // A custom shell without -e does.
        let wf = wf.replace("      - run: |", "      - shell: bash {0}\n        run: |");
        assert_eq!(found(&lint(WF, &wf)), ["8:11 release/masked-failure"]);
        // `|| true` always does.
        let wf = "on: push\njobs:\n  deploy:\n    runs-on: x\n    steps:\n      - run: alembic upgrade head || true\n";
        assert_eq!(found(&lint(WF, wf)), ["6:14 release/masked-failure"]);
        // So does `continue-on-error` on the step or its job.
        let wf = "on: push\njobs:\n  deploy:\n    runs-on: x\n    steps:\n      - run: alembic upgrade head\n        continue-on-error: true\n      - run: flyctl deploy\n";
        let r = lint(WF, wf);
        assert_eq!(found(&r), ["6:14 release/masked-failure"]);
        let f = r.active().next().unwrap();
        assert!(f.message.contains("continue-on-error"), "{}", f.message);
        let wf = "on: push\njobs:\n  deploy:\n    runs-on: x\n    continue-on-error: true\n    steps:\n      - run: alembic upgrade head\n";
        assert_eq!(found(&lint(WF, wf)), ["7:14 release/masked-failure"]);
        let wf = "on: push\njobs:\n  deploy:\n    runs-on: x\n    steps:\n      - run: alembic upgrade head\n        continue-on-error: false\n";
        assert_eq!(found(&lint(WF, wf)), Vec::<String>::new());
    }

    #[test]
    fn non_posix_shells_and_remote_scripts() {
        let wf = "\
on: push
jobs:
  deploy:
    runs-on: windows-latest
    environment: prod
    steps:
      - shell: pwsh
        run: alembic stamp head
      - uses: appleboy/ssh-action@v1
        with:
          host: example.com
          script: cd /srv/app && alembic stamp head
";
        let r = lint(WF, wf);
        assert_eq!(found(&r), ["12:34 alembic/stamp"]);
        assert!(
            r.skipped
                .iter()
                .any(|s| s.message.contains("not a POSIX shell"))
        );
    }

    /// Bad inputs: a workflow by path with the wrong shapes is reported, and
    /// nothing panics.
    #[test]
    fn bad_inputs() {
        let cases: &[(&str, &str)] = &[
            (
                "on: push\njobs:\n  - deploy\n",
                "`jobs` of the workflow must be a mapping",
            ),
            (
                "on: push\njobs:\n  deploy: yes\n",
                "job `deploy` must be a mapping",
            ),
            (
                "on: push\njobs:\n  deploy:\n    steps: {run: x}\n",
                "`steps` of job `deploy` must be a list",
            ),
            (
                "on: push\njobs:\n  deploy:\n    steps:\n      - run: [alembic, upgrade]\n",
                "`run` of step `#1` of job `deploy` must be a string",
            ),
        ];
        for (text, want) in cases {
            let r = lint(WF, text);
            assert!(
                r.errors.iter().any(|e| e.message.contains(want)),
                "{text:?}: {:?}",
                r.errors
            );
        }
        for text in [
            "",
            "on: push\n",
            "on: push\njobs: ~\n",
            "jobs:\n  x:\n    steps: []\n",
        ] {
            assert!(lint(WF, text).findings.is_empty(), "{text:?}");
        }
    }
}
