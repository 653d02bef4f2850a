//! Replayed expectations: the project's own migration tool applies one
//! revision at a time to a throwaway shadow database, and after each step
//! preflight reads the schema and the ledger the tool wrote. The result is
//! one expectation per revision, in the tool's own order, with the ledger
//! entries each step recorded — exact where reading migration files can
//! only be partial. The target database is never involved.
//!
//! A tool steps either with a command that applies the next pending
//! migration (`knex migrate:up`, `goose up-by-one`) or with one that
//! migrates up to a named revision, given the list of revisions in order
//! (`manage.py migrate <app> <name>` over `showmigrations --plan`).

pub mod cache;
mod driver;
mod runner;

use crate::db::{ConnectOptions, DatabaseUrl};
use crate::definitions::Connect;
use crate::definitions::Ledger;
use crate::definitions::Lister;
use crate::definitions::Project;
use crate::definitions::Replay;
use crate::definitions::ReplayDef;
use crate::definitions::Step;
use crate::definitions::Target;
use crate::definitions::ToolDb;
use crate::definitions::{Entries, Tool};
use crate::expected::changes::Changes;
use crate::expected::shadow::Shadow;
use crate::expected::{Expected, ExpectedError, Revision, SourceKind};
use crate::introspect::{self, IntrospectOptions, QueryError};
use crate::ledger::{self};
use crate::schema::{Engine, Schema};
pub use runner::Output;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A replay could not be done; nothing is written.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("{tool} cannot apply one revision at a time: {instead}")]
    Unsupported {
        tool: &'static str,
        instead: &'static str,
    },
    #[error("no migration tool is called `{0}` (see `preflight rules` for the tools)")]
    UnknownTool(String),
    #[error(transparent)]
    Shadow(#[from] ExpectedError),
    #[error("cannot run `{command}` in {}", dir.display())]
    Launch {
        command: String,
        dir: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}) {during}:\n{output}")]
    StepFailed {
        command: String,
        during: String,
        status: String,
        output: String,
    },
    #[error("`{command}` did not finish within {}s {during}", after.as_secs())]
    Timeout {
        command: String,
        during: String,
        after: Duration,
    },
    #[error("`{command}` ran, but the ledger does not record {target}:\n{output}")]
    NotRecorded {
        command: String,
        target: String,
        output: String,
    },
    #[error("listing the revisions to replay: {0}")]
    List(String),
    #[error("reading the shadow database after {after}")]
    Read {
        after: String,
        #[source]
        source: QueryError,
    },
    #[error(
        "the replay applied nothing: `{command}` left no {tool} ledger in the shadow database:\n{output}"
    )]
    NoLedger {
        command: String,
        tool: &'static str,
        output: String,
    },
}

/// What to replay.
pub struct ReplayOptions {
    pub tool: Tool,
    pub project: Project,
    /// Replaces the tool's launcher (`poetry run python manage.py`, `bin/rails`).
    pub launcher: Vec<String>,
    /// The server the shadow database is created on (SQLite: a temporary file).
    pub shadow_url: Option<DatabaseUrl>,
    pub engine: Engine,
    pub connect: ConnectOptions,
    /// Longest one step of the tool may run.
    pub step_timeout: Duration,
    /// Called after each step with its revision and timings.
    pub progress: Option<Progress>,
    /// Apply revisions through the tool's driver, one process of its runtime
    /// for the whole replay, when it has one (else its CLI, once per step).
    pub use_driver: bool,
}

/// Reports each step as it is done.
pub type Progress = Box<dyn Fn(&StepReport) + Send + Sync>;

/// One replayed revision.
#[derive(Debug, Clone)]
pub struct StepReport {
    pub revision: String,
    /// The tool's own run.
    pub tool: Duration,
    /// preflight's work: reading the schema and the ledger, the differences.
    pub own: Duration,
}

/// The expectations a replay produced, and what it cost.
pub struct Replayed {
    pub expected: Expected,
    pub steps: Vec<StepReport>,
    /// The tool's driver applied the revisions (its reported version), not
    /// its CLI once per step.
    pub driver: Option<String>,
}

impl Replayed {
    pub fn tool_time(&self) -> Duration {
        self.steps.iter().map(|s| s.tool).sum()
    }

    pub fn own_time(&self) -> Duration {
        self.steps.iter().map(|s| s.own).sum()
    }
}

/// Replays a project's migrations with its own tool.
#[tracing::instrument(skip_all, fields(tool = %opts.tool.id(), project = %opts.project.dir.display()))]
pub async fn replay(opts: &ReplayOptions) -> Result<Replayed, ReplayError> {
    let def = match opts.tool.replay() {
        Replay::Steps(def) => def,
        Replay::Unsupported { instead } => {
            return Err(ReplayError::Unsupported {
                tool: opts.tool.name(),
                instead,
            });
        }
    };
    let mut shadow =
        Shadow::create_for_tool(opts.engine, opts.shadow_url.as_ref(), &opts.connect).await?;
    let result = match ToolSession::new(opts, &mut shadow).await {
        Ok(mut session) => {
            let r = run(def, opts, &mut shadow, &mut session, None).await;
            session.close().await;
            r
        }
        Err(e) => Err(e),
    };
    shadow.drop().await;
    result
}

