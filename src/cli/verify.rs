use super::db_args::{DbArgs, runtime};
use super::exit;
use crate::config::FailOn;
use crate::db::DatabaseUrl;
use crate::definitions::Project;
use crate::diagnosis::Verdict;
use crate::expected::ExpectedSpec;
use crate::repair::Launcher;
use crate::repair::prove::ProveOptions;
use crate::report::{ColorChoice, VerdictFormat, human::Style};
use crate::verify::{self, Verification, VerifyOptions};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

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
    /// Output format: human or JSON (SARIF is for `lint`'s findings in files).
    #[arg(long, value_enum, ignore_case = true, default_value_t = VerdictFormat::Human)]
    pub format: VerdictFormat,
    /// Lowest verdict severity that makes the exit code 1 (`pending` is a warning).
    #[arg(long, value_enum, ignore_case = true, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Also list informational differences (extra objects, default spellings).
    #[arg(long)]
    pub show_info: bool,
    #[command(flatten)]
    pub repair: RepairArgs,
}

/// How the repair plan is written and proven.
#[derive(Debug, Clone, clap::Args)]
pub struct RepairArgs {
    /// The command the plan's steps run the tool with (`python -m alembic -c alembic.ini`,
    /// `bin/rails`) [default: the release step's, when `check` linted one, else the
    /// tool's usual command].
    #[arg(long, value_name = "CMD")]
    pub launcher: Option<String>,
    /// Prove the plan: on a throwaway database the project's own tool rebuilds the
    /// revisions the target has, the plan runs there, and the result must be `in_sync`.
    #[arg(long)]
    pub prove: bool,
    /// The project the tool runs in for the proof (implies --prove) [default: the
    /// folder of an Alembic configuration given as --expected, else `.`].
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The tool's configuration file for the proof (`alembic.ini`, a knexfile, a
    /// TypeORM data source).
    #[arg(long, value_name = "FILE")]
    pub project_config: Option<PathBuf>,
    /// The command that runs the tool for the proof, as `snapshot --replay` takes it
    /// after `--` (`.venv/bin/python`, `node_modules/.bin/knex --knexfile knexfile.js`).
    #[arg(long, value_name = "CMD")]
    pub prove_with: Option<String>,
    /// Longest one step of the tool may take during the proof.
    #[arg(long, default_value = "10m", value_parser = super::db_args::parse_duration)]
    pub step_timeout: Duration,
    /// Run the tool's CLI once per step instead of its replay driver (one
    /// process of the tool's runtime for the whole proof).
    #[arg(long)]
    pub no_driver: bool,
}

impl RepairArgs {
    /// The plan's launcher given on the command line.
    pub fn launcher(&self) -> Option<Launcher> {
        self.launcher.as_deref().map(|l| Launcher {
            words: crate::command::words_of(l),
            carried: Vec::new(),
        })
    }

    /// Where to prove the plan, when asked.
    pub fn prove_options(
        &self,
        spec: &ExpectedSpec,
        shadow_url: Option<&DatabaseUrl>,
        db: &DbArgs,
        always: bool,
    ) -> Option<ProveOptions> {
        if !(always || self.prove || self.project.is_some()) {
            return None;
        }
        let (dir, config) = match (&self.project, spec) {
            (Some(dir), _) => (dir.clone(), self.project_config.clone()),
            (None, ExpectedSpec::Alembic(path)) => {
                let path = PathBuf::from(path);
                if path.is_dir() {
                    (path, self.project_config.clone())
                } else {
                    let dir = path
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .map_or_else(|| PathBuf::from("."), PathBuf::from);
                    let file = path.file_name().map(PathBuf::from);
                    (dir, self.project_config.clone().or(file))
                }
            }
            (None, _) => (PathBuf::from("."), self.project_config.clone()),
        };
        Some(ProveOptions {
            project: Project { dir, config },
            launcher: self
                .prove_with
                .as_deref()
                .map(crate::command::words_of)
                .unwrap_or_default(),
            shadow_url: shadow_url.cloned(),
            connect: db.connect_options(),
            step_timeout: self.step_timeout,
            use_driver: !self.no_driver,
        })
    }
}

impl VerifyArgs {
    pub fn options(&self) -> Result<(DatabaseUrl, ExpectedSpec, VerifyOptions), String> {
        options(
            &self.db,
            &self.expected,
            self.shadow_url.as_deref(),
            self.expected_revision.as_deref(),
            &self.repair,
            false,
        )
    }
}

/// What `verify`, `check` and `repair` share: the target, the expectations,
/// and how the repair plan is written and proven.
pub fn options(
    db: &DbArgs,
    expected: &str,
    shadow_url: Option<&str>,
    expected_revision: Option<&str>,
    repair: &RepairArgs,
    always_prove: bool,
) -> Result<(DatabaseUrl, ExpectedSpec, VerifyOptions), String> {
    let url = db.url()?;
    let spec = ExpectedSpec::parse(expected).map_err(|e| e.to_string())?;
    let shadow_url = shadow_url
        .map(DatabaseUrl::parse)
        .transpose()
        .map_err(|e| e.to_string())?;
    let prove = repair.prove_options(&spec, shadow_url.as_ref(), db, always_prove);
    Ok((
        url,
        spec,
        VerifyOptions {
            connect: db.connect_options(),
            introspect: db.introspect_options(),
            shadow_url,
            expected_revision: expected_revision.map(str::to_owned),
            connections: None,
            launcher: repair.launcher(),
            spec_launchers: Vec::new(),
            prove,
        },
    ))
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

pub fn print(v: &Verification, format: VerdictFormat, color: ColorChoice, show_info: bool) {
    match format {
        VerdictFormat::Json => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::report::verify::json(v)).unwrap_or_default()
            );
        }
        VerdictFormat::Human => {
            let style = Style {
                color: color.enabled(std::io::stdout().is_terminal()),
            };
            print!("{}", crate::report::verify::human(v, style, show_info));
        }
    }
}
