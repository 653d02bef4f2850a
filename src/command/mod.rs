//! Command analysis: from a release step's command (a shell string or a
//! Kubernetes `command` + `args` array) to the programs it really runs.
//!
//! `shell` splits scripts into simple commands; this module unwraps launchers
//! (`sh -c`, `env X=1`, `exec`, `python -m`, `poetry run`, `bundle exec`,
//! `npx`, `php artisan`, `docker compose run`, …) until the program that does
//! the work is at the front, and keeps for each one how it is linked to its
//! neighbours, so rules can tell `a || b` from `a && b` and `set -e` scripts
//! from scripts that ignore failures.

pub mod shell;
mod unwrap;
pub(crate) mod word;

pub use shell::{Branch, Link};
pub use word::Word;

use std::ops::Range;

/// A program invocation found in a release step, after unwrapping launchers.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The program that does the work, by name: `alembic`, `manage.py`,
    /// `rails`, `prisma`, … (path and `.exe` stripped; `python -m X` gives `X`).
    pub program: String,
    /// Arguments after the program.
    pub args: Vec<Word>,
    /// Environment assignments in effect (`X=1 cmd`, `env X=1 cmd`).
    pub env: Vec<(String, String)>,
    /// Launchers that were unwrapped, outermost first (`sh -c`, `python -m`).
    pub via: Vec<&'static str>,
    /// The command as written at its shell level (launchers like `python -m`
    /// included, `sh -c` quoting removed), for messages.
    pub display: String,
    /// Byte span of the invocation in the step's source coordinates.
    pub span: Range<usize>,
    pub link: Link,
    pub branch: Branch,
    pub negated: bool,
    /// `set -e` (or `sh -e`) is in effect: a failure stops the script.
    pub errexit: bool,
    /// `set -o pipefail` is in effect.
    pub pipefail: bool,
    /// Runs inside `$(...)` or backticks.
    pub substituted: bool,
    /// Number of `sh -c` levels around this command.
    pub shell_level: u32,
    /// Index of this invocation in the step's invocation list.
    pub index: usize,
}

impl Invocation {
    /// The argument words as plain strings.
    pub fn arg_texts(&self) -> impl Iterator<Item = &str> {
        self.args.iter().map(|w| w.text.as_str())
    }

    /// Positional arguments: words that are not options (`-x`, `--flag`) and not
    /// values of options listed in `value_options`.
    pub fn positionals<'a>(&'a self, value_options: &'a [&'a str]) -> Vec<&'a Word> {
        let mut out = Vec::new();
        let mut skip_next = false;
        let mut after_dashdash = false;
        for w in &self.args {
            if skip_next {
                skip_next = false;
                continue;
            }
            let t = w.text.as_str();
            if after_dashdash {
                out.push(w);
            } else if t == "--" {
                after_dashdash = true;
            } else if t.starts_with('-') && t.len() > 1 {
                if !t.contains('=') && value_options.contains(&t) {
                    skip_next = true;
                }
            } else {
                out.push(w);
            }
        }
        out
    }

    /// True when any argument is exactly one of `flags`, or `flag=value` for one of them.
    pub fn has_flag(&self, flags: &[&str]) -> bool {
        self.flag_value_word(flags).is_some()
            || self.args.iter().any(|w| flags.contains(&w.text.as_str()))
    }

    /// The value of an option given as `--opt=value`, `-opt=value` or `--opt value`.
    pub fn flag_value(&self, flags: &[&str]) -> Option<&str> {
        self.flag_value_word(flags)
    }

    fn flag_value_word(&self, flags: &[&str]) -> Option<&str> {
        let mut iter = self.args.iter().peekable();
        while let Some(w) = iter.next() {
            let t = w.text.as_str();
            for f in flags {
                if let Some(rest) = t.strip_prefix(f) {
                    if let Some(v) = rest.strip_prefix('=') {
                        return Some(v);
                    }
                    if rest.is_empty()
                        && let Some(next) = iter.peek()
                        && !next.text.starts_with('-')
                    {
                        return Some(next.text.as_str());
                    }
                }
            }
        }
        None
    }

    /// True when the user asked for help or the version: nothing runs.
    pub fn is_help(&self) -> bool {
        self.args.iter().any(|w| {
            matches!(
                w.text.as_str(),
                "--help" | "-h" | "help" | "--version" | "-V"
            )
        })
    }

    /// The environment value of `name`, if set on this invocation.
    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The command of a release step as it appears in its spec.
