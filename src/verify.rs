//! Verification: connect, introspect and read the ledger in one read-only
//! session, load the expected schema, and diagnose. Never fails: anything
//! that prevents checking is the verdict `error`, never `in_sync`.

use crate::db::cache::ConnectionCache;
use crate::db::{self, ConnectOptions, DatabaseUrl, DbError};
use crate::definitions::{Ledger, Tool};
use crate::diagnosis::{self, Diagnosis, PartlyApplied, Verdict};
use crate::expected::{self, Expected, ExpectedSpec, LoadContext, SourceKind};
use crate::introspect::{self, IntrospectOptions, QueryError};
use crate::ledger;
use crate::repair::{self, Plan};
use crate::schema::{Engine, Schema};
use serde::Serialize;
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    pub connect: ConnectOptions,
    pub introspect: IntrospectOptions,
    pub shadow_url: Option<DatabaseUrl>,
    /// Revision label for a single expected schema (SQL DDL).
    pub expected_revision: Option<String>,
    /// Reuse connections between checks (the daemon and the operator).
    pub connections: Option<Arc<ConnectionCache>>,
    /// How the release step runs the migration tool (from a linted spec),
    /// for the repair plan's commands.
    pub launcher: Option<repair::Launcher>,
    /// How the linted release steps run each tool (`check`): the ledger's
    /// tool's launcher is used when `launcher` is not given.
    pub spec_launchers: Vec<(crate::definitions::Tool, repair::Launcher)>,
    /// Where to prove the repair plan with the project's own tool.
    pub prove: Option<repair::prove::ProveOptions>,
}

/// What the expected schema was, for reports.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectedInfo {
    pub source: SourceKind,
    pub path: String,
    pub revisions: usize,
    pub head: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The result of verifying one database.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    /// The database, redacted.
    pub database: String,
    pub engine: Engine,
    pub verdict: Verdict,
    pub reason: String,
    pub ledger: Option<Ledger>,
    pub matched_revision: Option<String>,
    pub recorded_not_applied: Vec<String>,
    pub applied_not_recorded: Vec<String>,
    pub partly_applied: Option<PartlyApplied>,
    pub pending: Vec<String>,
    pub compared_with: Option<String>,
    pub drift: Vec<crate::drift::DriftItem>,
    pub expected: Option<ExpectedInfo>,
    /// What brings ledger and schema back together (every verdict but
    /// `in_sync` and `error`).
    pub repair: Option<Plan>,
    pub duration_ms: u128,
}

impl Verification {
    fn error(url: &DatabaseUrl, reason: String, started: Instant) -> Verification {
        Verification {
            database: url.redacted(),
            engine: url.engine(),
            verdict: Verdict::Error,
            reason,
            ledger: None,
            matched_revision: None,
            recorded_not_applied: Vec::new(),
            applied_not_recorded: Vec::new(),
            partly_applied: None,
            pending: Vec::new(),
            compared_with: None,
            drift: Vec::new(),
            expected: None,
            repair: None,
            duration_ms: started.elapsed().as_millis(),
        }
    }
}

/// The live state of a database: its schema and ledger, read in one session.
pub struct LiveState {
    pub schema: Schema,
    pub ledger: Option<Ledger>,
    /// Why a ledger that exists could not be read (no privilege on it).
    pub ledger_unreadable: Option<String>,
    /// The other ledgers (a database shared by two tools, or one a project's
    /// earlier tool left), read so that the one of the tool the expectations
    /// come from can be chosen once they are loaded.
    others: Vec<Ledger>,
    /// Other ledger tables that could not be read, as notes.
    unread_others: Vec<String>,
}

impl LiveState {
    /// The expectations come from `tool`: its ledger is the one whose claims
    /// are checked, whatever else the database holds (an `alembic_version`
    /// left behind by a project's earlier tool); the others stay notes.
    pub fn prefer(&mut self, tool: Tool) {
        if self.ledger.as_ref().is_some_and(|l| l.tool == tool) {
            return;
        }
        let Some(i) = self.others.iter().position(|l| l.tool == tool) else {
            return;
        };
        let chosen = self.others.remove(i);
        if let Some(previous) = self.ledger.replace(chosen) {
            self.others.insert(0, previous);
        }
    }

    /// The other ledger tables found, as `tool (table)`.
    pub fn other_ledgers(&self) -> Vec<String> {
        self.others
            .iter()
            .map(|l| format!("{} ({})", l.tool.id(), l.table))
            .chain(self.unread_others.iter().cloned())
            .collect()
    }
}

/// Why the live database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Connect(#[from] DbError),
    #[error("starting a read-only transaction on {url}")]
    Begin {
        url: String,
        #[source]
        source: db::ServerError,
    },
    #[error("introspecting {url}")]
    Introspect {
        url: String,
        #[source]
        source: QueryError,
    },
    #[error("{url}")]
    Ledger {
        url: String,
        #[source]
        source: QueryError,
    },
}

