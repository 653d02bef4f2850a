'use strict';
// preflight replay driver for knex (see PROTOCOL.md next to this file).
//
// Started as `node knex.js [knexfile] [--knexfile f] [--env e] [--cwd d]
// [--migrations-directory d] [--migrations-table-name t] [--client c]
// [--connection c]` in the project's directory, with DATABASE_URL pointing at
// the shadow database.
//
// Loading, as the knex CLI (bin/cli.js) does: `--cwd` first; the working
// directory becomes the knexfile's directory; knex is the project's own
// (resolved from there, which includes NODE_PATH), else KNEX_PATH; the
// knexfile (found upwards when not given) is read with knex's own importer
// (.mjs / ESM projects too, TypeScript through knex's rechoir + interpret);
// an exported function is called; the environment is `--env`, NODE_ENV or
// `development` when the file exports environments; command-line overrides
// are merged in. One knex instance serves every request.
//
// One revision: `knex.migrate.up()`, what `knex migrate:up` runs (the next
// pending migration, in its own batch and its own transaction unless the
// migration or the config turns transactions off).
// `list`: the completed then the pending migrations, as `migrate:list` shows
// them. `to`: `knex.migrate.to({name})` where the local knex has it (3.2+).
// `cli`: migrate:latest, migrate:up [name], migrate:down [name],
// migrate:rollback [--all], migrate:to <name>, migrate:list / migrate:status,
// migrate:currentVersion, migrate:unlock (each with --disable-transactions
// where the CLI accepts it), through the same programmatic calls the CLI
// makes; global options must match the ones the driver was started with.
// Anything else: {"ok": false, "unsupported": true}.
// Statements: knex's `query` / `query-response` / `query-error` events,
// tagged with the migration file being run (the Migrator's active migration).

// The shared protocol plumbing (node_protocol.cjs, written next to this file):
// required before anything else, so all the tool prints goes to stderr.
const { reply, errorText, recorder, serve, parseArgs, resolveFrom, packageDir } = require('./node_protocol.cjs');
const fs = require('fs');
const path = require('path');

// ---- knex ------------------------------------------------------------------
/** The nearest knexfile.{js,mjs,…} from `dir` upwards (escalade, as the CLI). */
function findUpConfig(dir) {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    for (const ext of ['js', 'mjs', 'coffee', 'ts', 'eg', 'ls']) {
      const f = path.join(d, `knexfile.${ext}`);
      if (fs.existsSync(f)) return f;
    }
    if (path.dirname(d) === d) return null;
  }
}

const GLOBAL_VALUED = ['knexfile', 'env', 'cwd', 'knexpath', 'client', 'connection', 'migrations-directory', 'migrations-table-name'];

serve(async () => {
  const { opts, positionals } = parseArgs(process.argv.slice(2), GLOBAL_VALUED);
  if (opts.cwd) process.chdir(opts.cwd);
  const knexfileArg = opts.knexfile || positionals[0];
  const cwd = knexfileArg ? path.dirname(path.resolve(knexfileArg)) : process.cwd();

  const modulePath = resolveFrom(cwd, 'knex') || process.env.KNEX_PATH;
  if (!modulePath) throw new Error(`No local knex install found in: ${cwd} (and no KNEX_PATH)`);
  const knexDir = packageDir(modulePath, 'knex');
  const knexLib = require(modulePath);
  const version = require(path.join(knexDir, 'package.json')).version;

  const configPath =
    knexfileArg && fs.existsSync(knexfileArg) ? path.resolve(knexfileArg) : findUpConfig(cwd);
  if (configPath) prepareLoader(configPath, cwd, knexDir);
  if (process.cwd() !== cwd) process.chdir(cwd);
  if (!configPath && !opts.client) {
    throw new Error('No configuration file found and no commandline connection parameters passed');
  }

  const config = configPath ? await readKnexfile(configPath, opts, knexDir) : commandLineConfig(opts);
  const knex = knexLib(config);
  const started = { configPath, cwd, opts };

  // Statements: knex's own events, matched by query uid for the timing.
  let migrator = null; // the Migrator serving the request: its active migration names statements
  const open = new Map();
  knex.on('query', (q) => {
    const active = migrator && migrator._activeMigration && migrator._activeMigration.fileName;
    const s = recorder.add(q.sql, active);
    if (s) open.set(q.__knexQueryUid, { s, t: process.hrtime.bigint() });
  });
  const done = (_x, q) => {
    const o = q && open.get(q.__knexQueryUid);
    if (!o) return;
    open.delete(q.__knexQueryUid);
    o.s.ms = Number(process.hrtime.bigint() - o.t) / 1e6;
  };
  knex.on('query-response', done);
  knex.on('query-error', done);

  /** A fresh Migrator (what `knex.migrate` returns), remembered for tagging. */
  const migrate = () => (migrator = knex.migrate);

  const handlers = {
    async list() {
      const [completed, pending] = await migrate().list();
      const name = (m) => (typeof m === 'string' ? m : m.name || m.file);
      return { targets: [...completed, ...pending].map((m) => ({ id: name(m), name: name(m) })) };
    },
    async next() {
      const [, log] = await migrate().up();
      return { applied: log.length ? log[0] : null };
    },
    async to(req) {
      const m = migrate();
      if (typeof m.to !== 'function') return { ok: false, unsupported: true, error: `knex ${version} has no migrate.to()` };
      const [, log] = await m.to({ name: req.target });
      return { applied: log };
    },
    async cli(req) {
      return runCli(req.args || [], { migrate, started, version });
    },
  };
  return { tool: 'knex', version, handlers, close: () => knex.destroy() };
});

