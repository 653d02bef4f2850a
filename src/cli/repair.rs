//! `preflight repair`: verify, then print only the repair plan (copy-paste
//! ready), proven on a shadow database with the project's own tool where the
//! expectations allow it. The plan is never run against the database.

use super::db_args::{DbArgs, runtime};
use super::exit;
use super::verify::RepairArgs;
use crate::diagnosis::Verdict;
use crate::report::ColorChoice;
use crate::report::human::Style;
use crate::verify;
use std::io::IsTerminal;

#[derive(Debug, clap::Args)]
pub struct RepairCmdArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The expected schema, as `verify` takes it.
    #[arg(long)]
    expected: String,
    /// Server where preflight may create and drop throwaway databases: the SQL
    /// expectations' and the proof's shadow (never the target).
    #[arg(long, env = "PREFLIGHT_SHADOW_URL", hide_env_values = true)]
    shadow_url: Option<String>,
    /// The revision a single SQL expectation corresponds to.
    #[arg(long)]
    expected_revision: Option<String>,
    #[command(flatten)]
    repair: RepairArgs,
    /// Print the plan without proving it.
    #[arg(long, conflicts_with_all = ["prove", "project"])]
    no_prove: bool,
    /// `human`, `json`, or `shell` (a script: commands as they are, SQL and
    /// manual steps as comments).
    #[arg(long, value_enum, ignore_case = true, default_value_t = RepairFormat::Human)]
    format: RepairFormat,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RepairFormat {
    Human,
    Json,
    Shell,
}

/// Exit codes: 0 nothing to repair or a proven plan; 1 a plan that is not
/// proven or whose proof failed; 2 the database could not be checked.
pub fn run(args: RepairCmdArgs, color: ColorChoice) -> u8 {
    let options = super::verify::options(
        &args.db,
        &args.expected,
        args.shadow_url.as_deref(),
        args.expected_revision.as_deref(),
        &args.repair,
        !args.no_prove,
    );
    let (url, spec, opts) = match options {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    let v = match runtime() {
        Ok(rt) => rt.block_on(verify::verify(&url, &spec, &opts)),
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    if v.verdict == Verdict::Error {
        eprintln!("error: {}", v.reason);
        return exit::INPUT;
    }
    match args.format {
        RepairFormat::Json => {
            let out = serde_json::json!({
                "schema_version": crate::report::SCHEMA_VERSION,
                "database": v.database,
                "verdict": v.verdict,
                "reason": v.reason,
                "matched_revision": v.matched_revision,
                "repair": v.repair.as_ref().map(crate::report::verify::repair_json),
            });
            println!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        }
        RepairFormat::Shell => match &v.repair {
            Some(p) => print!("{}", p.shell()),
            None => println!("# {}: nothing to repair ({})", v.verdict.as_str(), v.reason),
        },
        RepairFormat::Human => {
            let style = Style {
                color: color.enabled(std::io::stdout().is_terminal()),
            };
            println!("{} {}", style.bold("verdict:"), v.verdict.as_str());
            println!("  {}\n", v.reason);
            match &v.repair {
                Some(p) => print!("{}", crate::report::verify::repair_human(p, style)),
                None => println!("nothing to repair"),
            }
        }
    }
    match &v.repair {
        None => exit::OK,
        Some(p) if p.is_proven() => exit::OK,
        Some(_) => exit::FINDINGS,
    }
}
