//! The lint engine: reads spec sources document by document, judges their
//! release steps, locates findings and applies suppressions.

mod chart;
pub(crate) mod judge;
mod kustomize;
pub(crate) mod suppress;

use crate::config::{Allow, Config};
use crate::definitions::{Rule, Severity};
use crate::location::{Located, Position, Unit};
use crate::redact;
use crate::release_step::{Extracted, Phase, ReleaseStep};
use crate::rules::release;
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
    /// What a walk passed over and why (files that are not deploy specs, CI
    /// jobs that do not deploy); shown with `--verbose`.
    pub skipped: Vec<Notice>,
    pub files: usize,
    pub documents: usize,
    pub steps: usize,
    /// Steps that apply migrations: a workload that is the fix for a
    /// database behind its ledger.
    #[serde(skip)]
    pub applying_steps: usize,
    /// How release steps run each migration tool (apply or record), for
    /// repair plans: the launcher of the first step that applies wins.
    #[serde(skip)]
    pub launchers: Vec<(crate::definitions::Tool, crate::repair::Launcher)>,
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
    charts: source::helm::render::RenderOptions,
}

/// A configuration's glob that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("invalid glob `{pattern}`: {source}")]
pub struct GlobError {
    pub pattern: String,
    #[source]
    pub source: globset::Error,
}

fn glob(pattern: &str) -> Result<GlobMatcher, GlobError> {
    GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|source| GlobError {
            pattern: pattern.to_string(),
            source,
        })
}

impl Linter {
    pub fn new(config: Config) -> Result<Linter, GlobError> {
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
            .collect::<Result<Vec<_>, GlobError>>()?;
        let mut exclude = GlobSetBuilder::new();
        let invalid = |pattern: &str| {
            let pattern = pattern.to_string();
            move |source| GlobError { pattern, source }
        };
        for g in &config.lint.exclude {
            exclude.add(GlobBuilder::new(g).build().map_err(invalid(g))?);
        }
        Ok(Linter {
            allow,
            exclude: exclude.build().map_err(invalid("lint.exclude"))?,
            config,
            charts: Default::default(),
        })
    }

