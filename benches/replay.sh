#!/usr/bin/env bash
# Replaying a 100-revision project with the real tools, on PostgreSQL:
#
#   benches/replay.sh [REVISIONS]        (default 100)
#
# Generates a project of REVISIONS migrations (each creates a table of ten
# columns with two indexes and a foreign key to the one before, and every
# fifth also adds a column to an earlier table) for golang-migrate (the
# fastest tool: its steps take milliseconds, so preflight's own work shows)
# and for Knex (a typical Node tool), replays each with
# `preflight snapshot --replay`, and reports the total time, the tool's time
# and preflight's own time per step (reading the schema and the ledger after
# each step, and the differences). Target: the tool dominates; preflight under
# 50 ms per step. Needs the tools from scripts/tools.sh and PostgreSQL
# (PREFLIGHT_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
server=${PREFLIGHT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
tools=$PWD/target/tools
[ -x "$tools/bin/migrate" ] && [ -x "$tools/node/node_modules/.bin/knex" ] || { echo "run scripts/tools.sh first" >&2; exit 1; }
cargo build --release --quiet
preflight=$PWD/target/release/preflight
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# golang-migrate: SQL files.
mkdir -p "$tmp/gm/migrations"
for i in $(seq 1 "$n"); do
  v=$(printf '%06d' "$i")
  {
    echo "CREATE TABLE t$i (id integer PRIMARY KEY, name varchar(100) NOT NULL, email varchar(255),"
    echo "  amount numeric(12,2) NOT NULL DEFAULT 0, status text NOT NULL DEFAULT 'new', created_at timestamptz NOT NULL DEFAULT now(),"
    echo "  a1 text, a2 text, a3 integer, parent_id integer$([ "$i" -gt 1 ] && echo " REFERENCES t$((i - 1)) (id)"));"
    echo "CREATE INDEX t${i}_created_idx ON t$i (created_at);"
    echo "CREATE UNIQUE INDEX t${i}_email_key ON t$i (email);"
    [ $((i % 5)) -eq 0 ] && echo "ALTER TABLE t$((i / 2)) ADD COLUMN added_$i integer;"
  } >"$tmp/gm/migrations/${v}_t$i.up.sql"
  echo "DROP TABLE t$i;" >"$tmp/gm/migrations/${v}_t$i.down.sql"
done

# Knex: JS files.
mkdir -p "$tmp/knex/migrations"
cat >"$tmp/knex/knexfile.js" <<'JS'
module.exports = { client: 'pg', connection: process.env.DATABASE_URL, migrations: { directory: __dirname + '/migrations' } };
JS
for i in $(seq 1 "$n"); do
  v=$(printf '20240101%06d' "$i")
  {
    echo "exports.up = async (knex) => {"
    echo "  await knex.schema.createTable('t$i', (t) => {"
    echo "    t.integer('id').primary(); t.string('name', 100).notNullable(); t.string('email', 255).unique();"
    echo "    t.decimal('amount', 12, 2).notNullable().defaultTo(0); t.text('status').notNullable().defaultTo('new');"
    echo "    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).index();"
    echo "    t.text('a1'); t.text('a2'); t.integer('a3');"
    [ "$i" -gt 1 ] && echo "    t.integer('parent_id').references('id').inTable('t$((i - 1))');"
    echo "  });"
    [ $((i % 5)) -eq 0 ] && echo "  await knex.schema.alterTable('t$((i / 2))', (t) => { t.integer('added_$i'); });"
    echo "};"
    echo "exports.down = (knex) => knex.schema.dropTable('t$i');"
  } >"$tmp/knex/migrations/${v}_t$i.js"
done

report() { # tool log
  # "wrote …: N revisions replayed in T s (the tool X s, preflight Y ms, Z ms per step)"
  line=$(grep '^wrote' "$2")
  echo "$1: ${line#wrote * }"
}

"$preflight" snapshot --replay golang-migrate --shadow-url "$server" --project "$tmp/gm" -o "$tmp/gm.json" \
  -- "$tools/bin/migrate" -path migrations 2>"$tmp/gm.log" || { cat "$tmp/gm.log"; exit 1; }
report golang-migrate "$tmp/gm.log"
KNEX_PATH=$tools/node/node_modules/knex "$preflight" snapshot --replay knex --shadow-url "$server" --project "$tmp/knex" \
  -o "$tmp/knex.json" -- "$tools/node/node_modules/.bin/knex" --knexfile knexfile.js 2>"$tmp/knex.log" || { cat "$tmp/knex.log"; exit 1; }
report knex "$tmp/knex.log"
ls -l "$tmp/gm.json" "$tmp/knex.json" | awk '{print $5, $9}' | sed "s|$tmp/||"
