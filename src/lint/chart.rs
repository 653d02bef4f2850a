//! Helm charts as input. With `helm` available the chart is rendered with the
//! user's values and each rendered document is linted, its positions mapped
//! back to the template that produced it. Without it, or when rendering
//! fails, the templates are read one by one: literal commands are linted,
//! commands that are template expressions are reported as not judged, and a
//! template that still does not parse is read line by line.

use super::{FileKind, LintReport, Linter, Notice, Placement, error};
use crate::command::CommandText;
use crate::location::Unit;
use crate::release_step::{Extracted, Phase, ReleaseStep};
use crate::source::helm::{map::TemplateMap, render, template};
use crate::source::{Format, files, kubernetes};
use crate::yaml::{self, DocumentSplitter};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

impl Linter {
    pub(super) fn lint_chart(&self, chart: &Path, report: &mut LintReport) {
        let helm = render::find_helm(self.charts.helm.as_deref());
        let why = match &helm {
            Some(helm) => match render::render(helm, chart, &self.charts) {
                Ok(docs) => {
                    self.lint_rendered(chart, docs, report);
                    return;
                }
                Err(e) => format!("{}", ErrorChain(&e)),
            },
            None => "`helm` is not on PATH".to_owned(),
        };
        let values_ignored = if self.charts.values.is_empty() && self.charts.set.is_empty() {
            ""
        } else {
            "; `--values`/`--set` are not applied"
        };
        report.notices.push(Notice {
            file: chart.display().to_string(),
            message: format!(
                "Helm chart read without rendering ({why}){values_ignored}: literal commands are linted, templated ones are reported as not judged"
            ),
        });
        self.lint_templates(chart, report);
    }

    /// Lints `helm template` output, each finding moved to its template line.
    fn lint_rendered(
        &self,
        chart: &Path,
        docs: Vec<render::RenderedDocument>,
        report: &mut LintReport,
    ) {
        let mut templates = BTreeSet::new();
        for doc in docs {
            let path = chart.join(&doc.template);
            let display = path.display().to_string();
            templates.insert(path.clone());
            let mut sub = LintReport::default();
            self.lint_stream(
                doc.text.as_bytes(),
                &display,
                FileKind::Yaml(Some(Format::Kubernetes)),
                Placement::Named,
                &mut sub,
            );
            let template_text = files::read_text(&path).ok();
            let map = template_text.as_deref().map(TemplateMap::new);
            for mut f in sub.findings {
                f.format = Format::HelmChart;
                match map
                    .as_ref()
                    .and_then(|m| m.locate(&doc.text, f.line, f.column))
                {
                    Some((line, column)) => {
                        let width = if f.end_line == f.line {
                            f.end_column.saturating_sub(f.column)
                        } else {
                            1
                        };
                        f.line = line;
                        f.column = column;
                        f.end_line = line;
                        f.end_column = column + width;
                        if let Some(src) = template_text
                            .as_deref()
                            .and_then(|t| t.lines().nth(line as usize - 1))
                        {
                            f.source_line = crate::redact::text(src).into_owned();
                        }
                    }
                    None => {
                        f.message
                            .push_str(&format!(" (line {} of the rendered template)", f.line));
                    }
                }
                report.findings.push(f);
            }
            for mut e in sub.errors {
                e.message = format!("rendered chart: {}", e.message);
                report.errors.push(e);
            }
            report.documents += sub.documents;
            report.steps += sub.steps;
            report.applying_steps += sub.applying_steps;
            report.launchers.extend(sub.launchers.iter().cloned());
            report.skipped.extend(sub.skipped);
        }
        report.files += templates.len();
    }

    /// Reads the chart's templates (and its unpacked subcharts') without Helm.
    fn lint_templates(&self, chart: &Path, report: &mut LintReport) {
        let mut charts = vec![chart.to_path_buf()];
        while let Some(dir) = charts.pop() {
            for entry in sorted_entries(&dir.join("charts")) {
                if entry.join("Chart.yaml").is_file() {
                    charts.push(entry);
                } else if entry.extension().is_some_and(|e| e == "tgz") {
                    report.notices.push(Notice {
                        file: entry.display().to_string(),
                        message: "packaged subchart: read only when `helm` renders the chart"
                            .into(),
                    });
                }
            }
            for file in template_files(&dir.join("templates")) {
                match files::read_text(&file) {
                    Ok(text) => self.lint_template(&file, &text, report),
                    Err(e) => {
                        report
                            .errors
                            .push(error(&file.display().to_string(), None, e.to_string()))
                    }
                }
            }
        }
    }