    /// How Helm charts are rendered (`--values`, `--set`, the `helm` binary).
    pub fn with_charts(mut self, charts: source::helm::render::RenderOptions) -> Linter {
        self.charts = charts;
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Lints files, directories and `-` (standard input).
    /// Lints one Kubernetes object given as JSON (with or without
    /// `apiVersion` and `kind`, which list responses leave out): the
    /// operator's workloads and the webhook's admission requests. `display`
    /// names it in findings.
    pub fn lint_object(
        &self,
        api_version: &str,
        kind: &str,
        object: &serde_json::Value,
        display: &str,
    ) -> LintReport {
        let typed = object.get("kind").and_then(serde_json::Value::as_str) == Some(kind)
            && object.get("apiVersion").and_then(serde_json::Value::as_str) == Some(api_version);
        // JSON is YAML: the Kubernetes source reads it like a manifest file.
        let text = if typed {
            serde_json::to_string(object)
        } else {
            let mut object = object.clone();
            if let Some(map) = object.as_object_mut() {
                map.insert("apiVersion".into(), api_version.into());
                map.insert("kind".into(), kind.into());
            }
            serde_json::to_string(&object)
        };
        self.lint_text(
            &text.unwrap_or_default(),
            display,
            crate::source::files::FileKind::Yaml(Some(crate::source::Format::Kubernetes)),
        )
    }

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
                self.lint_dir(path, &mut report);
            } else {
                self.lint_file(path, files::kind_for_explicit(path), true, &mut report);
            }
        }
        report.sort();
        report
    }

    /// A directory walk: deploy specs by name and place, YAML/JSON files that
    /// turn out to be specs, the resources of Kustomizations, Helm charts.
    fn lint_dir(&self, dir: &Path, report: &mut LintReport) {
        let walk = files::walk(dir);
        for (path, message) in walk.errors {
            report
                .errors
                .push(error(&path.display().to_string(), None, message));
        }
        for chart in &walk.charts {
            if !self.is_excluded(chart) {
                self.lint_chart(chart, report);
            }
        }
        let resources = kustomize::resources(&walk.files);
        for file in walk.files {
            if self.is_excluded(&file) {
                continue;
            }
            let kind = files::kind_for_explicit(&file);
            if kind == FileKind::Yaml(None) && resources.contains(&kustomize::normalize(&file)) {
                match std::fs::File::open(&file) {
                    Ok(f) => self.lint_stream(
                        f,
                        &file.display().to_string(),
                        FileKind::Yaml(Some(Format::Kubernetes)),
                        Placement::ByPlace,
                        report,
                    ),
                    Err(e) => {
                        report
                            .errors
                            .push(error(&file.display().to_string(), None, e.to_string()))
                    }
                }
                continue;
            }
            self.lint_file(&file, kind, false, report);
        }
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
                Err(e) => report.errors.push(error(&display, None, e.to_string())),
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
                Err(e) => report.errors.push(error(&display, None, e.to_string())),
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

    /// Lints a YAML/JSON stream document by document. `explicit` when the
    /// user named the stream; in a walk, a file that is not a deploy spec is
    /// passed over (see [`Placement`]).
    pub fn lint_reader(
        &self,
        reader: impl Read,
        display: &str,
        kind: FileKind,
        explicit: bool,
        report: &mut LintReport,
    ) {
        let placement = match kind {
            _ if explicit => Placement::Named,
            FileKind::Yaml(Some(_)) => Placement::ByPlace,
            _ => Placement::Found,
        };
        self.lint_stream(reader, display, kind, placement, report);
    }

    /// Lints a YAML/JSON stream whose standing is known (a walk marks the
    /// resources of a `kustomization.yaml` as specs by place).
    pub fn lint_stream(
        &self,
        reader: impl Read,
        display: &str,
        kind: FileKind,
        placement: Placement,
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
        let mut candidates = false;
        for doc in DocumentSplitter::new(reader) {
            match doc {
                Ok(doc) => {
                    report.documents += 1;
                    candidates |= source::may_hold_release_steps(&doc.text);
                    let (parsed, found) =
                        self.lint_document(&doc, display, hint, placement, report);
                    parsed_any |= parsed;
                    recognised |= found;
                }
                Err(e) if placement == Placement::Found => {
                    skip(report, display, format!("not text preflight reads: {e}"));
                    return;
                }
                Err(e) => {
                    report.errors.push(error(display, None, e.to_string()));
                    break;
                }
            }
        }
        if placement == Placement::Found && !candidates {
            skip(report, display, "no command, container or job in it".into());
        }
        if parsed_any && !recognised {
            let message = "no deploy spec found (not a DigitalOcean, Kubernetes, Render, Railway, CI or Compose document)";
            if placement == Placement::Found {
                skip(report, display, "not a deploy spec".into());
            } else {
                report.notices.push(Notice {
                    file: display.to_owned(),
                    message: message.into(),
                });
            }
        }
    }

    /// Returns (document was parsed, a deploy spec was recognised).
    fn lint_document(
        &self,
        doc: &RawDocument,
        display: &str,
        hint: Option<Format>,
        placement: Placement,
        report: &mut LintReport,
    ) -> (bool, bool) {
        let unit = Unit::new(&doc.text, doc.first_line);
        if !source::may_hold_release_steps(&doc.text) {
            return (false, true);
        }
        let (text, parsed) = match parse_spec_text(&doc.text, display) {
            Ok(ok) => ok,
            Err(e) => {
                self.unreadable(&doc.text, &unit, display, placement, e, report);
                return (false, false);
            }
        };
        if let Some(dup) = parsed.duplicates.first() {
            let loc = unit.locate(dup.offset..dup.offset + 1);
            if placement == Placement::Found && !looks_like_spec_by_content(&parsed.roots, hint) {
                return (false, true);
            }
            if placement == Placement::Found {
                report.notices.push(Notice {
                    file: display.to_owned(),
                    message: format!(
                        "skipped: {} (line {}); kubectl and most tools reject the file",
                        dup.message, loc.start.line
                    ),
                });
                return (false, true);
            }
            report.errors.push(located_error(
                display,
                Some(loc),
                format!("invalid YAML: {}", dup.message),
            ));
            return (false, false);
        }
        let mut recognised = false;
        for root in &parsed.roots {
            if let Some((format, extracted)) = source::extract_document(root, &text, hint) {
                recognised = true;
                self.lint_extracted(&unit, display, format, extracted, report);
            }
        }
        (
            !parsed.roots.is_empty(),
            recognised || parsed.roots.is_empty(),
        )
    }

    /// A document that is not YAML (or JSON with comments): an error when the
    /// file is a spec by name or place, or looks like a manifest; otherwise a
    /// walk passes over it.
    fn unreadable(
        &self,
        text: &str,
        unit: &Unit<'_>,
        display: &str,
        placement: Placement,
        e: yaml::YamlError,
        report: &mut LintReport,
    ) {
        let template = source::looks_like_helm_template(text);
        if placement == Placement::Found && (template || !looks_like_manifest(text)) {
            let why = if template {
                "a Go template, not YAML until rendered"
            } else {
                "not YAML or JSON preflight reads"
            };
            skip(report, display, format!("{why}: {}", e.message));
            return;
        }
        if template {
            let at = text.find("{{").unwrap_or(0);
            report.errors.push(located_error(
                display,
                Some(unit.locate(at..at + 2)),
                "raw Helm template, not YAML yet: lint the chart directory (`preflight lint <chart>`), or render it first, e.g. `helm template <chart> | preflight lint -`".into(),
            ));
            return;
        }
        report.errors.push(located_error(
            display,
            Some(unit.locate(e.offset..e.offset + 1)),
            format!("invalid YAML: {}", e.message),
        ));
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
        for p in extracted.skipped {
            let line = unit.locate(p.at..p.at + 1).start.line;
            skip(report, display, format!("line {line}: {}", p.message));
        }
        let mut reported_directives = HashSet::new();
        for p in extracted.not_judged {
            let rule = &release::NOT_JUDGED;
            let j = judge::Judged {
                rule,
                severity: rule.severity,
                span: p.at..p.at + 2,
                message: p.message,
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
        let mut app_migrates = vec![false; extracted.apps.len()];
        let mut judged_at = HashSet::new();
        for step in &extracted.steps {
            report.steps += 1;
            let judgement = judge::judge_step(step);
            report.applying_steps += usize::from(judgement.applies_migrations);
            report.launchers.extend(judgement.launchers.iter().cloned());
            if judgement.handles_migrations
                && let Some(slot) = step.app.and_then(|a| app_migrates.get_mut(a))
            {
                *slot = true;
            }
            for j in judgement.findings {
                // One finding per rule and place: a template's script shared
                // by several jobs (`extends`, YAML aliases) is reported once.
                if !judged_at.insert((j.rule.id, j.span.clone())) {
                    continue;
                }
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
                Err(e) => self.invalid_suppression(ctx, at, e.to_string(), reported, report),
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
                    Err(e) => self.invalid_suppression(ctx, *at, e.to_string(), reported, report),
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

/// How a file came to be linted, which decides what an unreadable file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The user named it (or it came on stdin): every problem is reported.
    Named,
    /// A walk found it where deploy specs live (`.do/app.yaml`, a workflow,
    /// a compose file, a kustomization's resource): unreadable is an error.
    ByPlace,
    /// A walk found a YAML/JSON file: it is a spec only if its content says so.
    Found,
}

fn skip(report: &mut LintReport, file: &str, message: String) {
    report.skipped.push(Notice {
        file: file.to_owned(),
        message,
    });
}

/// Parses a document; JSON files may carry comments (VS Code, devcontainers,
/// tsconfig), which are blanked and the text parsed again. Returns the text
/// the nodes' spans refer to.
fn parse_spec_text<'a>(
    text: &'a str,
    display: &str,
) -> Result<(std::borrow::Cow<'a, str>, yaml::Parsed), yaml::YamlError> {
    match yaml::parse_document_lenient(text) {
        Ok(p) => Ok((std::borrow::Cow::Borrowed(text), p)),
        Err(e) => {
            let json = display.to_ascii_lowercase().ends_with(".json")
                || text.trim_start().starts_with('{');
            match json.then(|| yaml::blank_json_comments(text)).flatten() {
                Some(blanked) => match yaml::parse_document_lenient(&blanked) {
                    Ok(p) => Ok((std::borrow::Cow::Owned(blanked), p)),
                    Err(_) => Err(e),
                },
                None => Err(e),
            }
        }
    }
}

/// Raw text with top-level `apiVersion:` and `kind:` lines: a Kubernetes
/// manifest, even when it does not parse.
fn looks_like_manifest(text: &str) -> bool {
    let mut api = false;
    let mut kind = false;
    for line in text.lines() {
        api |= line.starts_with("apiVersion:") || line.starts_with("\"apiVersion\"");
        kind |= line.starts_with("kind:") || line.starts_with("\"kind\"");
    }
    api && kind
}

/// A parsed document a walk found is a deploy spec by its content.
fn looks_like_spec_by_content(roots: &[yaml::Node], hint: Option<Format>) -> bool {
    roots.iter().any(|r| source::detect(r, hint).is_some())
}
