#!/usr/bin/env bash
# Regenerate the SQLite dumps in this directory from the Alembic migrations in
# ../backend/alembic/versions, with the real tools (alembic, sqlite3):
#
#   incident-state.sqlite.sql  the database during the incident: the last real
#                              upgrade reached 016_add_time_entry_and_pos, then
#                              the edited PRE_DEPLOY job ran `alembic stamp head`.
#                              alembic_version says 018_add_notifications, the
#                              schema is 016's (no sessions, no notifications).
#   repaired-state.sqlite.sql  the healthy database: `alembic upgrade head`.
#
# Usage:
#   database/regenerate.sh          rewrite both dumps
#   database/regenerate.sh --check  regenerate into a temporary directory and
#                                   compare with the committed dumps; exit 1
#                                   if the schemas differ
#
# Needs python3 with alembic and SQLAlchemy (pip install alembic sqlalchemy)
# and the sqlite3 command-line shell. PYTHON=... picks another interpreter.
#
# Why --check does not compare the text: on SQLite, alembic's batch mode
# rebuilds a table (003 businesses, 011 products, 015 inventory_items and
# customers, 016 orders) and copies its constraints and indexes in Python set
# order, so the ORDER of the FOREIGN KEY clauses inside those CREATE TABLE
# statements and of the CREATE INDEX lines changes from run to run. --check
# compares what SQLite reports instead: columns (pragma table_info), foreign
# keys (pragma foreign_key_list), indexes (pragma index_list / index_info) and
# the alembic_version row.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
backend="$(cd "$here/../backend" && pwd)"
python="${PYTHON:-python3}"
export PYTHONDONTWRITEBYTECODE=1  # keep __pycache__ out of the example tree

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

alembic() {  # alembic DB_FILE ARGS...: run alembic against a SQLite file
    local db="$1"
    shift
    (cd "$backend" && DATABASE_URL="sqlite:///$db" "$python" -m alembic -c alembic.ini "$@")
}

build() {  # build DIR: write both dumps into DIR
    local out="$1"
    alembic "$tmp/incident.db" upgrade 016_add_time_entry_and_pos
    alembic "$tmp/incident.db" stamp head
    alembic "$tmp/repaired.db" upgrade head
    sqlite3 "$tmp/incident.db" .dump >"$out/incident-state.sqlite.sql"
    sqlite3 "$tmp/repaired.db" .dump >"$out/repaired-state.sqlite.sql"
    rm -f "$tmp/incident.db" "$tmp/repaired.db"
}

schema() {  # schema DUMP: print the schema of a dump in a stable order
    local db
    db="$(mktemp "$tmp/schema.XXXXXX")"
    sqlite3 "$db" <"$1"
    sqlite3 -separator ' | ' "$db" <<'SQL'
SELECT 'column', m.name, c.cid, c.name, c.type, c."notnull", ifnull(c.dflt_value, 'NULL'), c.pk
  FROM sqlite_schema AS m JOIN pragma_table_info(m.name) AS c
 WHERE m.type = 'table' ORDER BY m.name, c.cid;
SELECT 'foreign key', m.name, f."from", f."table", f."to", f.on_update, f.on_delete
  FROM sqlite_schema AS m JOIN pragma_foreign_key_list(m.name) AS f
 WHERE m.type = 'table' ORDER BY 2, 3, 4, 5;
SELECT 'index', m.name, i.name, i."unique", i.origin, i.partial,
       (SELECT group_concat(name, ',') FROM (SELECT name FROM pragma_index_info(i.name) ORDER BY seqno))
  FROM sqlite_schema AS m JOIN pragma_index_list(m.name) AS i
 WHERE m.type = 'table' ORDER BY 2, 3;
SELECT 'alembic_version', version_num FROM alembic_version ORDER BY 2;
SQL
}

case "${1:-}" in
"")
    build "$here"
    echo "wrote $here/incident-state.sqlite.sql and $here/repaired-state.sqlite.sql"
    ;;
--check)
    mkdir "$tmp/new"
    build "$tmp/new"
    status=0
    for f in incident-state.sqlite.sql repaired-state.sqlite.sql; do
        schema "$here/$f" >"$tmp/committed.schema"
        schema "$tmp/new/$f" >"$tmp/regenerated.schema"
        if diff -u --label "committed $f" --label "regenerated $f" \
            "$tmp/committed.schema" "$tmp/regenerated.schema"; then
            echo "$f: in sync with the migrations"
        else
            echo "$f: OUT OF SYNC with the migrations; run database/regenerate.sh" >&2
            status=1
        fi
    done
    exit "$status"
    ;;
*)
    echo "usage: $0 [--check]" >&2
    exit 2
    ;;
esac
