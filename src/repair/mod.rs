//! Repair plans: for every verdict but `in_sync`, the ordered steps that
//! bring ledger and schema back together, each a command in the tool's own
//! CLI (or the exact SQL on its ledger where the tool has none), with why.
//! A plan is built from the verdict alone (`plan`), then proven where the
//! expectations can be replayed (`prove`): a shadow database is brought to
//! the matched revision by the real tool, given the live ledger's rows, the
//! plan runs there, and only an `in_sync` result at the head proves it.
//! preflight never runs a plan against the target database.

mod ddl;
mod ledger_sql;
pub(crate) mod prove;
#[cfg(test)]
mod tests;

use crate::definitions::Dirty;
use crate::definitions::Ledger;
use crate::definitions::Unrecord;
use crate::definitions::{Entries, Tool};
use crate::diagnosis::{Verdict, join};
use crate::expected::Expected;
use crate::schema::{Engine, QName, Schema};
use serde::Serialize;

/// A repair plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The verdict it repairs.
    pub verdict: Verdict,
    pub tool: Option<Tool>,
    /// The database's engine (the client that runs SQL steps).
    pub engine: Engine,
    /// The command that runs the tool in every step (from the release step
    /// when one was linted, else the tool's usual one).
    pub launcher: String,
    /// Checks to make before the first step.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    pub steps: Vec<PlanStep>,
    /// Another way, with what it means (accepting an edit instead of restoring).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<PlanStep>,
    pub proof: Proof,
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanStep {
    /// Copy-paste ready: the command line, the SQL, the migration body, or
    /// what a person must do.
    pub text: String,
    pub why: String,
    #[serde(flatten)]
    pub action: StepAction,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepAction {
    /// The tool's CLI with these arguments after the launcher (the
    /// release step's carried options are only in the step's text).
    Command { args: Vec<String> },
    /// Exact SQL on the ledger table, run with the database's own client.
    Sql { sql: String },
    /// The body of a new migration: never to be run against the live
    /// database by hand.
    Migration { sql: String },
    /// Something only a person can do (restore a file, deploy code).
    Manual,
}

/// Whether the plan was proven on a shadow database.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Proof {
    pub status: ProofStatus,
    /// Why it is not proven, how it failed, or what proved it.
    pub reason: String,
    /// The step (1-based) that failed on the shadow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_step: Option<usize>,
    /// What ran on the shadow, redacted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub log: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProofStatus {
    Proven,
    #[default]
    NotProven,
    Failed,
}

impl ProofStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProofStatus::Proven => "proven",
            ProofStatus::NotProven => "not proven",
            ProofStatus::Failed => "failed",
        }
    }
}

impl Proof {
    pub fn not_proven(reason: impl Into<String>) -> Proof {
        Proof {
            status: ProofStatus::NotProven,
            reason: reason.into(),
            failed_step: None,
            log: Vec::new(),
        }
    }
}

impl Plan {
    pub fn is_proven(&self) -> bool {
        self.proof.status == ProofStatus::Proven
    }

    /// Only commands and ledger SQL: something a shadow can run.
    pub fn is_mechanical(&self) -> bool {
        !self.steps.is_empty()
            && self.steps.iter().all(|s| {
                matches!(
                    s.action,
                    StepAction::Command { .. } | StepAction::Sql { .. }
                )
            })
    }

    /// The plan as a shell script: commands as they are, SQL for the
    /// database's client, everything else as comments.
    pub fn shell(&self) -> String {
        let mut out = format!(
            "#!/bin/sh\n# preflight repair plan for `{}` ({})\nset -eu\n",
            self.verdict.as_str(),
            match self.proof.status {
                ProofStatus::Proven => "proven on a shadow database".to_string(),
                s => format!("{}: {}", s.as_str(), self.proof.reason),
            }
        );
        for b in &self.before {
            out.push_str(&format!("# check first: {b}\n"));
        }
        for (i, s) in self.steps.iter().enumerate() {
            out.push_str(&format!("\n# {}. {}\n", i + 1, s.why));
            match &s.action {
                StepAction::Command { .. } => out.push_str(&format!("{}\n", s.text)),
                StepAction::Sql { sql } => out.push_str(&client(self.engine, sql)),
                StepAction::Migration { sql } => {
                    out.push_str("# the body of a new migration (never run by hand against the live database):\n");
                    out.push_str(&comment_lines(sql, true));
                    out.push('\n');
                }
                StepAction::Manual => out.push_str(&format!("# {}\n", s.text)),
            }
        }
        for a in &self.alternatives {
            out.push_str(&format!("\n# instead: {}\n# {}\n", a.why, a.text));
        }
        out
    }
}

