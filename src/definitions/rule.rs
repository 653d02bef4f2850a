//! Rules as preflight defines them: a rule of the catalogue (declared in its
//! tool's file, or in `rules/release.rs` for release steps as a whole), what
//! an invocation does (`Action`), and a tool's reading of one invocation
//! (`Classified`). Context is applied by the lint engine, not here.

use super::tool::Tool;
use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of hazard a rule describes; the lint engine applies context by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    /// Records migrations as applied (or unapplied) without running them.
    Stamp,
    /// Drops or wipes schema or data.
    Destroy,
    /// Moves the schema backwards.
    Rollback,
    /// Prints or plans SQL and applies nothing.
    PrintOnly,
    /// A risky option or environment override.
    Unsafe,
    /// About the release step as a whole.
    Step,
}

/// Whom a rule belongs to: a migration tool, or a group of rules about
/// something else (release steps as a whole). Its id prefixes the rule ids
/// and names the folder of the rule pages.
#[derive(Clone, Copy)]
pub enum Owner {
    Tool(Tool),
    Group(&'static RuleGroup),
}

/// Rules that belong to no migration tool.
#[derive(Debug)]
pub struct RuleGroup {
    pub id: &'static str,
    pub name: &'static str,
    pub docs_url: &'static str,
}

impl Owner {
    pub fn id(self) -> &'static str {
        match self {
            Owner::Tool(t) => t.id(),
            Owner::Group(g) => g.id,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Owner::Tool(t) => t.name(),
            Owner::Group(g) => g.name,
        }
    }

    pub fn docs_url(self) -> &'static str {
        match self {
            Owner::Tool(t) => t.docs_url(),
            Owner::Group(g) => g.docs_url,
        }
    }

    /// Directory name of its rule pages (its id).
    pub fn slug(self) -> &'static str {
        self.id()
    }
}

impl PartialEq for Owner {
    fn eq(&self, other: &Owner) -> bool {
        self.id() == other.id()
    }
}

impl Eq for Owner {}

impl std::fmt::Debug for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Owner {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.id())
    }
}

/// A rule of the catalogue. Every field is shown on the rule's documentation page.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, `<owner>/<name>`.
    pub id: &'static str,
    pub owner: Owner,
    pub kind: RuleKind,
    /// Default severity; context may lower or raise it (see the docs page).
    pub severity: Severity,
    /// One line, used as the page title.
    pub title: &'static str,
    /// Completes a message after the command: "`alembic stamp head` {message}".
    pub message: &'static str,
    /// What goes wrong, in a paragraph.
    pub explanation: &'static str,
    /// How to fix it.
    pub fix: &'static str,
    /// Commands that trigger the rule.
    pub examples: &'static [&'static str],
}

impl Rule {
    /// The first sentence of the fix, for one-line messages.
    pub fn short_fix(&self) -> &'static str {
        let s = self.fix.trim();
        match s.find(". ") {
            Some(i) => &s[..=i],
            None => s,
        }
    }

    /// Path of the rule's documentation page, relative to the repository root.
    pub fn doc_path(&self) -> String {
        format!("docs/rules/{}.md", self.id)
    }
}

/// What an invocation does to the database, across tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Applies pending migrations (`alembic upgrade head`, `prisma migrate deploy`).
    Apply,
    /// Runs something that probably applies migrations (`npm run migrate`).
    ApplyIndirect,
    /// Records migrations without running them.
    Stamp,
    /// Creates tables without migrations (`create_all`, schema load).
    CreateSchema,
    Destroy,
    Rollback,
    PrintOnly,
    /// Reads state only (`alembic current`, `migrate --check`).
    ReadOnly,
    /// Anything else the tool does.
    Other,
}

/// A rule an invocation breaks, with an optional detail for the message.
#[derive(Debug, Clone)]
pub struct Hit {
    pub rule: &'static Rule,
    /// Extra words for the message, e.g. which of several Rake tasks.
    pub detail: Option<String>,
    /// A severity other than the rule's default, when the tool knows the
    /// hazard is only possible (a pinned target that may be a rollback).
    pub severity: Option<Severity>,
}

impl Hit {
    pub fn new(rule: &'static Rule) -> Hit {
        Hit {
            rule,
            detail: None,
            severity: None,
        }
    }

    pub fn with(rule: &'static Rule, detail: impl Into<String>) -> Hit {
        Hit {
            rule,
            detail: Some(detail.into()),
            severity: None,
        }
    }
}

/// A tool's reading of one invocation.
#[derive(Debug, Clone)]
pub struct Classified {
    /// The tool that runs; `None` for a command that only seems to migrate
    /// (`npm run migrate`, `make migrate`).
    pub tool: Option<Tool>,
    pub action: Action,
    pub hits: Vec<Hit>,
}

impl Classified {
    pub fn new(tool: Tool, action: Action) -> Classified {
        Classified {
            tool: Some(tool),
            action,
            hits: Vec::new(),
        }
    }

    /// A command that probably applies migrations through a tool it does not name.
    pub fn indirect(action: Action) -> Classified {
        Classified {
            tool: None,
            action,
            hits: Vec::new(),
        }
    }

    pub fn hit(mut self, rule: &'static Rule) -> Classified {
        self.hits.push(Hit::new(rule));
        self
    }

    pub fn hit_with(mut self, rule: &'static Rule, detail: impl Into<String>) -> Classified {
        self.hits.push(Hit::with(rule, detail));
        self
    }

    /// A hit whose hazard is only possible: reported at a lower severity.
    pub fn maybe(
        mut self,
        rule: &'static Rule,
        severity: Severity,
        detail: impl Into<String>,
    ) -> Classified {
        let mut hit = Hit::with(rule, detail);
        hit.severity = Some(severity);
        self.hits.push(hit);
        self
    }
}
