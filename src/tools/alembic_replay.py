# preflight's replay driver for Alembic, run with the project's own Python:
#   python -c <this> list <config>        revisions base first, with what each follows
#   python -c <this> upgrade <config> <r>  upgrade to one revision
#   python -c <this> cli <config> <args…>  one command of Alembic's own CLI
#                                          (a repair plan's step, on a shadow)
# The configuration is an ini file or `[tool.alembic]` in pyproject.toml; the
# shadow database's URL (PREFLIGHT_REPLAY_URL) is set as `sqlalchemy.url` and
# as DATABASE_URL, with the dialect driver that is installed, so env.py finds
# it whichever it reads.
import importlib.util
import os
import sys

from alembic.config import Config


def with_driver(url):
    def have(mod):
        try:
            return importlib.util.find_spec(mod) is not None
        except ImportError:
            return False

    for scheme, drivers in (
        ("postgresql://", ("psycopg", "psycopg2", "pg8000")),
        ("mysql://", ("pymysql", "MySQLdb", "mysql.connector")),
    ):
        if url.startswith(scheme):
            for d in drivers:
                if have(d):
                    name = {"MySQLdb": "mysqldb", "mysql.connector": "mysqlconnector"}.get(d, d)
                    return url.replace(scheme, scheme[:-3] + "+" + name + "://", 1)
    return url


mode, path = sys.argv[1], sys.argv[2]
url = with_driver(os.environ.get("PREFLIGHT_REPLAY_URL", ""))
if url:
    os.environ["DATABASE_URL"] = url
cfg = Config(toml_file=path) if path.endswith(".toml") else Config(path)
if url:
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))

if mode == "list":
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(cfg)
    for rev in reversed(list(script.walk_revisions())):
        parents = getattr(rev, "_all_down_revisions", None) or rev.down_revision or ()
        if isinstance(parents, str):
            parents = (parents,)
        print("revision", rev.revision, ",".join(parents))
elif mode == "cli":
    from alembic.config import CommandLine

    cli = CommandLine(prog="alembic")
    options = cli.parser.parse_args(sys.argv[3:])
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    cli.run_cmd(cfg, options)
else:
    from alembic import command

    command.upgrade(cfg, sys.argv[3])
