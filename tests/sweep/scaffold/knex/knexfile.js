// knexfile of a sweep history packaged on npm (laid out by tests/sweep/fetch.sh).
// The package runs `knex.migrate.latest({ directory, tableName })` on its own
// database; this file gives the knex CLI the same directory and ledger table:
//   KNEX_PATH=target/tools/node/node_modules/knex \
//     target/tools/node/node_modules/.bin/knex migrate:latest --knexfile knexfile.js
// The database comes from DATABASE_URL:
//   postgres://user:pass@host:port/db   mysql://user:pass@host:port/db   sqlite:///absolute/path.db
// SQLite goes through better-sqlite3, the driver Backstage configures.
const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is not set');

const scheme = url.split(':', 1)[0];
let config;
if (scheme === 'postgres' || scheme === 'postgresql') {
  config = { client: 'pg', connection: url };
} else if (scheme === 'mysql' || scheme === 'mariadb') {
  config = { client: 'mysql2', connection: url.replace(/^mariadb:/, 'mysql:') };
} else if (scheme === 'sqlite' || scheme === 'sqlite3') {
  config = {
    client: 'better-sqlite3',
    connection: { filename: url.replace(/^sqlite3?:\/\//, '') },
    useNullAsDefault: true,
  };
} else {
  throw new Error(`unsupported DATABASE_URL scheme: ${scheme}`);
}

module.exports = {
  ...config,
  migrations: {
    directory: __dirname + '/migrations',
    // the package's ledger table (fetch.sh writes it; knex's default otherwise)
    tableName: require('./ledger.json').tableName,
  },
};