/// The tool's replay definition, or why it has none.
pub fn steps_of(tool: Tool) -> Result<&'static ReplayDef, ReplayError> {
    match tool.replay() {
        Replay::Steps(def) => Ok(def),
        Replay::Unsupported { instead } => Err(ReplayError::Unsupported {
            tool: tool.name(),
            instead,
        }),
    }
}

/// Brings a shadow database to exactly these revisions with the project's
/// tool, stepping in the tool's order (a repair plan's proof starts there);
/// the session then runs the plan's commands with the same tool process.
pub async fn replay_to(
    opts: &ReplayOptions,
    shadow: &mut Shadow,
    session: &mut ToolSession,
    only: &BTreeSet<String>,
) -> Result<Replayed, ReplayError> {
    let def = steps_of(opts.tool)?;
    run(def, opts, shadow, session, Some(only)).await
}

/// The project's tool pointed at a shadow database: runs single commands
/// of its CLI there (a repair plan's steps).
pub struct ToolSession {
    dir: PathBuf,
    launcher: Vec<String>,
    connect: Connect,
    timeout: Duration,
    secret: String,
    fallback: String,
    tool: Tool,
    project: Project,
    /// The tool's driver process, once started.
    driver: Option<driver::DriverProcess>,
    /// Whether to try the driver, and whether it was tried already.
    want_driver: bool,
}

impl ToolSession {
    pub async fn new(
        opts: &ReplayOptions,
        shadow: &mut Shadow,
    ) -> Result<ToolSession, ReplayError> {
        let def = steps_of(opts.tool)?;
        let Some(url) = shadow.url().cloned() else {
            return Err(ReplayError::Shadow(ExpectedError::plain(
                "the shadow database cannot be reached by other programs",
            )));
        };
        let db = ToolDb {
            url,
            mariadb: shadow.is_mariadb().await,
        };
        Ok(ToolSession {
            dir: opts.project.dir.clone(),
            launcher: if opts.launcher.is_empty() {
                def.launcher.iter().map(|s| s.to_string()).collect()
            } else {
                opts.launcher.clone()
            },
            connect: (def.connect)(&db, &opts.project),
            timeout: opts.step_timeout,
            secret: db.url.expose().to_string(),
            fallback: crate::db::spelling::conventional(&db.url),
            tool: opts.tool,
            project: opts.project.clone(),
            driver: None,
            want_driver: opts.use_driver,
        })
    }

    /// The tool's driver, started on first use when the tool has one and the
    /// launcher lets it run: the launcher's own runtime (`.venv/bin/python`,
    /// `node`), or the runtime's usual program under the tool's default
    /// launcher. A launcher of the user's own (`poetry run …`, `bin/rails`)
    /// keeps the CLI; so does a driver that cannot start (logged).
    async fn driver(&mut self) -> Option<&mut driver::DriverProcess> {
        if self.want_driver {
            self.want_driver = false;
            self.driver = self.start_driver().await;
        }
        self.driver.as_mut()
    }

    async fn start_driver(&self) -> Option<driver::DriverProcess> {
        let def = steps_of(self.tool).ok()?;
        let d = def.driver?;
        // The session's launcher is the tool's default when none was given.
        let how = driver::Launch::of(
            d,
            &self.launcher,
            def.launcher,
            self.tool.def().cli.programs,
        )?;
        match driver::DriverProcess::start(d, &how, &self.project, &self.runner(), self.tool.id())
            .await
        {
            Ok(p) => {
                tracing::debug!(tool = self.tool.id(), version = ?p.version, "replay driver started");
                Some(p)
            }
            Err(e) => {
                tracing::info!(
                    tool = self.tool.id(),
                    error = %crate::text::error_chain(&e),
                    "the replay driver did not start; running the tool's CLI per step"
                );
                None
            }
        }
    }

    /// Ends the driver process, if one runs.
    pub async fn close(&mut self) {
        if let Some(d) = self.driver.take() {
            d.quit().await;
        }
    }

    /// Runs one of a repair plan's commands: in the driver's process when it
    /// runs that command, else with the CLI (`cli_args` are the runner's
    /// arguments for it).
    pub async fn run_command(
        &mut self,
        args: &[String],
        cli_args: &[String],
        during: &str,
    ) -> Result<Output, ReplayError> {
        if let Some(d) = self.driver().await
            && let Some(out) = d.cli(args, during).await?
        {
            return Ok(out);
        }
        self.runner().run(cli_args, during).await
    }

