'use strict';
// preflight replay driver for node-pg-migrate 7+ (ESM package; see
// PROTOCOL.md next to this file). PostgreSQL only, as the tool.
//
// Started as `node node_pg_migrate.js [CLI options]` in the project's
// directory with the node-pg-migrate CLI's own global options (-m/--migrations-dir,
// -t/--migrations-table, -s/--schema, --migrations-schema, --create-schema,
// --create-migrations-schema, -d/--database-url-var, -f/--config-file,
// --config-value, --envPath, --use-glob, --ignore-pattern, --check-order,
// --single-transaction, --lock, --lock-value, --decamelize, --verbose,
// --reject-unauthorized, --advisory-lock-mode), DATABASE_URL pointing at the
// shadow database.
//
// Loading, as bin/node-pg-migrate does: dotenv when installed, the `config`
// package's section (--config-value, default `db`) when installed, the
// --config-file read with node-pg-migrate's jiti, with the CLI's precedence;
// the same defaults (migrations/, pgmigrations, schema public, check-order,
// single transaction, advisory lock). node-pg-migrate is the project's own
// (node_modules, then NODE_PATH); its `pg` opens one connection, given to
// every run as `dbClient`.
//
// One revision (`next`): `runner({direction: 'up', count: 1, …})`, what
// `node-pg-migrate up 1` runs. `cli`: up / down / redo with a count or a
// migration name, --timestamp, --fake, --dry-run, --[no-]single-transaction,
// --[no-]lock, as the CLI builds the runner's options; other options must
// match the driver's. `list` and `to`: unsupported (the replay steps with `next`).
// Statements: the connection's `query` (wrapped), timed, tagged with the
// migration the runner announces (`### MIGRATION <name> (UP) ###`).

// The shared protocol plumbing (node_protocol.cjs, written next to this file):
// required before anything else, so all the tool prints goes to stderr.
const { reply, errorText, recorder, serve, parseArgs, resolveFrom, packageDir } = require('./node_protocol.cjs');
const fs = require('fs');
const path = require('path');

// ---- node-pg-migrate ---------------------------------------------------------
const { pathToFileURL } = require('url');

// The CLI's options: [name, alias, kind].
const OPTIONS = [
  ['database-url-var', 'd', 'string'],
  ['migrations-dir', 'm', 'string'],
  ['use-glob', null, 'boolean'],
  ['migrations-table', 't', 'string'],
  ['schema', 's', 'array'],
  ['create-schema', null, 'boolean'],
  ['migrations-schema', null, 'string'],
  ['create-migrations-schema', null, 'boolean'],
  ['check-order', null, 'boolean'],
  ['verbose', null, 'boolean'],
  ['ignore-pattern', null, 'string'],
  ['decamelize', null, 'boolean'],
  ['config-value', null, 'string'],
  ['config-file', 'f', 'string'],
  ['envPath', null, 'string'],
  ['dry-run', null, 'boolean'],
  ['fake', null, 'boolean'],
  ['single-transaction', null, 'boolean'],
  ['lock', null, 'boolean'],
  ['lock-value', null, 'number'],
  ['reject-unauthorized', null, 'boolean'],
  ['timestamp', null, 'boolean'],
  ['advisory-lock-mode', null, 'string'],
  ['tsconfig-paths', null, 'string'],
];
// Options that say where the migrations and the ledger are: a `cli` request
// may repeat them, with the driver's values only.
const PLACE = ['database-url-var', 'migrations-dir', 'use-glob', 'migrations-table', 'schema', 'migrations-schema',
  'ignore-pattern', 'decamelize', 'config-value', 'config-file', 'envPath'];

/** yargs-like parsing of the CLI's options: aliases, --no-x, --x=v, arrays. */
function parseCli(argv) {
  const byName = new Map(OPTIONS.map((o) => [o[0], o]));
  const byAlias = new Map(OPTIONS.filter((o) => o[1]).map((o) => [o[1], o]));
  const opts = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let m = /^--(no-)?([^=]+)(?:=(.*))?$/.exec(a);
    const short = /^-([a-zA-Z])$/.exec(a);
    const opt = m ? byName.get(m[2]) : short ? byAlias.get(short[1]) : null;
    if (!opt) {
      if (m || short) throw new Error(`unknown option ${a}`);
      positionals.push(a);
      continue;
    }
    const [name, , kind] = opt;
    let v;
    if (m && m[1]) v = false;
    else if (m && m[3] !== undefined) v = m[3];
    else if (kind === 'boolean') v = /^(true|false)$/.test(argv[i + 1] || '') ? argv[++i] === 'true' : true;
    else v = argv[++i];
    if (kind === 'boolean' && typeof v === 'string') v = v !== 'false';
    if (kind === 'number') v = Number(v);
    opts[name] = kind === 'array' ? [...(opts[name] || []), v] : v;
  }
  return { opts, positionals };
}

