//! Unwrapping launchers until the program that does the work is in front.
//!
//! A [`Resolver`] reads simple commands one by one. Each launcher family
//! (process wrappers like `env` and `sudo`, shells, Python and its
//! environment runners, Node's package managers, platform launchers like
//! `php artisan`, remote shells, containers) has one method that either
//! removes the launcher and hands back the words it runs, or says which
//! program does the work, or splices a nested script in its place.

use super::shell::{self, Branch, Link, MAX_NESTING, SimpleCommand};
use super::{Invocation, ShellState, ToolPrograms, Word, shell_join};

/// Resolves commands into invocations; knows migration tools only through
/// the lookups its caller gives.
pub(super) struct Resolver<'t> {
    pub programs: &'t dyn ToolPrograms,
    pub out: Vec<Invocation>,
}

/// One simple command being unwrapped: what its launchers contributed so far.
struct Unwrapping<'c> {
    cmd: &'c SimpleCommand,
    level: u32,
    substituted: bool,
    env: Vec<(String, String)>,
    via: Vec<&'static str>,
}

/// What unwrapping one word in front left to do.
enum Next<'w> {
    /// A launcher was removed: these words are the command now.
    Unwrapped(&'w [Word]),
    /// The first of these words is the program that does the work.
    Program(&'w [Word]),
    /// This program does the work, with these arguments.
    Push(&'w str, &'w [Word]),
    /// Invocations were spliced in the command's place, or nothing runs.
    Done,
}

impl Resolver<'_> {
    /// Parses `text` as a shell script (in `text`'s own coordinates), lifts
    /// every span to the coordinates of `text`'s source, and appends its
    /// invocations.
    pub(super) fn script(&mut self, text: &Word, level: u32, state: ShellState) {
        let mut script = shell::parse_nested(&text.text, level);
        if text.dynamic && level > 0 {
            // `sh -c "…$(cmd)…"`: the outer shell already ran `cmd` (it was
            // resolved with the outer command); the inner shell runs its output,
            // not its text. Resolving it again would count it twice, and nested
            // that way the work doubles with every level.
            for cmd in &mut script.commands {
                cmd.substitutions.clear();
            }
        }
        script.map_spans(&|r| text.source_range(r));
        let mut state = state;
        for cmd in &script.commands {
            self.command(cmd, level, &mut state, false);
        }
    }

    /// Resolves one simple command (and the scripts it launches) into invocations.
    pub(super) fn command(
        &mut self,
        cmd: &SimpleCommand,
        level: u32,
        state: &mut ShellState,
        substituted: bool,
    ) {
        // Command substitutions run first, in a subshell of their own.
        for sub in &cmd.substitutions {
            let mut sub_state = *state;
            for inner in &sub.commands {
                self.command(inner, level, &mut sub_state, true);
            }
        }
        let mut u = Unwrapping {
            cmd,
            level,
            substituted,
            env: cmd
                .assignments
                .iter()
                .filter_map(split_assignment)
                .collect(),
            via: Vec::new(),
        };
        let mut rest: &[Word] = &cmd.words;
        loop {
            if rest.is_empty() {
                return; // only assignments: nothing runs
            }
            match self.unwrap_one(&mut u, rest, state) {
                Next::Unwrapped(words) => rest = words,
                Next::Program(words) => {
                    let Some(first) = words.first() else { return };
                    let program = program_name(&first.text).to_owned();
                    return self.push(u, &program, &words[1..], state);
                }
                Next::Push(program, args) => {
                    let program = program.to_owned();
                    return self.push(u, &program, args, state);
                }
                Next::Done => return,
            }
        }
    }

    /// Removes the launcher in front of `words`, if there is one.
    fn unwrap_one<'w>(
        &mut self,
        u: &mut Unwrapping<'_>,
        words: &'w [Word],
        state: &mut ShellState,
    ) -> Next<'w> {
        let name = program_name(&words[0].text);
        let args = &words[1..];
        match name {
            "set" => {
                apply_set(args, state);
                Next::Program(words)
            }
            "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh" | "mksh" | "busybox" => {
                self.shell(u, words)
            }
            n if is_python(n) => self.python(u, words),
            "poetry" | "pipenv" | "pdm" | "rye" | "conda" | "micromamba" | "mamba" | "hatch"
            | "uv" | "uvx" | "pipx" | "bundle" | "bundler" => environment_runner(u, words),
            "npx" | "bunx" | "pnpx" | "npm" | "pnpm" | "yarn" | "bun" | "node" | "ts-node"
            | "tsx" | "bun-node" => self.node(u, words, state),
            "php" | "dotnet" => platform_launcher(words),
            "ssh" | "heroku" | "fly" | "flyctl" => self.remote(u, words),
            "docker" | "podman" | "nerdctl" | "docker-compose" | "kubectl" | "oc" => {
                match container_command(name, args) {
                    Some(after) if !after.is_empty() => {
                        u.via.push("container");
                        Next::Unwrapped(after)
                    }
                    _ => Next::Program(words),
                }
            }
            _ => process_wrapper(u, words),
        }
    }

    /// `sh -c SCRIPT`, `bash <<EOF`, `sh ./migrate.sh`, `busybox sh -c …`.
    fn shell<'w>(&mut self, u: &mut Unwrapping<'_>, words: &'w [Word]) -> Next<'w> {
        let args = &words[1..];
        let args = if program_name(&words[0].text) == "busybox" {
            match args.first().map(|w| program_name(&w.text)) {
                Some("sh" | "ash" | "bash") => &args[1..],
                _ => return Next::Program(words),
            }
        } else {
            args
        };
        match shell_invocation(args) {
            ShellCall::Script {
                script,
                errexit,
                pipefail,
            } => {
                if u.level + 1 >= MAX_NESTING {
                    return Next::Program(words);
                }
                let start = self.out.len();
                self.script(script, u.level + 1, ShellState { errexit, pipefail });
                let spliced = &mut self.out[start..];
                inherit_context(spliced, u.cmd);
                for inv in spliced {
                    inv.via.insert(0, "sh -c");
                    inv.env.splice(0..0, u.env.iter().cloned());
                    inv.substituted |= u.substituted;
                }
                Next::Done
            }
            ShellCall::Stdin { errexit, pipefail } => {
                let Some(hd) = u.cmd.heredocs.first() else {
                    return Next::Program(words);
                };
                if u.level + 1 >= MAX_NESTING {
                    return Next::Program(words);
                }
                let start = self.out.len();
                self.script(&hd.body, u.level + 1, ShellState { errexit, pipefail });
                let spliced = &mut self.out[start..];
                inherit_context(spliced, u.cmd);
                for inv in spliced {
                    inv.via.insert(0, "sh <<EOF");
                }
                Next::Done
            }
            // `sh ./migrate.sh`: the script's content is not visible here.
            ShellCall::File(file) => Next::Program(file),
            ShellCall::Opaque => Next::Program(words),
        }
    }

    /// `python -m alembic …` (the module's program), `python manage.py …`.
    fn python<'w>(&mut self, u: &mut Unwrapping<'_>, words: &'w [Word]) -> Next<'w> {
        match python_target(&words[1..]) {
            PythonTarget::Module(module, after) => {
                u.via.push("python -m");
                let program = self.programs.python_module(module).unwrap_or(module);
                Next::Push(program, after)
            }
            PythonTarget::Script(after) => {
                u.via.push("python");
                Next::Unwrapped(after)
            }
            PythonTarget::Other => Next::Program(words),
        }
    }

    /// `npx`, `npm exec`/`run`, `yarn knex`, `node node_modules/typeorm/cli.js`.
    fn node<'w>(
        &mut self,
        u: &mut Unwrapping<'_>,
        words: &'w [Word],
        state: &ShellState,
    ) -> Next<'w> {
        let name = program_name(&words[0].text);
        let args = &words[1..];
        match name {
            "npx" | "bunx" | "pnpx" => {
                if let Some(script) = flag_word(args, &["-c", "--call"]) {
                    self.inline(script, u, state);
                    return Next::Done;
                }
                u.via.push("npx");
                Next::Unwrapped(skip_options(args, &["-p", "--package", "--node-options"]))
            }
            "npm" | "pnpm" | "yarn" | "bun" => {
                match package_manager_target(name, args, self.programs) {
                    PackageTarget::Bin(after) => {
                        u.via.push("npm exec");
                        Next::Unwrapped(after)
                    }
                    PackageTarget::Script(after) => {
                        // `npm run typeorm -- migration:run`: a script named after a
                        // migration tool almost always runs that tool; the words after
                        // `--` are its arguments.
                        let script = after[0].text.as_str();
                        if self.programs.is_tool_program(script)
                            && let Some(rest) = after_dashdash(&after[1..])
                        {
                            u.via.push("npm run");
                            return Next::Push(script, rest);
                        }
                        Next::Push("npm-run", after)
                    }
                    PackageTarget::Other => Next::Program(words),
                }
            }
            _ => match node_script(args, self.programs) {
                Some((program, after)) => Next::Push(program, after),
                None => Next::Program(words),
            },
        }
    }

    /// `ssh host 'cd /srv && alembic upgrade head'`, `heroku run …`, `fly ssh console -C …`.
    fn remote<'w>(&mut self, u: &mut Unwrapping<'_>, words: &'w [Word]) -> Next<'w> {
        match remote_command(program_name(&words[0].text), &words[1..]) {
            // A script for the remote shell (which starts without `set -e`).
            Some(Remote::Script(script)) if u.level + 1 < MAX_NESTING => {
                let start = self.out.len();
                self.script(script, u.level + 1, ShellState::default());
                let spliced = &mut self.out[start..];
                inherit_context(spliced, u.cmd);
                for inv in spliced {
                    inv.via.insert(0, "remote");
                    inv.env.splice(0..0, u.env.iter().cloned());
                    inv.substituted |= u.substituted;
                }
                Next::Done
            }
            Some(Remote::Argv(after)) => {
                u.via.push("remote");
                Next::Unwrapped(after)
            }
            _ => Next::Program(words),
        }
    }

    /// `npx -c 'script'`: the string is a shell script.
    fn inline(&mut self, script: &Word, u: &Unwrapping<'_>, state: &ShellState) {
        if u.level + 1 >= MAX_NESTING {
            return;
        }
        let start = self.out.len();
        self.script(script, u.level + 1, *state);
        let spliced = &mut self.out[start..];
        inherit_context(spliced, u.cmd);
        for inv in spliced {
            inv.env.splice(0..0, u.env.iter().cloned());
        }
    }

    fn push(&mut self, u: Unwrapping<'_>, program: &str, args: &[Word], state: &ShellState) {
        let cmd = u.cmd;
        let display = shell_join(
            cmd.assignments
                .iter()
                .chain(cmd.words.iter())
                .map(|w| w.text.as_str()),
        );
        self.out.push(Invocation {
            program: program.to_owned(),
            args: args.to_vec(),
            env: u.env,
            via: u.via,
            display,
            span: cmd.span.clone(),
            link: cmd.link,
            branch: cmd.branch,
            negated: cmd.negated,
            errexit: state.errexit,
            pipefail: state.pipefail,
            substituted: u.substituted,
            shell_level: u.level,
            index: 0,
        });
    }
}

