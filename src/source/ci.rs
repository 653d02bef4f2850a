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

/// Words of a variable or secret name that hold a database's address
/// (`DATABASE_URL`, `PROD_DB_URL`, `POSTGRES_DSN`, `DB_CONNECTION_STRING`).
fn names_a_database(name: &str) -> bool {
    let t = tokens(name);
    let has = |w: &str| t.iter().any(|x| x == w);
    let address = has("url") || has("uri") || has("dsn") || has("connection") || has("conn");
    let database = has("database")
        || has("db")
        || has("postgres")
        || has("postgresql")
        || has("pg")
        || has("mysql")
        || has("mariadb");
    (database && address) || (has("dsn") && t.len() == 1)
}

/// The secret or variable holding a database's address that a text (an
/// `env:` value, a script) reads: `${{ secrets.DATABASE_URL }}`,
/// `${{ vars.PROD_DB_URL }}`, or an environment variable of that kind set
/// from any secret.
pub fn database_secret(name: &str, value: &str) -> Option<String> {
    let mut rest = value;
    while let Some(i) = rest.find("${{") {
        let expr = &rest[i + 3..];
        let end = expr.find("}}").unwrap_or(expr.len());
        for word in
            expr[..end].split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        {
            let found = word
                .strip_prefix("secrets.")
                .or_else(|| word.strip_prefix("vars."));
            if let Some(secret) = found
                && (names_a_database(secret) || (!name.is_empty() && names_a_database(name)))
            {
                return Some(secret.to_string());
            }
        }
        rest = &expr[end..];
    }
    None
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
    fn secrets_holding_a_database_address_are_recognised() {
        let db = |name: &str, value: &str| database_secret(name, value);
        assert_eq!(
            db("DATABASE_URL", "${{ secrets.DATABASE_URL }}").as_deref(),
            Some("DATABASE_URL")
        );
        assert_eq!(
            db("URL", "${{ secrets.PROD_DB_URL }}").as_deref(),
            Some("PROD_DB_URL")
        );
        assert_eq!(
            db("DATABASE_URL", "${{ secrets.NEON }}").as_deref(),
            Some("NEON"),
            "named by the variable"
        );
        assert_eq!(
            db("", "psql ${{ vars.POSTGRES_DSN }} -c 'select 1'").as_deref(),
            Some("POSTGRES_DSN")
        );
        assert_eq!(db("TOKEN", "${{ secrets.GITHUB_TOKEN }}"), None);
        assert_eq!(
            db("DATABASE_URL", "postgres://postgres@localhost/test"),
            None,
            "a literal: the job's own"
        );
        assert_eq!(db("DB_PASSWORD", "${{ secrets.DB_PASSWORD }}"), None);
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
