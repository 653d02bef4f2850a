// Runs Lighthouse CI server's Sequelize migration history the way the server
// does when it starts (@lhci/server src/api/storage/sql/sql.js):
// SqlStorageMethod.initialize() builds the Sequelize instance, defines the
// models and runs Umzug (Sequelize's migration engine, the one sequelize-cli is
// built on) over src/api/storage/sql/migrations/*.js with SequelizeStorage: the
// ledger is the `SequelizeMeta` table (column `name`), as with sequelize-cli.
// The migrations take Umzug 3's ({context: {queryInterface, options}}) form, not
// sequelize-cli's (queryInterface, Sequelize): sequelize-cli cannot run them.
// The database comes from DATABASE_URL (postgres://…, mysql://…, sqlite:///abs/path.db).
//   node lhci_migrate.js                 every pending migration (the server's start)
//   node lhci_migrate.js --to <file>     up to and including <file> (e.g.
//                                        20191029-committed-at.js): Umzug's own
//                                        up({to}), passed into the server's call
// Modules: NODE_PATH = the history's node env (target/sweep/_node/lhci) +
// target/tools/node/node_modules (pg, mysql2, sqlite3).
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is not set');
const scheme = url.split(':', 1)[0];
const options = { storageMethod: 'sql' };
if (scheme === 'sqlite' || scheme === 'sqlite3') {
  options.sqlDialect = 'sqlite';
  options.sqlDatabasePath = url.replace(/^sqlite3?:\/\//, '');
} else {
  options.sqlDialect = scheme.startsWith('postgres') ? 'postgres' : 'mysql';
  options.sqlConnectionUrl = url.replace(/^postgresql:/, 'postgres:');
}

const toIndex = process.argv.indexOf('--to');
const to = toIndex > 0 ? process.argv[toIndex + 1] : null;
if (to) {
  // the server calls umzug.up() with no options; give that call Umzug's {to}
  const { Umzug } = require('umzug');
  const up = Umzug.prototype.up;
  Umzug.prototype.up = function (options) {
    return up.call(this, { ...(options || {}), to });
  };
}

const SqlStorageMethod = require('@lhci/server/src/api/storage/sql/sql.js');

(async () => {
  const storage = new SqlStorageMethod();
  await storage.initialize(options);
  await storage.close();
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
