# preflight's replay driver for Django (see PROTOCOL.md next to this file).
#
# Started as `python3 django.py [manage.py]` in the project's directory, with
# the project's Python (manage.py defaults to ./manage.py).
#
# Loading: the project's manage.py runs once, as `python manage.py migrate`
# would run it (its directory first on sys.path, run as __main__), except
# that Django's execute_from_command_line only takes note of the arguments:
# whatever manage.py sets up (DJANGO_SETTINGS_MODULE, sys.path, PyMySQL as
# MySQLdb, dotenv files) is in place, then `--settings`/`--pythonpath` are
# applied the way ManagementUtility does and django.setup() runs, once.
#
# Requests:
#   list  `manage.py showmigrations --plan`, read as preflight reads it:
#         the `[ ]`/`[X]` lines' `app.name`, in that order
#   to    what `manage.py migrate <app> <name> --noinput` does, through
#         Django's own API, keeping between steps what the command would
#         rebuild (see "Applying one revision" below)
#   cli   any management command, e.g. `migrate --noinput`,
#         `migrate --fake shop 0003` / `zero`, run as manage.py runs it
#         (BaseCommand.run_from_argv: the command's parser, system checks,
#         execute()) minus the exit on CommandError; its output is the
#         reply's `output`. Interactive commands (shell, dbshell, runserver,
#         test) and `--settings` naming another module are `unsupported`.
#
# Applying one revision (`to`). The migrate command builds a MigrationLoader
# (migration files + ledger), renders the project state of every applied
# migration (all model classes) for pre_migrate, and renders it again for
# post_migrate: per step that costs as much as the whole history, so a
# replay grows with its square. This driver keeps one MigrationExecutor
# (loader and recorder) and the ProjectState left by the previous step, with
# its rendered apps, and runs the rest of the command's handle() as it is:
#   - system checks (`migrate` runs them on every call) on the first `to`;
#   - every app's `management` module imported, connection.prepare_database();
#   - check_consistent_history, detect_conflicts, the app label and
#     get_migration_by_prefix as the command resolves them (a partially
#     applied squash is aimed at its last replaced migration, as there);
#   - plan = executor.migration_plan([target]), the command's own list;
#   - pre_migrate with the kept state's apps (what
#     _create_project_state(with_applied_migrations=True).apps renders);
#   - executor.migrate(targets, plan=plan, state=kept state): full-plan
#     order, one schema_editor (transaction) per migration, replaced
#     migrations recorded one by one, check_replacements;
#   - post_migrate as the command sends it: apps re-rendered when a step
#     delayed a model reload (clear_delayed_apps_cache), real (unmigrated)
#     apps' models re-rendered with their relations; contenttypes and
#     permissions are created there, before the next step's RunPython.
# The returned state becomes the next step's pre_migrate state (a fresh
# render when the step re-rendered it, is_delayed cleared), and the loader's
# applied set is set from the ledger as MigrationLoader.build_graph computes
# it. The cached ContentType rows of the state's manager are dropped between
# steps, as a new process would.
# The command itself (`migrate <app> <name> --noinput`, a new loader) runs
# instead whenever the driver cannot be sure to do the same:
#   - the project's `migrate` command is not Django's own (a subclass may
#     only change its output: same handle and execute);
#   - the app is unknown or has no migrations, the name matches no migration
#     or several, the ledger is inconsistent or the graph has conflicts (the
#     command raises its own error);
#   - the plan goes backwards (a target already applied with later
#     migrations), or computing it made Django reload the graph without
#     squashes (a replaced migration already applied).
# The kept loader and state are dropped, and built again from the database
# by the next `to`, when the ledger is not what the previous `to` left (a
# `cli` request, preflight running the CLI), when the set of partially
# applied squashes changed (the loader's graph would differ), after any
# error, and after a step that re-rendered real apps' models (their classes
# then carry relations a fresh state's do not).
#
# Statements: a wrapper in every connection's execute_wrappers (what
# connection.execute_wrapper installs), for all aliases; DDL sent with
# parameters is shown filled in (last_executed_query); `migration` is the
# `app.name` MigrationExecutor was applying or unapplying. Each request ends
# as a manage.py process would: connections closed, cached rows forgotten.
import json
import os
import importlib.util
from importlib import import_module
import runpy
import sys
import time
import traceback

# This file may be named `django.py`: its directory must not shadow the
# `django` package.
_here = os.path.dirname(os.path.realpath(__file__))
if sys.path and os.path.realpath(sys.path[0] or ".") == _here:
    del sys.path[0]


