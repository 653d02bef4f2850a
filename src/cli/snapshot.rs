//! `preflight snapshot`: record expectations. From a live database (its
//! schema under the ledger's revision, with every ledger entry), from an
//! expected-schema source (`--expected migrations/`, replayed by preflight),
//! or from the project's own migration tool driven one revision at a time
//! (`--replay django`).

use super::db_args::{DbArgs, parse_duration, runtime};
use super::exit;
use crate::db::DatabaseUrl;
use crate::definitions::Project;
use crate::expected::snapshot::SnapshotFile;
use crate::expected::{self, ExpectedSpec, LoadContext};
use crate::replay::{self, ReplayOptions};
use crate::verify::{self, VerifyOptions};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct SnapshotArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Record the schema under this revision [default: the ledger's latest entry].
    /// With an existing file, the revision's entry is added or replaced, so one file
    /// can hold a schema per revision.
    #[arg(long)]
    revision: Option<String>,
    /// The snapshot file to write (`.json`, or `.json.gz` compressed).
    #[arg(short, long)]
    output: PathBuf,
    /// Replay the project's migrations with its own tool (`alembic`, `django`,
    /// `rails`, `knex`, …): one revision at a time into a throwaway database on
    /// --shadow-url, recording the schema and the ledger after each. The target
    /// database is not involved. Give the project's launcher after `--`.
    #[arg(long, value_name = "TOOL", conflicts_with_all = ["expected", "revision"])]
    replay: Option<String>,
    /// Record the expectations of a source instead of a live database: a
    /// directory of SQL migrations replayed by preflight, Alembic revision files, SQL DDL.
    #[arg(long, conflicts_with = "revision")]
    expected: Option<String>,
    /// Server where the throwaway database is created (`sqlite:` for a temporary SQLite file).
    #[arg(long, env = "PREFLIGHT_SHADOW_URL", hide_env_values = true)]
    shadow_url: Option<String>,
    /// The project the tool runs in.
    #[arg(long, default_value = ".")]
    project: PathBuf,
    /// The tool's configuration file (`alembic.ini`, a knexfile, a TypeORM data source).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Longest one step of the tool may take.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    step_timeout: Duration,
    /// Run the tool's CLI once per revision instead of its replay driver (one
    /// process of the tool's runtime for the whole replay; tools without a
    /// driver always run their CLI).
    #[arg(long)]
    no_driver: bool,
    /// Replay even when the project is unchanged since a cached replay (the
    /// cache: `$PREFLIGHT_CACHE_DIR`, else `~/.cache/preflight`).
    #[arg(long)]
    no_cache: bool,
    /// The command that runs the tool (`poetry run python manage.py`, `bin/rails`).
    #[arg(last = true, value_name = "LAUNCHER")]
    launcher: Vec<String>,
}

pub fn run(args: SnapshotArgs) -> u8 {
    let result = match (&args.replay, &args.expected) {
        (Some(tool), _) => from_replay(&args, tool),
        (None, Some(source)) => from_expected(&args, source),
        (None, None) => from_database(&args),
    };
    match result {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e}");
            exit::INPUT
        }
    }
}

fn shadow(args: &SnapshotArgs) -> Result<Option<DatabaseUrl>, String> {
    args.shadow_url
        .as_deref()
        .map(DatabaseUrl::parse)
        .transpose()
        .map_err(|e| e.to_string())
}