/// Programs that run the rest of their arguments as a command: `env`, `exec`,
/// `sudo`, `timeout 30`, `nohup`, `doppler run --`, `dockerize -wait …`.
fn process_wrapper<'w>(u: &mut Unwrapping<'_>, words: &'w [Word]) -> Next<'w> {
    let name = program_name(&words[0].text);
    let args = &words[1..];
    let rest = match name {
        "env" => {
            u.via.push("env");
            skip_env(args, &mut u.env)
        }
        "exec" => {
            u.via.push("exec");
            skip_options(args, &["-a"])
        }
        "command" | "builtin" => {
            if args
                .first()
                .is_some_and(|w| w.text == "-v" || w.text == "-V")
            {
                return Next::Done; // `command -v alembic` looks a program up, runs nothing
            }
            skip_options(args, &[])
        }
        "nohup" | "stdbuf" | "xargs" | "tini" | "dumb-init" | "catatonit" | "ddtrace-run" => {
            skip_options(args, &["-s", "-p", "-I", "-n", "-L", "-d", "-E"])
        }
        "time" => skip_options(args, &[]),
        "nice" | "ionice" => skip_options(args, &["-n", "-c", "--adjustment"]),
        "timeout" => {
            let after = skip_options(args, &["-s", "--signal", "-k", "--kill-after"]);
            after.get(1..).unwrap_or(&[]) // the duration
        }
        "sudo" | "doas" => {
            u.via.push("sudo");
            skip_options(
                args,
                &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U"],
            )
        }
        "su-exec" | "gosu" => args.get(1..).unwrap_or(&[]),
        "chpst" => skip_options(args, &["-u", "-U", "-e", "-n", "-l", "-L"]),
        "runuser"
        | "newrelic-admin"
        | "wait-for-it"
        | "wait-for"
        | "doppler"
        | "op"
        | "chamber"
        | "aws-vault"
        | "infisical"
        | "dotenv"
        | "dotenvx"
        | "envconsul"
        | "opentelemetry-instrument" => {
            match after_dashdash(args).or_else(|| after_run_program(name, args)) {
                Some(after) => after,
                None => return Next::Program(words),
            }
        }
        "dockerize" => skip_options(
            args,
            &[
                "-wait",
                "-timeout",
                "-template",
                "-stdout",
                "-stderr",
                "-wait-retry-interval",
            ],
        ),
        _ => return Next::Program(words),
    };
    Next::Unwrapped(rest)
}

