//! A replay driver's process: the tool's runtime started once per replay in
//! the project's directory, spoken to in JSON lines
//! (`src/tools/drivers/PROTOCOL.md`). It gets the environment the CLI path
//! gets (the shadow's address, no inherited connection variable); what the
//! project prints goes to its stderr, of which the last lines are kept for
//! error messages. Dropping it kills the process and removes its files.

use super::ReplayError;
use super::runner::{Output, Runner};
use crate::definitions::{Driver, Project, Target};
use serde::Deserialize;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

/// How many lines of the driver's stderr are kept for error messages.
const TAIL_LINES: usize = 40;

/// Why a driver could not start; the replay then runs the CLI per step.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("writing the driver to a temporary directory")]
    Write(#[source] std::io::Error),
    #[error("starting `{program}`")]
    Spawn {
        program: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the driver did not load the project: {0}")]
    Load(String),
    #[error("the driver did not answer within {}s", .0.as_secs())]
    Timeout(Duration),
}

/// How a driver is started: the runtime's command (the launcher up to the
/// runtime's program: `.venv/bin/python`, `poetry run python`), the
/// launcher's own arguments after it (`manage.py`, `--knexfile knexfile.js`)
/// and, for a tool named by its `node_modules/.bin` script, that
/// `node_modules`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Launch {
    pub runtime: Vec<String>,
    pub args: Vec<String>,
    pub node_path: Option<PathBuf>,
}

impl Launch {
    /// How the driver runs under `launcher`, or `None` when the launcher is
    /// the user's own way of running the tool (`poetry run …`, `yarn knex`),
    /// which only the CLI path honours.
    pub fn of(
        driver: &Driver,
        launcher: &[String],
        default_launcher: &[&str],
        programs: &[&str],
    ) -> Option<Launch> {
        let at = launcher.iter().position(|w| driver.runtime.is_program(w));
        if let Some(i) = at {
            let rest = &launcher[i + 1..];
            // `python -m tool`, `python -W …`: options of the runtime the
            // driver would not honour.
            if rest.first().is_some_and(|a| a.starts_with('-')) {
                return None;
            }
            return Some(Launch {
                runtime: launcher[..=i].to_vec(),
                args: rest.to_vec(),
                node_path: None,
            });
        }
        if launcher
            .iter()
            .map(String::as_str)
            .eq(default_launcher.iter().copied())
        {
            return Some(Launch {
                runtime: vec![driver.runtime.default_program().to_string()],
                args: Vec::new(),
                node_path: None,
            });
        }
        let (program, rest) = launcher.split_first()?;
        let path = std::path::Path::new(program);
        let bin = path.parent()?;
        let modules = bin.parent()?;
        let name = path.file_name()?.to_str()?;
        let is_tool_script = driver.runtime == crate::definitions::Runtime::Node
            && bin.file_name().is_some_and(|n| n == ".bin")
            && modules.file_name().is_some_and(|n| n == "node_modules")
            && programs.contains(&name);
        is_tool_script.then(|| Launch {
            runtime: vec![driver.runtime.default_program().to_string()],
            args: rest.to_vec(),
            node_path: Some(modules.to_path_buf()),
        })
    }
}

/// One reply line.
#[derive(Debug, Default, Deserialize)]
struct Reply {
    #[serde(default)]
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    unsupported: bool,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    targets: Option<Vec<ListedTarget>>,
    #[serde(default)]
    output: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ListedTarget {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    parents: Vec<String>,
}

pub(super) struct DriverProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// The tool's version, as the driver reported it.
    pub version: Option<String>,
    /// How the driver is named in messages (`knex driver`).
    pub shown: String,
    timeout: Duration,
    secret: String,
    _files: tempfile::TempDir,
}

