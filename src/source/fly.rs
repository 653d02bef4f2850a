//! Fly.io `fly.toml`: `[deploy] release_command` runs once per deploy in a
//! temporary Machine before the app's Machines are updated; `[processes]`
//! commands run at every Machine start.

use crate::command::CommandText;
use crate::release_step::{Extracted, Phase, ReleaseStep};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

#[derive(Deserialize)]
struct FlyToml {
    app: Option<String>,
    deploy: Option<Deploy>,
    #[serde(default, deserialize_with = "processes")]
    processes: BTreeMap<String, Spanned<String>>,
}

/// `[processes]` maps names to commands; flyctl writes `processes = []` when
/// the app has none.
fn processes<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Spanned<String>>, D::Error> {
    struct Processes;
    impl<'de> serde::de::Visitor<'de> for Processes {
        type Value = BTreeMap<String, Spanned<String>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a table of process names to commands, or an empty array")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((k, v)) = map.next_entry::<String, Spanned<String>>()? {
                out.insert(k, v);
            }
            Ok(out)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            match seq.next_element::<toml::Value>()? {
                None => Ok(BTreeMap::new()),
                Some(_) => Err(serde::de::Error::custom(
                    "`processes` must be a table of process names to commands (or `[]`)",
                )),
            }
        }
    }
    d.deserialize_any(Processes)
}

#[derive(Deserialize)]
struct Deploy {
    release_command: Option<Spanned<String>>,
}

/// Parses `fly.toml`; the error carries the byte range TOML reported.
pub fn extract(text: &str) -> Result<Extracted, super::files::TomlError> {
    let fly: FlyToml = toml::from_str(text).map_err(super::files::TomlError::from)?;
    let app = fly.app.unwrap_or_else(|| "app".into());
    let mut out = Extracted::default();
    if let Some(cmd) = fly.deploy.and_then(|d| d.release_command) {
        push(
            &mut out,
            text,
            Phase::PreDeploy,
            "`[deploy] release_command`".into(),
            format!("{app}/release_command"),
            cmd,
        );
    }
    for (name, cmd) in fly.processes {
        push(
            &mut out,
            text,
            Phase::Startup,
            format!("`{name}` process"),
            format!("{app}/processes/{name}"),
            cmd,
        );
    }
    Ok(out)
}

pub(super) fn push(
    out: &mut Extracted,
    text: &str,
    phase: Phase,
    object: String,
    object_key: String,
    cmd: Spanned<String>,
) {
    let span = cmd.span();
    let value = cmd.into_inner();
    if value.trim().is_empty() {
        return;
    }
    let word = crate::yaml::align_word(&value, text, span.clone());
    out.steps.push(ReleaseStep {
        phase,
        object,
        object_key,
        command: Some(CommandText::Shell(word)),
        at: span.start,
        env: Vec::new(),
        directives: Vec::new(),
        app: None,
        failure_ignored: None,
    });
}