/// Runners that start a command in a project's environment: `poetry run`,
/// `uv run`, `pipx run`, `hatch run`, `bundle exec`.
fn environment_runner<'w>(u: &mut Unwrapping<'_>, words: &'w [Word]) -> Next<'w> {
    let name = program_name(&words[0].text);
    let args = &words[1..];
    let rest = match name {
        "poetry" | "pipenv" | "pdm" | "rye" | "conda" | "micromamba" | "mamba"
            if first_is(args, "run") =>
        {
            u.via.push("run");
            skip_options(
                &args[1..],
                &["-n", "--name", "-p", "--prefix", "-e", "--environment"],
            )
        }
        "hatch" if first_is(args, "run") => {
            let rest = &args[1..];
            if rest
                .first()
                .is_some_and(|w| w.text.ends_with(':') || w.text.contains(":"))
                && rest.len() > 1
            {
                &rest[1..] // `hatch run env:cmd` style with a separate env word
            } else {
                rest
            }
        }
        "uv" if first_is(args, "run") => {
            u.via.push("uv run");
            skip_options(
                &args[1..],
                &[
                    "--with",
                    "--extra",
                    "--group",
                    "--project",
                    "--directory",
                    "--python",
                    "-p",
                    "--env-file",
                    "--package",
                    "--index",
                    "--with-requirements",
                    "--only-group",
                    "--no-group",
                ],
            )
        }
        "uvx" | "pipx" => {
            let args = if name == "pipx" && first_is(args, "run") {
                &args[1..]
            } else {
                args
            };
            skip_options(args, &["--from", "--with", "--python", "-p", "--spec"])
        }
        "bundle" | "bundler" if first_is(args, "exec") => {
            u.via.push("bundle exec");
            &args[1..]
        }
        _ => return Next::Program(words),
    };
    Next::Unwrapped(rest)
}

