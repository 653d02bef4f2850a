#!/usr/bin/env bash
# Replay speed against the tool itself, per tool, on PostgreSQL:
#
#   benches/replay_speed.sh [REVISIONS] [TOOLS…]     (default 100; alembic django knex sequelize typeorm)
#
# For each tool, generates a project of REVISIONS migrations written in that
# tool's own style (each creates a table with an index and a foreign key to
# the one before; every fifth adds a column to an earlier table), then times:
#
#   alone     the tool itself migrating an empty database to head, one process
#   driver    `preflight snapshot --replay` cold (the replay driver: one process
#             of the tool's runtime for the whole replay)
#   cli       the same with --no-driver (the tool's CLI once per revision);
#             skipped unless PREFLIGHT_BENCH_CLI=1 (it takes minutes per tool)
#   cached    the same replay again on the unchanged project (the replay cache)
#   +1        one revision added at the end of the cached history
#
# and prints the target of issue 17: driver ≤ 2 × alone + 15 ms × revisions.
# Needs the tools of scripts/tools.sh and PostgreSQL
# (PREFLIGHT_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
shift || true
wanted=${*:-alembic django knex sequelize typeorm}
server=${PREFLIGHT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
root=$PWD
tools=$root/target/tools
py=$tools/venv/bin/python
nm=$tools/node/node_modules
[ -x "$py" ] && [ -d "$nm/knex" ] || { echo "run scripts/tools.sh first" >&2; exit 1; }
cargo build --release --quiet --bin preflight
preflight=$root/target/release/preflight
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
export PREFLIGHT_CACHE_DIR=$tmp/cache
export NODE_PATH=$nm KNEX_PATH=$nm/knex

# A database URL on the same server with another database name.
db_url() { "$py" -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$server" "$1"; }
sql() { "$py" - "$server" "$1" <<'PY'
import sys, psycopg2
c = psycopg2.connect(sys.argv[1]); c.autocommit = True
c.cursor().execute(sys.argv[2])
PY
}
now() { date +%s.%N; }
secs() { "$py" -c "print(f'{$2 - $1:.2f}')"; }

gen_alembic() { # dir n
  local d=$1
  mkdir -p "$d/migrations/versions"
  cp tests/fixtures/tools/alembic/migrations/env.py tests/fixtures/tools/alembic/migrations/script.py.mako "$d/migrations/"
  sed -e 's|^version_locations.*|version_locations = %(here)s/migrations/versions|' -e '/^version_path_separator/d' \
    tests/fixtures/tools/alembic/alembic.ini >"$d/alembic.ini"
  for i in $(seq 1 "$2"); do
    local down="None"; [ "$i" -gt 1 ] && down="'r$((i - 1))'"
    {
      echo "import sqlalchemy as sa"
      echo "from alembic import op"
      echo "revision = 'r$i'"
      echo "down_revision = $down"
      echo "def upgrade():"
      echo "    op.create_table('t$i', sa.Column('id', sa.Integer, primary_key=True), sa.Column('name', sa.String(100), nullable=False),"
      echo "        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),"
      [ "$i" -gt 1 ] && echo "        sa.Column('parent_id', sa.Integer, sa.ForeignKey('t$((i - 1)).id')),"
      echo "    )"
      echo "    op.create_index('t${i}_created_idx', 't$i', ['created_at'])"
      [ $((i % 5)) -eq 0 ] && echo "    op.add_column('t$((i / 2))', sa.Column('added_$i', sa.Integer))"
      echo "def downgrade():"
      echo "    op.drop_table('t$i')"
    } >"$d/migrations/versions/r$i.py"
  done
}
alone_alembic() { (cd "$1" && DATABASE_URL=${2/#postgres:/postgresql:} "$py" -m alembic upgrade head >/dev/null 2>&1); }
launcher_alembic() { echo "$py"; }

gen_django() {
  local d=$1
  mkdir -p "$d/shop/migrations"
  cp tests/fixtures/tools/django/manage.py "$d/"
  cat >"$d/settings.py" <<'PY'
import os
import dj_database_url
SECRET_KEY = "bench"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = ["shop"]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
PY
  touch "$d/shop/__init__.py" "$d/shop/migrations/__init__.py" "$d/shop/models.py"
  for i in $(seq 1 "$2"); do
    local f; f=$(printf '%04d_t%d' "$i" "$i")
    local dep="[]"; [ "$i" -gt 1 ] && dep="[('shop', '$(printf '%04d_t%d' $((i - 1)) $((i - 1)))')]"
    {
      echo "from django.db import migrations, models"
      echo "import django.db.models.deletion"
      echo "class Migration(migrations.Migration):"
      echo "    dependencies = $dep"
      echo "    operations = ["
      echo "        migrations.CreateModel(name='T$i', fields=["
      echo "            ('id', models.BigAutoField(primary_key=True)),"
      echo "            ('name', models.CharField(max_length=100)),"
      echo "            ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),"
      [ "$i" -gt 1 ] && echo "            ('parent', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, to='shop.t$((i - 1))')),"
      echo "        ]),"
      [ $((i % 5)) -eq 0 ] && echo "        migrations.AddField(model_name='t$((i / 2))', name='added_$i', field=models.IntegerField(null=True)),"
      echo "    ]"
    } >"$d/shop/migrations/$f.py"
  done
}
alone_django() { (cd "$1" && DATABASE_URL=$2 DJANGO_SETTINGS_MODULE=settings "$py" manage.py migrate --noinput >/dev/null 2>&1); }
launcher_django() { echo "$py manage.py"; }

gen_knex() {
  local d=$1
  mkdir -p "$d/migrations"
  echo "module.exports = { client: 'pg', connection: process.env.DATABASE_URL, migrations: { directory: __dirname + '/migrations' } };" >"$d/knexfile.js"
  for i in $(seq 1 "$2"); do
    {
      echo "exports.up = async (knex) => {"
      echo "  await knex.schema.createTable('t$i', (t) => { t.integer('id').primary(); t.string('name', 100).notNullable();"
      echo "    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now()).index();"
      [ "$i" -gt 1 ] && echo "    t.integer('parent_id').references('id').inTable('t$((i - 1))');"
      echo "  });"
      [ $((i % 5)) -eq 0 ] && echo "  await knex.schema.alterTable('t$((i / 2))', (t) => { t.integer('added_$i'); });"
      echo "};"
      echo "exports.down = (knex) => knex.schema.dropTable('t$i');"
    } >"$d/migrations/$(printf '20240101%06d' "$i")_t$i.js"
  done
}
alone_knex() { (cd "$1" && DATABASE_URL=$2 "$nm/.bin/knex" --knexfile knexfile.js migrate:latest >/dev/null 2>&1); }
launcher_knex() { echo "$nm/.bin/knex --knexfile knexfile.js"; }

gen_sequelize() {
  local d=$1
  mkdir -p "$d/migrations" "$d/config"
  cp tests/fixtures/tools/sequelize/.sequelizerc "$d/"
  cp tests/fixtures/tools/sequelize/config/config.js "$d/config/"
  for i in $(seq 1 "$2"); do
    {
      echo "'use strict';"
      echo "module.exports = {"
      echo "  async up(q, S) {"
      echo "    await q.createTable('t$i', { id: { type: S.INTEGER, primaryKey: true }, name: { type: S.STRING(100), allowNull: false },"
      echo "      created_at: { type: S.DATE, allowNull: false, defaultValue: S.fn('now') },"
      [ "$i" -gt 1 ] && echo "      parent_id: { type: S.INTEGER, references: { model: 't$((i - 1))', key: 'id' } },"
      echo "    });"
      echo "    await q.addIndex('t$i', ['created_at'], { name: 't${i}_created_idx' });"
      [ $((i % 5)) -eq 0 ] && echo "    await q.addColumn('t$((i / 2))', 'added_$i', { type: S.INTEGER });"
      echo "  },"
      echo "  async down(q) { await q.dropTable('t$i'); },"
      echo "};"
    } >"$d/migrations/$(printf '20240101%06d' "$i")-t$i.js"
  done
}
alone_sequelize() { (cd "$1" && DATABASE_URL=$2 "$nm/.bin/sequelize" db:migrate >/dev/null 2>&1); }
launcher_sequelize() { echo "$nm/.bin/sequelize"; }

gen_typeorm() {
  local d=$1
  mkdir -p "$d/migrations"
  cp tests/fixtures/tools/typeorm/data-source.js "$d/"
  for i in $(seq 1 "$2"); do
    local ts=$((1704067200000 + i)) name="T$i"
    {
      echo "module.exports = class $name$ts {"
      echo "  name = '$name$ts';"
      echo "  async up(q) {"
      echo "    await q.query('CREATE TABLE t$i (id integer PRIMARY KEY, name varchar(100) NOT NULL, created_at timestamptz NOT NULL DEFAULT now()$([ "$i" -gt 1 ] && echo ", parent_id integer REFERENCES t$((i - 1)) (id)"))');"
      echo "    await q.query('CREATE INDEX t${i}_created_idx ON t$i (created_at)');"
      [ $((i % 5)) -eq 0 ] && echo "    await q.query('ALTER TABLE t$((i / 2)) ADD COLUMN added_$i integer');"
      echo "  }"
      echo "  async down(q) { await q.query('DROP TABLE t$i'); }"
      echo "};"
    } >"$d/migrations/$ts-$name.js"
  done
}
alone_typeorm() { (cd "$1" && DATABASE_URL=$2 "$nm/.bin/typeorm" migration:run -d data-source.js >/dev/null 2>&1); }
launcher_typeorm() { echo "node"; }

replay() { # tool dir out [flags…]
  local tool=$1 dir=$2 out=$3; shift 3
  # shellcheck disable=SC2046
  "$preflight" snapshot --replay "$tool" --shadow-url "$server" --project "$dir" -o "$out" "$@" \
    -- $(launcher_"$tool") 2>"$out.log" || { cat "$out.log" >&2; return 1; }
}
timed() { local s; s=$(now); "$@" >&2 || { echo "failed: $*" >&2; return 1; }; secs "$s" "$(now)"; }

printf '%-10s %5s %9s %9s %9s %9s %9s %10s\n' tool revs alone driver cli cached "+1" target
for tool in $wanted; do
  dir=$tmp/$tool
  "gen_$tool" "$dir" "$n"
  db="bench_${tool}_$$"
  sql "CREATE DATABASE $db"
  alone=$(timed "alone_$tool" "$dir" "$(db_url "$db")") || exit 1
  sql "DROP DATABASE $db"
  driver=$(timed replay "$tool" "$dir" "$tmp/$tool.json" --no-cache) || exit 1
  grep -q "driver, one process" "$tmp/$tool.json.log" || driver="$driver(cli!)"
  cli="-"
  if [ -n "${PREFLIGHT_BENCH_CLI:-}" ]; then
    cli=$(timed replay "$tool" "$dir" "$tmp/$tool-cli.json" --no-cache --no-driver) || exit 1
  fi
  replay "$tool" "$dir" "$tmp/$tool.json" >/dev/null 2>&1 || true # fills the cache
  cached=$(timed replay "$tool" "$dir" "$tmp/$tool.json") || exit 1
  grep -q "replay cache" "$tmp/$tool.json.log" || cached="$cached(miss)"
  "gen_$tool" "$tmp/$tool-plus" "$((n + 1))"
  rm -rf "$dir" && mv "$tmp/$tool-plus" "$dir"
  plus=$(timed replay "$tool" "$dir" "$tmp/$tool.json") || exit 1
  target=$("$py" -c "print(f'{2 * $alone + 0.015 * $n:.2f}')")
  printf '%-10s %5s %9s %9s %9s %9s %9s %10s\n' "$tool" "$n" "$alone" "$driver" "$cli" "$cached" "$plus" "≤$target"
done