    /// The revisions to step to, in the tool's order.
    async fn list(&mut self, list: &Lister) -> Result<Vec<Target>, ReplayError> {
        if !matches!(list, Lister::Files { .. })
            && let Some(d) = self.driver().await
        {
            return d.list().await;
        }
        let project = self.project.clone();
        list_targets(list, &project, &self.runner()).await
    }

    /// Applies one step: the next pending migration, or up to `target`.
    /// Returns what the tool did and how the step is named in messages.
    async fn step(
        &mut self,
        step: &Step,
        target: Option<&Target>,
        during: &str,
    ) -> Result<(Output, String), ReplayError> {
        if let Some(d) = self.driver().await {
            let shown = match target {
                Some(t) => format!("{} to {}", d.shown, t.name),
                None => format!("{} next", d.shown),
            };
            let out = match target {
                Some(t) => d.to(t, during).await?,
                None => d.next(during).await?,
            };
            return Ok((out, shown));
        }
        let args = match (step, target) {
            (Step::Next { args, .. }, _) => args(&self.project),
            (Step::To { args, .. }, Some(t)) => args(&self.project, t),
            (Step::To { .. }, None) => Vec::new(),
        };
        let runner = self.runner();
        let out = runner.run(&args, during).await?;
        Ok((out, runner.display(&args)))
    }

    fn runner(&self) -> runner::Runner<'_> {
        runner::Runner {
            dir: &self.dir,
            launcher: &self.launcher,
            connect: &self.connect,
            timeout: self.timeout,
            secret: &self.secret,
            fallback_url: &self.fallback,
        }
    }
}

// Long on purpose: the replay's sequence (list the targets, apply each, introspect, record
// what failed) with its error handling in one place, so the shadow's lifetime is visible at a glance.
async fn run(
    def: &ReplayDef,
    opts: &ReplayOptions,
    shadow: &mut Shadow,
    session: &mut ToolSession,
    only: Option<&BTreeSet<String>>,
) -> Result<Replayed, ReplayError> {
    let targets = match &def.step {
        Step::To { list, .. } => Some(session.list(list).await?),
        Step::Next { .. } => None,
    };

    let mut previous = Schema::default();
    let mut recorded: Vec<String> = Vec::new();
    let mut revisions: Vec<Revision> = Vec::new();
    let mut steps = Vec::new();
    let mut ledger_table: Option<String> = None;
    let mut index = 0usize;
    loop {
        // Every wanted revision is there: the shadow is at the state asked for.
        if only.is_some_and(|o| o.iter().all(|id| recorded.contains(id))) {
            break;
        }
        let target = match (&def.step, &targets) {
            (Step::Next { .. }, _) => None,
            (Step::To { .. }, Some(ts)) => match ts.get(index) {
                Some(t) => Some(t),
                None => break,
            },
            (Step::To { .. }, None) => break,
        };
        index += 1;
        let during = target.map_or_else(
            || format!("applying migration {}", revisions.len() + 1),
            |t| format!("migrating to {}", t.id),
        );
        // A target an earlier step already applied (a dependency) is skipped.
        if let Some(t) = target
            && (recorded.contains(&t.id) || only.is_some_and(|o| !o.contains(&t.id)))
        {
            continue;
        }
        let (out, command) = session.step(&def.step, target, &during).await?;
        let tool_time = out.elapsed;
        let own_started = Instant::now();
        let (schema, ledger) = read(shadow, opts.tool, &during).await?;
        let now: Vec<String> = match &ledger {
            Some(l) => applied(l, target, &recorded),
            None => Vec::new(),
        };
        let new: Vec<String> = now
            .iter()
            .filter(|e| !recorded.contains(e))
            .cloned()
            .collect();
        if ledger.is_none() && out.success() && target.is_none() && revisions.is_empty() {
            return Err(ReplayError::NoLedger {
                command: command.clone(),
                tool: opts.tool.name(),
                output: out.tail(),
            });
        }
        if new.is_empty() {
            match (&def.step, target) {
                // Nothing left to apply.
                (Step::Next { done, .. }, _) if out.success() || out.says_any(done) => break,
                (Step::Next { .. }, _) => {
                    return Err(ReplayError::StepFailed {
                        command: command.clone(),
                        during,
                        status: out.status_text(),
                        output: out.tail(),
                    });
                }
                (Step::To { .. }, Some(t)) => {
                    return Err(if out.success() {
                        ReplayError::NotRecorded {
                            command: command.clone(),
                            target: t.id.clone(),
                            output: out.tail(),
                        }
                    } else {
                        ReplayError::StepFailed {
                            command: command.clone(),
                            during,
                            status: out.status_text(),
                            output: out.tail(),
                        }
                    });
                }
                (Step::To { .. }, None) => break,
            }
        }
        if !out.success() {
            // The tool recorded something and still failed: a migration broke half-way.
            return Err(ReplayError::StepFailed {
                command: command.clone(),
                during,
                status: out.status_text(),
                output: out.tail(),
            });
        }
        if let Some(extra) = only.and_then(|o| new.iter().find(|e| !o.contains(*e))) {
            return Err(ReplayError::List(format!(
                "`{command}` also applied {extra}, which the database does not have: the tool cannot rebuild the database's state on a shadow"
            )));
        }
        let id = match target {
            Some(t) if new.contains(&t.id) => t.id.clone(),
            _ => new[0].clone(),
        };
        let mut rev = Revision::new(Some(id.clone()), Changes::between(&previous, &schema));
        rev.entries = new.iter().filter(|e| **e != id).cloned().collect();
        rev.parents = target.map(|t| t.parents.clone()).unwrap_or_default();
        if let Some(l) = &ledger
            && opts
                .tool
                .ledger()
                .is_some_and(|d| !l.table.eq_ignore_ascii_case(d.table))
        {
            ledger_table = Some(l.table.clone());
        }
        recorded.extend(new);
        revisions.push(rev);
        previous = schema;
        let report = StepReport {
            revision: id,
            tool: tool_time,
            own: own_started.elapsed(),
        };
        if let Some(p) = &opts.progress {
            p(&report);
        }
        steps.push(report);
    }
    let mut expected = Expected::new(
        SourceKind::Snapshot,
        opts.project.dir.display().to_string(),
        revisions,
    );
    expected.tool = Some(opts.tool);
    expected.ledger_table = ledger_table;
    expected.set_engine(Some(opts.engine));
    expected.reindex();
    let driver = session
        .driver
        .as_ref()
        .map(|d| d.version.clone().unwrap_or_default());
    Ok(Replayed {
        expected,
        steps,
        driver,
    })
}