/// `php artisan …` (Laravel), `dotnet ef …` and `dotnet tool run dotnet-ef …`.
fn platform_launcher(words: &[Word]) -> Next<'_> {
    let args = &words[1..];
    if program_name(&words[0].text) == "php" {
        return match args.iter().position(|w| !w.text.starts_with('-')) {
            Some(i) if program_name(&args[i].text) == "artisan" => {
                Next::Push("artisan", &args[i + 1..])
            }
            _ => Next::Program(words),
        };
    }
    match args.first().map(|w| w.text.as_str()) {
        Some("ef") => Next::Push("dotnet-ef", &args[1..]),
        Some("tool")
            if args.get(1).is_some_and(|w| w.text == "run")
                && args.get(2).is_some_and(|w| w.text == "dotnet-ef") =>
        {
            Next::Push("dotnet-ef", &args[3..])
        }
        _ => Next::Program(words),
    }
}

/// Commands of a nested script take the place of the command that launched
/// it: the first inherits its link, all inherit its branch and negation.
fn inherit_context(spliced: &mut [Invocation], outer: &SimpleCommand) {
    if let Some(first) = spliced.first_mut()
        && first.link == Link::First
    {
        first.link = outer.link;
    }
    for inv in spliced.iter_mut() {
        if inv.branch == Branch::Plain {
            inv.branch = outer.branch;
        }
        inv.negated ^= outer.negated;
    }
}

