//! TypeORM: the `migrations(id, timestamp, name)` table; `--fake` writes or
//! deletes rows without running `up()`/`down()`.

use super::prelude::*;

pub(super) static FAKE: Rule = Rule {
    id: "typeorm/fake",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Stamp,
    severity: Severity::Error,
    title: "`migration:run --fake` records migrations without running them",
    message: "records migrations in the migrations table without running them",
    explanation: "`typeorm migration:run --fake` \"will add the migration to the migrations table without \
running it\"; `migration:revert --fake` removes the row without running `down()`. In a release step the \
table runs ahead of (or behind) the schema on every deploy.",
    fix: "Run `typeorm migration:run` without `--fake`.",
    examples: &["npx typeorm migration:run -d dist/data-source.js --fake"],
};

pub(super) static SCHEMA_SYNC: Rule = Rule {
    id: "typeorm/schema-sync",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Destroy,
    severity: Severity::Error,
    title: "`schema:sync` / `schema:drop` change the schema outside migrations",
    message: "changes the schema directly from entities, outside migrations",
    explanation: "`schema:sync` alters the database to match the entities, dropping columns that no longer \
exist in code, with their data; `schema:drop` drops every table. Neither is recorded in the migrations \
table.",
    fix: "Generate migrations with `migration:generate` and apply them with `migration:run`.",
    examples: &[
        "typeorm schema:sync -d dist/data-source.js",
        "typeorm schema:drop -d dist/data-source.js",
    ],
};

pub(super) static REVERT: Rule = Rule {
    id: "typeorm/revert",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::Rollback,
    severity: Severity::Error,
    title: "`migration:revert` moves the schema backwards",
    message: "reverts the latest migration",
    explanation: "`migration:revert` runs the `down()` of the latest executed migration. In a release step \
it undoes a migration on every deploy.",
    fix: "Release steps run `migration:run`; fix forward with a new migration.",
    examples: &["typeorm migration:revert -d dist/data-source.js"],
};

pub(super) static PRINT_ONLY: Rule = Rule {
    id: "typeorm/print-only",
    owner: Owner::Tool(Tool(&TOOL)),
    kind: RuleKind::PrintOnly,
    severity: Severity::Warning,
    title: "`schema:log` prints SQL and applies nothing",
    message: "only prints SQL; nothing is applied",
    explanation: "`schema:log` shows the SQL `schema:sync` would run. As the only migration command of a \
release step it applies nothing.",
    fix: "Run `typeorm migration:run` in the release step.",
    examples: &["typeorm schema:log -d dist/data-source.js"],
};

static RULES: &[&Rule] = &[&FAKE, &SCHEMA_SYNC, &REVERT, &PRINT_ONLY];

fn classify(inv: &Invocation) -> Option<Classified> {
    if !matches!(
        inv.program.as_str(),
        "typeorm" | "typeorm-ts-node-commonjs" | "typeorm-ts-node-esm"
    ) {
        return None;
    }
    let sub = inv.positionals(CLI.value_options);
    let sub = sub.first()?.text.as_str();
    let fake = inv.has_flag(&["--fake", "-f"])
        && !inv
            .args
            .iter()
            .any(|w| w.text == "-f" && sub == "migration:generate");
    let c = |a| Classified::new(Tool(&TOOL), a);
    Some(match sub {
        "migration:run" if fake => c(Action::Stamp).hit(&FAKE),
        "migration:run" => c(Action::Apply),
        "migration:revert" if fake => c(Action::Stamp).hit_with(
            &FAKE,
            "`migration:revert --fake` deletes the row without running `down()`",
        ),
        "migration:revert" => c(Action::Rollback).hit(&REVERT),
        "schema:sync" => c(Action::CreateSchema).hit(&SCHEMA_SYNC),
        "schema:drop" => c(Action::Destroy).hit(&SCHEMA_SYNC),
        "schema:log" => c(Action::PrintOnly).hit(&PRINT_ONLY),
        "migration:show" => c(Action::ReadOnly),
        _ => c(Action::Other),
    })
}

