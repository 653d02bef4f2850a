//! Running the project's tool: its launcher, the arguments that point it at
//! the shadow database, one step's arguments, in the project's directory,
//! with a time limit. What is shown of a command never holds the shadow
//! database's password.

use super::ReplayError;
use crate::definitions::Connect;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

pub(super) struct Runner<'a> {
    pub dir: &'a Path,
    pub launcher: &'a [String],
    pub connect: &'a Connect,
    pub timeout: Duration,
    /// Text that must never be shown (the shadow URL with its password).
    pub secret: &'a str,
    /// `DATABASE_URL` for tools told the shadow's address another way.
    pub fallback_url: &'a str,
}

/// Variables tools and frameworks read a database address from.
const CONNECTION_VARIABLES: &[&str] = &[
    "DATABASE_URL",
    "DB_URL",
    "DB_CONNECTION",
    "DB_HOST",
    "DB_PORT",
    "DB_DATABASE",
    "DB_USERNAME",
    "DB_PASSWORD",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGSERVICE",
    "MYSQL_HOST",
    "MYSQL_TCP_PORT",
    "MYSQL_PWD",
    "SQLALCHEMY_DATABASE_URI",
    "FLYWAY_URL",
    "FLYWAY_USER",
    "FLYWAY_PASSWORD",
    "LIQUIBASE_COMMAND_URL",
    "LIQUIBASE_COMMAND_USERNAME",
    "LIQUIBASE_COMMAND_PASSWORD",
    "GOOSE_DRIVER",
    "GOOSE_DBSTRING",
];

/// What one run of the tool did.
pub struct Output {
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }

    pub fn status_text(&self) -> String {
        match self.status {
            Some(c) => format!("exit code {c}"),
            None => "killed by a signal".into(),
        }
    }

    /// The run's output mentions one of these messages.
    pub fn says_any(&self, messages: &[&str]) -> bool {
        messages
            .iter()
            .any(|m| self.stdout.contains(m) || self.stderr.contains(m))
    }

    /// The last lines of the output, for an error message.
    pub fn tail(&self) -> String {
        let text = format!("{}{}", self.stdout, self.stderr);
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        let start = lines.len().saturating_sub(25);
        lines[start..]
            .iter()
            .map(|l| format!("  | {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Runner<'_> {
    fn argv(&self, args: &[String]) -> Vec<String> {
        self.launcher
            .iter()
            .chain(&self.connect.args)
            .chain(args)
            .chain(&self.connect.trailing)
            .cloned()
            .collect()
    }

    /// The command as shown to people: redacted, long scripts shortened.
    pub fn display(&self, args: &[String]) -> String {
        let shown: Vec<String> = self
            .argv(args)
            .into_iter()
            .map(|a| {
                let a = crate::redact::text(&self.hide(&a)).into_owned();
                if a.contains('\n') {
                    "<script>".into()
                } else if a.contains(' ') {
                    format!("'{a}'")
                } else {
                    a
                }
            })
            .collect();
        shown.join(" ")
    }

    fn hide(&self, s: &str) -> String {
        if self.secret.is_empty() {
            s.to_string()
        } else {
            s.replace(self.secret, &crate::redact::url(self.secret))
        }
    }

    /// `program` in the project's directory with the shadow's address: the
    /// tool inherits the environment, but no variable that could point it at
    /// a real database (the shadow's address replaces them).
    pub fn command(&self, program: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(program);
        for (name, _) in std::env::vars_os() {
            let n = name.to_string_lossy();
            if CONNECTION_VARIABLES.contains(&n.as_ref()) || n.starts_with("ConnectionStrings__") {
                cmd.env_remove(&name);
            }
        }
        cmd.env("DATABASE_URL", self.fallback_url)
            .current_dir(self.dir)
            .envs(self.connect.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    pub async fn run(&self, args: &[String], during: &str) -> Result<Output, ReplayError> {
        let argv = self.argv(args);
        let Some((program, rest)) = argv.split_first() else {
            return Err(ReplayError::List("no command to run the tool".into()));
        };
        let mut cmd = self.command(program);
        cmd.args(rest)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let started = Instant::now();
        let child = cmd.spawn().map_err(|source| ReplayError::Launch {
            command: self.display(args),
            dir: self.dir.to_path_buf(),
            source,
        })?;
        let out = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(o)) => o,
            Ok(Err(source)) => {
                return Err(ReplayError::Launch {
                    command: self.display(args),
                    dir: self.dir.to_path_buf(),
                    source,
                });
            }
            Err(_) => {
                return Err(ReplayError::Timeout {
                    command: self.display(args),
                    during: during.to_string(),
                    after: self.timeout,
                });
            }
        };
        let text =
            |b: &[u8]| crate::redact::text(&self.hide(&String::from_utf8_lossy(b))).into_owned();
        Ok(Output {
            status: out.status.code(),
            stdout: text(&out.stdout),
            stderr: text(&out.stderr),
            elapsed: started.elapsed(),
        })
    }
}