/// `set -e`, `set -euo pipefail`, `set +e`, `set -o errexit` …
fn apply_set(args: &[Word], state: &mut ShellState) {
    let mut iter = args.iter().map(|w| w.text.as_str()).peekable();
    while let Some(a) = iter.next() {
        let (on, flags) = match a.as_bytes().first() {
            Some(b'-') => (true, &a[1..]),
            Some(b'+') => (false, &a[1..]),
            _ => break,
        };
        if flags == "o" {
            match iter.next() {
                Some("errexit") => state.errexit = on,
                Some("pipefail") => state.pipefail = on,
                _ => {}
            }
            continue;
        }
        if flags.is_empty() || flags == "-" {
            break;
        }
        for c in flags.chars() {
            match c {
                'e' => state.errexit = on,
                'o' => match iter.next() {
                    Some("errexit") => state.errexit = on,
                    Some("pipefail") => state.pipefail = on,
                    _ => {}
                },
                _ => {}
            }
        }
    }
}

enum ShellCall<'a> {
    /// `sh -c SCRIPT`
    Script {
        script: &'a Word,
        errexit: bool,
        pipefail: bool,
    },
    /// `sh` reading its script from stdin (a heredoc, a pipe)
    Stdin {
        errexit: bool,
        pipefail: bool,
    },
    /// `sh FILE args…`
    File(&'a [Word]),
    Opaque,
}

fn shell_invocation(args: &[Word]) -> ShellCall<'_> {
    let mut errexit = false;
    let mut pipefail = false;
    let mut wants_script = false;
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t == "--" {
            i += 1;
            break;
        }
        if t == "-o" || t == "+o" {
            match args.get(i + 1).map(|w| w.text.as_str()) {
                Some("errexit") => errexit = t == "-o",
                Some("pipefail") => pipefail = t == "-o",
                _ => {}
            }
            i += 2;
            continue;
        }
        if let Some(flags) = t
            .strip_prefix('-')
            .filter(|f| !f.is_empty() && !f.starts_with('-'))
        {
            if flags.contains('c') {
                wants_script = true;
            }
            if flags.contains('e') {
                errexit = true;
            }
            i += 1;
            if flags.contains('o') {
                // `-euo pipefail`: the option name is the next word.
                match args.get(i).map(|w| w.text.as_str()) {
                    Some("errexit") => errexit = true,
                    Some("pipefail") => pipefail = true,
                    _ => {}
                }
                i += 1;
            }
            continue;
        }
        if t.starts_with("--") {
            i += 1; // --login, --norc, --noprofile
            continue;
        }
        if t.starts_with('+') {
            i += 1;
            continue;
        }
        break;
    }
    if wants_script {
        return match args.get(i) {
            Some(script) => ShellCall::Script {
                script,
                errexit,
                pipefail,
            },
            None => ShellCall::Opaque,
        };
    }
    match args.get(i..) {
        Some(file) if !file.is_empty() => ShellCall::File(file),
        _ => ShellCall::Stdin { errexit, pipefail },
    }
}

