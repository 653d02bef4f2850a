# The protocol plumbing preflight's Python replay drivers share (PROTOCOL.md
# next to this file): the process's stdout and stdin kept for the protocol
# before the tool loads, one JSON reply per request, errors named as a
# traceback's last line names them, the request loop and a quick exit.
# A driver loads it by path (its own directory must not be on sys.path:
# `alembic.py` and `django.py` would shadow the packages they drive).
import json
import os
import sys
import traceback


def private_stdio():
    """The protocol's own stdin/stdout; the process's fd 1 becomes stderr and
    fd 0 /dev/null, so nothing the tool, the project or a child process
    prints or reads can touch the protocol."""
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdin = open(os.devnull)
    return requests, replies


REQUESTS, REPLIES = private_stdio()


def reply(obj):
    REPLIES.write(json.dumps(obj) + "\n")
    REPLIES.flush()


def clean(text):
    """Text safe for JSON readers that refuse lone surrogates."""
    return str(text).encode("utf-8", "replace").decode("utf-8")


def describe(exc):
    """`module.Type: message`, the way a traceback's last line names it."""
    kind = type(exc)
    name = kind.__qualname__
    if kind.__module__ not in ("builtins", "__main__"):
        name = kind.__module__ + "." + name
    message = str(exc)
    return clean(name + ": " + message if message else name)


class Tee:
    """A stdout that keeps what is written and passes it on to stderr."""

    encoding = "utf-8"

    def __init__(self):
        self.parts = []

    def write(self, s):
        self.parts.append(s)
        return sys.stderr.write(s)

    def flush(self):
        sys.stderr.flush()

    def isatty(self):
        return False

    def text(self):
        return clean("".join(self.parts))


def serve(handle):
    """One reply per request line until `quit` or the end of stdin."""
    for line in REQUESTS:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            if req.get("op") == "quit":
                return
            answer = handle(req)
        except KeyboardInterrupt:
            raise
        except Exception as e:
            traceback.print_exc()
            answer = {"ok": False, "error": describe(e)}
        reply(answer)


def leave(status):
    """Exit once the connections are closed, without the interpreter's
    teardown: an application's atexit hooks and non-daemon threads (telemetry
    flushes) and freeing a large heap can take seconds."""
    import logging

    try:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status)


def main(load, handle, finish):
    """`load()` loads the project and returns what the ready line says of the
    tool (`tool`, `version`); then requests are served; `finish()` closes
    what the last request left open."""
    try:
        ready = load()
    except KeyboardInterrupt:
        sys.exit(130)
    except BaseException as e:
        traceback.print_exc()
        reply({"ok": False, "error": describe(e)})
        sys.exit(1)
    reply({"ok": True, "ready": True, **ready})
    try:
        serve(handle)
    except KeyboardInterrupt:
        try:
            finish()
        except Exception:
            pass
        leave(130)
    except BrokenPipeError:  # preflight went away
        leave(1)
    finish()
    leave(0)
