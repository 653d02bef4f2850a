//! The lint engine: reads spec sources document by document, judges their
//! release steps, locates findings and applies suppressions.

pub mod judge;
pub mod suppress;

use crate::config::{Allow, Config};
use crate::location::{Located, Position, Unit};
use crate::redact;
use crate::release_step::{Extracted, Phase, ReleaseStep};
use crate::rules::{Rule, Severity, release};
use crate::source::files::{self, FileKind};
use crate::source::{self, Format};
use crate::yaml::{self, DocumentSplitter, RawDocument};
use globset::{GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::Serialize;
use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use suppress::{Suppression, SuppressionKind};

/// A rule broken by a release step.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    #[serde(serialize_with = "serialize_rule_id")]
    pub rule: &'static Rule,
    pub severity: Severity,
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
    pub message: String,
    /// What the step belongs to: ``PRE_DEPLOY job `release-migrate` ``.
    pub object: String,
    pub phase: Option<Phase>,
    /// The invocation as written.
    pub command: Option<String>,
    pub format: Format,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
    #[serde(skip)]
    pub source_line: String,
}

fn serialize_rule_id<S: serde::Serializer>(rule: &&'static Rule, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(rule.id)
}

/// Input that could not be read or understood: a file error, invalid YAML, an
/// object of the wrong shape. Any of these makes `lint` exit 2.
#[derive(Debug, Clone, Serialize)]
pub struct InputError {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
    #[serde(skip)]
    pub source_line: Option<String>,
}

/// Something worth telling that is not a problem (skipped Helm templates,
/// a file with no deploy spec).
#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub file: String,
    pub message: String,
}

/// Everything a lint run found.
#[derive(Debug, Default, Serialize)]
pub struct LintReport {
    pub findings: Vec<Finding>,
    pub errors: Vec<InputError>,
    pub notices: Vec<Notice>,
    pub files: usize,
    pub documents: usize,
    pub steps: usize,
    /// Steps that apply migrations: a workload that is the fix for a
    /// database behind its ledger.
    #[serde(skip)]
    pub applying_steps: usize,
}

impl LintReport {
    /// Findings that are not suppressed.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.active().filter(|f| f.severity == severity).count()
    }

    pub fn suppressed(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_some())
            .count()
    }

    /// Stable order: by file, position, rule.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (a.file.as_str(), a.line, a.column, a.rule.id).cmp(&(
                b.file.as_str(),
                b.line,
                b.column,
                b.rule.id,
            ))
        });
    }
}

struct CompiledAllow {
    entry: Allow,
    path: Option<GlobMatcher>,
    object: Option<GlobMatcher>,
}

/// Lints spec sources with one configuration.
pub struct Linter {
    config: Config,
    allow: Vec<CompiledAllow>,
    exclude: GlobSet,
}

fn glob(pattern: &str) -> Result<GlobMatcher, String> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| e.to_string())
}

