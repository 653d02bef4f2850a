'use strict';
// preflight replay driver for Sequelize (sequelize-cli 6; see PROTOCOL.md
// next to this file).
//
// Started as `node sequelize.js [--env e] [--config f] [--options-path f]
// [--migrations-path d] [--url u]` in the project's directory (where
// `.sequelizerc` lives), with DATABASE_URL pointing at the shadow database.
//
// Loading: this driver runs sequelize-cli's own code, resolved from the
// project (node_modules, then NODE_PATH): its yargs setup reads `.sequelizerc`
// (or --options-path) and the arguments above, its config helper reads the
// config file (config/config.json|js or `config`), picks the environment
// (--env, NODE_ENV, `development`), applies `url` / `use_env_variable`, and
// its `getMigrator()` builds the Sequelize instance and the Umzug (the version
// sequelize-cli depends on) with the SequelizeMeta storage exactly as
// `sequelize db:migrate` does: same migrations path and file pattern, same
// table, same ledger rows. Built once; every request reuses it.
//
// `list`: `db:migrate:status`'s order, executed then pending (file names).
// `to`: `db:migrate --to <file>`: the pending migrations up to and including
// the file, through the same Umzug execute() that `up({to})` ends in (without
// the CLI's repeated listing of pending migrations); nothing when the file is
// not pending, as the CLI. `next`: the first pending migration, the same way.
// `cli`: db:migrate [--to f] [--from f] [--name f], db:migrate:undo
// [--name f], db:migrate:undo:all [--to f], db:migrate:status, with the same
// calls the CLI makes; global options must match the driver's. Anything else:
// {"ok": false, "unsupported": true}.
// Statements: Sequelize's `logging` option (with `benchmark: true`, so each
// statement comes with its time) set on the config before the instance is
// built; the statement that failed comes from the error. Tagged with the
// migration file Umzug is running (its `migrating` / `migrated` events).

// The shared protocol plumbing (node_protocol.cjs, written next to this file):
// required before anything else, so all the tool prints goes to stderr.
const { reply, errorText, recorder, serve, parseArgs, resolveFrom, packageDir } = require('./node_protocol.cjs');
const fs = require('fs');
const path = require('path');

// ---- Sequelize --------------------------------------------------------------
const GLOBAL_VALUED = ['env', 'config', 'options-path', 'migrations-path', 'seeders-path', 'models-path', 'url'];

