//! Suppressions: `# preflight-ignore <rule>[,<rule>]: <reason>` comments on or
//! directly above a command, the `preflight.dev/ignore` annotation on
//! Kubernetes objects, and allowlist entries in `preflight.yaml`. Every
//! suppression needs a reason; suppressed findings are still counted.

use crate::location::Unit;
use serde::Serialize;

/// The marker that starts a directive in a comment.
pub const MARKER: &str = "preflight-ignore";

/// Where a suppression came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuppressionKind {
    Comment,
    Annotation,
    Config,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub reason: String,
}

/// A parsed directive: the rules it names and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive {
    pub rules: Vec<String>,
    pub reason: String,
}

impl Directive {
    pub fn covers(&self, rule_id: &str) -> bool {
        self.rules.iter().any(|r| r == rule_id || r == "all")
    }
}

/// What is wrong with a suppression directive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectiveError {
    #[error("`{0}` has no reason: write `{MARKER} <rule>: <why this is safe>`")]
    NoReason(String),
    #[error("`{0}` has an empty reason")]
    EmptyReason(String),
    #[error("`{0}` names no rule")]
    NoRule(String),
    #[error("`{0}` is not a rule id (see `preflight rules`)")]
    UnknownRule(String),
}

/// Parses `rule-a, rule-b: reason`. Errors say what is wrong.
pub fn parse(text: &str) -> Result<Directive, DirectiveError> {
    let text = text.trim();
    let Some((rules, reason)) = text.split_once(':') else {
        return Err(DirectiveError::NoReason(text.to_string()));
    };
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DirectiveError::EmptyReason(text.to_string()));
    }
    let rules: Vec<String> = rules
        .split(',')
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty())
        .collect();
    if rules.is_empty() {
        return Err(DirectiveError::NoRule(text.to_string()));
    }
    if let Some(unknown) = rules
        .iter()
        .find(|r| *r != "all" && crate::rules::find(r).is_none())
    {
        return Err(DirectiveError::UnknownRule(unknown.clone()));
    }
    Ok(Directive {
        rules,
        reason: reason.to_owned(),
    })
}

/// Comment directives that apply to a finding on `line`: a trailing comment on
/// that line, and the block of comment lines directly above it. Returns each
/// directive with the byte offset of its comment.
pub fn comment_directives(
    unit: &Unit<'_>,
    line: u32,
) -> Vec<(Result<Directive, DirectiveError>, usize)> {
    let mut out = Vec::new();
    let mut current = line;
    while let Some(range) = unit.line_range(current) {
        let text = &unit.text[range.clone()];
        let is_comment_line = text.trim_start().starts_with('#');
        if current != line && !is_comment_line {
            break;
        }
        if let Some(i) = text.find(MARKER) {
            let before = &text[..i];
            if before.contains('#') {
                let after = text[i + MARKER.len()..].trim_start_matches([':', ' ']);
                out.push((parse(after), range.start + i));
            }
        }
        if current == unit.first_line || current + 10 < line {
            break;
        }
        current -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_need_known_rules_and_a_reason() {
        let d =
            parse("alembic/stamp, release/masked-failure: bootstrap of the empty staging database")
                .unwrap();
        assert!(d.covers("alembic/stamp") && d.covers("release/masked-failure"));
        assert!(
            parse("alembic/stamp")
                .unwrap_err()
                .to_string()
                .contains("no reason")
        );
        assert!(
            parse("alembic/stamp:   ")
                .unwrap_err()
                .to_string()
                .contains("empty reason")
        );
        assert!(
            parse("alembic/stomp: typo")
                .unwrap_err()
                .to_string()
                .contains("not a rule id")
        );
    }

    #[test]
    fn comments_on_the_line_and_directly_above_apply() {
        let text = "jobs:\n  # preflight-ignore alembic/stamp: one-off\n  # another comment\n  run_command: alembic stamp head # preflight-ignore release/masked-failure: ok\n";
        let unit = Unit::new(text, 1);
        let found = comment_directives(&unit, 4);
        let rules: Vec<_> = found
            .iter()
            .map(|(d, _)| d.as_ref().unwrap().rules[0].clone())
            .collect();
        assert_eq!(rules, ["release/masked-failure", "alembic/stamp"]);
        // A comment separated by a non-comment line does not apply.
        let text = "# preflight-ignore alembic/stamp: x\nname: a\nrun: alembic stamp head\n";
        assert!(comment_directives(&Unit::new(text, 1), 3).is_empty());
    }
}
