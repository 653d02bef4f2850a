#!/usr/bin/env bash
# The daemon at steady state: N databases (schemas of one PostgreSQL
# database) checked on an interval.
#
#   benches/daemon_scale.sh [N] [INTERVAL_S] [WINDOW_S]   (default: 1000 60 120)
#
# Creates a PostgreSQL database with N schemas, each a small application
# (12 tables with keys, foreign keys, indexes and defaults, plus an Alembic
# ledger at its head), writes one expected-schema snapshot per schema and a
# daemon configuration listing N databases, starts `preflight daemon`
# (release build), waits one interval for the first round to spread out, then
# measures over WINDOW_S seconds:
#   CPU     utime+stime of the daemon process (/proc), as % of one core
#   memory  resident set size, sampled every 2 s (max), and the peak (VmHWM)
#   latency each check's wall time (the daemon's `checked` debug log:
#           URL, expected snapshot, connect with TLS, introspection, ledger, diff)
#           p50 / p90 / p99 / max
#   checks  completed checks and their verdicts
# PREFLIGHT_BENCH_IDLE_TIMEOUT sets checks.connection_idle_timeout (default 90s;
# 0s opens a new connection, with TLS, for every check).
# Target (issue #4): 1,000 databases on a 60 s interval under 100 MB RSS and
# under 20% of one core.
# Needs PostgreSQL (PREFLIGHT_TEST_POSTGRES_URL, default
# postgres://postgres@127.0.0.1:5432/postgres), psql and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}; interval=${2:-60}; window=${3:-120}
server=${PREFLIGHT_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
db=preflight_bench_daemon_$$
db_url=$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/"+sys.argv[2])))' "$server" "$db")
work=$(mktemp -d "${TMPDIR:-/tmp}/preflight-daemon-bench.XXXXXX")
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  psql -q "$server" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet
preflight=$PWD/target/release/preflight

echo "creating $n schemas of 12 tables in $db ..."
psql -q "$server" -c "CREATE DATABASE $db" >/dev/null
# One transaction per 50 schemas: one block for all would exhaust the lock table.
for ((from = 1; from <= n; from += 50)); do
  to=$(( from + 49 < n ? from + 49 : n ))
  psql -q -v ON_ERROR_STOP=1 "$db_url" >/dev/null <<SQL
DO \$\$
DECLARE s text; t int;
BEGIN
  FOR i IN $from..$to LOOP
    s := format('s_%s', lpad(i::text, 4, '0'));
    EXECUTE format('CREATE SCHEMA %I', s);
    FOR t IN 1..12 LOOP
      EXECUTE format('CREATE TABLE %I.t%s (id bigserial PRIMARY KEY, name varchar(120) NOT NULL,
        status text NOT NULL DEFAULT %L, amount numeric(12,2), created_at timestamptz NOT NULL DEFAULT now(),
        parent_id bigint %s)', s, t, 'new',
        CASE WHEN t > 1 THEN format('REFERENCES %I.t%s (id) ON DELETE CASCADE', s, t - 1) ELSE '' END);
      EXECUTE format('CREATE INDEX ON %I.t%s (parent_id)', s, t);
      EXECUTE format('CREATE UNIQUE INDEX ON %I.t%s (name)', s, t);
    END LOOP;
    EXECUTE format('CREATE TABLE %I.alembic_version (version_num varchar(32) NOT NULL PRIMARY KEY)', s);
    EXECUTE format('INSERT INTO %I.alembic_version VALUES (%L)', s, '012_final');
  END LOOP;
END
\$\$;
SQL
done

echo "writing $n snapshots and the daemon configuration ..."
"$preflight" snapshot --database-url "$db_url" --schema s_0001 -o "$work/template.json" >/dev/null
python3 - "$work" "$n" "$db_url" "$interval" "${PREFLIGHT_BENCH_IDLE_TIMEOUT:-90s}" <<'PY'
import json, sys, os
work, n, url, interval, idle = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
template = open(os.path.join(work, "template.json")).read()
lines = ["server:", "  listen: 127.0.0.1:0", "checks:", f"  interval: {interval}s",
         "  timeout: 30s", "  jitter: 0.1", "  concurrency: 8", f"  connection_idle_timeout: {idle}", "apps:",
         "  - name: bench", "    namespace: bench", "    databases:"]
for i in range(1, n + 1):
    s = f"s_{i:04d}"
    path = os.path.join(work, f"{s}.json")
    open(path, "w").write(template.replace("s_0001", s))
    lines += [f"      - name: {s}", f"        url: \"{url}\"", f"        expected: snapshot:{path}",
              f"        schemas: [{s}]"]
open(os.path.join(work, "daemon.yaml"), "w").write("\n".join(lines) + "\n")
PY
"$preflight" daemon --config "$work/daemon.yaml" --check-config

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RUST_LOG="warn,preflight::daemon=debug" "$preflight" daemon --config "$work/daemon.yaml" \
  --listen "127.0.0.1:$port" --log-format json 2>"$work/daemon.log" &
pid=$!
echo "daemon pid $pid on :$port; letting the first round spread over ${interval}s ..."
sleep "$interval"

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
hz=$(getconf CLK_TCK)
start_ticks=$(ticks); start_ns=$(date +%s%N); start_line=$(wc -l <"$work/daemon.log")
max_rss=0
end=$(( $(date +%s) + window ))
while [ "$(date +%s)" -lt "$end" ]; do
  r=$(rss_kb); [ "$r" -gt "$max_rss" ] && max_rss=$r
  sleep 2
done
end_ticks=$(ticks); end_ns=$(date +%s%N)
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
curl -fsS "http://127.0.0.1:$port/metrics" >"$work/metrics.txt"

python3 - "$work/daemon.log" "$start_line" "$start_ticks" "$end_ticks" "$hz" "$start_ns" "$end_ns" "$max_rss" "$hwm" "$n" "$interval" "$work/metrics.txt" <<'PY'
import json, sys, collections
log, start_line, t0, t1, hz, n0, n1, rss, hwm, n, interval, metrics = sys.argv[1:]
lat, verdicts, errors = [], collections.Counter(), []
with open(log) as f:
    for i, line in enumerate(f):
        if i < int(start_line):
            continue
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if e.get("message") == "checked":
            lat.append(int(e["duration_us"]) / 1000)
            verdicts[e.get("verdict")] += 1
        elif e.get("level") in ("WARN", "ERROR"):
            errors.append(e.get("message"))
secs = (int(n1) - int(n0)) / 1e9
cpu = (int(t1) - int(t0)) / int(hz) / secs * 100
lat.sort()
pct = lambda p: lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else float("nan")
series = sum(1 for l in open(metrics) if l.startswith("preflight_last_check_timestamp_seconds{"))
print(f"databases {n}, interval {interval}s, window {secs:.0f}s")
print(f"checks    {len(lat)} ({len(lat) / secs:.1f}/s; expected ~{int(n) / int(interval):.1f}/s) verdicts {dict(verdicts)}")
print(f"CPU       {cpu:.1f}% of one core")
print(f"RSS       max {int(rss) / 1024:.1f} MiB sampled, peak (VmHWM) {int(hwm) / 1024:.1f} MiB")
print(f"latency   p50 {pct(50):.1f} ms  p90 {pct(90):.1f} ms  p99 {pct(99):.1f} ms  max {lat[-1] if lat else 0:.1f} ms")
print(f"series    {series} databases in /metrics")
if errors:
    print(f"warnings  {len(errors)}: {collections.Counter(errors).most_common(3)}")
PY
