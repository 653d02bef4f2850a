use super::exit;
use crate::rules::{self, docs};
use serde_json::json;

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Show one rule in full.
    rule: Option<String>,
    /// Output format.
    #[arg(long, value_enum, ignore_case = true, default_value_t = RulesFormat::Human)]
    format: RulesFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum RulesFormat {
    Human,
    Json,
    Markdown,
}

pub fn run(args: RulesArgs) -> u8 {
    let selected: Vec<&'static crate::definitions::Rule> = match &args.rule {
        Some(id) => match rules::find(id) {
            Some(r) => vec![r],
            None => {
                eprintln!("error: unknown rule `{id}`; `preflight rules` lists them");
                return exit::INPUT;
            }
        },
        None => rules::catalogue(),
    };
    let out = match args.format {
        RulesFormat::Json => {
            let list: Vec<_> = selected
                .iter()
                .map(|r| {
                    json!({
                        "id": r.id, "tool": r.owner, "kind": r.kind, "severity": r.severity,
                        "title": r.title, "explanation": r.explanation, "fix": r.fix,
                        "examples": r.examples, "docs": r.doc_path(),
                    })
                })
                .collect();
            let mut s = serde_json::to_string_pretty(
                &json!({ "schema_version": crate::report::SCHEMA_VERSION, "rules": list }),
            )
            .unwrap_or_default();
            s.push('\n');
            s
        }
        RulesFormat::Markdown if args.rule.is_some() => docs::page(selected[0]),
        RulesFormat::Markdown => docs::index(),
        RulesFormat::Human if args.rule.is_some() => {
            let r = selected[0];
            format!(
                "{} ({}, {})\n{}\n\n{}\n\nFix: {}\n\nExamples:\n{}\n\nDocs: {}\n",
                r.id,
                r.owner.name(),
                r.severity,
                r.title,
                r.explanation,
                r.fix,
                r.examples
                    .iter()
                    .map(|e| format!("  {e}"))
                    .collect::<Vec<_>>()
                    .join("\n"),
                r.doc_path()
            )
        }
        RulesFormat::Human => {
            let width = selected.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let mut s = String::new();
            for r in &selected {
                s.push_str(&format!(
                    "{:width$}  {:7}  {}\n",
                    r.id,
                    r.severity.as_str(),
                    r.title
                ));
            }
            s
        }
    };
    print!("{out}");
    exit::OK
}