fn is_python(name: &str) -> bool {
    let Some(rest) = name
        .strip_prefix("python")
        .or_else(|| name.strip_prefix("pypy"))
    else {
        return name == "py";
    };
    rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}

enum PythonTarget<'a> {
    Module(&'a str, &'a [Word]),
    /// `python script.py args` — rest starts with the script
    Script(&'a [Word]),
    Other,
}

fn python_target(args: &[Word]) -> PythonTarget<'_> {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        match t {
            "-m" => {
                return match args.get(i + 1) {
                    Some(m) => PythonTarget::Module(m.text.as_str(), &args[i + 2..]),
                    None => PythonTarget::Other,
                };
            }
            "-c" | "-" => return PythonTarget::Other,
            "-W" | "-X" | "--check-hash-based-pycs" => i += 2,
            _ if t.starts_with("-m") && t.len() > 2 => {
                return PythonTarget::Module(&t[2..], &args[i + 1..]);
            }
            _ if t.starts_with('-') => {
                if t.len() > 2 && t[1..].contains('c') && !t.starts_with("--") {
                    return PythonTarget::Other;
                }
                i += 1;
            }
            _ => return PythonTarget::Script(&args[i..]),
        }
    }
    PythonTarget::Other
}

enum PackageTarget<'a> {
    /// Runs a package binary: rest starts with the binary.
    Bin(&'a [Word]),
    /// Runs a package.json script: rest starts with the script name.
    Script(&'a [Word]),
    Other,
}

const PACKAGE_MANAGER_COMMANDS: &[&str] = &[
    "install",
    "i",
    "add",
    "remove",
    "rm",
    "uninstall",
    "ci",
    "update",
    "up",
    "upgrade",
    "build",
    "test",
    "start",
    "publish",
    "pack",
    "link",
    "unlink",
    "init",
    "create",
    "config",
    "set",
    "info",
    "why",
    "list",
    "ls",
    "outdated",
    "audit",
    "cache",
    "login",
    "logout",
    "version",
    "prune",
    "rebuild",
    "dedupe",
    "import",
    "install-test",
    "patch",
    "store",
    "setup",
    "env",
    "--version",
    "-v",
    "--help",
    "-h",
];

fn package_manager_target<'a>(
    pm: &str,
    args: &'a [Word],
    programs: &dyn ToolPrograms,
) -> PackageTarget<'a> {
    // Global options before the command (`yarn --cwd api knex …`, `pnpm -C api …`).
    let args = skip_leading_options(
        args,
        &[
            "--cwd",
            "-C",
            "--dir",
            "--filter",
            "-F",
            "--prefix",
            "--workspace",
            "-w",
        ],
    );
    let Some(first) = args.first() else {
        return PackageTarget::Other;
    };
    match first.text.as_str() {
        "exec" | "x" | "dlx" => {
            let rest = skip_options(&args[1..], &["-c", "--package", "-p"]);
            if rest.is_empty() {
                PackageTarget::Other
            } else {
                PackageTarget::Bin(rest)
            }
        }
        "run" | "run-script" | "rum" | "urn" => {
            let rest = skip_options(&args[1..], &["--workspace", "-w"]);
            if rest.is_empty() {
                PackageTarget::Other
            } else {
                PackageTarget::Script(rest)
            }
        }
        "workspace" if pm == "yarn" => {
            package_manager_target(pm, args.get(2..).unwrap_or(&[]), programs)
        }
        "start" | "test" => PackageTarget::Script(args),
        t if PACKAGE_MANAGER_COMMANDS.contains(&t) || t.starts_with('-') => PackageTarget::Other,
        _ if pm == "npm" => PackageTarget::Other,
        // `yarn knex migrate:latest`, `pnpm prisma migrate deploy`, `bun x`: a
        // binary or a script of the same name; known tools are binaries.
        t if programs.is_tool_program(t) => PackageTarget::Bin(args),
        _ => PackageTarget::Script(args),
    }
}