/// A SQL step as a command of the engine's own client.
fn client(engine: Engine, sql: &str) -> String {
    let quoted = crate::command::shell_join([sql]);
    match engine {
        Engine::Postgres => format!("psql \"$DATABASE_URL\" -v ON_ERROR_STOP=1 -c {quoted}\n"),
        Engine::Mysql => format!(
            "# connection options from ~/.my.cnf, or add -h, -u, -p and the database:\nmariadb -e {quoted}\n"
        ),
        Engine::Sqlite => format!("sqlite3 \"$DATABASE_FILE\" {quoted}\n"),
    }
}

fn comment_lines(text: &str, comment: bool) -> String {
    if !comment {
        return text.to_string();
    }
    text.lines()
        .map(|l| format!("#   {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a plan is built from.
pub struct Inputs<'a> {
    pub verdict: Verdict,
    pub ledger: Option<&'a Ledger>,
    pub matched_revision: Option<&'a str>,
    pub recorded_not_applied: &'a [String],
    pub pending: &'a [String],
    pub partly_applied: Option<&'a crate::diagnosis::PartlyApplied>,
    pub drift: &'a [crate::drift::DriftItem],
    pub compared_with: Option<&'a str>,
    pub expected: &'a Expected,
    pub live: &'a Schema,
    /// The release step's launcher, when a spec was linted.
    pub launcher: Option<&'a Launcher>,
}

/// How a release step runs the tool: the words before its verb, and the
/// options after it that every command needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Launcher {
    pub words: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub carried: Vec<String>,
}

/// The plan for a verdict; `None` for `in_sync` and `error`.
pub fn plan(i: &Inputs) -> Option<Plan> {
    let tool = i.ledger.map(|l| l.tool).or(i.expected.tool);
    let launcher: Launcher = match (i.launcher, tool) {
        (Some(l), _) if !l.words.is_empty() => l.clone(),
        (_, Some(t)) => Launcher {
            words: t.def().cli.run_as.iter().map(|s| s.to_string()).collect(),
            carried: Vec::new(),
        },
        _ => Launcher::default(),
    };
    let mut b = Builder {
        inputs: i,
        tool,
        launcher,
        plan: Plan {
            verdict: i.verdict,
            tool,
            engine: i.live.engine.unwrap_or(Engine::Postgres),
            launcher: String::new(),
            before: Vec::new(),
            steps: Vec::new(),
            alternatives: Vec::new(),
            proof: Proof::not_proven("not tried"),
        },
    };
    b.plan.launcher = crate::redact::text(&command_line(b.launcher.words.iter())).into_owned();
    match i.verdict {
        Verdict::InSync | Verdict::Error => return None,
        Verdict::Pending => b.apply(),
        Verdict::LedgerAhead => b.ledger_ahead(),
        Verdict::Dirty => b.dirty(),
        Verdict::ChecksumMismatch => b.checksum(),
        Verdict::UnknownRevision => b.unknown(),
        Verdict::ManualChange => b.manual_change(),
    }
    let mut plan = b.plan;
    plan.proof = if plan.is_mechanical() {
        Proof::not_proven(
            "no project to run the tool in: give --project (and how to run the tool with --prove-with) to prove the plan on a shadow database",
        )
    } else {
        Proof::not_proven("the plan has steps only a person can take; a shadow cannot run them")
    };
    Some(plan)
}

struct Builder<'a> {
    inputs: &'a Inputs<'a>,
    tool: Option<Tool>,
    launcher: Launcher,
    plan: Plan,
}

