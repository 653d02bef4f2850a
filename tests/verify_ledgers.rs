//! Every ledger format, produced the way its tool produces it: the real tool
//! where it can run here (sqlx's own migrator; Alembic and Django in other
//! tests), otherwise the exact DDL and rows the tool writes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may stop at the first surprise

mod common;

use common::{Kind, TempDb};
use preflight::verify::{self, VerifyOptions};

struct Case {
    name: &'static str,
    kind: Kind,
    setup: &'static str,
    tool: &'static str,
    current: &'static [&'static str],
    applied: &'static [&'static str],
    dirty: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        name: "alembic with two heads",
        kind: Kind::Postgres,
        setup: "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)); INSERT INTO alembic_version VALUES ('ae1027a6acf'), ('27c6a30d7c24');",
        tool: "alembic",
        current: &["27c6a30d7c24", "ae1027a6acf"],
        applied: &["27c6a30d7c24", "ae1027a6acf"],
        dirty: &[],
    },
    Case {
        name: "flyway with a failed migration",
        kind: Kind::Postgres,
        setup: r#"CREATE TABLE "public"."flyway_schema_history" ("installed_rank" INT NOT NULL, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INTEGER, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TIMESTAMP NOT NULL DEFAULT now(), "execution_time" INTEGER NOT NULL, "success" BOOLEAN NOT NULL);
ALTER TABLE "public"."flyway_schema_history" ADD CONSTRAINT "flyway_schema_history_pk" PRIMARY KEY ("installed_rank");
CREATE INDEX "flyway_schema_history_s_idx" ON "public"."flyway_schema_history" ("success");
INSERT INTO flyway_schema_history VALUES (1, '1', '<< Flyway Baseline >>', 'BASELINE', '<< Flyway Baseline >>', NULL, 'postgres', now(), 0, true),
 (2, '2', 'add orders', 'SQL', 'V2__add_orders.sql', -1318447113, 'postgres', now(), 12, true),
 (3, NULL, 'views', 'SQL', 'R__views.sql', 123, 'postgres', now(), 3, true),
 (4, '3', 'add payments', 'SQL', 'V3__add_payments.sql', 99, 'postgres', now(), 40, false);"#,
        tool: "flyway",
        current: &["2"],
        applied: &["1", "2"],
        dirty: &["3"],
    },
    Case {
        name: "golang-migrate dirty",
        kind: Kind::Postgres,
        setup: "CREATE TABLE IF NOT EXISTS schema_migrations (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (12, true);",
        tool: "golang-migrate",
        current: &["12"],
        applied: &["12"],
        dirty: &["12"],
    },
    Case {
        name: "rails",
        kind: Kind::Postgres,
        setup: "CREATE TABLE schema_migrations (version character varying NOT NULL PRIMARY KEY); CREATE TABLE ar_internal_metadata (key character varying NOT NULL PRIMARY KEY, value character varying, created_at timestamp(6) NOT NULL, updated_at timestamp(6) NOT NULL); INSERT INTO schema_migrations VALUES ('20240102093000'), ('20231115120000'), ('20240310081500');",
        tool: "rails",
        current: &["20240310081500"],
        applied: &["20231115120000", "20240102093000", "20240310081500"],
        dirty: &[],
    },
    Case {
        name: "dbmate",
        kind: Kind::Postgres,
        setup: "CREATE TABLE IF NOT EXISTS schema_migrations (version varchar(128) primary key); INSERT INTO schema_migrations VALUES ('20240101000000'), ('20240201000000');",
        tool: "dbmate",
        current: &["20240201000000"],
        applied: &["20240101000000", "20240201000000"],
        dirty: &[],
    },
    Case {
        name: "ecto",
        kind: Kind::Postgres,
        setup: "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0)); INSERT INTO schema_migrations VALUES (20240101000000, now());",
        tool: "ecto",
        current: &["20240101000000"],
        applied: &["20240101000000"],
        dirty: &[],
    },
    Case {
        name: "prisma with an unfinished and a rolled-back migration",
        kind: Kind::Postgres,
        setup: r#"CREATE TABLE "_prisma_migrations" ("id" VARCHAR(36) NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ, "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ, "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "_prisma_migrations_pkey" PRIMARY KEY ("id"));
INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, rolled_back_at, started_at, applied_steps_count) VALUES
 ('a', 'c1', now(), '20240101_init', NULL, now() - interval '3 hours', 1),
 ('b', 'c2', NULL, '20240201_add_labels', now(), now() - interval '2 hours', 0),
 ('c', 'c3', NULL, '20240202_add_labels_fixed', NULL, now() - interval '1 hour', 0);"#,
        tool: "prisma",
        current: &["20240101_init"],
        applied: &["20240101_init"],
        dirty: &["20240202_add_labels_fixed"],
    },
    Case {
        name: "liquibase",
        kind: Kind::Postgres,
        setup: "CREATE TABLE public.databasechangelog (id VARCHAR(255) NOT NULL, author VARCHAR(255) NOT NULL, filename VARCHAR(255) NOT NULL, dateexecuted TIMESTAMP WITHOUT TIME ZONE NOT NULL, orderexecuted INTEGER NOT NULL, exectype VARCHAR(10) NOT NULL, md5sum VARCHAR(35), description VARCHAR(255), comments VARCHAR(255), tag VARCHAR(255), liquibase VARCHAR(20), contexts VARCHAR(255), labels VARCHAR(255), deployment_id VARCHAR(10));
CREATE TABLE public.databasechangeloglock (id INTEGER NOT NULL, locked BOOLEAN NOT NULL, lockgranted TIMESTAMP WITHOUT TIME ZONE, lockedby VARCHAR(255), CONSTRAINT databasechangeloglock_pkey PRIMARY KEY (id));
INSERT INTO databasechangelog (id, author, filename, dateexecuted, orderexecuted, exectype, md5sum, deployment_id) VALUES
 ('1', 'ana', 'db/changelog.xml', now(), 1, 'EXECUTED', '9:abc', '1'),
 ('2', 'ana', 'db/changelog.xml', now(), 2, 'MARK_RAN', '9:def', '1'),
 ('3', 'bo', 'db/changelog.xml', now(), 3, 'FAILED', NULL, '2');",
        tool: "liquibase",
        current: &["db/changelog.xml::2::ana"],
        applied: &["db/changelog.xml::1::ana", "db/changelog.xml::2::ana"],
        dirty: &["db/changelog.xml::3::bo"],
    },
    Case {
        name: "knex",
        kind: Kind::Postgres,
        setup: r#"create table "knex_migrations" ("id" serial primary key, "name" varchar(255), "batch" integer, "migration_time" timestamptz); create table "knex_migrations_lock" ("index" serial primary key, "is_locked" integer);
insert into knex_migrations (name, batch, migration_time) values ('20240101_users.js', 1, now()), ('20240105_orders.js', 2, now());"#,
        tool: "knex",
        current: &["20240105_orders.js"],
        applied: &["20240101_users.js", "20240105_orders.js"],
        dirty: &[],
    },
    Case {
        name: "node-pg-migrate",
        kind: Kind::Postgres,
        setup: r#"CREATE TABLE "public"."pgmigrations" ( id SERIAL PRIMARY KEY, name varchar(255) NOT NULL, run_on timestamp NOT NULL); INSERT INTO pgmigrations (name, run_on) VALUES ('1700000000000_init', now());"#,
        tool: "node-pg-migrate",
        current: &["1700000000000_init"],
        applied: &["1700000000000_init"],
        dirty: &[],
    },
    Case {
        name: "sequelize",
        kind: Kind::Postgres,
        setup: r#"CREATE TABLE IF NOT EXISTS "SequelizeMeta" ("name" VARCHAR(255) NOT NULL UNIQUE , PRIMARY KEY ("name")); INSERT INTO "SequelizeMeta" VALUES ('20240101-create-user.js'), ('20240102-create-order.js');"#,
        tool: "sequelize",
        current: &["20240102-create-order.js"],
        applied: &["20240101-create-user.js", "20240102-create-order.js"],
        dirty: &[],
    },
    Case {
        name: "goose with a rolled-back version",
        kind: Kind::Postgres,
        setup: "CREATE TABLE goose_db_version (id serial NOT NULL, version_id bigint NOT NULL, is_applied boolean NOT NULL, tstamp timestamp NULL default now(), PRIMARY KEY(id));
INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, true), (20240101120000, true), (20240102120000, true), (20240103120000, true), (20240103120000, false);",
        tool: "goose",
        current: &["20240102120000"],
        applied: &["20240101120000", "20240102120000"],
        dirty: &[],
    },
    Case {
        name: "entity framework core",
        kind: Kind::Postgres,
        setup: r#"CREATE TABLE "__EFMigrationsHistory" ("MigrationId" character varying(150) NOT NULL, "ProductVersion" character varying(32) NOT NULL, CONSTRAINT "PK___EFMigrationsHistory" PRIMARY KEY ("MigrationId"));
INSERT INTO "__EFMigrationsHistory" VALUES ('20240101093000_Initial', '8.0.4'), ('20240215101500_AddOrders', '8.0.4');"#,
        tool: "efcore",
        current: &["20240215101500_AddOrders"],
        applied: &["20240101093000_Initial", "20240215101500_AddOrders"],
        dirty: &[],
    },
    Case {
        name: "diesel",
        kind: Kind::Postgres,
        setup: "CREATE TABLE IF NOT EXISTS __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); INSERT INTO __diesel_schema_migrations (version) VALUES ('00000000000000'), ('20240101000000');",
        tool: "diesel",
        current: &["20240101000000"],
        applied: &["00000000000000", "20240101000000"],
        dirty: &[],
    },
    Case {
        name: "typeorm",
        kind: Kind::Postgres,
        setup: r#"CREATE TABLE "migrations" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL, CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"));
INSERT INTO migrations ("timestamp", name) VALUES (1700000000000, 'Init1700000000000');"#,
        tool: "typeorm",
        current: &["Init1700000000000"],
        applied: &["Init1700000000000"],
        dirty: &[],
    },
    Case {
        name: "atlas with a partial file",
        kind: Kind::Postgres,
        setup: r#"CREATE SCHEMA "atlas_schema_revisions"; CREATE TABLE "atlas_schema_revisions"."atlas_schema_revisions" ("version" character varying NOT NULL, "description" character varying NOT NULL, "type" bigint NOT NULL DEFAULT 2, "applied" bigint NOT NULL DEFAULT 0, "total" bigint NOT NULL DEFAULT 0, "executed_at" timestamptz NOT NULL, "execution_time" bigint NOT NULL, "error" text NULL, "error_stmt" text NULL, "hash" character varying NOT NULL, "partial_hashes" jsonb NULL, "operator_version" character varying NOT NULL, PRIMARY KEY ("version"));
INSERT INTO atlas_schema_revisions.atlas_schema_revisions VALUES ('20240101', 'init', 2, 3, 3, now(), 10, NULL, NULL, 'h1', NULL, 'Atlas CLI v0.20'), ('20240102', 'orders', 2, 1, 4, now(), 10, 'ERROR: column exists', 'ALTER TABLE', 'h2', NULL, 'Atlas CLI v0.20');"#,
        tool: "atlas",
        current: &["20240101"],
        applied: &["20240101"],
        dirty: &["20240102"],
    },
    Case {
        name: "laravel on mariadb",
        kind: Kind::Mysql,
        setup: "create table `migrations` (`id` int unsigned not null auto_increment primary key, `migration` varchar(255) not null, `batch` int not null) default character set utf8mb4 collate 'utf8mb4_unicode_ci';
insert into migrations (migration, batch) values ('2014_10_12_000000_create_users_table', 1), ('2024_01_01_000000_create_orders_table', 2);",
        tool: "laravel",
        current: &["2024_01_01_000000_create_orders_table"],
        applied: &["2014_10_12_000000_create_users_table", "2024_01_01_000000_create_orders_table"],
        dirty: &[],
    },
    Case {
        name: "golang-migrate on mariadb",
        kind: Kind::Mysql,
        setup: "CREATE TABLE IF NOT EXISTS `schema_migrations` (version bigint not null primary key, dirty boolean not null); INSERT INTO schema_migrations VALUES (3, false);",
        tool: "golang-migrate",
        current: &["3"],
        applied: &["3"],
        dirty: &[],
    },
    Case {
        name: "flyway on sqlite",
        kind: Kind::Sqlite,
        setup: r#"CREATE TABLE "flyway_schema_history" ("installed_rank" INT NOT NULL PRIMARY KEY, "version" VARCHAR(50), "description" VARCHAR(200) NOT NULL, "type" VARCHAR(20) NOT NULL, "script" VARCHAR(1000) NOT NULL, "checksum" INT, "installed_by" VARCHAR(100) NOT NULL, "installed_on" TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f','now')), "execution_time" INT NOT NULL, "success" BOOLEAN NOT NULL);
INSERT INTO flyway_schema_history (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success) VALUES (1, '1', 'init', 'SQL', 'V1__init.sql', 42, '', 1, 1);"#,
        tool: "flyway",
        current: &["1"],
        applied: &["1"],
        dirty: &[],
    },
];