/// `node ./node_modules/typeorm/cli.js …` → (`typeorm`, args after the script).
fn node_script<'a>(
    args: &'a [Word],
    programs: &dyn ToolPrograms,
) -> Option<(&'static str, &'a [Word])> {
    let i = args.iter().position(|w| !w.text.starts_with('-'))?;
    let path = args[i].text.as_str();
    let after_modules = path
        .rsplit("node_modules/")
        .next()
        .filter(|_| path.contains("node_modules/"));
    let package = match after_modules {
        Some(p) if p.starts_with(".bin/") => p.trim_start_matches(".bin/"),
        Some(p) => p.split('/').next().unwrap_or(p),
        None => return None,
    };
    // db-migrate has no rules of its own; its name says it migrates.
    let program = programs
        .node_package(package)
        .or((package == "db-migrate").then_some("db-migrate"))?;
    Some((program, &args[i + 1..]))
}

/// A command run on another machine: one word is a script for its shell.
enum Remote<'a> {
    Script(&'a Word),
    Argv(&'a [Word]),
}

/// `ssh [opts] host cmd…`, `heroku run [opts] cmd…`, `fly ssh console -C cmd`.
fn remote_command<'a>(tool: &str, args: &'a [Word]) -> Option<Remote<'a>> {
    let rest: &[Word] = match tool {
        "ssh" => {
            let value_options = [
                "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o",
                "-p", "-Q", "-R", "-S", "-W", "-w",
            ];
            skip_options(args, &value_options).get(1..)? // the host, then the command
        }
        "heroku" => {
            if !matches!(args.first()?.text.as_str(), "run" | "run:detached") {
                return None;
            }
            match after_dashdash(args) {
                Some(after) => after,
                None => skip_options(
                    &args[1..],
                    &[
                        "-a", "--app", "-r", "--remote", "-s", "--size", "-e", "--env", "--type",
                    ],
                ),
            }
        }
        _ => {
            if !(first_is(args, "ssh") && args.get(1).is_some_and(|w| w.text == "console")) {
                return None;
            }
            return flag_word(args, &["-C", "--command"]).map(Remote::Script);
        }
    };
    match rest {
        [] => None,
        [one] => Some(Remote::Script(one)),
        more => Some(Remote::Argv(more)),
    }
}

/// `docker compose run --rm web alembic upgrade head` → `alembic upgrade head`.
fn container_command<'a>(tool: &str, args: &'a [Word]) -> Option<&'a [Word]> {
    let mut args = args;
    if matches!(tool, "kubectl" | "oc") {
        return match args.first().map(|w| w.text.as_str()) {
            Some("exec" | "run" | "debug") => after_dashdash(args),
            _ => None,
        };
    }
    if tool != "docker-compose" && first_is(args, "compose") {
        args = &args[1..];
    }
    let args = skip_leading_options(
        args,
        &[
            "-f",
            "--file",
            "-p",
            "--project-name",
            "--env-file",
            "--profile",
            "--project-directory",
        ],
    );
    let sub = args.first()?.text.as_str();
    if !matches!(sub, "run" | "exec") {
        return None;
    }
    let value_options = [
        "-e",
        "--env",
        "-v",
        "--volume",
        "-w",
        "--workdir",
        "-u",
        "--user",
        "--name",
        "--network",
        "--net",
        "--entrypoint",
        "-p",
        "--publish",
        "--env-file",
        "--mount",
        "-l",
        "--label",
        "--platform",
        "--add-host",
        "-m",
        "--memory",
        "--cpus",
        "--pull",
        "--restart",
        "-h",
        "--hostname",
        "--link",
        "--log-driver",
        "--log-opt",
        "--dns",
        "--cap-add",
        "--cap-drop",
        "--security-opt",
        "--tmpfs",
        "--ulimit",
        "--device",
        "--gpus",
        "--health-cmd",
        "--index",
    ];
    let rest = skip_options(&args[1..], &value_options);
    // The first positional is the image, container or service; the rest is the command.
    rest.get(1..)
}

