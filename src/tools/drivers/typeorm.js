'use strict';
// preflight replay driver for TypeORM (0.3 / 1.x; see PROTOCOL.md next to
// this file).
//
// Started as `node typeorm.js [data source] [-d data source]` (default
// `data-source.js`) in the project's directory, with DATABASE_URL pointing at
// the shadow database.
//
// Loading, as `typeorm migration:run -d <file>` does: typeorm resolved from
// the project (node_modules, then NODE_PATH); the file loaded with TypeORM's
// own CommandUtils.loadDataSource (ts-node registered first for a .ts file,
// as typeorm-ts-node-commonjs does); the CLI's option overrides (no
// subscribers, no synchronize, no migrationsRun, no dropSchema); the data
// source initialised once and kept for every request.
//
// One revision (`next`): TypeORM's MigrationExecutor.executePendingMigrations()
// -- the code `migration:run` runs -- with the transaction mode `migration:run`
// uses by default (the data source's migrationsTransactionMode, else "all"),
// restricted to the first pending migration. Same ledger row, same
// transaction, same checks (a migration overriding `transaction` under "all"
// fails as it does with the CLI).
// `list`: executed then pending migrations (names). `to`: every pending
// migration up to and including the named one, the same way.
// `cli`: migration:run [-t all|each|none] [--fake], migration:revert
// [-t …] [--fake], migration:show, as the CLI's handlers call them; `-d` must
// name the driver's data source. Anything else: {"ok": false, "unsupported": true}.
// Statements: a logger installed on the data source (logQuery; the
// DataSource's own logger still gets everything but the queries) and an
// afterQuery subscriber for the time; tagged with the migration whose
// up()/down() is running.

// The shared protocol plumbing (node_protocol.cjs, written next to this file):
// required before anything else, so all the tool prints goes to stderr.
const { reply, errorText, recorder, serve, parseArgs, resolveFrom, packageDir } = require('./node_protocol.cjs');
const fs = require('fs');
const path = require('path');

