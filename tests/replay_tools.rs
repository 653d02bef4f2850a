//! Every migration tool that can step, driven for real: its own CLI replays
//! the fixture project (`tests/fixtures/tools/<tool>`, four migrations) into a
//! shadow database, and databases built by the same tool are then verified
//! against that snapshot.
//!
//! For each tool and engine:
//! - the replay records every revision in the tool's order, with its id;
//! - an honest database at every revision is `pending` (with the revision it
//!   matches and exactly the revisions not run) and `in_sync` at the head;
//! - the tool's own fake or stamp (or, where it has none, the row it writes)
//!   recording the last revisions without running them is `ledger_ahead`,
//!   naming exactly those revisions;
//! - against a snapshot of a migrated database only (no per-revision
//!   expectations), an honest database is never accused.
//!
//! The tools come from `scripts/tools.sh` (target/tools); the test script
//! runs it. Without them, the tests say so and stop — except under CI
//! (`PREFLIGHT_REQUIRE_TOOLS`), where a missing tool fails.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{Kind, TempDb};
use preflight::db::DatabaseUrl;
use preflight::db::spelling;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the test does to a database with a tool.
struct Case {
    tool: &'static str,
    engines: &'static [Kind],
    /// The revisions in the tool's order, as the ledger names them.
    ids: &'static [&'static str],
    /// The command that runs the tool (the project's launcher).
    launcher: fn(&Path) -> Vec<String>,
    /// `--config` for the replay.
    config: Option<&'static str>,
    /// Variables the fixture needs to find the tool (not the database).
    env: fn(&Path) -> Vec<(String, String)>,
    /// How the tool is pointed at a database: variables and leading arguments.
    connect: fn(&DatabaseUrl, bool) -> Pointing,
    /// Arguments that apply revision `k` (1-based), the way a user would.
    step: fn(usize, &[&str]) -> Vec<String>,
    /// Records revisions `k+1..` as applied without running them.
    fake: Fake,
    /// Expectations preflight reads itself (Alembic's files, a directory of
    /// SQL migrations), relative to the fixture: the same verdicts are due.
    files: Option<&'static str>,
    /// A repair plan's tool arguments as arguments after `launcher` (most
    /// launchers are the tool's CLI itself).
    cli: fn(&Path, Vec<String>) -> Vec<String>,
}

/// The launcher is the tool's CLI.
fn same(_: &Path, args: Vec<String>) -> Vec<String> {
    args
}

/// Environment variables and leading arguments that point a tool at a database.
type Pointing = (Vec<(String, String)>, Vec<String>);

enum Fake {
    /// The tool's own command(s), given the tools' directory.
    Tool(fn(&Path, usize, &[&str]) -> Vec<Vec<String>>),
    /// The tool has none: the rows it would write.
    Sql(fn(Kind, usize, &[&str]) -> Vec<String>),
}

fn tools() -> Option<PathBuf> {
    let dir = common::repo().join("target/tools");
    if dir.join("stamps").is_dir() {
        return Some(dir);
    }
    common::missing(
        "the migration tools are not installed: run scripts/tools.sh (scripts/test.sh does)",
    );
    None
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn env_url(name: &str, value: String) -> Pointing {
    (vec![(name.to_string(), value)], Vec::new())
}

fn run(program: &[String], dir: &Path, env: &[(String, String)], what: &str) -> String {
    let out = Command::new(&program[0])
        .args(&program[1..])
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {}: {e}", program[0]));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{text}",
        out.status
    );
    text
}

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn verify(db: &TempDb, expected: &Path) -> Value {
    let shadow = match db.kind {
        Kind::Postgres => common::pg_server(),
        Kind::Mysql => common::mysql_server(),
        Kind::Sqlite => String::new(),
    };
    let mut args = vec![
        "verify",
        "--database-url",
        &db.url,
        "--expected",
        expected.to_str().unwrap_or_default(),
    ];
    if !shadow.is_empty() {
        args.extend(["--shadow-url", &shadow]);
    }
    common::preflight_json(&args).1
}

struct Ctx<'a> {
    case: &'a Case,
    tools: &'a Path,
    dir: PathBuf,
    kind: Kind,
}