    fn lint_template(&self, file: &Path, text: &str, report: &mut LintReport) {
        let display = file.display().to_string();
        report.files += 1;
        let sanitized = template::sanitize(text);
        let mut offset = 0;
        for doc in DocumentSplitter::new(sanitized.text.as_bytes()) {
            let Ok(doc) = doc else { break };
            let start = offset;
            offset += doc.text.len();
            report.documents += 1;
            let Some(original) = text.get(start..offset) else {
                break;
            };
            let unit = Unit::new(original, doc.first_line);
            if !crate::source::may_hold_release_steps(&doc.text) {
                continue;
            }
            let templated = |span: std::ops::Range<usize>| {
                sanitized
                    .templated(text, span.start + start..span.end + start)
                    .map(|a| (a.range.start - start, a.text.clone()))
            };
            // Duplicate keys in a template are `if`/`else` branches that both
            // set a key: each branch is a possible command, so the lines are
            // read one by one rather than keeping one of them.
            let parsed = yaml::parse_document_lenient(&doc.text).and_then(|p| {
                match p.duplicates.into_iter().next() {
                    Some(dup) => Err(yaml::YamlError {
                        message: format!("{} (conditional branches?)", dup.message),
                        offset: dup.offset,
                    }),
                    None => Ok(p.roots),
                }
            });
            match parsed {
                Ok(roots) => {
                    for root in roots.iter().filter(|r| kubernetes::detect(r)) {
                        let mut extracted =
                            kubernetes::extract_template(root, &doc.text, &templated);
                        for step in &mut extracted.steps {
                            step.object = show_placeholders(&step.object);
                        }
                        for p in &mut extracted.not_judged {
                            p.message = show_placeholders(&p.message);
                        }
                        self.lint_extracted(&unit, &display, Format::HelmChart, extracted, report);
                    }
                }
                Err(e) => {
                    let line = unit.locate(e.offset..e.offset + 1).start.line;
                    report.notices.push(Notice {
                        file: display.clone(),
                        message: format!(
                            "template not readable as YAML even without its actions ({} at line {line}): its commands were read line by line; with `helm` installed the chart is rendered instead",
                            e.message
                        ),
                    });
                    let extracted = line_by_line(&doc.text, &display);
                    self.lint_extracted(&unit, &display, Format::HelmChart, extracted, report);
                }
            }
        }
    }
}

/// Steps read line by line from a template that does not parse.
fn line_by_line(doc: &str, display: &str) -> Extracted {
    let hook = kubernetes::hook_phase_of(
        template::annotation(doc, "helm.sh/hook").as_deref(),
        template::annotation(doc, "argocd.argoproj.io/hook").as_deref(),
    );
    let phase = match hook {
        Some(Some(p)) => p,
        Some(None) => return Extracted::default(),
        None => Phase::Job,
    };
    let mut out = Extracted::default();
    for (span, text) in template::scan_lines(doc) {
        let line = doc[..span.start].matches('\n').count() + 1;
        let word = yaml::align_word(&text, doc, span.clone());
        out.steps.push(ReleaseStep {
            phase,
            object: format!("line {line} of the template (read line by line)"),
            object_key: format!("{display}:{line}"),
            command: Some(CommandText::Shell(word)),
            at: span.start,
            env: Vec::new(),
            directives: Vec::new(),
            app: None,
            failure_ignored: None,
        });
    }
    out
}

/// Names read from a template hold `_` placeholders where actions were
/// (`______-migrate`); messages show `{{…}}` there instead.
fn show_placeholders(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = 0;
    for c in text.chars().chain(std::iter::once('\0')) {
        if c == '_' {
            run += 1;
            continue;
        }
        if run >= 4 {
            out.push_str("{{…}}");
        } else {
            out.extend(std::iter::repeat_n('_', run));
        }
        run = 0;
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.sort();
    out
}

/// `templates/**/*.{yaml,yml}` except partials (`_helpers.tpl`, `_*.yaml`).
fn template_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for p in sorted_entries(&d) {
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.starts_with('_') && (name.ends_with(".yaml") || name.ends_with(".yml")) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// An error with its sources, for one-line messages.
struct ErrorChain<'a>(&'a dyn std::error::Error);

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(s) = source {
            write!(f, ": {s}")?;
            source = s.source();
        }
        Ok(())
    }
}
