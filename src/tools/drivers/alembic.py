# preflight's replay driver for Alembic (see PROTOCOL.md next to this file).
#
# Started as `python3 alembic.py <config>` in the project's directory, with
# the project's Python. <config> is what `alembic -c` takes: an ini file, or
# pyproject.toml (`[tool.alembic]`, Alembic 1.16+).
#
# Loading: Alembic, SQLAlchemy and the revision files are imported once; the
# ScriptDirectory (the revision graph read from the version locations) is
# built once and reused by every command. Everything else is the CLI's own
# path: each request builds a fresh Config the way `alembic` does (the ini
# file and pyproject.toml, `-n`, `-x`, cmd_opts) and calls the command
# function, and Alembic runs env.py again, which creates the engine, connects
# and begins the transactions exactly as a separate `alembic` process would.
#
# The shadow database's URL (PREFLIGHT_REPLAY_URL, SQLAlchemy spelling) gets
# the dialect driver that is installed and reaches env.py both as
# `sqlalchemy.url` and as DATABASE_URL, whichever it reads.
#
# Requests:
#   list  the revisions base first (`walk_revisions`, reversed), each with the
#         revisions it follows (down revisions and `depends_on`)
#   to    `alembic upgrade <revision>`: command.upgrade(cfg, revision)
#   cli   any command of Alembic's CLI, parsed by Alembic's own CommandLine
#         and run in this process (`stamp 016`, `upgrade heads`,
#         `downgrade -1`, `stamp --purge a b`, `current`, global options
#         `-n`, `-x`, `-c` included). Its output is the reply's `output`.
#
# Statements: SQLAlchemy's before/after_cursor_execute events on the Engine
# class, so whatever engine env.py creates is heard; `migration` is the
# revision whose upgrade()/downgrade() was running. After every request the
# engines that were used are disposed: no connection stays open between
# requests, as none would after a CLI process exits.
import importlib.util
import io
import json
import os
import sys
import time
import traceback

# This file may be named `alembic.py`: its directory must not shadow the
# `alembic` package. A CLI run (`python -c`) has the working directory first.
_here = os.path.dirname(os.path.realpath(__file__))
if sys.path and os.path.realpath(sys.path[0] or ".") == _here:
    sys.path[0] = ""


# The shared protocol plumbing (python_protocol.py, written next to this
# file), loaded by path before anything else so that nothing the tool prints
# reaches the protocol.
_spec = importlib.util.spec_from_file_location("preflight_python_protocol", os.path.join(_here, "python_protocol.py"))
protocol = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(protocol)
reply, clean, describe, Tee = protocol.reply, protocol.clean, protocol.describe, protocol.Tee


try:
    import alembic
    from alembic.config import CommandLine, Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
except Exception as e:  # not installed in this Python
    reply({"ok": False, "error": describe(e)})
    sys.exit(1)


def with_driver(url):
    """The URL with a driver that is installed and that this SQLAlchemy has a
    dialect for (`postgresql://` → `postgresql+psycopg://`), in the per-step
    replay's order of preference."""

    def usable(scheme, module, dialect):
        try:
            if importlib.util.find_spec(module) is None:
                return False
            from sqlalchemy.dialects import registry

            registry.load(scheme + "." + dialect)
            return True
        except Exception:
            return False

    for scheme, drivers in (
        ("postgresql", (("psycopg", "psycopg"), ("psycopg2", "psycopg2"), ("pg8000", "pg8000"))),
        (
            "mysql",
            (("pymysql", "pymysql"), ("MySQLdb", "mysqldb"), ("mysql.connector", "mysqlconnector")),
        ),
    ):
        if url.startswith(scheme + "://"):
            for module, dialect in drivers:
                if usable(scheme, module, dialect):
                    return url.replace(scheme + "://", scheme + "+" + dialect + "://", 1)
    return url


class Statements:
    """What the engines send while a request is served."""

    def __init__(self):
        self.items = []
        self.migration = None
        self.open = None
        self.engines = set()

    def start(self):
        self.items, self.migration, self.open = [], None, None

    def before(self, **kw):
        self.engines.add(kw["conn"].engine)
        self.open = {"sql": clean(kw["statement"]), "t": time.perf_counter()}
        if self.migration:
            self.open["migration"] = self.migration
        self.items.append(self.open)

    def after(self, **kw):
        if self.open is not None:
            self.open["ms"] = round((time.perf_counter() - self.open.pop("t")) * 1000, 3)
            self.open = None

    def seen(self, **kw):
        self.engines.add(kw["conn"].engine)

    def finish(self):
        """The statements, and every engine used disposed (its pooled
        connections closed)."""
        self.after()
        for item in self.items:
            item.pop("t", None)
        for engine in self.engines:
            try:
                getattr(engine, "_proxied", engine).dispose()
            except Exception:
                traceback.print_exc()
        self.engines = set()
        return self.items


STATEMENTS = Statements()
event.listen(Engine, "before_cursor_execute", STATEMENTS.before, named=True)
event.listen(Engine, "after_cursor_execute", STATEMENTS.after, named=True)
event.listen(Engine, "handle_error", STATEMENTS.after, named=True)
event.listen(Engine, "engine_connect", STATEMENTS.seen, named=True)


