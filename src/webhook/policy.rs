//! Enforcement modes, where they come from, and the words of a decision.

pub use crate::crd::Enforcement as Mode;
use crate::lint::Finding;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use std::collections::BTreeMap;

/// Namespace label that sets the mode for the namespace.
pub const NAMESPACE_LABEL: &str = "preflight.dev/enforcement";
/// Object annotation that admits what would be denied; the value is the reason.
pub const OVERRIDE_ANNOTATION: &str = "preflight.dev/override";

/// Whose override annotations count: anyone's when both lists are empty,
/// else only the requests of these users or members of these groups (the
/// AdmissionReview's `userInfo`, as the API server authenticated it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

impl Overrides {
    /// Whether an override by this user counts.
    pub fn allows(&self, user: &str, groups: &[String]) -> bool {
        (self.users.is_empty() && self.groups.is_empty())
            || self.users.iter().any(|u| u == user)
            || groups.iter().any(|g| self.groups.contains(g))
    }
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "Enforce" => Some(Mode::Enforce),
            "Warn" => Some(Mode::Warn),
            "Audit" => Some(Mode::Audit),
            _ => None,
        }
    }

    /// A mode as a person types it on the command line: `enforce` or `Enforce`.
    /// (The CRD field and the namespace label take the exact spelling, as the
    /// API server's enum validation does.)
    pub fn parse_any_case(s: &str) -> Option<Mode> {
        [Mode::Enforce, Mode::Warn, Mode::Audit]
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "Enforce",
            Mode::Warn => "Warn",
            Mode::Audit => "Audit",
        }
    }

    fn rank(self) -> u8 {
        match self {
            Mode::Audit => 0,
            Mode::Warn => 1,
            Mode::Enforce => 2,
        }
    }

    /// The stricter of two modes.
    pub fn max(self, other: Mode) -> Mode {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// What happens to a review preflight cannot judge (an object it cannot
/// decode): admitted (`ignore`) or denied (`fail`), as Kubernetes names
/// failure policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailureMode {
    Ignore,
    Fail,
}

/// Does `selector` select an object with `labels`? (Kubernetes semantics:
/// every `matchLabels` pair and every expression must hold; an empty
/// selector selects everything.)
pub fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let pairs = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let expressions = selector.match_expressions.iter().flatten().all(|e| {
        let value = labels.get(&e.key);
        let values = e.values.as_deref().unwrap_or_default();
        match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            // An operator the API server would have rejected selects nothing.
            _ => false,
        }
    });
    pairs && expressions
}

/// One line for a denied or warned release step: where, what, which rule,
/// and the fix. `owner` (``Job `migrate` ``) is left out of the place when
/// the message already names the object.
pub fn finding_line(f: &Finding, owner: &str) -> String {
    let place = f
        .object
        .strip_prefix(owner)
        .map(|rest| rest.trim_start_matches([',', ' ']))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(&f.object);
    format!(
        "{}: {} [{}]. Fix: {}",
        place,
        f.message,
        f.rule.id,
        f.rule.short_fix()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selectors_follow_kubernetes_semantics() {
        let by_app = LabelSelector {
            match_labels: Some(labels(&[("app", "bizpilot")])),
            match_expressions: None,
        };
        assert!(selects(
            &by_app,
            &labels(&[("app", "bizpilot"), ("tier", "web")])
        ));
        assert!(!selects(&by_app, &labels(&[("app", "other")])));
        assert!(!selects(&by_app, &labels(&[])));
        assert!(
            selects(&LabelSelector::default(), &labels(&[])),
            "empty selects all"
        );
        let expr = |op: &str, values: &[&str]| LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: op.into(),
                values: Some(values.iter().map(|v| v.to_string()).collect()),
            }]),
        };
        let web = labels(&[("tier", "web")]);
        assert!(selects(&expr("In", &["web", "api"]), &web));
        assert!(!selects(&expr("NotIn", &["web"]), &web));
        assert!(selects(&expr("NotIn", &["web"]), &labels(&[])));
        assert!(selects(&expr("Exists", &[]), &web));
        assert!(!selects(&expr("DoesNotExist", &[]), &web));
        assert!(!selects(&expr("Bogus", &[]), &web));
    }

    #[test]
    fn modes() {
        assert_eq!(Mode::Warn.max(Mode::Enforce), Mode::Enforce);
        assert_eq!(Mode::Warn.max(Mode::Audit), Mode::Warn);
        assert_eq!(Mode::parse("enforce"), None, "modes are case-sensitive");
        assert_eq!(Mode::parse_any_case("enforce"), Some(Mode::Enforce));
        assert_eq!(Mode::parse_any_case("AUDIT"), Some(Mode::Audit));
        assert_eq!(Mode::parse_any_case("block"), None);
    }
}