/** The CLI registers compilers for non-JS knexfiles (knexfile.ts) with rechoir. */
function prepareLoader(configPath, cwd, knexDir) {
  if (/\.(c|m)?js$/.test(configPath)) return;
  const rechoirPath = resolveFrom(knexDir, 'rechoir');
  const interpretPath = resolveFrom(knexDir, 'interpret');
  if (!rechoirPath || !interpretPath) return;
  const res = require(rechoirPath).prepare(require(interpretPath).jsVariants, configPath, cwd, true);
  if (res instanceof Error) {
    for (const f of res.failures || []) console.log('Failed to load external module', f.moduleName);
  }
}

/** openKnexfile + resolveEnvironmentConfig + the command-line overrides, as the CLI. */
async function readKnexfile(configPath, opts, knexDir) {
  const importer = path.join(knexDir, 'lib/migrations/util/import-file.js');
  let config;
  try {
    config = fs.existsSync(importer) ? await require(importer)(configPath) : require(configPath);
    if (config && config.default) config = config.default;
    if (typeof config === 'function') config = await config();
  } catch (e) {
    const err = new Error(`Failed to read config from knexfile ${configPath}: ${errorText(e)}`);
    err.name = 'KnexfileRuntimeError';
    throw err;
  }
  const environment = opts.env || process.env.NODE_ENV || 'development';
  const result = (config && config[environment]) || config;
  if (config && config[environment]) console.log('Using environment:', environment);
  if (!result) throw new Error('unable to read knexfile config');
  if (opts.debug !== undefined) result.debug = opts.debug;
  return applyOverrides(result, opts);
}

/** The CLI without a knexfile: everything from the command line. */
function commandLineConfig(opts) {
  const client = opts.client;
  return applyOverrides({ client, useNullAsDefault: client === 'sqlite3' || client === 'sqlite', migrations: {} }, opts);
}

/** The CLI's lodash merge of `{client, connection, migrations: {directory, tableName}}` into the config. */
function applyOverrides(config, opts) {
  if (opts.client) config.client = opts.client;
  if (opts.connection) config.connection = opts.connection;
  if (!config.migrations) config.migrations = {};
  if (opts['migrations-directory']) config.migrations.directory = opts['migrations-directory'];
  if (opts['migrations-table-name']) config.migrations.tableName = opts['migrations-table-name'];
  return config;
}

/** One knex CLI command, with the CLI's own calls and messages. */
async function runCli(args, { migrate, started, version }) {
  const { opts, positionals } = parseArgs(args, GLOBAL_VALUED);
  const unsupported = (why) => ({ ok: false, unsupported: true, error: why });
  // Global options must be the ones this process was started with.
  for (const k of GLOBAL_VALUED) {
    if (opts[k] === undefined) continue;
    const same =
      k === 'knexfile'
        ? started.configPath && path.resolve(started.cwd, opts[k]) === started.configPath
        : k === 'env'
          ? opts[k] === (started.opts.env || process.env.NODE_ENV || 'development')
          : k === 'cwd'
            ? started.opts.cwd !== undefined && path.resolve(opts[k]) === path.resolve(started.opts.cwd)
            : started.opts[k] === opts[k];
    if (!same) return unsupported(`--${k} differs from the driver's`);
  }
  const [cmd, name] = positionals;
  const disableTransactions = !!opts['disable-transactions'];
  const ran = (batchNo, log, what) =>
    log.length === 0 ? 'Already up to date' : `Batch ${batchNo} ${what}:\n${log.join('\n')}`;
  switch (cmd) {
    case 'migrate:latest': {
      const [batchNo, log] = await migrate().latest({ disableTransactions });
      return { output: log.length === 0 ? 'Already up to date' : `Batch ${batchNo} run: ${log.length} migrations\n${log.join('\n')}`, applied: log };
    }
    case 'migrate:up': {
      const [batchNo, log] = await migrate().up({ name, disableTransactions });
      return { output: ran(batchNo, log, 'ran the following migrations'), applied: log };
    }
    case 'migrate:to': {
      const m = migrate();
      if (typeof m.to !== 'function') return unsupported(`knex ${version} has no migrate:to`);
      const [batchNo, log] = await m.to({ name, disableTransactions });
      return { output: ran(batchNo, log, 'ran the following migrations'), applied: log };
    }
    case 'migrate:down': {
      const [batchNo, log] = await migrate().down({ name, disableTransactions });
      return { output: log.length === 0 ? 'Already at the base migration' : `Batch ${batchNo} rolled back the following migrations:\n${log.join('\n')}` };
    }
    case 'migrate:rollback': {
      const [batchNo, log] = await migrate().rollback({ disableTransactions }, !!opts.all);
      return { output: log.length === 0 ? 'Already at the base migration' : `Batch ${batchNo} rolled back: ${log.length} migrations\n${log.join('\n')}` };
    }
    case 'migrate:list':
    case 'migrate:status': {
      const [completed, pending] = await migrate().list();
      let out = completed.length
        ? `Found ${completed.length} Completed Migration file/files.\n${completed.map((f) => `${f.name}\n`).join('')}`
        : 'No Completed Migration files Found.\n';
      out += pending.length
        ? `Found ${pending.length} Pending Migration file/files.\n${pending.map((f) => `${f.file}\n`).join('')}`
        : 'No Pending Migration files Found.\n';
      return { output: out };
    }
    case 'migrate:currentVersion':
      return { output: `Current Version: ${await migrate().currentVersion()}` };
    case 'migrate:unlock':
      await migrate().forceFreeMigrationsLock();
      return { output: 'Succesfully unlocked the migrations lock table' };
    default:
      return unsupported(`not run in the driver: ${cmd}`);
  }
}