/// Reads the live schema and ledger in a read-only transaction with timeouts.
/// On a PostgreSQL primary a second connection shares the transaction's
/// snapshot, so introspection runs on two backends at once.
pub async fn read_live(url: &DatabaseUrl, opts: &VerifyOptions) -> Result<LiveState, LiveError> {
    let open = || async {
        match &opts.connections {
            Some(cache) => cache.get(url, &opts.connect).await,
            None => db::connect(url, &opts.connect).await,
        }
    };
    let (first, second) = if url.engine() == Engine::Postgres {
        let (a, b) = futures::join!(open(), open());
        (a, b.ok())
    } else {
        (open().await, None)
    };
    let mut conn = first?;
    let mut second = second;
    let mut helper = None;
    let result = async {
        conn.begin_read_only(&opts.connect).await.map_err(|e| LiveError::Begin { url: url.redacted(), source: e.into() })?;
        if let Some(mut other) = second.take() {
            match conn.export_snapshot().await {
                Some(id) if other.begin_read_only_at(&opts.connect, &id).await.is_ok() => helper = Some(other),
                _ => other.close().await,
            }
        }
        let (schema, h) = introspect::introspect_with(&mut conn, helper.take(), &opts.introspect).await.map_err(|source| LiveError::Introspect { url: url.redacted(), source })?;
        helper = h;
        let found = ledger::detect(&schema);
        let mut ledger = None;
        let mut ledger_unreadable = None;
        let mut unread_others = Vec::new();
        let mut others = Vec::new();
        for (i, (tool, table)) in found.iter().enumerate() {
            if i > 0 {
                // Read too (a database rarely holds two): the expectations
                // may name this tool. One that cannot be read stays a note.
                match ledger::read(&mut conn, *tool, table, &schema).await {
                    Ok(l) => others.push(l),
                    Err(_) => unread_others.push(format!("{} ({table})", tool.id())),
                }
                continue;
            }
            match ledger::read(&mut conn, *tool, table, &schema).await {
                Ok(l) => ledger = Some(l),
                // A monitoring role may see the catalogs but not the ledger:
                // the schema is still checked, and the report says why the
                // ledger's claims are not.
                Err(e) if e.is_permission_denied() => {
                    let said = e.server().map_or(String::new(), |s| s.message().to_string());
                    ledger_unreadable = Some(format!("{table} is not readable by this role ({said}); grant SELECT on it to check the ledger's claims"));
                }
                Err(source) => return Err(LiveError::Ledger { url: url.redacted(), source }),
            }
        }
        Ok(LiveState { schema, ledger, ledger_unreadable, others, unread_others })
    }
    .await;
    // Only a connection whose transaction ended cleanly is reused.
    for mut c in std::iter::once(conn).chain(helper) {
        match (
            &opts.connections,
            result.is_ok() && c.rollback().await.is_ok(),
        ) {
            (Some(cache), true) => cache.put(url, &opts.connect, c).await,
            _ => c.close().await,
        }
    }
    result
}

/// Verifies a database against an expected schema.
pub async fn verify(url: &DatabaseUrl, spec: &ExpectedSpec, opts: &VerifyOptions) -> Verification {
    let started = Instant::now();
    let ctx = LoadContext {
        engine: url.engine(),
        shadow_url: opts.shadow_url.as_ref(),
        target: Some(url),
        connect: &opts.connect,
        revision: opts.expected_revision.clone(),
    };
    // The expected schema (a snapshot to parse, a shadow to replay) and the
    // live one are independent: read them at the same time.
    let (expected, live) = futures::join!(expected::load(spec, &ctx), read_live(url, opts));
    let expected: Expected = match expected {
        Ok(e) => e,
        Err(e) => return Verification::error(url, format!("expected schema: {e}"), started),
    };
    let mut live = match live {
        Ok(l) => l,
        Err(e) => return Verification::error(url, crate::text::error_chain(&e), started),
    };
    if let Some(tool) = expected.tool {
        live.prefer(tool);
    }
    let Diagnosis {
        verdict,
        mut reason,
        matched_revision,
        recorded_not_applied,
        applied_not_recorded,
        partly_applied,
        pending,
        drift,
        compared_with,
    } = diagnosis::diagnose(&expected, live.ledger.as_ref(), &live.schema);
    if let Some(why) = &live.ledger_unreadable {
        reason.push_str(&format!("; {why}"));
    }
    let mut plan = repair::plan(&repair::Inputs {
        verdict,
        ledger: live.ledger.as_ref(),
        matched_revision: matched_revision.as_deref(),
        recorded_not_applied: &recorded_not_applied,
        pending: &pending,
        partly_applied: partly_applied.as_ref(),
        drift: &drift,
        compared_with: compared_with.as_deref(),
        expected: &expected,
        live: &live.schema,
        launcher: opts.launcher.as_ref().or_else(|| {
            let tool = live.ledger.as_ref()?.tool;
            opts.spec_launchers
                .iter()
                .find(|(t, _)| *t == tool)
                .map(|(_, l)| l)
        }),
    });
    if let (Some(p), Some(prove), Some(ledger)) = (&mut plan, &opts.prove, &live.ledger) {
        let facts = repair::prove::Facts {
            target: url,
            ledger,
            recorded_not_applied: &recorded_not_applied,
            expected: &expected,
            live: &live.schema,
        };
        repair::prove::prove(p, &facts, prove).await;
    }
    let other_ledgers = live.other_ledgers();
    if !other_ledgers.is_empty() {
        reason.push_str(&format!(
            " (other ledgers present: {})",
            other_ledgers.join(", ")
        ));
    }
    Verification {
        database: url.redacted(),
        engine: url.engine(),
        verdict,
        reason,
        ledger: live.ledger,
        matched_revision,
        recorded_not_applied,
        applied_not_recorded,
        partly_applied,
        pending,
        compared_with,
        drift,
        expected: Some(ExpectedInfo {
            source: expected.source,
            path: expected.path.clone(),
            revisions: expected.revisions.len(),
            head: expected.head_id().map(str::to_owned),
            notes: expected.notes.clone(),
        }),
        repair: plan,
        duration_ms: started.elapsed().as_millis(),
    }
}