serve(async () => {
  const { opts } = parseCli(process.argv.slice(2));
  const entry = resolveFrom(process.cwd(), 'node-pg-migrate');
  if (!entry) throw new Error(`node-pg-migrate is not installed in ${process.cwd()} (nor on NODE_PATH)`);
  const dir = packageDir(entry, 'node-pg-migrate');
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  const npm = await import(pathToFileURL(entry).href);
  const cfg = await readConfig(opts, dir, npm);
  if (!cfg.connection) {
    throw new Error(`The ${opts['database-url-var'] || 'DATABASE_URL'} environment variable is not set or incomplete connection parameters are provided.`);
  }

  // One connection for every run, opened as the runner would open it.
  const pgPath = resolveFrom(dir, 'pg');
  const pg = require(pgPath);
  const url = typeof cfg.connection === 'string' ? { connectionString: cfg.connection } : cfg.connection;
  const rejectUnauthorized = opts['reject-unauthorized'];
  const client = new pg.Client({
    ...url,
    ...(typeof rejectUnauthorized === 'boolean' ? { ssl: { ...url.ssl, rejectUnauthorized } } : {}),
  });
  await client.connect();

  let current = null; // the migration being run
  const query = client.query.bind(client);
  client.query = (config, values, cb) => {
    const sql = typeof config === 'string' ? config : config && config.text;
    const s = recorder.add(sql, current);
    const t = process.hrtime.bigint();
    const p = query(config, values, cb);
    if (s && p && typeof p.then === 'function') {
      const done = () => (s.ms = Number(process.hrtime.bigint() - t) / 1e6);
      p.then(done, done);
    }
    return p;
  };
  const say = (level) => (msg, ...rest) => {
    const m = /^### MIGRATION (.+) \((UP|DOWN)\) ###$/.exec(String(msg));
    if (m) current = m[1];
    console.error(msg, ...rest);
  };
  const logger = { debug: say('debug'), info: say('info'), warn: say('warn'), error: say('error') };

  /** The runner's options for one run, as the CLI's `options(direction, count, timestamp)`. */
  const runOptions = (direction, run) => ({
    dryRun: !!run['dry-run'],
    dbClient: client,
    dir: cfg.dir,
    useGlob: cfg.useGlob,
    ignorePattern: cfg.ignorePattern,
    schema: cfg.schema,
    createSchema: cfg.createSchema,
    migrationsSchema: cfg.migrationsSchema,
    createMigrationsSchema: cfg.createMigrationsSchema,
    migrationsTable: cfg.migrationsTable,
    count: run.count,
    timestamp: run.timestamp === undefined ? !!opts.timestamp : run.timestamp,
    file: run.file,
    checkOrder: cfg.checkOrder,
    verbose: cfg.verbose,
    direction,
    singleTransaction: pick(run['single-transaction'], opts['single-transaction'], true),
    noLock: !pick(run.lock, opts.lock, true),
    lockValue: pick(run['lock-value'], opts['lock-value'], npm.PG_MIGRATE_LOCK_ID),
    fake: !!pick(run.fake, opts.fake, false),
    decamelize: cfg.decamelize,
    advisoryLockMode: cfg.advisoryLockMode,
    tsconfigPaths: cfg.tsconfigPaths,
    logger,
  });
  const run = async (direction, r) => {
    try {
      return await npm.runner(runOptions(direction, r));
    } finally {
      current = null;
    }
  };

  const handlers = {
    async next() {
      const [first] = await run('up', { count: 1, timestamp: false });
      return { applied: first ? first.name : null };
    },
    async cli(req) {
      let parsed;
      try {
        parsed = parseCli(req.args || []);
      } catch (e) {
        return { ok: false, unsupported: true, error: e.message };
      }
      const { opts: o, positionals: p } = parsed;
      for (const k of PLACE) {
        if (o[k] !== undefined && JSON.stringify(o[k]) !== JSON.stringify(opts[k])) {
          return { ok: false, unsupported: true, error: `--${k} differs from the driver's` };
        }
      }
      const [action, ...rest] = p;
      if (!['up', 'down', 'redo'].includes(action)) return { ok: false, unsupported: true, error: `not run in the driver: ${action}` };
      // `up 3` counts, `up name` names one migration (the CLI's upDownArg).
      const r = { ...o };
      if (rest.length) {
        const n = Number.parseInt(rest[0], 10);
        if (String(n) === rest[0]) r.count = n;
        else r.file = rest.join('-').replace(/_ /g, '-');
      }
      let done;
      if (action === 'redo') {
        await run('down', r);
        done = await run('up', { ...r, count: Number.POSITIVE_INFINITY, timestamp: false });
      } else {
        done = await run(action, r);
      }
      return { output: 'Migrations complete!', [action === 'down' ? 'reverted' : 'applied']: done.map((m) => m.name) };
    },
  };
  return { tool: 'node-pg-migrate', version, handlers, close: () => client.end() };
});

