//! What CI pipelines (GitHub Actions, GitLab CI) have in common: telling a job
//! that deploys from one that builds or tests. Only deploying jobs are linted:
//! a test job that stamps its throwaway database is not a release step.

use crate::yaml::Node;

/// Words that mark a job, stage or workflow as a deploy.
const DEPLOY_WORDS: &[&str] = &[
    "deploy",
    "deploys",
    "deployment",
    "deployments",
    "release",
    "rollout",
    "production",
    "prod",
    "promote",
    "ship",
];

/// Words that mark a job as not deploying, even in a deploy workflow.
const NON_DEPLOY_WORDS: &[&str] = &[
    "test",
    "tests",
    "lint",
    "check",
    "checks",
    "build",
    "ci",
    "unit",
    "e2e",
    "typecheck",
    "format",
    "audit",
    "scan",
    "preview",
    "review",
];

/// Commands that deploy; a job that runs one deploys.
const DEPLOY_COMMANDS: &[&str] = &[
    "flyctl deploy",
    "fly deploy",
    "kubectl apply",
    "kubectl rollout",
    "kubectl set image",
    "helm upgrade",
    "helm install",
    "helmfile apply",
    "helmfile sync",
    "argocd app sync",
    "doctl apps create-deployment",
    "doctl apps update",
    "git push heroku",
    "git push dokku",
    "heroku container:release",
    "railway up",
    "kamal deploy",
    "cap production deploy",
    "serverless deploy",
    "sls deploy",
    "gcloud run deploy",
    "gcloud app deploy",
    "aws ecs update-service",
    "eb deploy",
    "cdk deploy",
    "sam deploy",
    "docker stack deploy",
    "wrangler deploy",
    "vercel --prod",
    "vercel deploy --prod",
];

/// Lower-case alphanumeric tokens of a name: `deploy-prod`, `Deploy to Fly`,
/// `deployProduction` → `deploy`, `prod`, `production`, …
pub fn tokens(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = c.is_ascii_lowercase();
            cur.push(c.to_ascii_lowercase());
        } else {
            prev_lower = false;
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

pub fn says_deploy(name: &str) -> bool {
    tokens(name)
        .iter()
        .any(|t| DEPLOY_WORDS.contains(&t.as_str()))
}

pub fn says_not_deploy(name: &str) -> bool {
    tokens(name)
        .iter()
        .any(|t| NON_DEPLOY_WORDS.contains(&t.as_str()))
}

/// The deploy command a script runs, if any.
pub fn deploy_command(script: &str) -> Option<&'static str> {
    let squeezed = script.split_whitespace().collect::<Vec<_>>().join(" ");
    DEPLOY_COMMANDS
        .iter()
        .find(|c| squeezed.contains(*c))
        .copied()
}

/// The name of an `environment:` (a string, or a mapping with `name`).
pub fn environment_name(env: &Node) -> Option<String> {
    env.as_str()
        .or_else(|| env.get("name").and_then(Node::as_str))
        .map(str::to_owned)
}

/// Literal `KEY: value` variables of a mapping; expressions are kept as
/// written (they are only compared with known names).
pub fn variables(node: Option<&Node>) -> Vec<crate::release_step::EnvVar> {
    let Some(entries) = node.and_then(Node::as_map) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|(k, v)| {
            let value = v
                .as_str()
                .or_else(|| v.get("value").and_then(Node::as_str))?;
            Some(crate::release_step::EnvVar {
                name: k.as_str()?.to_owned(),
                value: value.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_words_and_camel_case() {
        assert_eq!(tokens("deploy-prod"), ["deploy", "prod"]);
        assert_eq!(tokens("Deploy to Fly.io"), ["deploy", "to", "fly", "io"]);
        assert_eq!(tokens("deployProduction"), ["deploy", "production"]);
        assert!(says_deploy("Release"));
        assert!(!says_deploy("product-tests"), "`product` is not `prod`");
        assert!(says_not_deploy("unit-tests"));
    }

    #[test]
    fn deploy_commands_are_found_across_whitespace() {
        assert_eq!(
            deploy_command("flyctl  deploy --remote-only"),
            Some("flyctl deploy")
        );
        assert_eq!(deploy_command("pytest -q"), None);
    }
}
