//! Text helpers shared by every surface (the operator, the webhook, the
//! CLI): below all of them, so that no surface depends on another for them.

/// Cuts `s` to at most `max` bytes on a character boundary, marking the cut
/// (Kubernetes limits Event notes and condition messages).
pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// An error and its sources, `: `-joined, for one log line or message;
/// secrets in any of them redacted.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut last = s.clone();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = crate::redact::text(&c.to_string()).into_owned();
        // Some errors repeat their source's text in their own, and some
        // sources restate the link above them at length (a driver's error
        // beneath the server's message).
        if !s.contains(&text) && !text.contains(last.as_str()) {
            s.push_str(": ");
            s.push_str(&text);
        }
        last = text;
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_on_a_character_boundary() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("ééé", 3), "é…");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot run `{command}`")]
    struct Launch {
        command: &'static str,
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn chains_sources_once() {
        let e = Launch {
            command: "knex",
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(error_chain(&e), "cannot run `knex`: disk full");
    }
}
