#!/usr/bin/env python3
"""Migrate each sweep history from an empty database to head with its real tool.

    python3 tests/sweep/verify.py --postgres postgres://postgres@127.0.0.1:5432 \
        --mysql mysql://root@127.0.0.1:3306 [--sqlite] [--all-engines] [ID ...]

Reads tests/sweep/histories.toml; needs tests/sweep/fetch.sh to have laid out
target/sweep/<id>/project.  For every (history, engine) it creates a fresh
database `sw_<id>` (dropped first; SQLite: target/sweep/_runs/<id>.sqlite), runs
the history's `run` command in its project directory with the URL spelled the
way that tool wants it, and records rc, wall seconds, ledger rows, base-table
count, the last error line and the output's tail in
target/sweep/_runs/<id>.<engine>.json (full output: <id>.<engine>.log), and
prints one line.  By default only the engines a history lists are run;
--all-engines also tries the others (to record how they fail).
--summary prints the recorded runs as a Markdown table.
Stdlib only (python >= 3.11 for tomllib); psql, mariadb and sqlite3 on PATH.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import tomllib
from urllib.parse import urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "../.."))
SWEEP = os.path.join(ROOT, "target/sweep")
RUNS = os.path.join(SWEEP, "_runs")
ENGINES = ["postgresql", "mariadb", "sqlite"]


def load():
    with open(os.path.join(HERE, "histories.toml"), "rb") as f:
        doc = tomllib.load(f)
    return doc["tools"], doc["history"]


class Server:
    """A server given by URL: creates/drops databases with its CLI client."""

    def __init__(self, engine, url):
        self.engine, u = engine, urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.user, self.password = u.username or "", u.password or ""

    def sql(self, db, query):
        if self.engine == "postgresql":
            cmd = ["psql", "-h", self.host, "-p", str(self.port), "-U", self.user, "-d", db,
                   "-v", "ON_ERROR_STOP=1", "-tAc", query]
            env = dict(os.environ, PGPASSWORD=self.password)
        else:
            cmd = ["mariadb", "-h", self.host, "-P", str(self.port), "-u", self.user, "-N", "-B", "-e", query, db]
            env = dict(os.environ, MYSQL_PWD=self.password)
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if p.returncode:
            raise RuntimeError(p.stderr.strip())
        return p.stdout

    def fresh(self, name):
        admin = "postgres" if self.engine == "postgresql" else "mysql"
        if self.engine == "postgresql":
            self.sql(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.sql(admin, f'CREATE DATABASE "{name}"')
        else:
            self.sql(admin, f"DROP DATABASE IF EXISTS `{name}`")
            self.sql(admin, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")


def spell(style, engine, srv, db, path):
    """The database address in the spelling a tool wants (tests/fixtures/tools/TOOLS.md)."""
    auth = lambda: srv.user + (":" + srv.password if srv.password else "") + "@"
    hp = f"{srv.host}:{srv.port}" if srv else ""
    if engine == "sqlite":
        return {
            "sqlalchemy": f"sqlite:///{path}", "dj": f"sqlite:///{path}", "node": f"sqlite://{path}",
            "rails": f"sqlite3:{path}", "laravel": f"sqlite:///{path}", "golang-migrate": f"sqlite3://{path}",
            "dbmate": f"sqlite:{path}", "jdbc": f"jdbc:sqlite:{path}", "goose": path,
        }[style]
    pg = engine == "postgresql"
    if style == "sqlalchemy":
        return f"{'postgresql+psycopg2' if pg else 'mysql+pymysql'}://{auth()}{hp}/{db}"
    if style in ("dj", "node", "laravel"):
        return f"{'postgres' if pg else 'mysql'}://{auth()}{hp}/{db}"
    if style == "rails":
        return f"{'postgres' if pg else 'mysql2'}://{auth()}{hp}/{db}"
    if style in ("golang-migrate", "dbmate"):
        if pg:
            return f"postgres://{auth()}{hp}/{db}?sslmode=disable"
        return f"mysql://{auth()}tcp({hp})/{db}" if style == "golang-migrate" else f"mysql://{auth()}{hp}/{db}"
    if style == "jdbc":
        pw = f"&password={srv.password}" if srv.password else ""
        return f"jdbc:{'postgresql' if pg else 'mariadb'}://{hp}/{db}?user={srv.user}{pw}"
    if style == "goose":
        if pg:
            return f"postgres://{auth()}{hp}/{db}?sslmode=disable"
        return f"{auth()}tcp({hp})/{db}?parseTime=true&multiStatements=true"
    raise ValueError(style)


def expand(s, ctx):
    return re.sub(r"\{(\w+)\}", lambda m: ctx[m.group(1)], s)


def count_tables(engine, srv, db, path):
    q = {
        "postgresql": "SELECT count(*) FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
                      " AND table_schema NOT IN ('pg_catalog','information_schema')",
        # MariaDB lists its SEQUENCE objects here too: base tables only
        "mariadb": f"SELECT count(*) FROM information_schema.tables WHERE table_schema='{db}' AND table_type='BASE TABLE'",
        "sqlite": "SELECT count(*) FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'",
    }[engine]
    return int(query(engine, srv, db, path, q).strip() or 0)


def count_rows(engine, srv, db, path, ledger):
    """Rows of the ledger table: its name as written (quoted: SequelizeMeta),
    else as the engine folds unquoted names (Liquibase's ACT_*_DATABASECHANGELOG
    is lower case on PostgreSQL)."""
    if " " in ledger:  # a query
        return int(query(engine, srv, db, path, ledger).strip().splitlines()[-1])
    q = "`" if engine == "mariadb" else '"'
    try:
        return int(query(engine, srv, db, path, f"SELECT count(*) FROM {q}{ledger}{q}").strip())
    except RuntimeError:
        return int(query(engine, srv, db, path, f"SELECT count(*) FROM {ledger}").strip())


def query(engine, srv, db, path, q):
    if engine == "sqlite":
        p = subprocess.run(["sqlite3", path, q], capture_output=True, text=True)
        if p.returncode:
            raise RuntimeError(p.stderr.strip())
        return p.stdout
    return srv.sql(db, q)


def run_one(tools, h, engine, servers, timeout):
    tool = tools[h["tool"]]
    hid = h["id"]
    db = "sw_" + re.sub(r"\W", "_", hid)
    path = os.path.join(RUNS, f"{hid}.sqlite")
    srv = servers.get(engine)
    if engine == "sqlite":
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        if h.get("sqlite_touch", tool.get("sqlite_touch", False)):
            open(path, "w").close()
    else:
        srv.fresh(db)
    url = spell(h.get("url_style", tool["url_style"]), engine, srv, db, path)
    ctx = {
        "root": ROOT, "tools": os.path.join(ROOT, "target/tools"), "sweep": SWEEP,
        "project": os.path.join(SWEEP, hid, "project"), "url": url,
        "venv": os.path.join(SWEEP, "_venv", h.get("venv", "")),
        "node": os.path.join(SWEEP, "_node", h.get("node", "")),
        "goose_driver": {"postgresql": "postgres", "mariadb": "mysql", "sqlite": "sqlite3"}[engine],
        "engine": engine,
    }
    argv = [expand(a, ctx) for a in (h["run"] if "run" in h else tool["run"])]
    env = dict(os.environ)
    for k, v in {**tool.get("env", {}), **h.get("env", {})}.items():
        env[k] = expand(v, ctx)
    t = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=ctx["project"], env=env, capture_output=True, text=True, timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", str(e.stdout or ""), str(e.stderr or "")
    secs = round(time.monotonic() - t, 1)
    # Some tools exit 0 on a failed migration (Flyway 12 OSS: "ERROR: Migration
    # of schema ... failed!"): their `fails_if` text in the output means failure.
    for text in h.get("fails_if", tool.get("fails_if", [])):
        if rc == 0 and (text in out or text in err):
            rc = f"0 but the output says {text!r}"
    with open(os.path.join(RUNS, f"{hid}.{engine}.log"), "w") as f:
        f.write(f"$ {' '.join(argv)}\n--- stdout\n{out}\n--- stderr\n{err}\n")
    ledger = h.get("ledger", tool.get("ledger"))
    rows = tables = None
    try:
        tables = count_tables(engine, srv, db, path)
        if ledger:
            rows = count_rows(engine, srv, db, path, ledger)
    except Exception as e:  # the ledger table may not exist after a failure
        rows = f"? ({str(e).splitlines()[0][:80]})"
    lines = [l for l in (out + "\n" + err).splitlines() if l.strip()]
    errors = [l for l in lines if re.search(r"error|exception|failed|fatal", l, re.I)]
    tail = lines[-12:]
    res = {"id": hid, "engine": engine, "rc": rc, "seconds": secs, "ledger_rows": rows, "tables": tables,
           "argv": argv, "error": errors[-1].strip() if errors else "", "tail": tail}
    with open(os.path.join(RUNS, f"{hid}.{engine}.json"), "w") as f:
        json.dump(res, f, indent=1)
    return res


def summary(tools, histories):
    """Markdown table of the recorded runs (target/sweep/_runs/*.json)."""
    print("| history | tool | revisions | PostgreSQL | MariaDB | SQLite |")
    print("| --- | --- | --- | --- | --- | --- |")
    for h in histories:
        cells = []
        for e in ENGINES:
            f = os.path.join(RUNS, f"{h['id']}.{e}.json")
            if not os.path.exists(f):
                cells.append("—" if e not in h["engines"] else "not run")
                continue
            r = json.load(open(f))
            ok = r["rc"] == 0
            listed = e in h["engines"]
            cells.append(f"{'ok' if ok else ('FAIL' if listed else 'fails')} {r['seconds']:.1f} s"
                         + ("" if listed else " (not claimed)"))
        print(f"| {h['id']} | {h['tool']} | {h['revisions']} | " + " | ".join(cells) + " |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--summary", action="store_true", help="print the recorded runs as a Markdown table")
    ap.add_argument("--postgres")
    ap.add_argument("--mysql")
    ap.add_argument("--sqlite", action="store_true")
    ap.add_argument("--all-engines", action="store_true")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("ids", nargs="*")
    a = ap.parse_args()
    tools, histories = load()
    if a.summary:
        return summary(tools, histories)
    servers = {}
    if a.postgres:
        servers["postgresql"] = Server("postgresql", a.postgres)
    if a.mysql:
        servers["mariadb"] = Server("mariadb", a.mysql)
    engines = [e for e in ENGINES if e in servers or (e == "sqlite" and a.sqlite)]
    os.makedirs(RUNS, exist_ok=True)
    bad = 0
    for h in histories:
        if a.ids and h["id"] not in a.ids:
            continue
        for e in engines:
            listed = e in h["engines"]
            if not listed and not a.all_engines:
                continue
            r = run_one(tools, h, e, servers, a.timeout)
            ok = r["rc"] == 0
            bad += listed and not ok
            mark = "ok " if ok else ("FAIL" if listed else "fail (unlisted)")
            print(f"{h['id']:32} {e:10} {mark:5} {r['seconds']:7.1f}s ledger={r['ledger_rows']} tables={r['tables']}"
                  + ("" if ok else "  | " + (r["error"] or (r["tail"][-1] if r["tail"] else ""))[:200]), flush=True)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
