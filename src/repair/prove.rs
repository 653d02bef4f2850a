//! Proof of a repair plan on a shadow database: the project's own tool
//! brings a throwaway database to the revisions that really ran on the
//! target, the live ledger's rows replace the shadow's, the plan runs there
//! step by step with the real tool, and the shadow is verified against the
//! same expectations. Only `in_sync` at the head proves the plan; a step
//! that fails is reported with the tool's error. The target database is
//! only read (its ledger rows), never written.

use super::{Plan, Proof, ProofStatus, StepAction, ddl, ledger_sql};
use crate::db::{self, ConnectOptions, DatabaseUrl};
use crate::definitions::Entries;
use crate::definitions::Ledger;
use crate::definitions::Project;
use crate::diagnosis::{self, Verdict};
use crate::expected::Expected;
use crate::expected::shadow::Shadow;
use crate::introspect::{self, IntrospectOptions};
use crate::ledger::{self};
use crate::replay::{self, ReplayOptions, ToolSession};
use crate::schema::{Engine, Schema, Table};
use std::collections::BTreeSet;
use std::time::Duration;

/// Where and how the plan is proven.
#[derive(Debug, Clone)]
pub struct ProveOptions {
    /// The project the tool runs in.
    pub project: Project,
    /// The command that runs the tool (the tool's replay launcher when empty).
    pub launcher: Vec<String>,
    /// The server where the shadow is created (SQLite: a temporary file).
    pub shadow_url: Option<DatabaseUrl>,
    pub connect: ConnectOptions,
    pub step_timeout: Duration,
    /// Run the tool through its replay driver when it has one.
    pub use_driver: bool,
}

/// What the plan is proven against: the verification's facts.
pub struct Facts<'a> {
    pub target: &'a DatabaseUrl,
    pub ledger: &'a Ledger,
    pub recorded_not_applied: &'a [String],
    pub expected: &'a Expected,
    pub live: &'a Schema,
}

/// Proves the plan, recording the outcome in `plan.proof`.
#[tracing::instrument(skip_all, fields(tool = %facts.ledger.tool, verdict = plan.verdict.as_str()))]
pub async fn prove(plan: &mut Plan, facts: &Facts<'_>, opts: &ProveOptions) {
    plan.proof = if !plan.is_mechanical() {
        Proof::not_proven("the plan has steps only a person can take; a shadow cannot run them")
    } else {
        match attempt(plan, facts, opts).await {
            Ok(p) | Err(p) => p,
        }
    };
    tracing::info!(status = plan.proof.status.as_str(), reason = %plan.proof.reason, "repair plan proof");
}

async fn attempt(plan: &Plan, facts: &Facts<'_>, opts: &ProveOptions) -> Result<Proof, Proof> {
    let tool = facts.ledger.tool;
    replay::steps_of(tool).map_err(|e| Proof::not_proven(e.to_string()))?;
    if !opts.project.dir.is_dir() {
        return Err(Proof::not_proven(format!(
            "{}: no such project directory",
            opts.project.dir.display()
        )));
    }
    let engine = facts.target.engine();
    if engine != Engine::Sqlite && opts.shadow_url.is_none() {
        return Err(Proof::not_proven(format!(
            "proving needs a throwaway {} server: pass --shadow-url",
            engine.name()
        )));
    }
    let only = ran(facts);
    let ropts = ReplayOptions {
        tool,
        project: opts.project.clone(),
        launcher: opts.launcher.clone(),
        shadow_url: opts.shadow_url.clone(),
        engine,
        connect: opts.connect.clone(),
        step_timeout: opts.step_timeout,
        progress: None,
        use_driver: opts.use_driver,
    };
    let mut shadow = Shadow::create_for_tool(engine, opts.shadow_url.as_ref(), &opts.connect)
        .await
        .map_err(|e| Proof::not_proven(format!("creating the shadow database: {e}")))?;
    let result = on_shadow(plan, facts, &ropts, &mut shadow, &only).await;
    shadow.drop().await;
    result
}

async fn on_shadow(
    plan: &Plan,
    facts: &Facts<'_>,
    ropts: &ReplayOptions,
    shadow: &mut Shadow,
    only: &BTreeSet<String>,
) -> Result<Proof, Proof> {
    let mut session = ToolSession::new(ropts, shadow)
        .await
        .map_err(|e| Proof::not_proven(crate::text::error_chain(&e)))?;
    let result = with_session(plan, facts, ropts, shadow, &mut session, only).await;
    session.close().await;
    result
}

