//! Durations as people write them in flags and config files.

use std::time::Duration;

/// A text that is not a duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("`{0}` is not a duration (write 500ms, 30s, 2m)")]
    NotANumber(String),
    #[error("`{text}`: unknown unit `{unit}` (use ms, s, m or h)")]
    UnknownUnit { text: String, unit: String },
    #[error("`{0}` is not a duration")]
    OutOfRange(String),
}

/// `500ms`, `30s`, `2m`, `1h`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, DurationError> {
    let s = s.trim();
    let (num, unit) = s.split_at(
        s.find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(s.len()),
    );
    let n: f64 = num
        .parse()
        .map_err(|_| DurationError::NotANumber(s.to_string()))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => {
            return Err(DurationError::UnknownUnit {
                text: s.to_string(),
                unit: unit.to_string(),
            });
        }
    };
    if !secs.is_finite() || secs < 0.0 {
        return Err(DurationError::OutOfRange(s.to_string()));
    }
    Ok(Duration::from_secs_f64(secs))
}