fn from_replay(args: &SnapshotArgs, tool: &str) -> Result<(), String> {
    let tool = crate::tools::find(tool)
        .ok_or_else(|| replay::ReplayError::UnknownTool(tool.to_string()).to_string())?;
    let shadow_url = shadow(args)?.ok_or(
        "--replay needs --shadow-url: a server where preflight may create and drop a throwaway database (`sqlite:` for a temporary file)",
    )?;
    let project = Project {
        dir: args.project.clone(),
        config: args.config.clone(),
    };
    if !project.dir.is_dir() {
        return Err(format!(
            "{}: no such project directory",
            project.dir.display()
        ));
    }
    let opts = ReplayOptions {
        tool,
        project,
        launcher: args.launcher.clone(),
        engine: shadow_url.engine(),
        shadow_url: Some(shadow_url),
        connect: args.db.connect_options(),
        step_timeout: args.step_timeout,
        use_driver: !args.no_driver,
        progress: Some(Box::new(|s| {
            eprintln!(
                "  {:<40} tool {:>7.2} s   preflight {:>4} ms",
                s.revision,
                s.tool.as_secs_f64(),
                s.own.as_millis()
            );
        })),
    };
    eprintln!(
        "replaying {} in {}",
        tool.name(),
        opts.project.dir.display()
    );
    let cache = (!args.no_cache)
        .then(replay::cache::default_dir)
        .flatten()
        .and_then(|dir| match replay::cache::key(&opts) {
            Ok(key) => Some((dir, key)),
            Err(e) => {
                eprintln!("not using the replay cache: reading the project: {e}");
                None
            }
        });
    if let Some((dir, key)) = &cache
        && let Some(file) =
            replay::cache::lookup(dir, key).and_then(|bytes| SnapshotFile::parse(&bytes).ok())
    {
        file.write(&args.output).map_err(|e| e.to_string())?;
        eprintln!(
            "wrote {}: {} revisions from the replay cache (the project is unchanged; --no-cache replays again)",
            args.output.display(),
            file.revisions.len()
        );
        return Ok(());
    }
    let rt = runtime()?;
    let replayed = rt
        .block_on(replay::replay(&opts))
        .map_err(|e| crate::text::error_chain(&e))?;
    let n = replayed.steps.len();
    let file = SnapshotFile::from_expected(&replayed.expected);
    file.write(&args.output).map_err(|e| e.to_string())?;
    if let Some((dir, key)) = &cache {
        let stored = crate::expected::snapshot::gzip(file.to_json().as_bytes())
            .and_then(|bytes| replay::cache::store(dir, key, &bytes));
        if let Err(e) = stored {
            eprintln!(
                "could not store the replay in the cache {}: {e}",
                dir.display()
            );
        }
    }
    let how = match &replayed.driver {
        Some(v) if v.is_empty() => format!("through the {} driver, one process", tool.id()),
        Some(v) => format!("through the {} {v} driver, one process", tool.id()),
        None => format!("with the {} CLI, once per revision", tool.id()),
    };
    eprintln!(
        "wrote {}: {n} revision{} replayed {how} in {:.2} s (the tool {:.2} s, preflight {} ms, {} ms per step)",
        args.output.display(),
        if n == 1 { "" } else { "s" },
        (replayed.tool_time() + replayed.own_time()).as_secs_f64(),
        replayed.tool_time().as_secs_f64(),
        replayed.own_time().as_millis(),
        replayed.own_time().as_millis() / (n.max(1) as u128)
    );
    Ok(())
}

fn from_expected(args: &SnapshotArgs, source: &str) -> Result<(), String> {
    let spec = ExpectedSpec::parse(source).map_err(|e| e.to_string())?;
    let shadow_url = shadow(args)?;
    let engine = match (&shadow_url, args.db.url()) {
        (Some(u), _) => u.engine(),
        (None, Ok(u)) => u.engine(),
        (None, Err(_)) => crate::schema::Engine::Sqlite,
    };
    let connect = args.db.connect_options();
    let ctx = LoadContext {
        engine,
        shadow_url: shadow_url.as_ref(),
        target: None,
        connect: &connect,
        revision: None,
    };
    let rt = runtime()?;
    let expected = rt
        .block_on(expected::load(&spec, &ctx))
        .map_err(|e| e.to_string())?;
    let n = expected.revisions.len();
    SnapshotFile::from_expected(&expected)
        .write(&args.output)
        .map_err(|e| e.to_string())?;
    eprintln!(
        "wrote {}: {n} revision{} from {source}",
        args.output.display(),
        if n == 1 { "" } else { "s" }
    );
    Ok(())
}

fn from_database(args: &SnapshotArgs) -> Result<(), String> {
    let url = args.db.url()?;
    let opts = VerifyOptions {
        connect: args.db.connect_options(),
        introspect: args.db.introspect_options(),
        ..VerifyOptions::default()
    };
    let live = runtime().and_then(|rt| {
        rt.block_on(verify::read_live(&url, &opts))
            .map_err(|e| crate::text::error_chain(&e))
    })?;
    // The snapshot records the ledger it was taken at: every entry, so a
    // ledger behind it later is known to be behind, not unknown.
    let (revision, entries) = match &live.ledger {
        Some(l) => {
            let revision = args
                .revision
                .clone()
                .or_else(|| l.applied.last().cloned())
                .or_else(|| l.current.last().cloned());
            let entries = l
                .applied
                .iter()
                .filter(|e| Some(*e) != revision.as_ref())
                .cloned()
                .collect();
            (revision, entries)
        }
        None => (args.revision.clone(), Vec::new()),
    };
    let existing = if args.output.exists() && revision.is_some() {
        SnapshotFile::read(&args.output)
            .map_err(|e| format!("{e} (remove it or write to another file)"))?
    } else {
        SnapshotFile::new()
    };
    let (tables, columns, indexes) = live.schema.counts();
    let tool = live.ledger.as_ref().map(|l| l.tool.id().to_string());
    let mut file = existing
        .put(revision.clone(), entries, live.schema, &args.output)
        .map_err(|e| e.to_string())?;
    file.tool = file.tool.take().or(tool);
    file.write(&args.output).map_err(|e| e.to_string())?;
    eprintln!(
        "wrote {}: {tables} tables, {columns} columns, {indexes} indexes{} ({} revision{} in the file)",
        args.output.display(),
        revision
            .map(|r| format!(" at revision {r}"))
            .unwrap_or_default(),
        file.revisions.len(),
        if file.revisions.len() == 1 { "" } else { "s" }
    );
    Ok(())
}
