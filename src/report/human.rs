//! Human output: rustc-style diagnostics with the source line and a caret.

use crate::definitions::Severity;
use crate::lint::{Finding, InputError, LintReport};
use std::fmt::Write;

/// ANSI styling that can be switched off.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    pub fn severity(&self, s: Severity) -> String {
        match s {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
            Severity::Info => self.paint("1;36", "info"),
        }
    }
    /// `word` in the colour of `s`.
    pub fn severity_word(&self, s: Severity, word: &str) -> String {
        match s {
            Severity::Error => self.paint("1;31", word),
            Severity::Warning => self.paint("1;33", word),
            Severity::Info => self.paint("1;36", word),
        }
    }
    pub fn bold(&self, t: &str) -> String {
        self.paint("1", t)
    }
    pub fn blue(&self, t: &str) -> String {
        self.paint("1;34", t)
    }
    pub fn green(&self, t: &str) -> String {
        self.paint("1;32", t)
    }
}

/// Renders a lint report.
pub fn render_lint(
    report: &LintReport,
    style: Style,
    show_suppressed: bool,
    verbose: bool,
) -> String {
    let mut out = String::new();
    for e in &report.errors {
        render_input_error(&mut out, e, style);
    }
    for f in &report.findings {
        if f.suppressed.is_some() && !show_suppressed {
            continue;
        }
        render_finding(&mut out, f, style);
    }
    for n in &report.notices {
        let _ = writeln!(out, "{}: {}: {}\n", style.bold("note"), n.file, n.message);
    }
    if verbose {
        for n in &report.skipped {
            let _ = writeln!(out, "{}: {}: {}", style.bold("skipped"), n.file, n.message);
        }
        if !report.skipped.is_empty() {
            out.push('\n');
        }
    }
    let _ = writeln!(out, "{}", summary_line(report, style));
    out
}

pub fn render_input_error(out: &mut String, e: &InputError, style: Style) {
    let at = match (e.line, e.column) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", e.file),
        _ => e.file.clone(),
    };
    let _ = writeln!(
        out,
        "{}: {}",
        style.severity(Severity::Error),
        style.bold(&e.message)
    );
    let _ = writeln!(out, "  {} {at}", style.blue("-->"));
    if let (Some(line), Some(col), Some(src)) = (e.line, e.column, &e.source_line) {
        snippet(out, style, line, col, col + 1, src);
    }
    out.push('\n');
}

fn render_finding(out: &mut String, f: &Finding, style: Style) {
    let _ = writeln!(
        out,
        "{}[{}]: {}",
        style.severity(f.severity),
        style.bold(f.rule.id),
        style.bold(&f.message)
    );
    let _ = writeln!(
        out,
        "  {} {}:{}:{}",
        style.blue("-->"),
        f.file,
        f.line,
        f.column
    );
    let end = if f.end_line == f.line {
        f.end_column
    } else {
        f.column + 1
    };
    snippet(out, style, f.line, f.column, end, &f.source_line);
    let gutter = " ".repeat(f.line.to_string().len() + 1);
    if !f.object.is_empty() {
        let when = f
            .phase
            .map(|p| format!(", which {}", p.describe()))
            .unwrap_or_default();
        let _ = writeln!(out, "{gutter}{} in {}{when}", style.blue("="), f.object);
    }
    let _ = writeln!(
        out,
        "{gutter}{} {} {}",
        style.blue("="),
        style.bold("fix:"),
        f.rule.fix
    );
    let _ = writeln!(
        out,
        "{gutter}{} {} {}",
        style.blue("="),
        style.bold("docs:"),
        f.rule.doc_path()
    );
    if let Some(s) = &f.suppressed {
        let kind = match s.kind {
            crate::lint::suppress::SuppressionKind::Comment => "comment",
            crate::lint::suppress::SuppressionKind::Annotation => "annotation",
            crate::lint::suppress::SuppressionKind::Config => "config allowlist",
        };
        let _ = writeln!(
            out,
            "{gutter}{} {} ({kind}): {}",
            style.blue("="),
            style.green("suppressed"),
            s.reason
        );
    }
    out.push('\n');
}

/// The source line with line number and carets under columns `start..end`.
fn snippet(out: &mut String, style: Style, line: u32, start: u32, end: u32, src: &str) {
    let num = line.to_string();
    let gutter = " ".repeat(num.len() + 1);
    let _ = writeln!(out, "{gutter}{}", style.blue("|"));
    let _ = writeln!(out, "{} {} {}", style.blue(&num), style.blue("|"), src);
    // Keep tabs so the caret lines up with the printed line.
    let pad: String = src
        .chars()
        .take(start.saturating_sub(1) as usize)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let width = end.saturating_sub(start).max(1) as usize;
    let _ = writeln!(
        out,
        "{gutter}{} {pad}{}",
        style.blue("|"),
        style.paint_caret(&"^".repeat(width))
    );
}

impl Style {
    fn paint_caret(&self, t: &str) -> String {
        self.paint("1;31", t)
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

pub fn summary_line(report: &LintReport, style: Style) -> String {
    let errors = report.count(Severity::Error);
    let warnings = report.count(Severity::Warning);
    let infos = report.count(Severity::Info);
    let mut s = format!(
        "{}: {}, {}, {} in {} ({}); {}",
        style.bold("summary"),
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(infos, "info"),
        plural(report.files, "file"),
        plural(report.steps, "release step"),
        plural(report.suppressed(), "suppressed finding"),
    );
    let passed_over = report
        .skipped
        .iter()
        .map(|n| n.file.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if passed_over > 0 {
        s.push_str(&format!(
            "; {} passed over (not deploy specs, or nothing that deploys; `--verbose` lists them)",
            plural(passed_over, "file")
        ));
    }
    if !report.errors.is_empty() {
        s.push_str(&format!(
            "; {} could not be read",
            plural(report.errors.len(), "input problem")
        ));
    }
    s
}
