// Runs n8n's TypeORM migration history the way n8n itself does on start:
// Container.get(DbConnection).init() then .migrate() (@n8n/db), i.e.
//   - every migration wrapped by n8n's wrapMigration (table prefix, the
//     MigrationContext n8n passes to up()),
//   - PostgreSQL: all pending migrations inside ONE transaction holding an
//     advisory lock (MigrationExecutor with transaction 'none' in that tx),
//   - SQLite: n8n's `sqlite-pooled` TypeORM driver (WAL), transaction 'each'.
// The ledger is <prefix>migrations (no prefix here: `migrations`).
// The database comes from DATABASE_URL (postgres://user:pass@host:port/db or
// sqlite:///abs/path.db) and is handed to n8n's config as its DB_* variables.
// Modules: NODE_PATH = the history's node env (target/sweep/_node/n8n) +
// target/tools/node/node_modules (pg, sqlite3).
//   node n8n_migrate.js                  every pending migration (n8n's start)
//   node n8n_migrate.js --to <Name>      only up to and including the migration
//                                        class <Name> (e.g. InitialMigration1588102412422):
//                                        the list n8n would run, cut there before
//                                        TypeORM reads it (DataSource.initialize)
const path = require('path');

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is not set');
const u = new URL(url);
if (u.protocol.startsWith('postgres')) {
  Object.assign(process.env, {
    DB_TYPE: 'postgresdb',
    DB_POSTGRESDB_HOST: u.hostname,
    DB_POSTGRESDB_PORT: u.port || '5432',
    DB_POSTGRESDB_DATABASE: decodeURIComponent(u.pathname.slice(1)),
    DB_POSTGRESDB_USER: decodeURIComponent(u.username),
    DB_POSTGRESDB_PASSWORD: decodeURIComponent(u.password),
  });
} else if (u.protocol.startsWith('sqlite')) {
  const file = url.replace(/^sqlite3?:\/\//, '');
  Object.assign(process.env, {
    DB_TYPE: 'sqlite',
    N8N_USER_FOLDER: path.dirname(file),
    DB_SQLITE_DATABASE: file, // absolute: path.resolve(n8nFolder, it) keeps it
  });
} else {
  throw new Error(`n8n runs on PostgreSQL and SQLite only, not ${u.protocol}`);
}

require('reflect-metadata');
const { Container } = require('@n8n/di');
const { DbConnection } = require('@n8n/db');

const toIndex = process.argv.indexOf('--to');
const to = toIndex > 0 ? process.argv[toIndex + 1] : null;

(async () => {
  const db = Container.get(DbConnection);
  if (to) {
    // the dialect's migration list (a module-level array the DataSource holds)
    const list = db.dataSource.options.migrations;
    const i = list.findIndex((m) => m.name === to);
    if (i < 0) throw new Error(`no migration named ${to}`);
    list.splice(i + 1);
  }
  await db.init();
  await db.migrate();
  await db.close();
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
