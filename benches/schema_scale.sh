#!/usr/bin/env bash
# Introspection and diff at scale, side by side with pg_dump and migra.
#
#   benches/schema_scale.sh [TABLES ...]        (default: 100 1000 10000)
#
# For each size, creates a PostgreSQL database of generated tables, then times
# on the same machine, in the same run the tools below. Two shapes
# (PREFLIGHT_BENCH_SHAPE):
#   typical  (default) 6 columns with defaults, a primary key, a foreign key to
#            the previous table, two plain indexes and a unique one; every tenth
#            table also has a check constraint, an expression index and a
#            partial index
#   heavy    every table has the check, expression and partial index: the
#            worst case for catalog deparsing
# Tools:
#   preflight snapshot   introspection alone, written to a snapshot file
#   preflight verify     introspection + loading the snapshot + diff + diagnosis
#   pg_dump -s           the schema dump PostgreSQL ships
#   migra A A            introspects both sides and diffs (Python, schemainspect)
# Reports wall time and peak RSS (GNU time). Needs PostgreSQL (the URL in
# PREFLIGHT_TEST_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres),
# pg_dump, GNU time, and Python (migra is installed into target/tools/migra-venv).
# Target (issue #3): 10,000 tables in under 1 s, peak RSS under 200 MB,
# at least 10x faster than migra and faster than pg_dump --schema-only.
set -euo pipefail
cd "$(dirname "$0")/.."
server=${PREFLIGHT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100 1000 10000)
shape=${PREFLIGHT_BENCH_SHAPE:-typical}
case "$shape" in typical) every=10 ;; heavy) every=1 ;; *) echo "unknown shape $shape" >&2; exit 2 ;; esac

cargo build --release --quiet
preflight=target/release/preflight

venv=target/tools/migra-venv
if [ ! -x "$venv/bin/migra" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check migra 'sqlalchemy<2' psycopg2-binary
fi

base=${server%/*}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

measure() { # label command... ; prints seconds and MB
  /usr/bin/time -f '%e %M' -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || { echo "$1 failed:"; cat "$tmp/err"; return 1; }
  read -r secs kb <"$tmp/time"
  echo "$secs $((kb / 1024))"
}

echo "shape: $shape"
printf '%-7s %-20s %9s %9s\n' tables tool seconds peak_MB
for n in "${sizes[@]}"; do
  db="pf_bench_${shape}_$n"
  psql -q "$server" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
  url="$base/$db"
  psql -q "$url" -v ON_ERROR_STOP=1 <<SQL
CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);
INSERT INTO alembic_version VALUES ('head');
DO \$\$
BEGIN
  FOR i IN 1..$n LOOP
    EXECUTE format('CREATE TABLE t%s (
        id bigserial PRIMARY KEY,
        name varchar(100) NOT NULL,
        email varchar(255),
        amount numeric(12,2) NOT NULL DEFAULT 0,
        status text NOT NULL DEFAULT %L,
        created_at timestamptz NOT NULL DEFAULT now(),
        parent_id bigint %s)', i, 'new',
        CASE WHEN i > 1 THEN format('REFERENCES t%s (id) ON DELETE CASCADE', i - 1) ELSE '' END);
    EXECUTE format('CREATE INDEX t%s_parent_idx ON t%s (parent_id)', i, i);
    EXECUTE format('CREATE INDEX t%s_created_idx ON t%s (created_at)', i, i);
    EXECUTE format('CREATE UNIQUE INDEX t%s_email_key ON t%s (email)', i, i);
    IF i % $every = 0 THEN
      EXECUTE format('ALTER TABLE t%s ADD CONSTRAINT t%s_amount_check CHECK (amount >= 0)', i, i);
      EXECUTE format('CREATE INDEX t%s_name_idx ON t%s (lower(name))', i, i);
      EXECUTE format('CREATE INDEX t%s_open_idx ON t%s (created_at) WHERE status <> %L', i, i, 'done');
    END IF;
    IF i % 500 = 0 THEN COMMIT; END IF;
  END LOOP;
END
\$\$;
SQL
  read -r s m < <(measure "$preflight" snapshot --database-url "$url" -o "$tmp/snap.json")
  printf '%-7s %-20s %9s %9s\n' "$n" "preflight snapshot" "$s" "$m"
  read -r s m < <(measure "$preflight" verify --database-url "$url" --expected "$tmp/snap.json" --format json)
  printf '%-7s %-20s %9s %9s\n' "$n" "preflight verify" "$s" "$m"
  grep -q '"verdict": "in_sync"' "$tmp/out" || { echo "unexpected verdict:"; head -20 "$tmp/out"; exit 1; }
  read -r s m < <(measure pg_dump --schema-only "$url")
  printf '%-7s %-20s %9s %9s\n' "$n" "pg_dump -s" "$s" "$m"
  mig_url=${url/postgres:\/\//postgresql:\/\/}
  read -r s m < <(measure "$venv/bin/migra" --unsafe "$mig_url" "$mig_url")
  printf '%-7s %-20s %9s %9s\n' "$n" "migra" "$s" "$m"
  [ -n "${PREFLIGHT_BENCH_KEEP:-}" ] || psql -q "$server" -c "DROP DATABASE $db WITH (FORCE)"
done