impl Ctx<'_> {
    fn tool_env(&self, db: &TempDb) -> Pointing {
        let mariadb = self.kind == Kind::Mysql;
        let (mut env, args) = (self.case.connect)(&db.url(), mariadb);
        env.extend((self.case.env)(self.tools));
        (env, args)
    }

    fn tool(&self, db: &TempDb, args: Vec<String>, what: &str) -> String {
        let (env, leading) = self.tool_env(db);
        let mut argv = (self.case.launcher)(self.tools);
        argv.extend(leading);
        argv.extend(args);
        run(&argv, &self.dir, &env, what)
    }

    fn step(&self, db: &TempDb, k: usize) {
        let args = (self.case.step)(k, self.case.ids);
        self.tool(db, args, &format!("{} step {k}", self.case.tool));
    }

    async fn fake_after(&self, db: &TempDb, k: usize) {
        match &self.case.fake {
            Fake::Tool(cmds) => {
                for args in cmds(self.tools, k, self.case.ids) {
                    self.tool(db, args, &format!("{} fake after {k}", self.case.tool));
                }
            }
            Fake::Sql(rows) => {
                for sql in rows(self.kind, k, self.case.ids) {
                    db.exec(&sql).await;
                }
            }
        }
    }

    /// `preflight repair` proves its plan on a shadow with the real tool;
    /// the plan is then run against the database with the same tool (SQL
    /// steps with the database's client) and must leave it `in_sync`.
    /// Returns (proven, applied successfully).
    async fn repair_and_apply(&self, db: &TempDb, expected: &Path, verdict: &str) -> (bool, bool) {
        let launcher = (self.case.launcher)(self.tools).join(" ");
        let dir = self.dir.display().to_string();
        let expected_s = expected.display().to_string();
        let mut args = vec![
            "repair",
            "--database-url",
            &db.url,
            "--expected",
            &expected_s,
            "--project",
            &dir,
            "--prove-with",
            &launcher,
        ];
        let server = match self.kind {
            Kind::Postgres => Some(common::pg_server()),
            Kind::Mysql => Some(common::mysql_server()),
            Kind::Sqlite => None,
        };
        if let Some(u) = &server {
            args.extend(["--shadow-url", u]);
        }
        if let Some(c) = self.case.config {
            args.extend(["--project-config", c]);
        }
        args.extend(["--format", "json"]);
        let argv: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_preflight").to_string())
            .chain(args.iter().map(|a| a.to_string()))
            .collect();
        let at = format!("{} on {:?}, {verdict} plan", self.case.tool, self.kind);
        // The tool finds its own modules the way the replay does.
        let out = Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(common::repo())
            .envs((self.case.env)(self.tools))
            .output()
            .expect("run preflight repair");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{at}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(v["verdict"], verdict, "{at}: {}", v["reason"]);
        let plan = &v["repair"];
        let proven = plan["proven"] == true;
        assert!(proven, "{at}: not proven: {}", plan["proof"]);
        for step in plan["steps"].as_array().into_iter().flatten() {
            match step["kind"].as_str() {
                Some("command") => {
                    let args = strs(&step["args"]);
                    self.tool(
                        db,
                        (self.case.cli)(self.tools, args),
                        &format!("{at}: {}", step["text"]),
                    );
                }
                Some("sql") => db.exec(step["sql"].as_str().unwrap_or_default()).await,
                other => panic!("{at}: a step preflight cannot run for a test: {other:?}"),
            }
        }
        let after = verify(db, expected);
        let applied = after["verdict"] == "in_sync";
        assert!(
            applied,
            "{at}: after the plan: {} {}",
            after["verdict"], after["reason"]
        );
        (proven, applied)
    }

    fn replay(&self, out: &Path, flags: &[&str]) -> String {
        let shadow = match self.kind {
            Kind::Postgres => common::pg_server(),
            Kind::Mysql => common::mysql_server(),
            Kind::Sqlite => "sqlite:".into(),
        };
        let mut argv = vec![
            env!("CARGO_BIN_EXE_preflight").to_string(),
            "snapshot".into(),
            "--replay".into(),
            self.case.tool.into(),
            "--shadow-url".into(),
            shadow,
            "--project".into(),
            self.dir.display().to_string(),
            "-o".into(),
            out.display().to_string(),
            // Every run replays: the cache has its own test.
            "--no-cache".into(),
        ];
        argv.extend(flags.iter().map(|f| f.to_string()));
        if let Some(c) = self.case.config {
            argv.extend(["--config".to_string(), c.to_string()]);
        }
        argv.push("--".into());
        argv.extend((self.case.launcher)(self.tools));
        run(
            &argv,
            common::repo(),
            &(self.case.env)(self.tools),
            "replay",
        )
    }
}