#[tokio::test(flavor = "multi_thread")]
async fn every_ledger_format_is_read() {
    for case in CASES {
        let db = TempDb::new(case.kind).await;
        db.exec(case.setup).await;
        let live = verify::read_live(&db.url(), &VerifyOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let ledger = live
            .ledger
            .unwrap_or_else(|| panic!("{}: no ledger detected", case.name));
        assert_eq!(ledger.tool.id(), case.tool, "{}", case.name);
        assert_eq!(ledger.current, case.current, "{}: current", case.name);
        assert_eq!(ledger.applied, case.applied, "{}: applied", case.name);
        assert_eq!(ledger.dirty, case.dirty, "{}: dirty", case.name);
    }
}

/// sqlx's own migrator writes `_sqlx_migrations`; preflight reads its versions
/// and SHA-384 checksums, and matches them against the migration files.
#[tokio::test(flavor = "multi_thread")]
async fn sqlx_ledger_from_the_real_migrator() {
    let db = TempDb::new(Kind::Postgres).await;
    let dir = common::repo().join("tests/fixtures/sqlx_migrations");
    let migrator = sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .expect("migrator");
    let pool = sqlx::PgPool::connect(&db.url).await.expect("pool");
    migrator.run(&pool).await.expect("run migrations");
    pool.close().await;

    let live = verify::read_live(&db.url(), &VerifyOptions::default())
        .await
        .expect("read");
    let ledger = live.ledger.expect("ledger");
    assert_eq!(ledger.tool.id(), "sqlx");
    assert_eq!(ledger.applied, ["20240101000000", "20240102000000"]);
    let (_, files) = preflight::expected::migrations::list(&dir).expect("list");
    for f in &files {
        assert_eq!(
            ledger.checksums.get(&f.id),
            f.checksum.as_ref(),
            "checksum of {}",
            f.id
        );
    }

    // Replayed into a shadow database, the same files say the schema is in sync.
    let shadow = common::pg_server();
    let (code, v) = common::preflight_json(&[
        "verify",
        "--database-url",
        &db.url,
        "--expected",
        dir.to_str().unwrap_or_default(),
        "--shadow-url",
        &shadow,
    ]);
    assert_eq!(v["verdict"], "in_sync", "{v}");
    assert_eq!(code, 0);
}

/// Django's own `migrate` writes `django_migrations`, per app.
#[tokio::test(flavor = "multi_thread")]
async fn django_ledger_from_the_real_django() {
    let Some(python) = common::python() else {
        return;
    };
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let db = TempDb::new(kind).await;
        django(&python, &db, &["migrate", "shop", "0001"]);
        django(&python, &db, &["migrate", "shop", "0002", "--fake"]);
        let live = verify::read_live(&db.url(), &VerifyOptions::default())
            .await
            .expect("read");
        let ledger = live.ledger.expect("ledger");
        assert_eq!(ledger.tool.id(), "django");
        assert_eq!(
            ledger.applied,
            ["shop.0001_initial", "shop.0002_order_note"]
        );
        assert_eq!(ledger.current, ["shop.0002_order_note"]);
        // The faked migration's column is not there.
        let orders = live
            .schema
            .tables
            .iter()
            .find(|(q, _)| q.name == "shop_order")
            .map(|(_, t)| t)
            .expect("shop_order");
        assert!(orders.column("note").is_none());
    }
}