impl Builder<'_> {
    /// A step of the tool's CLI. The text is what a person runs (launcher,
    /// arguments, the release step's carried options, passwords shown as
    /// `***`); `args` are the step's own arguments only — a proof runs them
    /// with its own launcher against the shadow, so nothing from the release
    /// step (a `--url` it carries) can point it at the target.
    fn command(&self, args: Vec<String>, why: String) -> PlanStep {
        let line = command_line(
            self.launcher
                .words
                .iter()
                .chain(&args)
                .chain(&self.launcher.carried),
        );
        PlanStep {
            text: crate::redact::text(&line).into_owned(),
            why,
            action: StepAction::Command { args },
        }
    }

    fn manual(text: impl Into<String>, why: impl Into<String>) -> PlanStep {
        PlanStep {
            text: text.into(),
            why: why.into(),
            action: StepAction::Manual,
        }
    }

    fn engine(&self) -> Engine {
        self.inputs.live.engine.unwrap_or(Engine::Postgres)
    }

    /// The apply command, with the revisions it will run.
    fn apply(&mut self) {
        let Some(tool) = self.tool else {
            self.plan.steps.push(Self::manual(
                "run the project's migrations with its tool",
                "no ledger was found, so the tool is unknown",
            ));
            return;
        };
        let pending: Vec<String> = self
            .inputs
            .recorded_not_applied
            .iter()
            .chain(self.inputs.pending)
            .cloned()
            .collect();
        let pending = &pending[..];
        let why = if pending.is_empty() {
            "apply the revisions the ledger does not record".to_string()
        } else {
            format!("apply {} with the tool", join(&shorten(pending)))
        };
        let step = self.command(apply_args(tool, self.inputs.expected), why);
        self.plan.steps.push(step);
    }

    fn ledger_ahead(&mut self) {
        let (Some(tool), Some(ledger)) = (self.tool, self.inputs.ledger) else {
            return self.apply();
        };
        let skipped = self.inputs.recorded_not_applied;
        if skipped.is_empty() {
            self.plan.steps.push(Self::manual(
                format!(
                    "preflight snapshot --replay {} --shadow-url URL -o expected.json",
                    tool.id()
                ),
                "expectations per revision are needed to know which revisions were recorded without running: the head alone cannot say",
            ));
            return;
        }
        let kept = kept_heads(self.inputs, ledger, skipped);
        let why = format!(
            "take {} out of {} without touching the schema, so the ledger says {}",
            join(&shorten(skipped)),
            ledger.table,
            if kept.is_empty() {
                "nothing was applied".to_string()
            } else {
                format!("what the schema has ({})", kept.join(", "))
            }
        );
        match &tool.repair().unrecord {
            Unrecord::To(args) => {
                let step = self.command(args(&kept), why);
                self.plan.steps.push(step);
            }
            Unrecord::PerApp => {
                for (app, to) in django_targets(ledger, skipped) {
                    let step = self.command(
                        vec!["migrate".into(), "--fake".into(), app.clone(), to.clone()],
                        format!(
                            "record {app} as migrated only up to {to}, without running anything ({})",
                            why
                        ),
                    );
                    self.plan.steps.push(step);
                }
            }
            Unrecord::Rows(key) => {
                match ledger_sql::delete(self.engine(), ledger, self.inputs.live, *key, skipped) {
                    Ok(sql) => self.plan.steps.push(PlanStep {
                        text: sql.clone(),
                        why: format!("{why} ({} has no command for it)", tool.name()),
                        action: StepAction::Sql { sql },
                    }),
                    Err(e) => self.plan.steps.push(Self::manual(
                        format!("delete the rows of {} from {}", join(skipped), ledger.table),
                        e.to_string(),
                    )),
                }
            }
        }
        self.apply();
    }

    fn dirty(&mut self) {
        let (Some(tool), Some(ledger)) = (self.tool, self.inputs.ledger) else {
            return self.apply();
        };
        if let Some(p) = self.inputs.partly_applied
            && !p.present.is_empty()
        {
            self.plan.before.push(format!(
                "{} ran in part: undo what it did ({}) or finish it by hand, so that the schema is again what {} left",
                p.revision,
                join(&p.present),
                self.inputs.matched_revision.unwrap_or("the previous revision")
            ));
        } else if !ledger.dirty.is_empty() {
            self.plan.before.push(format!(
                "read the failed migration's error in the deploy log, and that none of {}'s changes are left in the schema (preflight found none)",
                join(&ledger.dirty)
            ));
        }
        if ledger.dirty.is_empty() {
            // Not recorded at all (DDL is not transactional on MySQL): once
            // its traces are undone, applying again is the whole repair.
            return self.apply();
        }
        let failed = &ledger.dirty[0];
        let previous = previous_of(self.inputs.expected, failed)
            .or(self.inputs.matched_revision.map(str::to_owned));
        match &tool.repair().dirty {
            Dirty::Command { args, means } => {
                let step = self.command(args(failed, previous.as_deref()), means.to_string());
                self.plan.steps.push(step);
            }
            Dirty::Rows(key) => match ledger_sql::delete(
                self.engine(),
                ledger,
                self.inputs.live,
                *key,
                &ledger.dirty,
            ) {
                Ok(sql) => self.plan.steps.push(PlanStep {
                    text: sql.clone(),
                    why: format!("remove the failed record of {failed}, so that it runs again"),
                    action: StepAction::Sql { sql },
                }),
                Err(e) => self.plan.steps.push(Self::manual(
                    format!("remove the failed record of {failed}"),
                    e.to_string(),
                )),
            },
            Dirty::None => {}
        }
        self.apply();
    }

    fn checksum(&mut self) {
        let tool = self.tool;
        self.plan.steps.push(Self::manual(
            "restore the applied migration files as they were when they ran (`git log -p -- <file>` shows the edit)",
            "the database ran the old text; an edit of an applied migration never runs anywhere already migrated",
        ));
        if let Some(a) = tool.and_then(|t| t.repair().accept_checksum.as_ref()) {
            let step = self.command(
                a.args.iter().map(|s| s.to_string()).collect(),
                a.means.to_string(),
            );
            self.plan.alternatives.push(step);
        }
    }

    fn unknown(&mut self) {
        let l = self.inputs.ledger;
        self.plan.steps.push(Self::manual(
            format!(
                "deploy the version of the code that has {} (or give preflight its migrations)",
                l.map_or_else(|| "the recorded revision".into(), Ledger::version)
            ),
            "the database was migrated by another version of the code: its migrations are not in these expectations",
        ));
        // Re-stamping is for a ledger edited by hand, after review.
        if let (Some(tool), Some(head)) = (self.tool, self.inputs.expected.head_id())
            && let Unrecord::To(args) = &tool.repair().unrecord
        {
            let step = self.command(
                args(&[head.to_string()]),
                format!(
                    "only after reviewing that the schema is {head}'s: record {head} instead of the unknown revision"
                ),
            );
            self.plan.alternatives.push(step);
        }
    }

    fn manual_change(&mut self) {
        let target = self
            .inputs
            .compared_with
            .and_then(|r| self.inputs.expected.position(r))
            .map(|i| self.inputs.expected.schema_at(i))
            .unwrap_or_else(|| self.inputs.expected.head().clone());
        let body = ddl::bring_to(self.engine(), &target, self.inputs.live, self.inputs.drift);
        let revision = self.inputs.compared_with.unwrap_or("the expected revision");
        if body.statements.is_empty() {
            self.plan.steps.push(Self::manual(
                "review the differences listed above and write a migration for those that should stay",
                "no DDL could be generated for them",
            ));
        } else {
            let sql = body.text();
            self.plan.steps.push(PlanStep {
                text: sql.clone(),
                why: format!(
                    "a new migration whose body brings the schema back to {revision}: review it, add it to the project, deploy it (never run it by hand against the live database)"
                ),
                action: StepAction::Migration { sql },
            });
        }
        for n in body.not_generated {
            self.plan.before.push(n);
        }
        if let Some(tool) = self.tool {
            let args = apply_args(tool, self.inputs.expected);
            let step = self.command(args, "apply the new migration the usual way".into());
            self.plan.steps.push(step);
        }
    }
}