// Long on purpose: the proof's steps on the shadow (rebuild, copy the ledger, run the plan,
// replay the expectation, compare) share the shadow and each returns early with why it is not proven.
/// The proof with the tool's session (and its driver process, when it has
/// one) kept from the rebuild of the shadow to the plan's last step.
async fn with_session(
    plan: &Plan,
    facts: &Facts<'_>,
    ropts: &ReplayOptions,
    shadow: &mut Shadow,
    session: &mut ToolSession,
    only: &BTreeSet<String>,
) -> Result<Proof, Proof> {
    let tool = facts.ledger.tool;
    let mut log = Vec::new();
    let built = replay::replay_to(ropts, shadow, session, only)
        .await
        .map_err(|e| {
            Proof::not_proven(format!(
                "{} could not bring a shadow database to the revisions the target has: {}",
                tool.name(),
                crate::text::error_chain(&e)
            ))
        })?;
    log.push(format!(
        "shadow brought to {} by {} ({} revisions)",
        built.expected.head_id().unwrap_or("nothing applied"),
        tool.name(),
        built.steps.len()
    ));
    copy_ledger(facts, shadow, &ropts.connect)
        .await
        .map_err(|e| {
            Proof::not_proven(format!(
                "copying the live ledger's rows to the shadow: {}",
                crate::text::error_chain(&e)
            ))
        })?;
    log.push(format!(
        "the shadow's {} given the live ledger's rows ({})",
        facts.ledger.table,
        facts.ledger.version()
    ));
    for (n, step) in plan.steps.iter().enumerate() {
        let failed = |reason: String, log: &[String]| Proof {
            status: ProofStatus::Failed,
            reason,
            failed_step: Some(n + 1),
            log: log.to_vec(),
        };
        match &step.action {
            StepAction::Command { args } => {
                let cli_args = match tool.repair().shadow_cli {
                    Some(map) => map(&ropts.project, args),
                    None => args.clone(),
                };
                let during = format!("step {} of the repair plan", n + 1);
                let out = session
                    .run_command(args, &cli_args, &during)
                    .await
                    .map_err(|e| {
                        failed(
                            format!("`{}`: {}", step.text, crate::text::error_chain(&e)),
                            &log,
                        )
                    })?;
                log.push(format!("$ {}  ({})", step.text, out.status_text()));
                if !out.success() {
                    return Err(failed(
                        format!(
                            "`{}` failed on the shadow ({}):\n{}",
                            step.text,
                            out.status_text(),
                            out.tail()
                        ),
                        &log,
                    ));
                }
            }
            StepAction::Sql { sql } => {
                shadow.conn.execute(sql).await.map_err(|e| {
                    failed(
                        format!("`{sql}` failed on the shadow: {}", db::clean_message(&e)),
                        &log,
                    )
                })?;
                log.push(format!("sql> {sql}"));
            }
            StepAction::Migration { .. } | StepAction::Manual => {
                return Err(Proof::not_proven(
                    "the plan has steps only a person can take",
                ));
            }
        }
    }
    let schema = introspect::introspect(&mut shadow.conn, &IntrospectOptions::default())
        .await
        .map_err(|e| Proof::not_proven(format!("reading the shadow after the plan: {e}")))?;
    let found = ledger::detect(&schema);
    let after = match found.iter().find(|(t, _)| *t == tool).or(found.first()) {
        Some((t, table)) => Some(
            ledger::read(&mut shadow.conn, *t, table, &schema)
                .await
                .map_err(|e| Proof::not_proven(format!("reading the shadow's ledger: {e}")))?,
        ),
        None => None,
    };
    let d = diagnosis::diagnose(facts.expected, after.as_ref(), &schema);
    if d.verdict == Verdict::InSync {
        Ok(Proof {
            status: ProofStatus::Proven,
            reason: format!(
                "on a shadow {} database at the revisions the target really has, holding the target's ledger rows, the plan ran with the real {} and left it in_sync at {}",
                facts.target.engine().name(),
                tool.name(),
                facts.expected.head_id().unwrap_or("the head")
            ),
            failed_step: None,
            log,
        })
    } else {
        Err(Proof {
            status: ProofStatus::Failed,
            reason: format!(
                "after the plan the shadow is {}: {}",
                d.verdict.as_str(),
                d.reason
            ),
            failed_step: None,
            log,
        })
    }
}

/// The ledger entries of the revisions that really ran on the target: what
/// the ledger records, less what was recorded without running and what
/// failed.
fn ran(f: &Facts) -> BTreeSet<String> {
    let e = f.expected;
    let skipped: BTreeSet<usize> = f
        .recorded_not_applied
        .iter()
        .chain(&f.ledger.dirty)
        .filter_map(|s| e.position(s))
        .collect();
    let entries = f
        .ledger
        .tool
        .ledger()
        .map_or(Entries::EachApplied, |d| d.entries);
    let positions: BTreeSet<usize> = match entries {
        Entries::EachApplied => f
            .ledger
            .applied
            .iter()
            .filter_map(|a| e.position(a))
            .collect(),
        Entries::Heads | Entries::Cumulative => {
            let heads: Vec<usize> = f
                .ledger
                .current
                .iter()
                .filter_map(|h| e.position(h))
                .collect();
            // Without a graph this is every revision up to the version
            // (golang-migrate's cumulative ledger); with one, the heads'
            // ancestors.
            diagnosis::ancestors(e, &heads)
        }
    };
    let wanted: BTreeSet<usize> = positions.difference(&skipped).copied().collect();
    // A revision that ran needs the ones it follows (a graph's ancestors).
    let wanted = if e.revisions.iter().any(|r| !r.parents.is_empty()) {
        let v: Vec<usize> = wanted.into_iter().collect();
        diagnosis::ancestors(e, &v)
            .into_iter()
            .filter(|i| !skipped.contains(i))
            .collect()
    } else {
        wanted
    };
    wanted
        .into_iter()
        .filter_map(|i| e.id(i).map(str::to_owned))
        .collect()
}