/// How release steps run the tool; read by the classifier, command
/// analysis and the repair plans.
const CLI: Cli = Cli {
    program: "typeorm",
    programs: &["typeorm", "typeorm-ts-node-commonjs", "typeorm-ts-node-esm"],
    node_packages: &["typeorm"],
    run_as: &["npx", "typeorm"],
    subcommands: &[
        "migration:run",
        "migration:revert",
        "migration:show",
        "schema:sync",
        "schema:drop",
    ],
    carried: &["-d", "--dataSource", "--datasource"],
    value_options: &[
        "-d",
        "--dataSource",
        "--datasource",
        "-t",
        "--transaction",
        "-c",
        "--connection",
        "-f",
        "--config",
    ],
    ..Cli::NONE
};

pub static TOOL: ToolDef = ToolDef {
    id: "typeorm",
    name: "TypeORM",
    docs_url: "https://typeorm.io/docs/migrations/executing",
    rules: RULES,
    cli: CLI,
    classify,
    clean: &["npx typeorm migration:run -d dist/data-source.js"],
    sql_folder: None,
    ledger: Some(LedgerDef {
        table: "migrations",
        columns: &["timestamp", "name"],
        entries: Entries::EachApplied,
        query: |t| t.select(&["name"], Some("id")),
        read: each_row_applied,
        ..LedgerDef::DEFAULT
    }),
    repair: RepairDef {
        apply: &["migration:run"],
        unrecord: Unrecord::Rows(RowKey::Column("name")),
        shadow_cli: Some(shadow_cli),
        ..RepairDef::DEFAULT
    },
    replay: Replay::Steps(ReplayDef {
        // The CLI cannot step: TypeORM's own MigrationExecutor applies the next one.
        launcher: &["node"],
        step: Step::Next {
            args: |p| {
                let ds = p
                    .config
                    .as_ref()
                    .map_or_else(|| "data-source.js".to_string(), |c| c.display().to_string());
                vec!["-e".into(), STEP_SCRIPT.into(), ds]
            },
            done: &["No migrations are pending"],
        },
        connect: |db, _| Connect::env("DATABASE_URL", spelling::conventional(&db.url)),
        driver: Some(&DRIVER),
    }),
};

/// The replay driver: the project loaded once, every revision applied in
/// one process (`drivers/typeorm.js`).
static DRIVER: Driver = Driver {
    runtime: Runtime::Node,
    file: "typeorm.cjs",
    source: include_str!("drivers/typeorm.js"),
    args: |p| {
        vec![p.config.as_ref().map_or_else(
            || "data-source.js".to_string(),
            |c| c.display().to_string(),
        )]
    },
};

/// Applies exactly one pending migration through TypeORM's own
/// `MigrationExecutor` (the path `migration:run` takes).
const STEP_SCRIPT: &str = r#"
const path = require('path');
const { MigrationExecutor } = require('typeorm');
(async () => {
  let ds = require(path.resolve(process.argv[1]));
  ds = ds.default || ds.AppDataSource || ds.dataSource || ds;
  await ds.initialize();
  const ex = new MigrationExecutor(ds);
  const [next] = await ex.getPendingMigrations();
  if (next) { await ex.executeMigration(next); console.log(`applied ${next.name}`); }
  else console.log('No migrations are pending');
  await ds.destroy();
})().catch((e) => { console.error(e); process.exit(1); });
"#;

/// A plan's TypeORM command on a shadow: `migration:run` is what the CLI
/// does through `DataSource.runMigrations()`, run here the same way with the
/// project's data source (the replay drives TypeORM's API, not its CLI).
fn shadow_cli(p: &crate::definitions::Project, args: &[String]) -> Vec<String> {
    let ds = p
        .config
        .as_ref()
        .map_or_else(|| "data-source.js".to_string(), |c| c.display().to_string());
    let mut v = vec!["-e".into(), CLI_SCRIPT.into(), ds];
    v.extend(args.iter().cloned());
    v
}

/// `migration:run` and `migration:revert` through the data source.
const CLI_SCRIPT: &str = r#"
const path = require('path');
(async () => {
  let ds = require(path.resolve(process.argv[1]));
  ds = ds.default || ds.AppDataSource || ds.dataSource || ds;
  const cmd = process.argv[2];
  await ds.initialize();
  if (cmd === 'migration:run') {
    const done = await ds.runMigrations({ transaction: 'each' });
    console.log(`applied ${done.map((m) => m.name).join(', ') || 'nothing'}`);
  } else if (cmd === 'migration:revert') {
    await ds.undoLastMigration();
  } else {
    throw new Error(`not a TypeORM command preflight runs on a shadow: ${cmd}`);
  }
  await ds.destroy();
})().catch((e) => { console.error(e); process.exit(1); });
"#;