/// The tool's apply command; the one for every head when the revisions
/// branch.
fn apply_args(tool: Tool, e: &Expected) -> Vec<String> {
    let def = tool.repair();
    let graph = e.revisions.iter().any(|r| !r.parents.is_empty());
    let heads = e
        .revisions
        .iter()
        .filter(|r| {
            r.id.as_ref().is_some_and(|id| {
                !e.revisions
                    .iter()
                    .any(|o| o.parents.iter().any(|p| p == id))
            })
        })
        .count();
    let args = match def.apply_heads {
        Some(many) if graph && heads > 1 => many,
        _ => def.apply,
    };
    args.iter().map(|s| s.to_string()).collect()
}

/// A command line to copy: words quoted where needed, and a variable that
/// is a whole word (`$DATABASE_URL`) in double quotes, so that it expands
/// as one word whatever its value holds.
fn command_line<'a>(words: impl Iterator<Item = &'a String>) -> String {
    words
        .map(|w| {
            let var = w.strip_prefix('$').is_some_and(|v| {
                let v = v.trim_start_matches('{').trim_end_matches('}');
                !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            });
            if var {
                format!("\"{w}\"")
            } else {
                crate::command::shell_join([w.as_str()])
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Long lists shortened for a step's reason.
fn shorten(v: &[String]) -> Vec<String> {
    if v.len() <= 4 {
        return v.to_vec();
    }
    let mut out = v[..3].to_vec();
    out.push(format!("{} more", v.len() - 3));
    out
}

/// What the ledger must say once the skipped revisions are out: the
/// matched revision, or, for a ledger of heads (Alembic branches), the head
/// of each branch among the revisions that really ran.
fn kept_heads(i: &Inputs, ledger: &Ledger, skipped: &[String]) -> Vec<String> {
    let heads = ledger
        .tool
        .ledger()
        .is_some_and(|d| d.entries != Entries::EachApplied);
    if !heads || ledger.current.len() < 2 {
        return i.matched_revision.map(str::to_owned).into_iter().collect();
    }
    let e = i.expected;
    let ran: Vec<usize> = ledger
        .current
        .iter()
        .filter_map(|h| e.position(h))
        .flat_map(|h| crate::diagnosis::ancestors(e, &[h]))
        .filter(|&j| e.id(j).is_some_and(|id| !skipped.iter().any(|s| s == id)))
        .collect();
    let mut kept: Vec<String> = ran
        .iter()
        .filter(|&&j| {
            // A head: no other revision that ran follows it.
            !ran.iter().any(|&k| {
                e.revisions[k]
                    .parents
                    .iter()
                    .any(|p| e.id(j) == Some(p.as_str()))
            })
        })
        .filter_map(|&j| e.id(j).map(str::to_owned))
        .collect();
    kept.sort();
    kept.dedup();
    kept
}

/// The revision before one, in the expectations' order.
fn previous_of(e: &Expected, id: &str) -> Option<String> {
    let i = e.position(id)?;
    if let Some(p) = e.revisions[i].parents.first() {
        return Some(p.clone());
    }
    i.checked_sub(1).and_then(|j| e.id(j)).map(str::to_owned)
}

/// Django: for each app with skipped migrations, the last migration of that
/// app that really ran (`zero` when none did).
fn django_targets(ledger: &Ledger, skipped: &[String]) -> Vec<(String, String)> {
    let mut apps: Vec<String> = Vec::new();
    for s in skipped {
        if let Some((app, _)) = s.split_once('.')
            && !apps.iter().any(|a| a == app)
        {
            apps.push(app.to_string());
        }
    }
    apps.into_iter()
        .map(|app| {
            let kept = ledger
                .applied
                .iter()
                .filter(|e| !skipped.contains(e))
                .filter_map(|e| e.split_once('.'))
                .filter(|(a, _)| *a == app)
                .map(|(_, n)| n.to_string())
                .next_back()
                .unwrap_or_else(|| "zero".into());
            (app, kept)
        })
        .collect()
}

/// Finds the launcher in a release command: the words before the tool's
/// first verb (`python -m alembic -c alembic.ini` in `python -m alembic -c
/// alembic.ini upgrade head`), and the options after it every step needs.
pub fn launcher_in(tool: Tool, words: &[String]) -> Option<Launcher> {
    let cli = &tool.def().cli;
    let at = words
        .iter()
        .position(|w| cli.subcommands.contains(&w.as_str()))?;
    if at == 0 {
        return None;
    }
    let mut carried = Vec::new();
    let mut rest = words[at + 1..].iter().peekable();
    while let Some(w) = rest.next() {
        if let Some((flag, _)) = w.split_once('=')
            && cli.carried.contains(&flag)
        {
            carried.push(w.clone());
        } else if cli.carried.contains(&w.as_str())
            && let Some(value) = rest.next()
        {
            carried.push(w.clone());
            carried.push(value.clone());
        }
    }
    Some(Launcher {
        words: words[..at].to_vec(),
        carried,
    })
}

/// The ledger table as a name.
pub(crate) fn ledger_qname(ledger: &Ledger) -> QName {
    QName::parse(&ledger.table)
}
