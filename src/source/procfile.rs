//! Heroku-style `Procfile`: `name: command` lines. `release` runs before every
//! release (including config changes, promotions and rollbacks); every other
//! process type runs its command at each start of each dyno.

use crate::command::{CommandText, Word};
use crate::release_step::{Extracted, Phase, ReleaseStep};

pub fn extract(text: &str) -> Extracted {
    let mut out = Extracted::default();
    let mut offset = 0;
    for raw_line in text.split_inclusive('\n') {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        // Heroku matches `^([A-Za-z0-9_-]+):\s*(.+)$` and ignores other lines.
        let Some((name, command)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            continue;
        }
        let lead = command.len() - command.trim_start().len();
        let command_text = command.trim();
        if command_text.is_empty() {
            continue;
        }
        let at = line_start + (line.len() - command.len()) + lead;
        let phase = if name == "release" {
            Phase::PreDeploy
        } else {
            Phase::Startup
        };
        out.steps.push(ReleaseStep {
            phase,
            object: format!("`{name}` process"),
            object_key: format!("Procfile/{name}"),
            command: Some(CommandText::Shell(Word::literal(command_text, at))),
            at,
            env: Vec::new(),
            directives: Vec::new(),
            app: None,
            failure_ignored: None,
        });
    }
    out
}