#[derive(Debug, Clone)]
pub enum CommandText {
    /// A string run by a shell (`run_command`, Procfile line, `release_command`).
    Shell(Word),
    /// An argv array run without a shell (Kubernetes `command` + `args`).
    Argv(Vec<Word>),
    /// A script run by a CI runner's shell, which starts with failure options
    /// set: GitHub Actions runs `bash -e` (`-eo pipefail` with `shell: bash`),
    /// GitLab CI checks every line and sets `pipefail`.
    Script {
        text: Word,
        errexit: bool,
        pipefail: bool,
    },
}

/// What command analysis asks about migration tools. The caller gives it
/// (the lint engine passes the tool registry), so that the analyser knows no
/// tool itself.
pub trait ToolPrograms {
    /// The program `python -m <module>` runs (`alembic` for `alembic`,
    /// `flask` for `flask`), for modules of known tools.
    fn python_module(&self, module: &str) -> Option<&'static str>;
    /// The program a script under `node_modules/<package>/` runs.
    fn node_package(&self, package: &str) -> Option<&'static str>;
    /// A migration tool's program, as package managers run it (`yarn knex …`).
    fn is_tool_program(&self, name: &str) -> bool;
}

/// Analyses a release step's command into the invocations it runs, in order.
pub fn analyze(command: &CommandText, programs: &dyn ToolPrograms) -> Vec<Invocation> {
    let mut resolver = unwrap::Resolver {
        programs,
        out: Vec::new(),
    };
    match command {
        CommandText::Shell(text) => resolver.script(text, 0, ShellState::default()),
        CommandText::Script {
            text,
            errexit,
            pipefail,
        } => {
            let state = ShellState {
                errexit: *errexit,
                pipefail: *pipefail,
            };
            resolver.script(text, 0, state)
        }
        CommandText::Argv(words) => {
            if let Some(first) = words.first() {
                let cmd = shell::SimpleCommand {
                    assignments: Vec::new(),
                    words: words.clone(),
                    heredocs: Vec::new(),
                    substitutions: Vec::new(),
                    link: Link::First,
                    negated: false,
                    branch: Branch::Plain,
                    depth: 0,
                    // From the first character of the program's name (inside
                    // its quotes, where the spec quotes it).
                    span: first.source_offset(0).max(first.span.start)
                        ..words.last().map_or(first.span.end, |w| w.span.end),
                };
                let mut state = ShellState::default();
                resolver.command(&cmd, 0, &mut state, false);
            }
        }
    }
    let mut out = resolver.out;
    for (i, inv) in out.iter_mut().enumerate() {
        inv.index = i;
    }
    out
}

/// Shell options that change how failures propagate.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ShellState {
    pub errexit: bool,
    pub pipefail: bool,
}

/// Joins words into a shell command line, quoting where needed.
pub fn shell_join<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for w in words {
        if !out.is_empty() {
            out.push(' ');
        }
        let plain = !w.is_empty()
            && w.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,^${}[]*?~#".contains(c));
        if plain {
            out.push_str(w);
        } else if !w.contains('\'') {
            out.push('\'');
            out.push_str(w);
            out.push('\'');
        } else {
            out.push('"');
            for c in w.chars() {
                if matches!(c, '"' | '\\' | '$' | '`') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('"');
        }
    }
    out
}

#[cfg(test)]
mod tests;

/// A command line given as one string (`--launcher 'poetry run alembic'`),
/// split into words as a shell splits them.
pub fn words_of(line: &str) -> Vec<String> {
    split_words(&Word::literal(line, 0))
        .into_iter()
        .map(|w| w.text)
        .collect()
}

/// The words of a string split as a shell splits them (quotes removed, spans
/// kept into the source), without treating it as a script: Docker Compose
/// splits a string `entrypoint` or `command` this way into an argv.
pub fn split_words(text: &Word) -> Vec<Word> {
    let mut script = shell::parse(&text.text);
    script.map_spans(&|r| text.source_range(r));
    script
        .commands
        .into_iter()
        .flat_map(|c| c.assignments.into_iter().chain(c.words))
        .collect()
}