# The shared protocol plumbing (python_protocol.py, written next to this
# file), loaded by path before anything else so that nothing the tool prints
# reaches the protocol.
_spec = importlib.util.spec_from_file_location("preflight_python_protocol", os.path.join(_here, "python_protocol.py"))
protocol = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(protocol)
reply, clean, describe, Tee = protocol.reply, protocol.clean, protocol.describe, protocol.Tee


class Unsupported(Exception):
    """A command this driver does not run in process: preflight runs the CLI."""


# Commands that wait for a person or serve forever.
INTERACTIVE = {"shell", "dbshell", "runserver", "testserver", "test", "shell_plus", "runserver_plus"}


class Statements:
    """What the connections send while a request is served."""

    def __init__(self):
        self.items = []
        self.migration = None

    def start(self):
        self.items, self.migration = [], None

    def wrapper(self, execute, sql, params, many, context):
        sql = sql if isinstance(sql, str) else str(sql)
        item = {"sql": clean(sql)}
        if self.migration:
            item["migration"] = self.migration
        self.items.append(item)
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            item["ms"] = round((time.perf_counter() - started) * 1000, 3)
            if params and not many and sql.lstrip()[:8].upper().startswith(DDL):
                item["sql"] = clean(rendered(context, sql, params))


# DDL whose values travel as parameters (`ALTER TABLE … DEFAULT %s` on MySQL
# and SQLite) is shown as the database received it, placeholders filled in.
DDL = ("CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "COMMENT")


def rendered(context, sql, params):
    try:
        connection = context["connection"]
        return connection.ops.last_executed_query(context["cursor"].cursor, sql, params) or sql
    except Exception:
        return sql


STATEMENTS = Statements()


def load_project(manage_py):
    """Run manage.py with execute_from_command_line taking note only, then
    set Django up as ManagementUtility.execute does."""
    import django
    from django.core import management

    seen = []
    if os.path.exists(manage_py):
        path = os.path.realpath(manage_py)
        sys.path.insert(0, os.path.dirname(path))
        saved_argv, saved_exec = sys.argv, management.execute_from_command_line
        sys.argv = [manage_py, "migrate"]
        management.execute_from_command_line = lambda argv=None: seen.append(list(argv or sys.argv))
        try:
            runpy.run_path(path, run_name="__main__")
        except SystemExit as e:
            if e.code not in (None, 0):
                raise RuntimeError("manage.py exited with status %s while loading" % (e.code,))
        finally:
            sys.argv, management.execute_from_command_line = saved_argv, saved_exec
    else:
        sys.path.insert(0, os.getcwd())
    if seen:
        # manage.py's own `--settings`/`--pythonpath`, as ManagementUtility reads them.
        parser = management.CommandParser(add_help=False, allow_abbrev=False)
        parser.add_argument("--settings")
        parser.add_argument("--pythonpath")
        parser.add_argument("args", nargs="*")
        try:
            options, _ = parser.parse_known_args(seen[-1][2:])
            management.handle_default_options(options)
        except management.CommandError:
            pass
    if not os.environ.get("DJANGO_SETTINGS_MODULE"):
        raise RuntimeError("no DJANGO_SETTINGS_MODULE: %s does not set it" % manage_py)
    django.setup()
    return django.get_version()


def track_migrations():
    """Name the migration being applied: the statements MigrationExecutor
    sends while it runs one carry its `app.name`."""
    from django.db.migrations.executor import MigrationExecutor

    def tracking(method):
        def run(self, state, migration, *args, **kw):
            STATEMENTS.migration = "%s.%s" % (migration.app_label, migration.name)
            return method(self, state, migration, *args, **kw)

        run.__name__ = method.__name__
        return run

    MigrationExecutor.apply_migration = tracking(MigrationExecutor.apply_migration)
    MigrationExecutor.unapply_migration = tracking(MigrationExecutor.unapply_migration)


def hear_connections():
    from django.db import connections

    for alias in connections:
        wrappers = connections[alias].execute_wrappers
        if STATEMENTS.wrapper not in wrappers:
            wrappers.append(STATEMENTS.wrapper)


def call(args):
    """One management command, as `manage.py <args>` runs it
    (BaseCommand.run_from_argv) but raising instead of exiting."""
    from django.core.management import (
        BaseCommand,
        CommandError,
        get_commands,
        handle_default_options,
        load_command_class,
    )

    if not args:
        raise CommandError("no command given")
    name = args[0]
    if name in INTERACTIVE:
        raise Unsupported("`%s` is interactive" % name)
    commands = get_commands()
    if name not in commands:
        raise CommandError("Unknown command: %r" % name)
    app = commands[name]
    command = app if isinstance(app, BaseCommand) else load_command_class(app, name)
    parser = command.create_parser(os.path.basename(MANAGE_PY), name)
    options = parser.parse_args(args[1:])
    settings = getattr(options, "settings", None)
    if settings and settings != os.environ.get("DJANGO_SETTINGS_MODULE"):
        raise Unsupported("--settings=%s is not the settings module loaded" % settings)
    handle_default_options(options)
    cmd_options = vars(options)
    positional = cmd_options.pop("args", ())
    command.execute(*positional, **cmd_options)


def finish_request():
    """What the end of a manage.py process would leave: no open connection,
    no cached rows."""
    from django.apps import apps
    from django.db import connections

    connections.close_all()
    if apps.is_installed("django.contrib.contenttypes"):
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
    if apps.is_installed("django.contrib.sites"):
        from django.contrib.sites.models import SITE_CACHE

        SITE_CACHE.clear()


def run(work):
    """The reply for one request: `work()` with what it prints kept and the
    statements it sends heard, then the end of a manage.py process."""
    out = Tee()
    saved = sys.stdout
    STATEMENTS.start()
    result = {"ok": True}
    try:
        sys.stdout = out
        hear_connections()
        work()
    except SystemExit as e:
        if e.code not in (None, 0):
            result = {"ok": False, "error": "SystemExit: exit status %s" % (e.code,)}
    except Unsupported as e:
        result = {"ok": False, "unsupported": True, "error": clean(e)}
    except KeyboardInterrupt:
        raise
    except BaseException as e:
        traceback.print_exc()
        result = {"ok": False, "error": describe(e)}
    finally:
        sys.stdout = saved
        try:
            finish_request()
        except Exception:
            traceback.print_exc()
        sys.stderr.flush()
    result["statements"] = STATEMENTS.items
    result["output"] = out.text()
    return result


class Replay:
    """`migrate <app> <name> --noinput` with the previous step's loader and
    project state kept (see "Applying one revision" in the header)."""

    def __init__(self):
        self.checked = False  # system checks passed once
        self.forget()

    def forget(self):
        self.executor = None  # MigrationExecutor whose loader matches `rows`
        self.state = None  # ProjectState of the applied migrations
        self.rows = None  # the ledger's (app, name) when both were kept
        self.partial = None  # squashes partially applied in `rows`

    def command(self):
        """The project's migrate command when it is Django's own, else None."""
        from django.core.management import BaseCommand, get_commands, load_command_class
        from django.core.management.commands import migrate

        app = get_commands().get("migrate")
        if app is None:
            return None
        command = app if isinstance(app, BaseCommand) else load_command_class(app, "migrate")
        kind = type(command)
        if not isinstance(command, migrate.Command):
            return None
        if kind.handle is not migrate.Command.handle or kind.execute is not migrate.Command.execute:
            return None
        return command

    def to(self, app_label, name):
        """Apply up to `app_label.name` as the command would; False when the
        command has to do it (nothing was sent to the database but reads)."""
        from django.core.management.base import no_translations

        try:
            return no_translations(self.migrate)(app_label, name)
        except BaseException:
            self.forget()
            raise

    def migrate(self, app_label, name):
        from django.apps import apps
        from django.core.management.sql import emit_post_migrate_signal, emit_pre_migrate_signal
        from django.db import DEFAULT_DB_ALIAS, connections
        from django.db.migrations.exceptions import AmbiguityError, InconsistentMigrationHistory
        from django.db.migrations.executor import MigrationExecutor
        from django.db.migrations.recorder import MigrationRecorder
        from django.db.migrations.state import ModelState
        from django.utils.module_loading import module_has_submodule

        command = self.command()
        if command is None:
            return False
        if not self.checked:
            command.check(databases=[DEFAULT_DB_ALIAS])
            self.checked = True
        verbosity, interactive = 1, False  # `--noinput`, default verbosity
        command.verbosity, command.interactive = verbosity, interactive
        for app_config in apps.get_app_configs():
            if module_has_submodule(app_config.module, "management"):
                import_module(".management", app_config.name)
        connection = connections[DEFAULT_DB_ALIAS]
        connection.prepare_database()

        rows = set(MigrationRecorder(connection).applied_migrations())
        executor, state, kept, partial = self.executor, self.state, self.rows, self.partial
        self.forget()  # until this step is through
        if executor is None or rows != kept:
            executor, state = MigrationExecutor(connection), None
            partial = partially_applied(executor.loader, rows)
        executor.progress_callback = command.migration_progress_callback
        loader = executor.loader

        # What the command checks and how it names the target.
        try:
            loader.check_consistent_history(connection)
        except InconsistentMigrationHistory:
            return False
        if loader.detect_conflicts():
            return False
        try:
            apps.get_app_config(app_label)
        except LookupError:
            return False
        if app_label not in loader.migrated_apps:
            return False
        try:
            migration = loader.get_migration_by_prefix(app_label, name)
        except (AmbiguityError, KeyError):
            return False
        target = (app_label, migration.name)
        if target not in loader.graph.nodes and target in loader.replacements:
            target = loader.replacements[target].replaces[-1]
        targets = [target]
        plan = executor.migration_plan(targets)
        if not loader.replace_migrations or any(backwards for _, backwards in plan):
            return False

        if state is None:
            state = executor._create_project_state(with_applied_migrations=True)
        emit_pre_migrate_signal(verbosity, interactive, connection.alias, stdout=command.stdout, apps=state.apps, plan=plan)
        state = executor.migrate(targets, plan=plan, state=state, fake=False, fake_initial=False)

        # post_migrate as the command sends it.
        state.clear_delayed_apps_cache()
        post_apps = state.apps
        keep = not post_apps.real_models
        with post_apps.bulk_update():
            model_keys = []
            for model_state in post_apps.real_models:
                model_key = model_state.app_label, model_state.name_lower
                model_keys.append(model_key)
                post_apps.unregister_model(*model_key)
        post_apps.render_multiple([ModelState.from_model(apps.get_model(*model)) for model in model_keys])
        emit_post_migrate_signal(verbosity, interactive, connection.alias, stdout=command.stdout, apps=post_apps, plan=plan)

        # Keep what a new `migrate` would build from the ledger as it is now.
        records = executor.recorder.applied_migrations()
        rows = set(records)
        if not keep or partially_applied(loader, rows) != partial:
            return True
        loader.applied_migrations = applied_migrations(loader, records)
        state.is_delayed = False
        forget_cached_rows(state.apps)
        self.executor, self.state, self.rows, self.partial = executor, state, rows, partial
        return True


def partially_applied(loader, rows):
    """The squashes MigrationLoader.build_graph leaves out of the graph (some
    but not all of the migrations they replace are in the ledger)."""
    found = set()
    for key, migration in loader.replacements.items():
        done = [target in rows for target in migration.replaces]
        if any(done) and not all(done):
            found.add(key)
    return found


def applied_migrations(loader, records):
    """MigrationLoader.applied_migrations for these ledger rows, as
    build_graph sets it: a squash counts as applied when all it replaces is."""
    applied = dict(records)
    for key, migration in loader.replacements.items():
        if all(target in applied for target in migration.replaces):
            applied[key] = migration
        else:
            applied.pop(key, None)
    return applied


def forget_cached_rows(state_apps):
    """The ContentType rows the state's ContentType manager cached."""
    try:
        model = state_apps.get_model("contenttypes", "ContentType")
    except LookupError:
        return
    clear = getattr(model.objects, "clear_cache", None)
    if clear:
        clear()


REPLAY = Replay()


def plan():
    """The targets `showmigrations --plan` lists (preflight's parse_plan)."""
    result = run(lambda: call(["showmigrations", "--plan"]))
    if not result["ok"]:
        return result
    targets = []
    for line in result["output"].splitlines():
        line = line.strip()
        for mark in ("[ ]", "[X]"):
            if line.startswith(mark):
                words = line[len(mark):].split()
                if words and "." in words[0]:
                    targets.append({"id": words[0], "name": words[0], "parents": []})
    return {"ok": True, "targets": targets}


def handle(req):
    op = req.get("op")
    if op == "list":
        return plan()
    if op == "to":
        target = str(req["target"])
        app, dot, name = target.partition(".")
        if not dot:
            return {"ok": False, "error": "ValueError: target %r is not app.name" % target}
        result = run(lambda: REPLAY.to(app, name) or call(["migrate", app, name, "--noinput"]))
        result.pop("output", None)
        return result
    if op == "cli":
        REPLAY.forget()
        return run(lambda: call([str(a) for a in req.get("args", [])]))
    return {"ok": False, "unsupported": True, "error": "unknown request %r" % (op,)}


MANAGE_PY = sys.argv[1] if len(sys.argv) > 1 else "manage.py"


def main():
    def load():
        version = load_project(MANAGE_PY)
        track_migrations()
        return {"tool": "django", "version": version}

    protocol.main(load, handle, finish_request)


if __name__ == "__main__":
    main()