impl DriverProcess {
    /// Writes the driver out and starts it with `runtime`, in the project's
    /// directory, with the environment `runner` gives the CLI.
    pub async fn start(
        driver: &Driver,
        how: &Launch,
        project: &Project,
        runner: &Runner<'_>,
        tool: &str,
    ) -> Result<DriverProcess, StartError> {
        let files = tempfile::Builder::new()
            .prefix("preflight-driver-")
            .tempdir()
            .map_err(StartError::Write)?;
        for (name, text) in crate::tools::util::driver_support(driver.runtime)
            .iter()
            .chain(std::iter::once(&(driver.file, driver.source)))
        {
            std::fs::write(files.path().join(name), text).map_err(StartError::Write)?;
        }
        let file: PathBuf = files.path().join(driver.file);
        let Some((program, runtime_args)) = how.runtime.split_first() else {
            return Err(StartError::Load("no runtime to start".into()));
        };
        let mut cmd = runner.command(program);
        cmd.args(runtime_args);
        if let Some(modules) = &how.node_path {
            let mut paths = vec![modules.clone()];
            paths.extend(
                std::env::var_os("NODE_PATH")
                    .iter()
                    .flat_map(std::env::split_paths),
            );
            if let Ok(joined) = std::env::join_paths(paths) {
                cmd.env("NODE_PATH", joined);
            }
        }
        cmd.arg(&file)
            .args((driver.args)(project))
            .args(&how.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().map_err(|source| StartError::Spawn {
            // A launcher may carry a password (`env DATABASE_URL=… python`).
            program: crate::redact::text(&how.runtime.join(" ")).into_owned(),
            source,
        })?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(StartError::Load(
                "the driver's pipes were not opened".into(),
            ));
        };
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        tokio::spawn(keep_tail(stderr, tail.clone()));
        let mut process = DriverProcess {
            child,
            stdin,
            stdout: BufReader::new(stdout).lines(),
            stderr: tail,
            version: None,
            shown: format!("{tool} driver"),
            timeout: runner.timeout,
            secret: runner.secret.to_string(),
            _files: files,
        };
        let ready = match tokio::time::timeout(runner.timeout, process.stdout.next_line()).await {
            Err(_) => return Err(StartError::Timeout(runner.timeout)),
            Ok(Ok(Some(line))) => serde_json::from_str::<Reply>(&line).unwrap_or_default(),
            Ok(_) => Reply::default(),
        };
        if !ready.ok {
            // Let the process finish writing why.
            let _ = tokio::time::timeout(Duration::from_secs(2), process.child.wait()).await;
            let why = ready.error.unwrap_or_else(|| "it exited".into());
            return Err(StartError::Load(format!(
                "{}\n{}",
                process.hide(&why),
                process.tail()
            )));
        }
        process.version = ready.version;
        Ok(process)
    }

    /// The revisions in the tool's order.
    pub async fn list(&mut self) -> Result<Vec<Target>, ReplayError> {
        let (reply, _) = self
            .request(serde_json::json!({"op": "list"}), "listing the migrations")
            .await?;
        if !reply.ok {
            return Err(ReplayError::List(format!(
                "{}: {}",
                self.shown,
                self.hide(&reply.error.unwrap_or_default())
            )));
        }
        Ok(reply
            .targets
            .unwrap_or_default()
            .into_iter()
            .map(|t| Target {
                name: t.name.unwrap_or_else(|| t.id.clone()),
                id: t.id,
                parents: t.parents,
            })
            .collect())
    }

    /// Migrates up to and including `target`.
    pub async fn to(&mut self, target: &Target, during: &str) -> Result<Output, ReplayError> {
        let req = serde_json::json!({"op": "to", "target": target.name});
        self.output_of(req, during).await
    }

    /// Applies the next pending migration (none: success, nothing recorded).
    pub async fn next(&mut self, during: &str) -> Result<Output, ReplayError> {
        self.output_of(serde_json::json!({"op": "next"}), during)
            .await
    }

    /// Runs one command of the tool's CLI in the driver's process; `None`
    /// when the driver does not run that command (the CLI must).
    pub async fn cli(
        &mut self,
        args: &[String],
        during: &str,
    ) -> Result<Option<Output>, ReplayError> {
        let req = serde_json::json!({"op": "cli", "args": args});
        let (reply, elapsed) = self.request(req, during).await?;
        if reply.unsupported {
            return Ok(None);
        }
        Ok(Some(self.output(reply, elapsed)))
    }

    /// Closes the tool's connections and waits briefly for the process.
    pub async fn quit(mut self) {
        let _ = self.stdin.write_all(b"{\"op\":\"quit\"}\n").await;
        let _ = self.stdin.flush().await;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }

    async fn output_of(
        &mut self,
        req: serde_json::Value,
        during: &str,
    ) -> Result<Output, ReplayError> {
        let (reply, elapsed) = self.request(req, during).await?;
        Ok(self.output(reply, elapsed))
    }

    fn output(&self, reply: Reply, elapsed: Duration) -> Output {
        // The tool's own lines first, its error last: an error message keeps
        // only the last lines, and the stderr tail is read concurrently, so
        // it may still end before the traceback that led to this reply.
        let mut stderr = String::new();
        if !reply.ok {
            stderr.push_str(&self.tail());
            stderr.push('\n');
        }
        if let Some(e) = &reply.error {
            stderr.push_str(&self.hide(e));
            stderr.push('\n');
        }
        Output {
            status: Some(if reply.ok { 0 } else { 1 }),
            stdout: self.hide(reply.output.as_deref().unwrap_or_default()),
            stderr,
            elapsed,
        }
    }

