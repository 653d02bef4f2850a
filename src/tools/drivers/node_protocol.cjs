'use strict';
// The protocol plumbing every Node replay driver shares (PROTOCOL.md next to
// this file): stdout redirected to stderr before the tool loads, one JSON
// reply per request on fd 1, errors as "<type> [code]: message", the
// statement recorder, the request loop, and resolving the project's own
// packages. A driver requires it first thing:
//   const { serve, recorder, … } = require('./node_protocol.cjs');
// Before anything else is loaded: all that the project, the tool or a
// migration prints goes to stderr; replies go to fd 1 with fs.writeSync.
Object.defineProperty(process, 'stdout', { configurable: true, enumerable: false, get: () => process.stderr });
const fs = require('fs');
const path = require('path');

function reply(obj) {
  const buf = Buffer.from(JSON.stringify(obj) + '\n');
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off);
    } catch (e) {
      if (e.code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // pipe full: wait for the reader
    }
  }
}

/** "<exception type>: <message>" (+ the database's detail when it gives one). */
function errorText(e) {
  if (!(e instanceof Error)) return `thrown value: ${typeof e === 'string' ? e : require('util').inspect(e)}`;
  // pg names its errors 'error'; the class says more (DatabaseError).
  const type = e.name && !/^error$/i.test(e.name) ? e.name : (e.constructor && e.constructor.name) || 'Error';
  const orig = e.original || e.driverError || e.parent;
  const c = e.code ?? (orig && orig.code);
  const code = typeof c === 'string' || typeof c === 'number' ? ` [${c}]` : '';
  let text = `${type}${code}: ${e.message}`;
  if (orig && orig.message && !text.includes(orig.message)) text += ` (${orig.message})`;
  const detail = e.detail || (orig && orig.detail);
  if (detail) text += ` DETAIL: ${detail}`;
  return text;
}

/** Statements seen on the tool's connection while a request is served. */
const recorder = {
  list: null,
  begin() { this.list = []; },
  add(sql, migration) {
    if (!this.list) return null;
    const s = { sql: String(sql), ms: null };
    if (migration) s.migration = migration;
    this.list.push(s);
    return s;
  },
  take() { const l = this.list || []; this.list = null; return l; },
};

/**
 * The request being served. Node ends a process on an unhandled rejection or
 * an uncaught exception, at that very point (a migration that forgot an
 * `await` dies mid-migration with the CLI, its transaction rolled back with
 * the connection): during a request the driver does the same after answering
 * it; while idle it only logs.
 */
let inflight = null;
const realExit = process.exit.bind(process);

function die(what, e) {
  process.stderr.write(`${what}: ${(e && e.stack) || e}\n`);
  if (!inflight) return;
  const answer = { ok: false, error: `${what}: ${errorText(e)}` };
  if (!inflight.startup) answer.statements = recorder.take();
  inflight = null;
  reply(answer);
  realExit(1);
}
process.on('unhandledRejection', (e) => die('unhandled rejection', e));
process.on('uncaughtException', (e) => die('uncaught exception', e));
// A migration or the config calling process.exit() mid-request: answer
// first, then exit non-zero (the request did not finish).
process.exit = (code) => {
  if (!inflight) return realExit(code);
  inflight = null;
  reply({ ok: false, error: `process.exit(${code === undefined ? '' : code}) called while serving the request`, statements: recorder.take() });
  return realExit(code ? code : 1);
};

/**
 * Starts the driver: `load()` returns {tool, version, info, handlers, close}; then
 * one request per stdin line, one at a time, each answered with one line.
 */
function serve(load) {
  let api;
  inflight = { startup: true };
  const startup = Promise.resolve().then(load);
  let chain = startup.then(
    (a) => {
      inflight = null;
      api = a;
      reply({ ok: true, ready: true, tool: a.tool, version: a.version, ...(a.info || {}) });
    },
    (e) => {
      inflight = null;
      process.stderr.write(`${(e && e.stack) || e}\n`);
      reply({ ok: false, error: errorText(e) });
      realExit(1);
    },
  );
  const rl = require('readline').createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    chain = chain.then(() => handle(line)).catch((e) => process.stderr.write(`driver: ${(e && e.stack) || e}\n`));
  });
  rl.on('close', () => {
    chain = chain.then(shutdown);
  });

  async function handle(line) {
    let req;
    try {
      req = JSON.parse(line);
    } catch (e) {
      reply({ ok: false, error: `bad request: ${e.message}` });
      return;
    }
    if (req.op === 'quit') return shutdown();
    const handler = api.handlers[req.op];
    if (!handler) {
      reply({ ok: false, unsupported: true, error: `unknown op: ${req.op}` });
      return;
    }
    inflight = { op: req.op };
    recorder.begin();
    let out;
    try {
      out = { ok: true, ...(await handler(req)) };
    } catch (e) {
      process.stderr.write(`${(e && e.stack) || e}\n`);
      out = { ok: false, error: errorText(e) };
    }
    // A rejection nobody awaited surfaces once the microtasks have run.
    await new Promise((r) => setImmediate(r));
    inflight = null;
    if (!out.unsupported && req.op !== 'list') out.statements = recorder.take();
    else recorder.take();
    reply(out);
  }

  async function shutdown() {
    try {
      if (api && api.close) await api.close();
    } catch (e) {
      process.stderr.write(`closing: ${errorText(e)}\n`);
    }
    realExit(0);
  }
}

/** `--flag value` / `--flag=value` / positionals. */
function parseArgs(argv, valued) {
  const opts = {};
  const positionals = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (!m) positionals.push(a);
    else if (m[2] !== undefined) opts[m[1]] = m[2];
    else if (valued.includes(m[1]) && i + 1 < argv.length) opts[m[1]] = argv[++i];
    else opts[m[1]] = true;
  }
  return { opts, positionals };
}

const Module = require('module');

/** resolve-from: what `require(id)` gives a file in `dir` (NODE_PATH included). */
function resolveFrom(dir, id) {
  try {
    const from = path.join(dir, 'noop.js');
    return Module._resolveFilename(id, { id: from, filename: from, paths: Module._nodeModulePaths(dir) });
  } catch (e) {
    return null;
  }
}

/** The directory of package `name` that a resolved entry file belongs to. */
function packageDir(entry, name) {
  for (let d = path.dirname(entry); path.dirname(d) !== d; d = path.dirname(d)) {
    try {
      if (JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).name === name) return d;
    } catch (e) {
      /* no package.json here: keep looking */
    }
  }
  return path.dirname(entry);
}

module.exports = { reply, errorText, recorder, serve, parseArgs, resolveFrom, packageDir };