/// The ledger's entries after a step. Alembic records only heads: the
/// revision stepped to, and everything before, is what is applied.
fn applied(l: &Ledger, target: Option<&Target>, before: &[String]) -> Vec<String> {
    let heads = l.tool.ledger().is_some_and(|d| d.entries == Entries::Heads);
    match (heads, target) {
        (true, Some(t)) if l.current.contains(&t.id) => {
            let mut v = before.to_vec();
            v.push(t.id.clone());
            v
        }
        (true, _) => before.to_vec(),
        _ => l.applied.clone(),
    }
}

async fn read(
    shadow: &mut Shadow,
    tool: Tool,
    during: &str,
) -> Result<(Schema, Option<Ledger>), ReplayError> {
    let err = |source| ReplayError::Read {
        after: during.to_string(),
        source,
    };
    let schema = introspect::introspect(&mut shadow.conn, &IntrospectOptions::default())
        .await
        .map_err(err)?;
    let found = ledger::detect(&schema);
    let Some((t, table)) = found
        .iter()
        .find(|(t, _)| *t == tool)
        .or(found.first())
        .cloned()
    else {
        return Ok((schema, None));
    };
    let l = ledger::read(&mut shadow.conn, t, &table, &schema)
        .await
        .map_err(err)?;
    Ok((schema, Some(l)))
}

async fn list_targets(
    list: &Lister,
    project: &Project,
    runner: &runner::Runner<'_>,
) -> Result<Vec<Target>, ReplayError> {
    match list {
        Lister::Files { dir, ext, id } => {
            let path = project.dir.join(dir);
            let mut names: Vec<String> = std::fs::read_dir(&path)
                .map_err(|e| ReplayError::List(format!("{}: {e}", path.display())))?
                .flatten()
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| n.ends_with(ext))
                .collect();
            names.sort();
            let targets: Vec<Target> = names
                .into_iter()
                .filter_map(|n| {
                    id(&n).map(|i| Target {
                        id: i,
                        name: format!("{dir}/{n}"),
                        parents: Vec::new(),
                    })
                })
                .collect();
            if targets.is_empty() {
                return Err(ReplayError::List(format!(
                    "no migrations in {} (files ending in {ext})",
                    path.display()
                )));
            }
            Ok(targets)
        }
        Lister::Command { args, parse } => {
            let args = args(project);
            let out = runner.run(&args, "listing the migrations").await?;
            if !out.success() {
                return Err(ReplayError::StepFailed {
                    command: runner.display(&args),
                    during: "listing the migrations".into(),
                    status: out.status_text(),
                    output: out.tail(),
                });
            }
            let targets = parse(&out.stdout);
            if targets.is_empty() {
                return Err(ReplayError::List(format!(
                    "`{}` listed no migrations:\n{}",
                    runner.display(&args),
                    out.tail()
                )));
            }
            Ok(targets)
        }
    }
}