def track_revisions():
    """Name the revision being run: RevisionStep's upgrade()/downgrade() is
    wrapped so the statements it sends carry its id."""
    try:
        from alembic.runtime.migration import RevisionStep
    except ImportError:
        return
    original = RevisionStep.__init__

    def init(self, revision_map, revision, is_upgrade, *args, **kw):
        original(self, revision_map, revision, is_upgrade, *args, **kw)
        fn, rev = self.migration_fn, revision.revision

        def run(*a, **k):
            STATEMENTS.migration = rev
            return fn(*a, **k)

        run.__name__ = getattr(fn, "__name__", "upgrade" if is_upgrade else "downgrade")
        self.migration_fn = run

    RevisionStep.__init__ = init


track_revisions()


# One ScriptDirectory per configuration: reading the version locations
# imports every revision file, which a CLI process does once; doing it for
# every step would make a replay quadratic in the number of revisions.
SCRIPTS = {}
_from_config = ScriptDirectory.from_config.__func__


def cached_from_config(cls, config):
    key = (
        cls,
        getattr(config, "config_file_name", None),
        getattr(config, "toml_file_name", None),
        getattr(config, "config_ini_section", None),
    )
    if key not in SCRIPTS:
        SCRIPTS[key] = _from_config(cls, config)
    return SCRIPTS[key]


ScriptDirectory.from_config = classmethod(cached_from_config)

# Commands that do not write revision files: the cached graph stays valid.
READ_OR_APPLY = {
    "upgrade", "downgrade", "stamp", "current", "heads", "history",
    "branches", "show", "check", "ensure_version",
}

CONFIG_PATH = sys.argv[1] if len(sys.argv) > 1 else "alembic.ini"
URL = with_driver(os.environ.get("PREFLIGHT_REPLAY_URL", ""))
if URL:
    os.environ["DATABASE_URL"] = URL
PARSER = CommandLine(prog="alembic")


def parse(args):
    """The CLI's options for `alembic -c <config> <args>`; argparse errors
    become exceptions instead of exiting."""
    args = list(args)
    if not any(a in ("-c", "--config") or a.startswith("--config=") for a in args):
        args = ["-c", CONFIG_PATH] + args
    said, saved = io.StringIO(), sys.stderr
    try:
        sys.stderr = said
        options = PARSER.parser.parse_args(args)
    except SystemExit:
        lines = said.getvalue().strip().splitlines() or ["invalid arguments"]
        raise ValueError(lines[-1])
    finally:
        sys.stderr = saved
        saved.write(said.getvalue())
    if not hasattr(options, "cmd"):
        raise ValueError("too few arguments")
    options.raiseerr = True  # the exception, not `FAILED:` and exit
    return options


def config_for(options, stdout):
    """The Config `alembic` builds for these options (CommandLine.main)."""
    if hasattr(PARSER, "_inis_from_config"):  # Alembic 1.16+: ini and toml
        toml, ini = PARSER._inis_from_config(options)
        cfg = Config(file_=ini, toml_file=toml, ini_section=options.name, cmd_opts=options, stdout=stdout)
    else:
        path = options.config
        if isinstance(path, list):
            path = path[-1]
        if os.path.basename(path) == "pyproject.toml":
            raise ValueError("pyproject.toml configuration needs Alembic 1.16 or later")
        cfg = Config(file_=path, ini_section=options.name, cmd_opts=options, stdout=stdout)
    if URL:
        cfg.set_main_option("sqlalchemy.url", URL.replace("%", "%%"))
    return cfg


def run(args):
    """One CLI command in this process; the reply with its output and the
    statements it sent."""
    out = Tee()
    saved = sys.stdout
    STATEMENTS.start()
    result = {"ok": True}
    name = None
    try:
        sys.stdout = out
        options = parse(args)
        name = options.cmd[0].__name__
        PARSER.run_cmd(config_for(options, out), options)
    except SystemExit as e:
        if e.code not in (None, 0):
            result = {"ok": False, "error": "SystemExit: exit status %s" % (e.code,)}
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        traceback.print_exc()
        result = {"ok": False, "error": describe(e)}
    finally:
        sys.stdout = saved
        result["statements"] = STATEMENTS.finish()
        sys.stderr.flush()
    if name is not None and name not in READ_OR_APPLY:
        SCRIPTS.clear()  # `revision`, `merge`… may have written files
    result["output"] = out.text()
    return result


def revisions():
    """Base first, with what each follows (the per-step replay's `list`)."""
    cfg = config_for(parse(["heads"]), sys.stderr)
    script = ScriptDirectory.from_config(cfg)
    targets = []
    for rev in reversed(list(script.walk_revisions())):
        parents = getattr(rev, "_all_down_revisions", None) or rev.down_revision or ()
        if isinstance(parents, str):
            parents = (parents,)
        targets.append({"id": rev.revision, "name": rev.revision, "parents": list(parents)})
    return targets


def handle(req):
    op = req.get("op")
    if op == "list":
        return {"ok": True, "targets": revisions()}
    if op == "to":
        result = run(["upgrade", str(req["target"])])
        result.pop("output", None)
        return result
    if op == "cli":
        return run([str(a) for a in req.get("args", [])])
    return {"ok": False, "unsupported": True, "error": "unknown request %r" % (op,)}


def main():
    def load():
        # Loading the project: the configuration and every revision file.
        revisions()
        return {"tool": "alembic", "version": alembic.__version__}

    protocol.main(load, handle, STATEMENTS.finish)


if __name__ == "__main__":
    main()
