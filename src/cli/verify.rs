use super::db_args::{DbArgs, runtime};
use super::exit;
use crate::config::FailOn;
use crate::db::DatabaseUrl;
use crate::diagnosis::Verdict;
use crate::expected::ExpectedSpec;
use crate::report::{ColorChoice, OutputFormat, human::Style};
use crate::verify::{self, Verification, VerifyOptions};
use std::io::IsTerminal;

#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// The expected schema: a snapshot (.json), SQL DDL (.sql), a directory of SQL
    /// migrations, or Alembic revisions (alembic.ini or its directory). Prefix with
    /// `snapshot:`, `sql:`, `migrations:` or `alembic:` to say which.
    #[arg(long)]
    pub expected: String,
    /// Server where preflight may create and drop a throwaway database to apply
    /// SQL expectations (never the target).
    #[arg(long, env = "PREFLIGHT_SHADOW_URL", hide_env_values = true)]
    pub shadow_url: Option<String>,
    /// The revision a single SQL expectation corresponds to.
    #[arg(long)]
    pub expected_revision: Option<String>,
    /// Output format (`sarif` is for lint findings; verify prints human or JSON).
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub format: OutputFormat,
    /// Lowest verdict severity that makes the exit code 1 (`pending` is a warning).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Also list informational differences (extra objects, default spellings).
    #[arg(long)]
    pub show_info: bool,
}

impl VerifyArgs {
    pub fn options(&self) -> Result<(DatabaseUrl, ExpectedSpec, VerifyOptions), String> {
        let url = self.db.url()?;
        let spec = ExpectedSpec::parse(&self.expected).map_err(|e| e.to_string())?;
        let shadow_url = self
            .shadow_url
            .as_deref()
            .map(DatabaseUrl::parse)
            .transpose()
            .map_err(|e| e.to_string())?;
        Ok((
            url,
            spec,
            VerifyOptions {
                connect: self.db.connect_options(),
                introspect: self.db.introspect_options(),
                shadow_url,
                expected_revision: self.expected_revision.clone(),
                connections: None,
            },
        ))
    }
}

/// Exit code of a verification.
pub fn exit_code(v: &Verification, fail_on: FailOn) -> u8 {
    if v.verdict == Verdict::Error {
        exit::INPUT
    } else if matches!((v.verdict.severity(), fail_on.threshold()), (Some(s), Some(t)) if s >= t) {
        exit::FINDINGS
    } else {
        exit::OK
    }
}

pub fn run(args: VerifyArgs, color: ColorChoice) -> u8 {
    let (url, spec, opts) = match args.options() {
        Ok(x) => x,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::INPUT;
        }
    };
    let v = rt.block_on(verify::verify(&url, &spec, &opts));
    print(&v, args.format, color, args.show_info);
    exit_code(&v, args.fail_on)
}

pub fn print(v: &Verification, format: OutputFormat, color: ColorChoice, show_info: bool) {
    match format {
        OutputFormat::Json | OutputFormat::Sarif => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::report::verify::json(v)).unwrap_or_default()
            );
        }
        OutputFormat::Human => {
            let style = Style {
                color: color.enabled(std::io::stdout().is_terminal()),
            };
            print!("{}", crate::report::verify::human(v, style, show_info));
        }
    }
}