function pick(...values) {
  return values.find((v) => v !== undefined);
}

/** The CLI's configuration: argv, dotenv, `config`, --config-file (its readJson precedence). */
async function readConfig(opts, dir, npm) {
  const tryRequire = (name) => {
    const p = resolveFrom(process.cwd(), name) || resolveFrom(dir, name);
    return p ? require(p) : null;
  };
  const dotenv = tryRequire('dotenv');
  if (dotenv) {
    const env = dotenv.config({ quiet: true, ...(opts.envPath ? { path: opts.envPath } : {}) });
    const expand = tryRequire('dotenv-expand');
    if (expand && expand.expand) expand.expand(env);
  }
  const c = {
    dir: opts['migrations-dir'],
    useGlob: opts['use-glob'],
    connection: process.env[opts['database-url-var'] || 'DATABASE_URL'],
    ignorePattern: opts['ignore-pattern'],
    schema: opts.schema,
    createSchema: opts['create-schema'],
    migrationsSchema: opts['migrations-schema'],
    createMigrationsSchema: opts['create-migrations-schema'],
    migrationsTable: opts['migrations-table'],
    checkOrder: opts['check-order'],
    verbose: opts.verbose,
    decamelize: opts.decamelize,
    advisoryLockMode: opts['advisory-lock-mode'],
    tsconfigPaths: { true: true, false: false }[opts['tsconfig-paths']] ?? opts['tsconfig-paths'],
  };
  const isString = (v) => typeof v === 'string';
  const isBoolean = (v) => typeof v === 'boolean';
  const readJson = (json) => {
    if (!json || typeof json !== 'object') {
      c.connection ??= json;
      return;
    }
    // A value in the configuration wins over the command line (the CLI's applyIf).
    const applyIf = (field, key, ok) => {
      if (c[field] !== undefined && !(key in json)) return;
      if (ok(json[key])) c[field] = json[key];
    };
    applyIf('schema', 'schema', (v) => Array.isArray(v) || (isString(v) && v.length > 0));
    applyIf('createSchema', 'create-schema', isBoolean);
    applyIf('useGlob', 'use-glob', isBoolean);
    applyIf('dir', 'migrations-dir', isString);
    applyIf('migrationsSchema', 'migrations-schema', isString);
    applyIf('createMigrationsSchema', 'create-migrations-schema', isBoolean);
    applyIf('migrationsTable', 'migrations-table', isString);
    applyIf('ignorePattern', 'ignore-pattern', isString);
    applyIf('checkOrder', 'check-order', isBoolean);
    applyIf('verbose', 'verbose', isBoolean);
    applyIf('decamelize', 'decamelize', isBoolean);
    applyIf('tsconfigPaths', 'tsconfig-paths', (v) => isBoolean(v) || isString(v));
    applyIf('connection', 'database-url-var', (v) => typeof v === 'string' || typeof v === 'object');
    const hasParts = ['host', 'port', 'name', 'database'].some((k) => json[k]);
    if (json.url) c.connection ??= json.url;
    else if (hasParts && !c.connection) {
      c.connection = { user: json.user, host: json.host || 'localhost', database: json.name || json.database,
        password: json.password, port: json.port || 5432, ssl: json.ssl };
    }
    applyIf('advisoryLockMode', 'advisory-lock-mode', (v) => v === 'fail' || v === 'wait');
  };
  const section = opts['config-value'] || 'db';
  const saved = process.env.SUPPRESS_NO_CONFIG_WARNING;
  process.env.SUPPRESS_NO_CONFIG_WARNING = 'yes';
  const config = tryRequire('config');
  if (config && config.has(section)) readJson(config.get(section));
  if (saved === undefined) delete process.env.SUPPRESS_NO_CONFIG_WARNING;
  else process.env.SUPPRESS_NO_CONFIG_WARNING = saved;
  if (opts['config-file']) {
    let json = await npm.jiti.import(path.resolve(opts['config-file']));
    if (json && typeof json === 'object' && 'default' in json) json = json.default;
    readJson(json && typeof json === 'object' && section in json ? json[section] : json);
  }
  c.dir ??= path.join(process.cwd(), 'migrations');
  c.useGlob ??= false;
  c.migrationsTable ??= 'pgmigrations';
  c.schema ??= ['public'];
  c.checkOrder ??= true;
  c.verbose ??= true;
  c.advisoryLockMode ??= 'fail';
  return c;
}