// ---- TypeORM ---------------------------------------------------------------
serve(async () => {
  const { opts, positionals } = parseArgs(normalizeShort(process.argv.slice(2)), ['dataSource', 'datasource']);
  const dsArg = opts.dataSource || opts.datasource || positionals[0] || 'data-source.js';
  const dsPath = path.resolve(process.cwd(), dsArg);

  const entry = resolveFrom(process.cwd(), 'typeorm');
  if (!entry) throw new Error(`typeorm is not installed in ${process.cwd()} (nor on NODE_PATH)`);
  const typeormDir = packageDir(entry, 'typeorm');
  const typeorm = require(entry);
  const version = JSON.parse(fs.readFileSync(path.join(typeormDir, 'package.json'), 'utf8')).version;
  const { MigrationExecutor } = typeorm;

  if (/\.[cm]?ts$/.test(dsPath)) {
    const tsNode = resolveFrom(process.cwd(), 'ts-node');
    if (tsNode) require(tsNode).register();
  }
  const utils = path.join(typeormDir, 'commands', 'CommandUtils.js');
  const ds = fs.existsSync(utils)
    ? await require(utils).CommandUtils.loadDataSource(dsPath)
    : pickDataSource(require(dsPath));
  // What migration:run sets before initialising (commands/MigrationRunCommand).
  ds.setOptions({
    subscribers: [],
    synchronize: false,
    migrationsRun: false,
    dropSchema: false,
    logging: ['query', 'error', 'schema'],
  });

  // Statements: our logger in front of the one the CLI would have.
  let current = null; // the migration whose up()/down() runs
  let output = null; // schema-build lines of a `cli` request (migration:show)
  const open = new Map(); // query runner -> its statement being executed
  const inner = ds.logger;
  const logger = {
    logQuery(query, _parameters, queryRunner) {
      const s = recorder.add(query, current);
      if (s) open.set(queryRunner, { s, t: process.hrtime.bigint() });
    },
    logQueryError(error, query, parameters, queryRunner) {
      inner.logQueryError(error, query, parameters, queryRunner);
    },
    logQuerySlow() {},
    logSchemaBuild(message, queryRunner) {
      if (output) output.push(String(message));
      inner.logSchemaBuild(message, queryRunner);
    },
    logMigration(message, queryRunner) {
      if (output) output.push(String(message));
      inner.logMigration(message, queryRunner);
    },
    log(level, message, queryRunner) {
      inner.log(level, message, queryRunner);
    },
  };
  ds.setOptions({ logger });

  await ds.initialize();
  // The time of each statement: TypeORM's afterQuery event (the CLI runs no
  // subscribers, so this one is alone).
  ds.subscribers.push({
    afterQuery(event) {
      const o = open.get(event.queryRunner);
      if (!o) return;
      open.delete(event.queryRunner);
      o.s.ms = Number(process.hrtime.bigint() - o.t) / 1e6;
    },
  });
  // Which migration a statement belongs to.
  for (const m of ds.migrations) {
    const name = m.name || m.constructor.name;
    for (const method of ['up', 'down']) {
      const fn = m[method];
      if (typeof fn !== 'function') continue;
      m[method] = async function (...a) {
        current = name;
        try {
          return await fn.apply(this, a);
        } finally {
          current = null;
        }
      };
    }
  }

  const defaultMode = () => ds.options.migrationsTransactionMode ?? 'all';

  /** migration:run's executor, limited to the pending migrations up to `last` (a name) or the first. */
  async function runPending(last) {
    const ex = new MigrationExecutor(ds);
    ex.transaction = defaultMode();
    ex.fake = false;
    const pending = await ex.getPendingMigrations();
    const upTo = last === undefined ? 0 : pending.findIndex((m) => m.name === last);
    if (upTo < 0) {
      const known = ex.getMigrations().some((m) => m.name === last);
      if (!known) throw new Error(`No migration named ${last}`);
      return []; // already executed: nothing to do
    }
    if (pending.length === 0) return [];
    const later = new Set(pending.slice(upTo + 1).map((m) => m.name));
    const all = ex.getMigrations.bind(ex);
    ex.getMigrations = () => all().filter((m) => !later.has(m.name));
    return (await ex.executePendingMigrations()).map((m) => m.name);
  }

  const handlers = {
    async list() {
      const ex = new MigrationExecutor(ds);
      const executed = await ex.getExecutedMigrations(); // newest first
      const names = new Set(executed.map((m) => m.name));
      const done = ex.getMigrations().filter((m) => names.has(m.name));
      const pending = ex.getMigrations().filter((m) => !names.has(m.name));
      return { targets: [...done, ...pending].map((m) => ({ id: m.name, name: m.name })) };
    },
    async next() {
      const [applied] = await runPending();
      return { applied: applied || null };
    },
    async to(req) {
      return { applied: await runPending(req.target) };
    },
    async cli(req) {
      const { opts: o, positionals: p } = parseArgs(normalizeShort(req.args || []), ['dataSource', 'datasource', 'transaction']);
      const d = o.dataSource || o.datasource;
      if (d !== undefined && path.resolve(process.cwd(), d) !== dsPath) {
        return { ok: false, unsupported: true, error: '-d names another data source' };
      }
      // The CLI's handlers: the mode from -t, else the data source's, else "all".
      const options = { transaction: defaultMode(), fake: !!o.fake };
      const t = o.transaction;
      if (t === 'all' || t === 'each') options.transaction = t;
      else if (t === 'none' || t === 'false') options.transaction = 'none';
      output = [];
      try {
        switch (p[0]) {
          case 'migration:run': {
            const done = await ds.runMigrations(options);
            // (TypeORM returns no migrations for --fake: its ledger rows say it.)
            return { output: output.join('\n'), ...(options.fake ? {} : { applied: done.map((m) => m.name) }) };
          }
          case 'migration:revert':
            await ds.undoLastMigration(options);
            return { output: output.join('\n') };
          case 'migration:show':
            await ds.showMigrations();
            return { output: output.join('\n') };
          default:
            return { ok: false, unsupported: true, error: `not run in the driver: ${p[0]}` };
        }
      } finally {
        output = null;
      }
    },
  };
  return { tool: 'typeorm', version, handlers, close: () => ds.isInitialized && ds.destroy() };
});

/** yargs' short options of the TypeORM CLI: -d, -t, -f. */
function normalizeShort(argv) {
  const long = { '-d': '--dataSource', '-t': '--transaction', '-f': '--fake' };
  return argv.map((a) => long[a] || a);
}

/** Without CommandUtils (older TypeORM): the export that is a DataSource. */
function pickDataSource(mod) {
  const ds = mod && (mod.default || mod.AppDataSource || mod.dataSource || mod);
  if (!ds || typeof ds.initialize !== 'function') throw new Error('the data source file exports no DataSource');
  return ds;
}