serve(async () => {
  const cliPkg = resolveFrom(process.cwd(), 'sequelize-cli/package.json');
  if (!cliPkg) throw new Error(`sequelize-cli is not installed in ${process.cwd()} (nor on NODE_PATH)`);
  const cliDir = path.dirname(cliPkg);
  const cliVersion = require(cliPkg).version;
  const lib = (p) => require(path.join(cliDir, 'lib', p));

  // sequelize-cli's helpers parse process.argv (ours: the global options)
  // and .sequelizerc when they are first loaded.
  const helpers = lib('helpers/index.js');
  const args = lib('core/yargs.js').default().argv;
  // The CLI prints an error and exits; here it fails the request.
  helpers.view.error = (e) => {
    throw e instanceof Error ? e : new Error(String(e));
  };
  // What the CLI prints (Umzug's "== name: migrating" lines, status lines)
  // goes to stderr and into the reply's `output`.
  let output = null;
  const print = helpers.view.log;
  helpers.view.log = (...parts) => {
    if (output) output.push(parts.join(' '));
    print.apply(helpers.view, parts);
  };

  await helpers.config.init();
  const config = helpers.config.readConfig(); // the object getMigrator() uses
  // The project's own logging still gets every message, as it would without
  // our `benchmark` (then Sequelize logs "Executing …" with the options).
  const userLogging = typeof config.logging === 'function' ? config.logging : null;
  const userBenchmark = !!config.benchmark;
  let current = null; // the migration file Umzug is running
  config.benchmark = true;
  config.logging = (msg, ms, options) => {
    const m = /^Executed \([^)]*\): ([\s\S]*)$/.exec(String(msg));
    if (m) {
      const s = recorder.add(m[1], current);
      if (s && typeof ms === 'number') s.ms = ms;
    }
    if (!userLogging) return;
    if (userBenchmark) userLogging(msg, ms, options);
    else if (userLogging === console.log) userLogging(String(msg).replace(/^Executed/, 'Executing'));
    else userLogging(String(msg).replace(/^Executed/, 'Executing'), options);
  };

  const { getMigrator, ensureCurrentMetaSchema } = lib('core/migrator.js');
  const migrator = await getMigrator('migration', args);
  if (!migrator) throw new Error('sequelize-cli could not build its migrator');
  const sequelize = migrator.options.storageOptions.sequelize;
  migrator.on('migrating', (_name, mig) => (current = mig.file));
  migrator.on('reverting', (_name, mig) => (current = mig.file));
  migrator.on('migrated', () => (current = null));
  migrator.on('reverted', () => (current = null));
  const started = { ...args };

  /** Runs fn with the CLI's printed lines collected; adds the failed statement to an error. */
  const printing = async (fn) => {
    output = [];
    try {
      const r = await fn();
      return { output: output.join('\n'), ...r };
    } catch (e) {
      if (e && e.sql && !recorder.list?.some((s) => s.sql === e.sql)) recorder.add(e.sql, current);
      throw e;
    } finally {
      output = null;
      current = null;
    }
  };
  const files = (ms) => ms.map((m) => m.file);
  const nothing = () => {
    helpers.view.log('No migrations were executed, database schema was already up to date.');
    return { applied: [] };
  };
  const noneExecuted = () => {
    helpers.view.log('No executed migrations found.');
    return {};
  };

  /**
   * `db:migrate --to <file>` for a replay step: the pending migrations up to
   * and including the file, run by Umzug's execute() -- where `up({to})`
   * ends up after listing the pending migrations twice more -- and nothing
   * when the file is not pending, as the CLI. (The CLI's
   * ensureCurrentMetaSchema() only sets a default for migrators built later.)
   */
  const upTo = async (to) => {
    const pending = files(await migrator.pending());
    const last = pending.indexOf(to);
    if (last < 0) return nothing();
    return { applied: files(await migrator.up({ migrations: pending.slice(0, last + 1) })) };
  };

  /** `db:migrate` with --to / --from / --name, as commands/migrate.js. */
  const migrate = async ({ to, from, name }) => {
    await ensureCurrentMetaSchema(migrator);
    const pending = await migrator.pending();
    if (pending.length === 0) return nothing();
    const options = {};
    if (to) {
      if (!pending.some((m) => m.file === to)) return nothing();
      options.to = to;
    }
    if (from) {
      if (files(pending).lastIndexOf(from) === -1) return nothing();
      options.from = from;
    }
    return { applied: files(await (name ? migrator.up(name) : migrator.up(options))) };
  };

  const handlers = {
    async list() {
      await ensureCurrentMetaSchema(migrator);
      const all = [...(await migrator.executed()), ...(await migrator.pending())];
      return { targets: files(all).map((f) => ({ id: f, name: f })) };
    },
    to: (req) => printing(() => upTo(req.target)),
    next: () =>
      printing(async () => {
        const [first] = await migrator.pending();
        if (!first) return { applied: null };
        const [done] = files(await migrator.up({ migrations: [first.file] }));
        return { applied: done || null };
      }),
    cli: (req) => runCli(req.args || []),
  };

  async function runCli(argv) {
    const { opts, positionals } = parseArgs(argv, [...GLOBAL_VALUED, 'to', 'from', 'name']);
    const unsupported = (why) => ({ ok: false, unsupported: true, error: why });
    for (const k of GLOBAL_VALUED) {
      if (opts[k] === undefined) continue;
      const camel = k.replace(/-(.)/g, (_m, c) => c.toUpperCase());
      const mine = started[camel] === undefined ? (k === 'env' ? helpers.generic.getEnvironment() : undefined) : started[camel];
      const same = mine !== undefined && (String(mine) === opts[k] || path.resolve(String(mine)) === path.resolve(opts[k]));
      if (!same) return unsupported(`--${k} differs from the driver's`);
    }
    switch (positionals[0]) {
      case 'db:migrate':
        return printing(() => migrate(opts));
      case 'db:migrate:status':
        return printing(async () => {
          await ensureCurrentMetaSchema(migrator);
          for (const m of await migrator.executed()) helpers.view.log('up', m.file);
          for (const m of await migrator.pending()) helpers.view.log('down', m.file);
          return {};
        });
      case 'db:migrate:undo':
        return printing(async () => {
          await ensureCurrentMetaSchema(migrator);
          if ((await migrator.executed()).length === 0) return noneExecuted();
          return { reverted: files(await (opts.name ? migrator.down(opts.name) : migrator.down())) };
        });
      case 'db:migrate:undo:all':
        return printing(async () => {
          await ensureCurrentMetaSchema(migrator);
          if ((await migrator.executed()).length === 0) return noneExecuted();
          return { reverted: files(await migrator.down({ to: opts.to || 0 })) };
        });
      default:
        return unsupported(`not run in the driver: ${positionals[0]}`);
    }
  }

  return {
    tool: 'sequelize',
    version: cliVersion,
    info: { sequelize: helpers.version.getOrmVersion() },
    handlers,
    close: () => sequelize.close(),
  };
});