/// The live ledger's rows could not be copied to the shadow.
#[derive(Debug, thiserror::Error)]
enum CopyError {
    #[error("{0} is not in the live schema")]
    NotLive(String),
    #[error(transparent)]
    Connect(#[from] db::DbError),
    #[error(transparent)]
    Introspect(#[from] crate::introspect::QueryError),
    #[error("{what}")]
    Sql {
        what: String,
        #[source]
        source: db::ServerError,
    },
}

impl CopyError {
    fn sql(what: &str) -> impl Fn(sqlx::Error) -> CopyError + '_ {
        move |e| CopyError::Sql {
            what: what.to_string(),
            source: e.into(),
        }
    }
}

/// Replaces the shadow ledger's rows with the target's, column by column
/// as text (each engine converts text to the column's type). Identity
/// sequences are moved past the copied ids so the tool's next row fits.
async fn copy_ledger(
    f: &Facts<'_>,
    shadow: &mut Shadow,
    connect: &ConnectOptions,
) -> Result<(), CopyError> {
    let engine = f.target.engine();
    let wanted = super::ledger_qname(f.ledger);
    let (live_name, live_table) = ledger_sql::find(f.live, &wanted)
        .ok_or_else(|| CopyError::NotLive(f.ledger.table.clone()))?;
    let cols: Vec<String> = live_table.columns.iter().map(|c| c.name.clone()).collect();
    let t = crate::definitions::ledger::LedgerTable {
        engine,
        name: live_name,
        columns: cols.clone(),
    };
    let names: Vec<&str> = cols.iter().map(String::as_str).collect();
    let select = t.select(&names, None);
    // The user's TLS and timeouts, as for the verification itself.
    let mut conn = db::connect(f.target, connect).await?;
    let rows = async {
        conn.begin_read_only(connect).await.map_err(CopyError::sql(
            "starting a read-only transaction on the target",
        ))?;
        let rows = conn
            .text_rows(&select)
            .await
            .map_err(CopyError::sql("reading the target's ledger"))?;
        let _ = conn.rollback().await;
        Ok::<_, CopyError>(rows)
    }
    .await;
    conn.close().await;
    let rows = rows?;

    let shadow_schema =
        introspect::introspect(&mut shadow.conn, &IntrospectOptions::default()).await?;
    let table = match ledger_sql::find(&shadow_schema, live_name) {
        Some((q, _)) => ledger_sql::qualified(engine, q),
        None => {
            // Nothing ran on the target: the tool never made its table on
            // the shadow. Make it as the target has it.
            let create = create_like(engine, live_name, live_table);
            shadow
                .conn
                .execute(&create)
                .await
                .map_err(|e| CopyError::Sql {
                    what: create.clone(),
                    source: e.into(),
                })?;
            ledger_sql::qualified(engine, live_name)
        }
    };
    let quoted: Vec<String> = cols.iter().map(|c| db::quote_ident(engine, c)).collect();
    let mut sql = format!("DELETE FROM {table};");
    for r in &rows {
        let values: Vec<String> = r
            .iter()
            .map(|v| v.as_deref().map_or("NULL".into(), ledger_sql::literal))
            .collect();
        sql.push_str(&format!(
            "\nINSERT INTO {table} ({}) VALUES ({});",
            quoted.join(", "),
            values.join(", ")
        ));
    }
    shadow
        .conn
        .execute(&sql)
        .await
        .map_err(CopyError::sql("writing the rows"))?;
    if engine == Engine::Postgres {
        for c in &cols {
            let reset = format!(
                "SELECT setval(s, m) FROM (SELECT pg_get_serial_sequence({}, {}) AS s, (SELECT max({}) FROM {table}) AS m) x WHERE s IS NOT NULL AND m IS NOT NULL",
                ledger_sql::literal(&table),
                ledger_sql::literal(c),
                db::quote_ident(engine, c)
            );
            // Columns of types without max() (booleans) cannot own a sequence.
            let _ = shadow.conn.text_rows(&reset).await;
        }
    }
    Ok(())
}

fn create_like(engine: Engine, q: &crate::schema::QName, t: &Table) -> String {
    let mut target = Schema::new(engine);
    target.tables.insert(q.clone(), t.clone());
    let item = crate::drift::diff(&target, &Schema::new(engine), Default::default());
    ddl::bring_to(engine, &target, &Schema::new(engine), &item).text()
}