pub fn django(python: &std::path::Path, db: &TempDb, args: &[&str]) {
    let out = std::process::Command::new(python)
        .arg(common::repo().join("tests/fixtures/django_project/manage.py"))
        .args(args)
        .env("DATABASE_URL", db.sqlalchemy_url())
        .output()
        .expect("run django");
    assert!(
        out.status.success(),
        "manage.py {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The ledger dbmate itself writes (the official binary, `scripts/tools.sh`),
/// on every engine: read as dbmate's, every version applied. The other Go
/// and Java tools' ledgers (goose, golang-migrate, Flyway, Liquibase) are
/// written by the real tools in `tests/replay_tools.rs`; the hand-written
/// cases above keep only states today's tools no longer produce (goose's
/// `is_applied = false` rows, a failed Flyway row on PostgreSQL, whose DDL
/// Flyway rolls back).
#[tokio::test(flavor = "multi_thread")]
async fn dbmate_ledger_from_the_real_dbmate() {
    let tools = common::repo().join("target/tools/bin/dbmate");
    if !tools.is_file() {
        common::missing("dbmate is not installed: run scripts/tools.sh");
        return;
    }
    let migrations = common::repo().join("tests/fixtures/tools/dbmate/db/migrations");
    for kind in [Kind::Postgres, Kind::Mysql, Kind::Sqlite] {
        let db = TempDb::new(kind).await;
        let url = preflight::db::spelling::conventional(&db.url());
        // dbmate spells SQLite as `sqlite:/abs/path` and wants PostgreSQL's sslmode said.
        let url = match kind {
            Kind::Sqlite => url.replacen("sqlite:///", "sqlite:/", 1),
            Kind::Postgres if !url.contains("sslmode") => format!("{url}?sslmode=disable"),
            _ => url,
        };
        let out = std::process::Command::new(&tools)
            .args(["--no-dump-schema", "--url", &url, "-d"])
            .arg(&migrations)
            .arg("migrate")
            .output()
            .expect("run dbmate");
        assert!(
            out.status.success(),
            "{kind:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let live = verify::read_live(&db.url(), &VerifyOptions::default())
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        let ledger = live.ledger.expect("dbmate's ledger");
        assert_eq!(ledger.tool.id(), "dbmate", "{kind:?}");
        assert_eq!(
            ledger.applied,
            [
                "20240101000001",
                "20240102000002",
                "20240103000003",
                "20240104000004"
            ],
            "{kind:?}"
        );
        assert!(ledger.dirty.is_empty());
    }
}