    async fn request(
        &mut self,
        req: serde_json::Value,
        during: &str,
    ) -> Result<(Reply, Duration), ReplayError> {
        let started = Instant::now();
        let command = format!("{} {}", self.shown, req["op"].as_str().unwrap_or_default());
        let lost = |source: std::io::Error| ReplayError::Launch {
            command: command.clone(),
            dir: PathBuf::from("."),
            source,
        };
        let mut line = req.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await.map_err(lost)?;
        self.stdin.flush().await.map_err(lost)?;
        let answer = match tokio::time::timeout(self.timeout, self.stdout.next_line()).await {
            Err(_) => {
                return Err(ReplayError::Timeout {
                    command,
                    during: during.to_string(),
                    after: self.timeout,
                });
            }
            Ok(r) => r.map_err(lost)?,
        };
        let Some(answer) = answer else {
            // The process ended without replying (killed, crashed).
            let status = match tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await
            {
                Ok(Ok(s)) => s.to_string(),
                _ => "no reply".into(),
            };
            return Err(ReplayError::StepFailed {
                command,
                during: during.to_string(),
                status,
                output: self.tail(),
            });
        };
        let reply: Reply = serde_json::from_str(&answer).map_err(|e| ReplayError::StepFailed {
            command: command.clone(),
            during: during.to_string(),
            status: format!("unreadable reply ({e})"),
            output: self.hide(&answer),
        })?;
        Ok((reply, started.elapsed()))
    }

    /// The last lines the driver wrote to stderr, redacted.
    fn tail(&self) -> String {
        let lines = self.stderr.lock().map(|t| t.clone()).unwrap_or_default();
        // Unprefixed: `Output::tail` frames it as it frames the CLI's output.
        lines
            .iter()
            .map(|l| self.hide(l))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn hide(&self, s: &str) -> String {
        let s = if self.secret.is_empty() {
            s.to_string()
        } else {
            s.replace(&self.secret, &crate::redact::url(&self.secret))
        };
        crate::redact::text(&s).into_owned()
    }
}

async fn keep_tail(stderr: tokio::process::ChildStderr, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim().is_empty() {
            continue;
        }
        if let Ok(mut t) = tail.lock() {
            if t.len() == TAIL_LINES {
                t.pop_front();
            }
            t.push_back(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::Runtime;

    const NODE: Driver = Driver {
        runtime: Runtime::Node,
        file: "knex.cjs",
        source: "",
        args: |_| Vec::new(),
    };
    const PYTHON: Driver = Driver {
        runtime: Runtime::Python,
        file: "django.py",
        source: "",
        args: |_| Vec::new(),
    };

    fn launch(d: &Driver, launcher: &[&str], default: &[&str]) -> Option<Launch> {
        let l: Vec<String> = launcher.iter().map(|s| s.to_string()).collect();
        Launch::of(d, &l, default, &["knex"])
    }

    fn words(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_launcher_decides_how_a_driver_runs() {
        let npx = &["npx", "knex"];
        let l = launch(&NODE, npx, npx).expect("the tool's default launcher");
        assert!(l.args.is_empty() && l.node_path.is_none());
        assert_eq!(l.runtime, ["node"]);
        let l = launch(
            &NODE,
            &["/t/node_modules/.bin/knex", "--knexfile", "k.js"],
            npx,
        )
        .expect("the tool's own script");
        assert_eq!(l.node_path, Some(PathBuf::from("/t/node_modules")));
        assert_eq!(l.args, ["--knexfile", "k.js"]);
        assert_eq!(
            launch(&NODE, &["yarn", "knex"], npx),
            None,
            "the user's own way"
        );
        assert_eq!(launch(&NODE, &["/t/node_modules/.bin/other"], npx), None);

        let django = &["python", "manage.py"];
        let l = launch(&PYTHON, &["/v/bin/python3.11", "manage.py"], django)
            .expect("the project's Python");
        assert_eq!(
            (l.runtime, l.args),
            (words(&["/v/bin/python3.11"]), words(&["manage.py"]))
        );
        let l = launch(&PYTHON, &["poetry", "run", "python", "manage.py"], django)
            .expect("a launcher that ends in the runtime");
        assert_eq!(
            (l.runtime, l.args),
            (words(&["poetry", "run", "python"]), words(&["manage.py"]))
        );
        assert_eq!(launch(&PYTHON, &["bin/django-admin"], django), None);
        assert_eq!(
            launch(&PYTHON, &["python", "-m", "alembic"], &["python3"]),
            None
        );
    }
}