impl Linter {
    pub fn new(config: Config) -> Result<Linter, String> {
        let allow = config
            .lint
            .allow
            .iter()
            .map(|a| {
                Ok(CompiledAllow {
                    entry: a.clone(),
                    path: a.path.as_deref().map(glob).transpose()?,
                    object: a.object.as_deref().map(glob).transpose()?,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let mut exclude = GlobSetBuilder::new();
        for g in &config.lint.exclude {
            exclude.add(GlobBuilder::new(g).build().map_err(|e| e.to_string())?);
        }
        Ok(Linter {
            allow,
            exclude: exclude.build().map_err(|e| e.to_string())?,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Lints files, directories and `-` (standard input).
    pub fn lint_paths(&self, paths: &[String]) -> LintReport {
        let mut report = LintReport::default();
        for p in paths {
            if p == "-" {
                let stdin = std::io::stdin();
                self.lint_reader(
                    stdin.lock(),
                    "<stdin>",
                    FileKind::Yaml(None),
                    true,
                    &mut report,
                );
                continue;
            }
            let path = Path::new(p);
            if path.is_dir() {
                let walk = files::walk(path);
                for chart in walk.charts {
                    report.notices.push(Notice {
                        file: chart.display().to_string(),
                        message: format!(
                            "Helm chart: templates are not YAML until rendered; lint them with `helm template {} | preflight lint -`",
                            chart.display()
                        ),
                    });
                }
                for (path, message) in walk.errors {
                    report
                        .errors
                        .push(error(&path.display().to_string(), None, message));
                }
                for file in walk.files {
                    if self.is_excluded(&file) {
                        continue;
                    }
                    self.lint_file(&file, files::kind_for_explicit(&file), false, &mut report);
                }
            } else {
                self.lint_file(path, files::kind_for_explicit(path), true, &mut report);
            }
        }
        report.sort();
        report
    }

    fn is_excluded(&self, path: &Path) -> bool {
        let rel = path.strip_prefix(&self.config.base_dir).unwrap_or(path);
        let rel = rel.strip_prefix("./").unwrap_or(rel);
        self.exclude.is_match(rel)
    }

    /// Lints one file; `explicit` when the user named it (a walk skips files
    /// that turn out not to be specs silently).
    pub fn lint_file(&self, path: &Path, kind: FileKind, explicit: bool, report: &mut LintReport) {
        let display = path.display().to_string();
        report.files += 1;
        match kind {
            FileKind::Procfile => match files::read_text(path) {
                Ok(text) => {
                    let extracted = source::procfile::extract(&text);
                    self.lint_extracted(
                        &Unit::new(&text, 1),
                        &display,
                        Format::Procfile,
                        extracted,
                        report,
                    );
                }
                Err(e) => report.errors.push(error(&display, None, e)),
            },
            FileKind::FlyToml | FileKind::RailwayToml => match files::read_text(path) {
                Ok(text) => {
                    let (format, result) = if kind == FileKind::FlyToml {
                        (Format::Fly, source::fly::extract(&text))
                    } else {
                        (Format::Railway, source::railway::extract_toml(&text))
                    };
                    let unit = Unit::new(&text, 1);
                    match result {
                        Ok(extracted) => {
                            self.lint_extracted(&unit, &display, format, extracted, report)
                        }
                        Err(e) => {
                            let loc = e.span.map(|s| unit.locate(s));
                            report.errors.push(located_error(
                                &display,
                                loc,
                                format!("invalid TOML: {}", e.message),
                            ));
                        }
                    }
                }
                Err(e) => report.errors.push(error(&display, None, e)),
            },
            FileKind::Yaml(hint) => match std::fs::File::open(path) {
                Ok(file) => {
                    report.files -= 1; // counted by lint_reader
                    self.lint_reader(file, &display, FileKind::Yaml(hint), explicit, report);
                }
                Err(e) => report.errors.push(error(&display, None, e.to_string())),
            },
        }
    }

    /// Lints a YAML/JSON stream document by document.
    pub fn lint_reader(
        &self,
        reader: impl Read,
        display: &str,
        kind: FileKind,
        explicit: bool,
        report: &mut LintReport,
    ) {
        report.files += 1;
        let hint = match kind {
            FileKind::Yaml(h) => h,
            _ => None,
        };
        let reader = match files::text_reader(reader) {
            Ok(r) => r,
            Err(e) => {
                report.errors.push(error(display, None, e.to_string()));
                return;
            }
        };
        let mut recognised = false;
        let mut parsed_any = false;
        for doc in DocumentSplitter::new(reader) {
            match doc {
                Ok(doc) => {
                    report.documents += 1;
                    let (parsed, found) = self.lint_document(&doc, display, hint, report);
                    parsed_any |= parsed;
                    recognised |= found;
                }
                Err(e) => {
                    report.errors.push(error(display, None, e.to_string()));
                    break;
                }
            }
        }
        if explicit && parsed_any && !recognised {
            report.notices.push(Notice {
                file: display.to_owned(),
                message: "no deploy spec found (not a DigitalOcean, Kubernetes, Render or Railway document)".into(),
            });
        }
    }

    /// Returns (document was parsed, a deploy spec was recognised).
    fn lint_document(
        &self,
        doc: &RawDocument,
        display: &str,
        hint: Option<Format>,
        report: &mut LintReport,
    ) -> (bool, bool) {
        let unit = Unit::new(&doc.text, doc.first_line);
        if source::looks_like_helm_template(&doc.text) {
            let at = doc.text.find("{{").unwrap_or(0);
            report.errors.push(located_error(
                display,
                Some(unit.locate(at..at + 2)),
                "raw Helm template, not YAML yet: render it first, e.g. `helm template <chart> | preflight lint -`".into(),
            ));
            return (false, false);
        }
        if !source::may_hold_release_steps(&doc.text) {
            return (false, true);
        }
        let roots = match yaml::parse_document(&doc.text) {
            Ok(r) => r,
            Err(e) => {
                report.errors.push(located_error(
                    display,
                    Some(unit.locate(e.offset..e.offset + 1)),
                    format!("invalid YAML: {}", e.message),
                ));
                return (false, false);
            }
        };
        let mut recognised = false;
        for root in &roots {
            if let Some((format, extracted)) = source::extract_document(root, &doc.text, hint) {
                recognised = true;
                self.lint_extracted(&unit, display, format, extracted, report);
            }
        }
        (!roots.is_empty(), recognised || roots.is_empty())
    }

    /// Judges the steps of one unit and records located, filtered findings.
    pub fn lint_extracted(
        &self,
        unit: &Unit<'_>,
        display: &str,
        format: Format,
        extracted: Extracted,
        report: &mut LintReport,
    ) {
        for p in extracted.problems {
            report.errors.push(located_error(
                display,
                Some(unit.locate(p.at..p.at + 1)),
                p.message,
            ));
        }
        let mut app_migrates = vec![false; extracted.apps.len()];
        let mut reported_directives = HashSet::new();
        for step in &extracted.steps {
            report.steps += 1;
            let judgement = judge::judge_step(step);
            report.applying_steps += usize::from(judgement.applies_migrations);
            if judgement.handles_migrations
                && let Some(slot) = step.app.and_then(|a| app_migrates.get_mut(a))
            {
                *slot = true;
            }
            for j in judgement.findings {
                let ctx = FindingContext {
                    unit,
                    display,
                    format,
                    step: Some(step),
                };
                self.record(&ctx, j, &mut reported_directives, report);
            }
        }
        for (app, migrates) in extracted.apps.iter().zip(app_migrates) {
            if app.has_database && !migrates {
                let rule = &release::NO_MIGRATION_STEP;
                let j = judge::Judged {
                    rule,
                    severity: rule.severity,
                    span: app.database_at..app.database_at + "databases".len(),
                    message: format!("app `{}` {}", app.name, rule.message),
                    command: None,
                };
                let ctx = FindingContext {
                    unit,
                    display,
                    format,
                    step: None,
                };
                self.record(&ctx, j, &mut reported_directives, report);
            }
        }
    }

    fn record(
        &self,
        ctx: &FindingContext<'_>,
        j: judge::Judged,
        reported: &mut HashSet<usize>,
        report: &mut LintReport,
    ) {
        let severity = match self.config.lint.rules.get(j.rule.id) {
            Some(setting) => match setting.severity() {
                Some(s) => s,
                None => return,
            },
            None => j.severity,
        };
        let loc = ctx.unit.locate(j.span.clone());
        let mut suppressed = None;

        // Comments on or above the finding's line.
        for (directive, at) in suppress::comment_directives(ctx.unit, loc.start.line) {
            match directive {
                Ok(d) if d.covers(j.rule.id) => {
                    suppressed.get_or_insert(Suppression {
                        kind: SuppressionKind::Comment,
                        reason: d.reason,
                    });
                }
                Ok(_) => {}
                Err(message) => self.invalid_suppression(ctx, at, message, reported, report),
            }
        }
        // Annotations on the Kubernetes object.
        if let Some(step) = ctx.step {
            for (text, at) in &step.directives {
                match suppress::parse(text) {
                    Ok(d) if d.covers(j.rule.id) => {
                        suppressed.get_or_insert(Suppression {
                            kind: SuppressionKind::Annotation,
                            reason: d.reason,
                        });
                    }
                    Ok(_) => {}
                    Err(message) => self.invalid_suppression(ctx, *at, message, reported, report),
                }
            }
        }
        // The config allowlist.
        if suppressed.is_none() {
            let object_key = ctx.step.map(|s| s.object_key.as_str()).unwrap_or("");
            let rel_path = Path::new(ctx.display);
            let rel_path = rel_path
                .strip_prefix(&self.config.base_dir)
                .unwrap_or(rel_path);
            let rel_path = rel_path.strip_prefix("./").unwrap_or(rel_path);
            if let Some(a) = self.allow.iter().find(|a| {
                a.entry.rule == j.rule.id
                    && a.path.as_ref().is_none_or(|g| g.is_match(rel_path))
                    && a.object.as_ref().is_none_or(|g| g.is_match(object_key))
            }) {
                suppressed = Some(Suppression {
                    kind: SuppressionKind::Config,
                    reason: a.entry.reason.clone().unwrap_or_default(),
                });
            }
        }

        report.findings.push(finding(
            ctx, j.rule, severity, loc, j.message, j.command, suppressed,
        ));
    }

    fn invalid_suppression(
        &self,
        ctx: &FindingContext<'_>,
        at: usize,
        message: String,
        reported: &mut HashSet<usize>,
        report: &mut LintReport,
    ) {
        if !reported.insert(at) {
            return;
        }
        let rule = &release::INVALID_SUPPRESSION;
        let loc = ctx.unit.locate(at..at + suppress::MARKER.len());
        let message = format!("suppression ignored: {message}");
        report
            .findings
            .push(finding(ctx, rule, rule.severity, loc, message, None, None));
    }

    /// Lints text held in memory (tests, the daemon, the webhook).
    pub fn lint_text(&self, text: &str, display: &str, kind: FileKind) -> LintReport {
        let mut report = LintReport::default();
        match kind {
            FileKind::Procfile => {
                report.files = 1;
                let unit = Unit::new(text, 1);
                self.lint_extracted(
                    &unit,
                    display,
                    Format::Procfile,
                    source::procfile::extract(text),
                    &mut report,
                );
            }
            FileKind::FlyToml | FileKind::RailwayToml => {
                report.files = 1;
                let unit = Unit::new(text, 1);
                let (format, result) = if kind == FileKind::FlyToml {
                    (Format::Fly, source::fly::extract(text))
                } else {
                    (Format::Railway, source::railway::extract_toml(text))
                };
                match result {
                    Ok(ex) => self.lint_extracted(&unit, display, format, ex, &mut report),
                    Err(e) => report.errors.push(located_error(
                        display,
                        e.span.map(|s| unit.locate(s)),
                        format!("invalid TOML: {}", e.message),
                    )),
                }
            }
            FileKind::Yaml(_) => {
                self.lint_reader(text.as_bytes(), display, kind, true, &mut report)
            }
        }
        report.sort();
        report
    }
}

struct FindingContext<'a> {
    unit: &'a Unit<'a>,
    display: &'a str,
    format: Format,
    step: Option<&'a ReleaseStep>,
}

fn finding(
    ctx: &FindingContext<'_>,
    rule: &'static Rule,
    severity: Severity,
    loc: Located,
    message: String,
    command: Option<String>,
    suppressed: Option<Suppression>,
) -> Finding {
    // Specs may hold literal passwords (`-password=…`, URLs with credentials):
    // everything shown from the spec goes through redaction.
    Finding {
        rule,
        severity,
        file: ctx.display.to_owned(),
        line: loc.start.line,
        column: loc.start.column,
        end_line: loc.end.line,
        end_column: loc.end.column,
        message: redact::text(&message).into_owned(),
        object: ctx.step.map(|s| s.object.clone()).unwrap_or_default(),
        phase: ctx.step.map(|s| s.phase),
        command: command.map(|c| redact::text(&c).into_owned()),
        format: ctx.format,
        suppressed,
        source_line: redact::text(&loc.source_line).into_owned(),
    }
}

fn error(file: &str, position: Option<Position>, message: String) -> InputError {
    InputError {
        file: file.to_owned(),
        line: position.map(|p| p.line),
        column: position.map(|p| p.column),
        message,
        source_line: None,
    }
}

fn located_error(file: &str, loc: Option<Located>, message: String) -> InputError {
    InputError {
        file: file.to_owned(),
        line: loc.as_ref().map(|l| l.start.line),
        column: loc.as_ref().map(|l| l.start.column),
        message: redact::text(&message).into_owned(),
        source_line: loc.map(|l| redact::text(&l.source_line).into_owned()),
    }
}