/// The tools that have a replay driver.
const DRIVEN: &[&str] = &[
    "alembic",
    "django",
    "knex",
    "sequelize",
    "typeorm",
    "node-pg-migrate",
];

async fn check(case: &Case) {
    let Some(tools) = tools() else { return };
    let dir = common::repo().join("tests/fixtures/tools").join(case.tool);
    let n = case.ids.len();
    for &kind in case.engines {
        let ctx = Ctx {
            case,
            tools: &tools,
            dir: dir.clone(),
            kind,
        };
        let tmp = tempfile::tempdir().expect("tmp");
        let at = |what: &str| format!("{} on {kind:?}: {what}", case.tool);

        // Replay → one revision per migration, in the tool's order.
        let snapshot = tmp.path().join("replayed.json");
        let log = ctx.replay(&snapshot, &[]);
        // Tools with a replay driver replay in one process of their runtime,
        // and the CLI path (their fallback) gives the very same expectations.
        if DRIVEN.contains(&case.tool) {
            assert!(
                log.contains("driver, one process"),
                "{}\n{log}",
                at("the driver ran")
            );
            if kind == case.engines[0] {
                let by_cli = tmp.path().join("by-cli.json");
                let cli_log = ctx.replay(&by_cli, &["--no-driver"]);
                assert!(cli_log.contains("CLI, once per revision"), "{cli_log}");
                assert_eq!(
                    std::fs::read_to_string(&by_cli).expect("by cli"),
                    std::fs::read_to_string(&snapshot).expect("by driver"),
                    "{}",
                    at("the CLI and the driver replay alike")
                );
            }
        } else {
            assert!(log.contains("CLI, once per revision"), "{log}");
        }
        let file: Value =
            serde_json::from_str(&std::fs::read_to_string(&snapshot).expect("snapshot"))
                .expect("json");
        let ids: Vec<String> = file["revisions"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|x| x["revision"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(ids, case.ids, "{}\n{log}", at("replayed revisions"));

        // An honest database at every revision.
        let honest = TempDb::new(kind).await;
        let files = case.files.map(|f| dir.join(f));
        let sources: Vec<(&str, &Path)> = std::iter::once(("replayed", snapshot.as_path()))
            .chain(files.as_deref().map(|f| ("files", f)))
            .collect();
        for k in 1..=n {
            ctx.step(&honest, k);
            let id = case.ids[k - 1];
            for (source, expected) in &sources {
                let v = verify(&honest, expected);
                let at = |what: &str| at(&format!("{what} ({source})"));
                if k < n {
                    assert_eq!(v["verdict"], "pending", "{}: {}", at(id), v["reason"]);
                    let mut pending = strs(&v["pending"]);
                    pending.sort();
                    let mut want: Vec<&str> = case.ids[k..].to_vec();
                    want.sort();
                    assert_eq!(pending, want, "{}", at(id));
                    // With several heads (Alembic branches) the schema
                    // matches each: the revision named is one of them.
                    let heads = strs(&v["ledger"]["current"]);
                    if heads.len() > 1 {
                        let m = v["matched_revision"].as_str().unwrap_or("");
                        assert!(heads.iter().any(|h| h == m), "{}: {m}", at(id));
                    } else {
                        assert_eq!(v["matched_revision"], id, "{}", at(id));
                    }
                } else {
                    assert_eq!(v["verdict"], "in_sync", "{}: {}", at(id), v["reason"]);
                }
            }
        }
        // A snapshot of that migrated database alone.
        let head = tmp.path().join("head.json");
        run(
            &[
                env!("CARGO_BIN_EXE_preflight").to_string(),
                "snapshot".into(),
                "--database-url".into(),
                honest.url.clone(),
                "-o".into(),
                head.display().to_string(),
            ],
            common::repo(),
            &[],
            &at("head snapshot"),
        );

        // Half-way, honestly, then the rest recorded without running.
        let half = n / 2;
        let db = TempDb::new(kind).await;
        for k in 1..=half {
            ctx.step(&db, k);
        }
        // Alembic's ledger holds only heads: a snapshot taken at the head
        // cannot know an earlier head (per-revision expectations can).
        if case.tool != "alembic" {
            let v = verify(&db, &head);
            assert_eq!(
                v["verdict"],
                "pending",
                "{}: {}",
                at("head snapshot, honest"),
                v["reason"]
            );
        }
        // A repair plan for an honest database half-way (`pending`), on the
        // first engine: proven, and applied it brings the database to in_sync.
        let mut plans = (0, 0, 0);
        if kind == case.engines[0] {
            let pending = TempDb::new(kind).await;
            for k in 1..=half {
                ctx.step(&pending, k);
            }
            let (p, a) = ctx.repair_and_apply(&pending, &snapshot, "pending").await;
            plans = (
                plans.0 + 1,
                plans.1 + usize::from(p),
                plans.2 + usize::from(a),
            );
        }
        ctx.fake_after(&db, half).await;
        for (source, expected) in &sources {
            let v = verify(&db, expected);
            let what = format!("faked ({source})");
            assert_eq!(
                v["verdict"],
                "ledger_ahead",
                "{}: {}",
                at(&what),
                v["reason"]
            );
            assert_eq!(
                strs(&v["recorded_not_applied"]),
                case.ids[half..],
                "{}",
                at(&what)
            );
            assert_eq!(v["matched_revision"], case.ids[half - 1], "{}", at(&what));
        }
        let v = verify(&db, &head);
        assert_eq!(
            v["verdict"],
            "ledger_ahead",
            "{}: {}",
            at("head snapshot, faked"),
            v["reason"]
        );
        // The faked database's plan: the tool's own command (or the exact
        // ledger SQL) takes the skipped revisions out, then it applies them.
        let (p, a) = ctx.repair_and_apply(&db, &snapshot, "ledger_ahead").await;
        plans = (
            plans.0 + 1,
            plans.1 + usize::from(p),
            plans.2 + usize::from(a),
        );
        eprintln!("{}", at("replay, honest and faked verdicts right"));
        eprintln!(
            "{}",
            at(&format!(
                "repair plans proven {}/{}, applied successfully {}/{}",
                plans.1, plans.0, plans.2, plans.0
            ))
        );
    }
}

const ALL: &[Kind] = &[Kind::Postgres, Kind::Mysql, Kind::Sqlite];

fn node_env(t: &Path) -> Vec<(String, String)> {
    let nm = t.join("node/node_modules");
    vec![
        ("NODE_PATH".into(), nm.display().to_string()),
        ("KNEX_PATH".into(), nm.join("knex").display().to_string()),
    ]
}

fn bin(t: &Path, rel: &str) -> String {
    t.join(rel).display().to_string()
}

/// `INSERT`s in the engine's quoting.
fn q(kind: Kind, ident: &str) -> String {
    match kind {
        Kind::Mysql => format!("`{ident}`"),
        _ => format!("\"{ident}\""),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn alembic() {
    check(&Case {
        tool: "alembic",
        engines: ALL,
        ids: &[
            "d2e6a9c4b1f5",
            "3f9c1a2b7d01",
            "8e4d2c6a1b02",
            "c7a5e3f9d203",
            "5b1f8d4e2a04",
        ],
        launcher: |t| vec![bin(t, "venv/bin/python")],
        config: None,
        env: |_| Vec::new(),
        connect: |u, _| {
            env_url(
                "DATABASE_URL",
                spelling::sqlalchemy(u).replacen("mysql://", "mysql+pymysql://", 1),
            )
        },
        // The fixture's own CLI (its env.py reads DATABASE_URL).
        step: |k, ids| s(&["-m", "alembic", "upgrade", ids[k - 1]]),
        files: Some("alembic.ini"),
        cli: |_, args| [s(&["-m", "alembic"]), args].concat(),
        fake: Fake::Tool(|_, _, ids| vec![s(&["-m", "alembic", "stamp", ids[ids.len() - 1]])]),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn django() {
    check(&Case {
        tool: "django",
        engines: ALL,
        ids: &[
            "accounts.0001_initial",
            "library.0001_initial",
            "accounts.0002_author_email",
            "library.0002_review",
        ],
        launcher: |t| vec![bin(t, "venv/bin/python"), "manage.py".into()],
        config: None,
        env: |_| Vec::new(),
        connect: |u, _| env_url("DATABASE_URL", spelling::four_slash_sqlite(u)),
        step: |k, ids| {
            let (app, name) = ids[k - 1].split_once('.').unwrap_or_default();
            s(&["migrate", app, name, "--noinput"])
        },
        // `--fake` of the last one also fakes its unapplied dependencies.
        files: None,
        cli: same,
        fake: Fake::Tool(|_, _, _| vec![s(&["migrate", "--fake", "library", "0002_review"])]),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn knex() {
    check(&Case {
        tool: "knex",
        engines: ALL,
        ids: &[
            "20240101000001_create_authors.js",
            "20240102000002_create_books.js",
            "20240103000003_add_authors_email.js",
            "20240104000004_create_reviews.js",
        ],
        launcher: |t| vec![bin(t, "node/node_modules/.bin/knex"), "--knexfile".into(), "knexfile.js".into()],
        config: None,
        env: node_env,
        connect: |u, _| env_url("DATABASE_URL", spelling::conventional(u)),
        step: |_, _| s(&["migrate:up"]),
        files: None,
        cli: same,
        fake: Fake::Sql(|kind, k, ids| {
            let time = match kind {
                Kind::Sqlite => "CAST(strftime('%s','now') AS INTEGER) * 1000",
                _ => "CURRENT_TIMESTAMP",
            };
            ids[k..]
                .iter()
                .map(|n| format!("INSERT INTO knex_migrations (name, batch, migration_time) VALUES ('{n}', 99, {time})"))
                .collect()
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sequelize() {
    check(&Case {
        tool: "sequelize",
        engines: ALL,
        ids: &[
            "20240101000001-create-authors.js",
            "20240102000002-create-books.js",
            "20240103000003-add-authors-email.js",
            "20240104000004-create-reviews.js",
        ],
        launcher: |t| vec![bin(t, "node/node_modules/.bin/sequelize")],
        config: None,
        env: node_env,
        connect: |u, _| env_url("DATABASE_URL", spelling::conventional(u)),
        step: |k, ids| s(&["db:migrate", "--to", ids[k - 1]]),
        files: None,
        cli: same,
        fake: Fake::Sql(|kind, k, ids| {
            ids[k..]
                .iter()
                .map(|n| {
                    format!(
                        "INSERT INTO {} (name) VALUES ('{n}')",
                        q(kind, "SequelizeMeta")
                    )
                })
                .collect()
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn typeorm() {
    check(&Case {
        tool: "typeorm",
        engines: ALL,
        ids: &[
            "CreateAuthors1704067200001",
            "CreateBooks1704153600002",
            "AddAuthorsEmail1704240000003",
            "CreateReviews1704326400004",
        ],
        launcher: |_| vec!["node".into()],
        config: Some("data-source.js"),
        env: node_env,
        connect: |u, _| env_url("DATABASE_URL", spelling::conventional(u)),
        // TypeORM's CLI has no step: its MigrationExecutor, as the replay does.
        step: |_, _| {
            let def = preflight::tools::find("typeorm").expect("typeorm");
            match def.replay() {
                preflight::definitions::Replay::Steps(r) => match &r.step {
                    preflight::definitions::Step::Next { args, .. } => {
                        args(&preflight::definitions::Project {
                            dir: PathBuf::from("."),
                            config: Some(PathBuf::from("data-source.js")),
                        })
                    }
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            }
        },
        files: None,
        cli: |t, args| {
            [
                vec![bin(t, "node/node_modules/typeorm/cli.js")],
                args,
                s(&["-d", "data-source.js"]),
            ]
            .concat()
        },
        fake: Fake::Tool(|t, _, _| {
            vec![vec![
                bin(t, "node/node_modules/typeorm/cli.js"),
                "migration:run".into(),
                "-d".into(),
                "data-source.js".into(),
                "--fake".into(),
            ]]
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn node_pg_migrate() {
    check(&Case {
        tool: "node-pg-migrate",
        engines: &[Kind::Postgres],
        ids: &[
            "1704067200001_create-authors",
            "1704153600002_create-books",
            "1704240000003_add-authors-email",
            "1704326400004_create-reviews",
        ],
        launcher: |t| vec![bin(t, "node/node_modules/.bin/node-pg-migrate")],
        config: None,
        env: node_env,
        connect: |u, _| env_url("DATABASE_URL", spelling::conventional(u)),
        step: |_, _| s(&["up", "1"]),
        files: None,
        cli: same,
        fake: Fake::Tool(|_, _, _| vec![s(&["up", "--fake"])]),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn rails() {
    check(&Case {
        tool: "rails",
        engines: ALL,
        ids: &[
            "20240101000001",
            "20240102000002",
            "20240103000003",
            "20240104000004",
        ],
        launcher: |_| vec!["bin/rails".into()],
        config: None,
        env: |_| Vec::new(),
        connect: |u, _| env_url("DATABASE_URL", spelling::rails(u)),
        step: |k, ids| vec!["db:migrate".into(), format!("VERSION={}", ids[k - 1])],
        files: None,
        cli: same,
        fake: Fake::Sql(|_, k, ids| {
            ids[k..]
                .iter()
                .map(|v| format!("INSERT INTO schema_migrations (version) VALUES ('{v}')"))
                .collect()
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn laravel() {
    check(&Case {
        tool: "laravel",
        engines: ALL,
        ids: &[
            "2024_01_01_000001_create_authors_table",
            "2024_01_02_000002_create_books_table",
            "2024_01_03_000003_add_email_to_authors_table",
            "2024_01_04_000004_create_reviews_table",
        ],
        launcher: |_| vec!["php".into(), "artisan".into()],
        config: None,
        env: |_| Vec::new(),
        connect: |u, _| env_url("DATABASE_URL", spelling::four_slash_sqlite(u)),
        step: |k, ids| {
            vec![
                "migrate".into(),
                format!("--path=database/migrations/{}.php", ids[k - 1]),
                "--force".into(),
            ]
        },
        files: None,
        cli: same,
        fake: Fake::Sql(|_, k, ids| {
            ids[k..]
                .iter()
                .map(|m| format!("INSERT INTO migrations (migration, batch) VALUES ('{m}', 99)"))
                .collect()
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn goose() {
    check(&Case {
        tool: "goose",
        engines: ALL,
        ids: &["1", "2", "3", "4"],
        launcher: |t| vec![bin(t, "bin/goose"), "-dir".into(), "migrations".into()],
        config: None,
        env: |_| Vec::new(),
        connect: |u, _| {
            let (driver, dsn) = spelling::goose(u);
            (
                vec![
                    ("GOOSE_DRIVER".into(), driver.into()),
                    ("GOOSE_DBSTRING".into(), dsn),
                ],
                Vec::new(),
            )
        },
        step: |_, _| s(&["up-by-one"]),
        files: Some("migrations"),
        cli: same,
        fake: Fake::Sql(|kind, k, ids| {
            let yes = if kind == Kind::Postgres { "true" } else { "1" };
            ids[k..]
                .iter()
                .map(|v| {
                    format!(
                        "INSERT INTO goose_db_version (version_id, is_applied) VALUES ({v}, {yes})"
                    )
                })
                .collect()
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn golang_migrate() {
    check(&Case {
        tool: "golang-migrate",
        engines: ALL,
        ids: &["1", "2", "3", "4"],
        launcher: |t| vec![bin(t, "bin/migrate"), "-path".into(), "migrations".into()],
        config: None,
        env: |_| Vec::new(),
        connect: |u, _| {
            (
                Vec::new(),
                vec!["-database".into(), spelling::golang_migrate(u)],
            )
        },
        step: |_, _| s(&["up", "1"]),
        files: Some("migrations"),
        cli: same,
        fake: Fake::Tool(|_, _, ids| vec![s(&["force", ids[ids.len() - 1]])]),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn flyway() {
    check(&Case {
        tool: "flyway",
        engines: ALL,
        ids: &["1", "2", "3", "4"],
        launcher: |t| vec![bin(t, "bin/flyway"), "-skipCheckForUpdate".into()],
        config: None,
        env: |_| Vec::new(),
        connect: |u, mariadb| {
            let (jdbc, user, password) = spelling::jdbc(u, mariadb);
            let mut args = vec![format!("-url={jdbc}")];
            if !user.is_empty() {
                args.push(format!("-user={user}"));
            }
            if !password.is_empty() {
                args.push(format!("-password={password}"));
            }
            (Vec::new(), args)
        },
        step: |_, _| s(&["migrate", "-target=next"]),
        files: Some("sql"),
        cli: same,
        fake: Fake::Sql(|kind, k, ids| {
            let yes = if kind == Kind::Postgres { "true" } else { "1" };
            ids[k..]
                .iter()
                .map(|v| {
                    format!(
                        "INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) \
                         VALUES ({}, '{v}', 'faked', 'SQL', 'V{v}__faked.sql', NULL, 'test', 0, {yes})",
                        100 + v.parse::<i32>().unwrap_or(0)
                    )
                })
                .collect()
        }),
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn liquibase() {
    check(&Case {
        tool: "liquibase",
        engines: ALL,
        ids: &[
            "changelog.yaml::1-create-authors::preflight",
            "changelog.yaml::2-create-books::preflight",
            "changelog.yaml::3-add-authors-email::preflight",
            "changelog.yaml::4-create-reviews::preflight",
        ],
        launcher: |t| {
            vec![
                bin(t, "bin/liquibase"),
                "--show-banner=false".into(),
                "--analytics-enabled=false".into(),
            ]
        },
        config: None,
        env: |_| Vec::new(),
        connect: |u, mariadb| {
            let (jdbc, user, password) = spelling::jdbc(u, mariadb);
            let mut args = vec![format!("--url={jdbc}")];
            if !user.is_empty() {
                args.push(format!("--username={user}"));
            }
            if !password.is_empty() {
                args.push(format!("--password={password}"));
            }
            (Vec::new(), args)
        },
        step: |_, _| s(&["update-count", "--count=1"]),
        files: None,
        cli: same,
        fake: Fake::Tool(|_, k, ids| {
            (k..ids.len())
                .map(|_| s(&["mark-next-changeset-ran"]))
                .collect()
        }),
    })
    .await;
}

/// The golang-migrate fixture's migration files, copied into `dir`.
fn copy_golang_migrate_fixture(dir: &Path) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let fixture = common::repo().join("tests/fixtures/tools/golang-migrate/migrations");
    for e in std::fs::read_dir(&fixture).expect("fixture").flatten() {
        std::fs::copy(e.path(), dir.join(e.file_name())).expect("copy");
    }
}

/// A migration that fails under the real golang-migrate leaves its ledger
/// dirty. Once the file is fixed, the plan — `force` the last good version,
/// then `up` — is proven on a shadow and, run with the real tool, brings the
/// database to in_sync.
#[tokio::test(flavor = "multi_thread")]
async fn golang_migrate_dirty_plan_is_proven_and_applied() {
    let Some(t) = tools() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("migrations");
    copy_golang_migrate_fixture(&dir);
    let up5 = dir.join("000005_add_tags.up.sql");
    std::fs::write(
        &up5,
        "CREATE TABLE tags (id integer PRIMARY KEY);\nINSERT INTO no_such_table VALUES (1);\n",
    )
    .expect("write");
    std::fs::write(dir.join("000005_add_tags.down.sql"), "DROP TABLE tags;\n").expect("write");

    let db = TempDb::new(Kind::Postgres).await;
    let migrate = |args: &[&str]| {
        Command::new(bin(&t, "bin/migrate"))
            .args([
                "-path",
                "migrations",
                "-database",
                &spelling::golang_migrate(&db.url()),
            ])
            .args(args)
            .current_dir(tmp.path())
            .output()
            .expect("run migrate")
    };
    let out = migrate(&["up"]);
    assert!(!out.status.success(), "the broken migration fails");
    // The team fixes the file; the ledger still says 5, dirty.
    std::fs::write(&up5, "CREATE TABLE tags (id integer PRIMARY KEY);\n").expect("fix");

    let expected = format!("migrations:{}", dir.display());
    let project = tmp.path().display().to_string();
    let launcher = format!("{} -path migrations", bin(&t, "bin/migrate"));
    let server = common::pg_server();
    let (code, v) = common::preflight_json(&[
        "repair",
        "--database-url",
        &db.url,
        "--expected",
        &expected,
        "--shadow-url",
        &server,
        "--project",
        &project,
        "--prove-with",
        &launcher,
    ]);
    assert_eq!(v["verdict"], "dirty", "{}", v["reason"]);
    let plan = &v["repair"];
    let steps: Vec<Vec<String>> = plan["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| strs(&s["args"]))
        .collect();
    assert_eq!(steps, [s(&["force", "4"]), s(&["up"])], "{plan}");
    assert_eq!(plan["proven"], true, "{}", plan["proof"]);
    assert_eq!(code, 0);
    for args in &steps {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = migrate(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (_, after) = common::preflight_json(&[
        "verify",
        "--database-url",
        &db.url,
        "--expected",
        &expected,
        "--shadow-url",
        &server,
    ]);
    assert_eq!(after["verdict"], "in_sync", "{}", after["reason"]);
    eprintln!("golang-migrate dirty: plan proven 1/1, applied successfully 1/1");
}

/// An unchanged project is not replayed again: the second `snapshot
/// --replay` comes from the cache, byte for byte; an edited migration, or
/// `--no-cache`, replays.
#[test]
fn an_unchanged_project_comes_from_the_replay_cache() {
    let Some(t) = tools() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let project = tmp.path().join("project");
    let migrations = project.join("migrations");
    copy_golang_migrate_fixture(&migrations);
    let cache = tmp.path().join("cache");
    let replay = |out: &str, extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_preflight"))
            .args([
                "snapshot",
                "--replay",
                "golang-migrate",
                "--shadow-url",
                "sqlite:",
            ])
            .arg("--project")
            .arg(&project)
            .arg("-o")
            .arg(tmp.path().join(out))
            .args(extra)
            .arg("--")
            .args([bin(&t, "bin/migrate").as_str(), "-path", "migrations"])
            .env("PREFLIGHT_CACHE_DIR", &cache)
            .output()
            .expect("run preflight");
        let log = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(o.status.success(), "{log}");
        let snapshot = std::fs::read_to_string(tmp.path().join(out)).expect("snapshot");
        (log, snapshot)
    };
    let (log, first) = replay("a.json", &[]);
    assert!(log.contains("4 revisions replayed"), "{log}");
    let (log, second) = replay("b.json", &[]);
    assert!(log.contains("4 revisions from the replay cache"), "{log}");
    assert_eq!(first, second);
    let (log, _) = replay("c.json", &["--no-cache"]);
    assert!(log.contains("replayed"), "--no-cache replays: {log}");
    std::fs::write(
        migrations.join("000004_create_reviews.up.sql"),
        "CREATE TABLE reviews (id integer PRIMARY KEY, stars integer);\n",
    )
    .expect("edit");
    let (log, edited) = replay("d.json", &[]);
    assert!(
        log.contains("4 revisions replayed"),
        "an edited history replays: {log}"
    );
    assert_ne!(edited, first);
}

/// A migration that extends the tool's own ledger table (`ALTER TABLE
/// schema_migrations ADD COLUMN …`): the real golang-migrate creates its
/// table before the first file, so preflight's own replay of the folder must
/// too, and the honest database is in sync, not an error.
#[tokio::test(flavor = "multi_thread")]
async fn a_sql_folder_may_alter_its_tools_ledger() {
    let Some(t) = tools() else { return };
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("migrations");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let files = [
        (
            "000001_users",
            "CREATE TABLE users (id integer PRIMARY KEY, email text);",
        ),
        (
            "000002_ledger_note",
            "ALTER TABLE schema_migrations ADD COLUMN note text;",
        ),
        (
            "000003_orders",
            "CREATE TABLE orders (id integer PRIMARY KEY, user_id integer REFERENCES users (id));",
        ),
    ];
    for (name, up) in files {
        std::fs::write(dir.join(format!("{name}.up.sql")), up).expect("write");
        std::fs::write(dir.join(format!("{name}.down.sql")), "SELECT 1;").expect("write");
    }
    for kind in [Kind::Postgres, Kind::Sqlite] {
        let db = TempDb::new(kind).await;
        let out = Command::new(bin(&t, "bin/migrate"))
            .args([
                "-path",
                "migrations",
                "-database",
                &spelling::golang_migrate(&db.url()),
                "up",
            ])
            .current_dir(tmp.path())
            .output()
            .expect("run migrate");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let shadow = match kind {
            Kind::Postgres => common::pg_server(),
            _ => "sqlite:".into(),
        };
        let expected = format!("migrations:{}", dir.display());
        let (code, v) = common::preflight_json(&[
            "verify",
            "--database-url",
            &db.url,
            "--expected",
            &expected,
            "--shadow-url",
            &shadow,
        ]);
        assert_eq!(
            (code, v["verdict"].as_str()),
            (0, Some("in_sync")),
            "{kind:?}: {v}"
        );
    }
}
