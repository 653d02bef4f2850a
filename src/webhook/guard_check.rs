//! Validation of `DatabaseGuard` objects, with messages that say what to
//! write instead. The CRD schema catches shapes; this catches meaning
//! (durations, modes, references) and says it in words a person can act on.

use super::policy::Mode;
use crate::duration::parse_duration;
use serde_json::Value;
use std::time::Duration;

/// Problems that deny the guard, and warnings that admit it.
#[derive(Debug, Default)]
pub struct GuardCheck {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

fn reference(spec: &Value, path: &[&str], what: &str, key_required: bool, out: &mut GuardCheck) {
    let at = format!("spec.{}", path.join("."));
    let Some(r) = path.iter().try_fold(spec, |v, k| v.get(k)) else {
        out.problems.push(format!(
            "{at} is missing: write {at}: {{name: <{what}>{}}}",
            if key_required { ", key: <key>" } else { "" }
        ));
        return;
    };
    if text(r, &["name"]).is_none_or(|n| n.trim().is_empty()) {
        out.problems.push(format!(
            "{at}.name is missing: name the {what} in the guard's namespace"
        ));
    }
    if key_required && text(r, &["key"]).is_none_or(|k| k.trim().is_empty()) {
        out.problems.push(format!(
            "{at}.key is missing: name the key of the {what} that holds the value"
        ));
    }
}

fn duration(spec: &Value, field: &str, out: &mut GuardCheck) -> Option<Duration> {
    let v = spec.get(field)?;
    let Some(s) = v.as_str() else {
        out.problems.push(format!(
            "spec.{field} must be a string such as \"60s\", \"5m\" or \"1h\", not {v}"
        ));
        return None;
    };
    match parse_duration(s) {
        Ok(d) if d.is_zero() => {
            out.problems
                .push(format!("spec.{field} `{s}` is zero: write at least 10s"));
            None
        }
        Ok(d) if s.contains('.') => {
            out.problems.push(format!(
                "spec.{field} `{s}` has a fraction: write whole units such as {}ms",
                d.as_millis()
            ));
            None
        }
        Ok(d) => Some(d),
        Err(_) => {
            out.problems.push(format!(
                "spec.{field} `{s}` is not a duration: write a number and a unit, such as 30s, 5m or 1h"
            ));
            None
        }
    }
}

/// Checks a guard given as JSON (what the API server sends).
pub fn check(guard: &Value) -> GuardCheck {
    let mut out = GuardCheck::default();
    let Some(spec) = guard.get("spec").filter(|s| s.is_object()) else {
        out.problems
            .push("spec is missing: a guard needs spec.database and spec.expected".into());
        return out;
    };
    reference(spec, &["database", "secretRef"], "Secret", true, &mut out);

    match spec.get("expected") {
        None => out.problems.push(
            "spec.expected is missing: write spec.expected.configMapRef: {name: <ConfigMap>} (the expected schema or migration files)".into(),
        ),
        Some(expected) => {
            let cm = expected.get("configMapRef").is_some_and(|v| !v.is_null());
            let secret = expected.get("secretRef").is_some_and(|v| !v.is_null());
            match (cm, secret) {
                (true, true) => out.problems.push(
                    "spec.expected has both configMapRef and secretRef: keep one".into(),
                ),
                (false, false) => out.problems.push(
                    "spec.expected needs configMapRef or secretRef: write configMapRef: {name: <ConfigMap>} (add key: <key> for one entry)".into(),
                ),
                (true, false) => reference(spec, &["expected", "configMapRef"], "ConfigMap", false, &mut out),
                (false, true) => reference(spec, &["expected", "secretRef"], "Secret", false, &mut out),
            }
            if let Some(f) = expected.get("format").filter(|f| !f.is_null()) {
                let known = ["Snapshot", "Sql", "Migrations", "Alembic"];
                match f.as_str() {
                    Some(s) if known.contains(&s) => {}
                    other => {
                        let shown = other.map_or_else(|| f.to_string(), str::to_string);
                        let hint = known
                            .iter()
                            .find(|k| k.eq_ignore_ascii_case(&shown))
                            .map(|k| format!(" (did you mean {k}?)"))
                            .unwrap_or_default();
                        out.problems.push(format!(
                            "spec.expected.format `{shown}` is unknown{hint}: write Snapshot, Sql, Migrations or Alembic"
                        ));
                    }
                }
            }
            if expected.get("shadowDatabase").is_some_and(|v| !v.is_null()) {
                reference(spec, &["expected", "shadowDatabase", "secretRef"], "Secret", true, &mut out);
            }
        }
    }

    let interval = duration(spec, "interval", &mut out);
    if interval.is_some_and(|d| d < Duration::from_secs(10)) {
        out.problems.push(format!(
            "spec.interval `{}` is shorter than 10s: checks read the catalogs; write 10s or more (60s is typical)",
            text(spec, &["interval"]).unwrap_or_default()
        ));
    }
    let timeout = duration(spec, "timeout", &mut out);
    if let (Some(i), Some(t)) = (interval, timeout)
        && t > i
    {
        out.warnings.push(format!(
                "spec.timeout ({}s) is longer than spec.interval ({}s): a slow check delays the next one",
                t.as_secs(),
                i.as_secs()
            ));
    }

    if let Some(e) = spec.get("enforcement").filter(|e| !e.is_null()) {
        let shown = e.as_str().map_or_else(|| e.to_string(), str::to_string);
        if Mode::parse(&shown).is_none() {
            let hint = ["Enforce", "Warn", "Audit"]
                .iter()
                .find(|k| k.eq_ignore_ascii_case(&shown))
                .map(|k| format!(" (modes are capitalised: {k})"))
                .unwrap_or_default();
            out.problems.push(format!(
                "spec.enforcement `{shown}` is not a mode{hint}: write Enforce (deny), Warn (admit with warnings) or Audit (admit and record)"
            ));
        }
    }

    match spec.get("selector").filter(|s| !s.is_null()) {
        None => out.warnings.push(
            "spec.selector is not set: the guard checks the database but gates no workload; select them with selector.matchLabels".into(),
        ),
        Some(sel) => {
            for (i, e) in sel
                .get("matchExpressions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let op = text(e, &["operator"]).unwrap_or("");
                if !["In", "NotIn", "Exists", "DoesNotExist"].contains(&op) {
                    out.problems.push(format!(
                        "spec.selector.matchExpressions[{i}].operator `{op}` is unknown: write In, NotIn, Exists or DoesNotExist"
                    ));
                }
            }
        }
    }
    if let Some(schemas) = spec.get("schemas").and_then(Value::as_array)
        && schemas
            .iter()
            .any(|s| s.as_str().is_none_or(|s| s.trim().is_empty()))
    {
        out.problems.push(
            "spec.schemas has an empty entry: list schema names, or leave it out for all".into(),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(extra: Value) -> Value {
        let mut s = json!({"database": {"secretRef": {"name": "db", "key": "url"}},
                           "expected": {"configMapRef": {"name": "migrations"}},
                           "interval": "60s", "selector": {"matchLabels": {"app": "x"}}});
        // Top-level fields of `extra` replace the defaults; null removes.
        for (k, v) in extra.as_object().into_iter().flatten() {
            match v {
                Value::Null => {
                    s.as_object_mut().map(|m| m.remove(k));
                }
                v => s[k] = v.clone(),
            }
        }
        json!({"spec": s})
    }

    #[test]
    fn a_good_guard_passes() {
        let c = check(&spec(json!({})));
        assert!(c.problems.is_empty() && c.warnings.is_empty(), "{c:?}");
    }

    #[test]
    fn mistakes_say_what_to_write() {
        let cases = [
            (
                json!({"interval": "5 minutes"}),
                "write a number and a unit",
            ),
            (json!({"interval": "1s"}), "shorter than 10s"),
            (json!({"interval": "0s"}), "is zero"),
            (json!({"interval": 60}), "must be a string"),
            (json!({"timeout": "1.5s"}), "whole units such as 1500ms"),
            (
                json!({"enforcement": "enforce"}),
                "modes are capitalised: Enforce",
            ),
            (
                json!({"enforcement": "Block"}),
                "write Enforce (deny), Warn",
            ),
            (
                json!({"database": {"secretRef": {"name": "db", "key": null}}}),
                "spec.database.secretRef.key is missing",
            ),
            (
                json!({"database": null}),
                "spec.database.secretRef is missing",
            ),
            (
                json!({"expected": {"configMapRef": null}}),
                "needs configMapRef or secretRef",
            ),
            (
                json!({"expected": {"configMapRef": {"key": "schema.json"}}}),
                "spec.expected.configMapRef.name is missing",
            ),
            (
                json!({"expected": {"configMapRef": {"name": "m"}, "secretRef": {"name": "s"}}}),
                "both configMapRef and secretRef",
            ),
            (
                json!({"expected": {"format": "alembic"}}),
                "did you mean Alembic?",
            ),
            (
                json!({"selector": {"matchExpressions": [{"key": "a", "operator": "Equals"}]}}),
                "write In, NotIn",
            ),
            (json!({"schemas": ["public", ""]}), "empty entry"),
        ];
        for (extra, want) in cases {
            let c = check(&spec(extra.clone()));
            assert!(
                c.problems.iter().any(|p| p.contains(want)),
                "{extra}: want `{want}` in {:?}",
                c.problems
            );
        }
        assert!(check(&json!({"metadata": {}})).problems[0].contains("spec is missing"));
    }

    #[test]
    fn doubtful_choices_are_warnings() {
        let c = check(&spec(json!({"selector": null})));
        assert!(c.problems.is_empty());
        assert!(c.warnings[0].contains("gates no workload"));
        let c = check(&spec(json!({"interval": "30s", "timeout": "2m"})));
        assert!(
            c.warnings
                .iter()
                .any(|w| w.contains("longer than spec.interval"))
        );
    }
}