/// Skips leading `-x`/`--flag` options; options in `value_options` take the next word.
fn skip_options<'a>(args: &'a [Word], value_options: &[&str]) -> &'a [Word] {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t == "--" {
            return &args[i + 1..];
        }
        if !t.starts_with('-') || t == "-" {
            break;
        }
        if !t.contains('=') && value_options.contains(&t) {
            i += 2;
        } else {
            i += 1;
        }
    }
    args.get(i..).unwrap_or(&[])
}

fn skip_leading_options<'a>(args: &'a [Word], value_options: &[&str]) -> &'a [Word] {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if !t.starts_with('-') || t == "-" || t == "--" {
            break;
        }
        i += if !t.contains('=') && value_options.contains(&t) {
            2
        } else {
            1
        };
    }
    args.get(i..).unwrap_or(&[])
}

/// `env [-i] [-u NAME] [-C DIR] [NAME=value]… cmd`
fn skip_env<'a>(args: &'a [Word], env: &mut Vec<(String, String)>) -> &'a [Word] {
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t == "--" {
            i += 1;
            continue;
        }
        if matches!(
            t,
            "-u" | "--unset" | "-C" | "--chdir" | "-S" | "--split-string"
        ) {
            i += 2;
            continue;
        }
        if t.starts_with('-') {
            i += 1;
            continue;
        }
        if let Some(kv) = split_assignment(&args[i]) {
            env.push(kv);
            i += 1;
            continue;
        }
        break;
    }
    args.get(i..).unwrap_or(&[])
}

fn split_assignment(w: &Word) -> Option<(String, String)> {
    let (k, v) = w.text.split_once('=')?;
    let valid = k
        .chars()
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && k.chars().all(|c| c == '_' || c.is_ascii_alphanumeric());
    valid.then(|| (k.to_owned(), v.to_owned()))
}

fn after_dashdash(args: &[Word]) -> Option<&[Word]> {
    let i = args.iter().position(|w| w.text == "--")?;
    Some(&args[i + 1..])
}

/// `newrelic-admin run-program cmd…`, `opentelemetry-instrument [--opt v]… cmd…`
fn after_run_program<'a>(name: &str, args: &'a [Word]) -> Option<&'a [Word]> {
    match name {
        "newrelic-admin" => first_is(args, "run-program").then(|| &args[1..]),
        "opentelemetry-instrument" => {
            let mut i = 0;
            while i < args.len() && args[i].text.starts_with("--") {
                i += if args[i].text.contains('=') { 1 } else { 2 };
            }
            args.get(i..)
        }
        _ => None,
    }
}

fn flag_word<'a>(args: &'a [Word], flags: &[&str]) -> Option<&'a Word> {
    let i = args.iter().position(|w| flags.contains(&w.text.as_str()))?;
    args.get(i + 1)
}

fn first_is(args: &[Word], s: &str) -> bool {
    args.first().is_some_and(|w| w.text == s)
}

/// The name of a program as invoked: path, version suffix of npm packages
/// (`prisma@5`) and `.exe` stripped.
pub(crate) fn program_name(word: &str) -> &str {
    let base = word.rsplit('/').next().unwrap_or(word);
    let base = base.strip_suffix(".exe").unwrap_or(base);
    match base.rfind('@') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    }
}
