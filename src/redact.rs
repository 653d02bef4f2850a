//! Keeping secrets out of output: database URLs and password-like values are
//! shown redacted everywhere (terminal, JSON, SARIF, logs, metrics, Events).

use regex::Regex;
use std::borrow::Cow;
use std::sync::LazyLock;

/// What replaces a secret.
pub const MASK: &str = "***";

/// `scheme://user:password@host` — the password part.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\x22]*:)(?P<secret>[^\s@/'\x22]+)(?P<tail>@)",
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// `password=…`, `PGPASSWORD=…`, `-password=…`, `--token …`, `api_key: …`.
static ASSIGNED_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?P<head>\b[A-Za-z_\-]*(?:password|passwd|pwd|secret|token|api_?key|access_?key)[A-Za-z_]*(?:=|:\s*|\s+))(?P<secret>[^\s&;'\x22,}]+)",
    )
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Redacts passwords in URLs and values assigned to password-like names.
/// References (`$PASSWORD`, `${db.PASSWORD}`, `$(DB_PASSWORD)`) are kept:
/// they name a secret without revealing it.
pub fn text(s: &str) -> Cow<'_, str> {
    let step1 = URL_PASSWORD.replace_all(s, |c: &regex::Captures<'_>| {
        let secret = &c["secret"];
        if is_reference(secret) {
            c[0].to_owned()
        } else {
            format!("{}{MASK}{}", &c["head"], &c["tail"])
        }
    });
    if !ASSIGNED_SECRET.is_match(&step1) {
        return match step1 {
            Cow::Borrowed(_) => Cow::Borrowed(s),
            Cow::Owned(o) => Cow::Owned(o),
        };
    }
    let step2 = ASSIGNED_SECRET.replace_all(&step1, |c: &regex::Captures<'_>| {
        let secret = &c["secret"];
        if is_reference(secret) || secret == MASK {
            c[0].to_owned()
        } else {
            format!("{}{MASK}", &c["head"])
        }
    });
    Cow::Owned(step2.into_owned())
}

fn is_reference(v: &str) -> bool {
    v.starts_with('$') || v.starts_with("{{") || v.starts_with("EV[")
}

/// Redacts a database URL for display: the password, and `password` query parameters.
pub fn url(u: &str) -> String {
    text(u).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_and_assignments_are_masked() {
        assert_eq!(
            url("postgres://app:s3cr%40t@db.example.com:25060/defaultdb?sslmode=require"),
            "postgres://app:***@db.example.com:25060/defaultdb?sslmode=require"
        );
        assert_eq!(
            text("flyway -user=app -password=hunter2 migrate"),
            "flyway -user=app -password=*** migrate"
        );
        assert_eq!(text("PGPASSWORD=hunter2 psql"), "PGPASSWORD=*** psql");
        assert_eq!(
            text("liquibase --password hunter2 update"),
            "liquibase --password *** update"
        );
        assert_eq!(
            text("mysql://root:pw@localhost/db?password=x"),
            "mysql://root:***@localhost/db?password=***"
        );
    }

    #[test]
    fn references_and_plain_text_are_kept() {
        for s in [
            "flyway -password=$(FLYWAY_PASSWORD) migrate",
            "postgres://app:${db.PASSWORD}@host/db",
            "alembic -c alembic.ini upgrade head",
            "postgres://app@host/db",
            "--password-file /run/secrets/pw",
        ] {
            assert_eq!(text(s), s);
        }
    }
}
