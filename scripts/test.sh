#!/usr/bin/env bash
# Runs preflight's whole test suite: `scripts/test.sh [cargo test args…]`.
#
# Tests that talk to databases use real servers, never mocks:
#   PostgreSQL  PREFLIGHT_TEST_POSTGRES_URL
#   MariaDB     PREFLIGHT_TEST_MYSQL_URL
# When a variable is unset, this script starts a throwaway instance from the
# installed server binaries (PostgreSQL `initdb` + `pg_ctl`, MariaDB
# `mariadb-install-db` + `mariadbd`) in a temporary directory, on a free port,
# and removes it afterwards. A server the machine already runs is never used
# by default: its authentication and contents are not the tests' to assume
# (Debian's own cluster refuses password-less TCP logins).
# Without the binaries it stops with what to install; tests never skip.
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d "${TMPDIR:-/tmp}/preflight-test.XXXXXX")
pg_started="" my_started=""
cleanup() {
  if [ -n "$pg_started" ]; then as_owner "$pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true; fi
  if [ -n "$my_started" ] && [ -f "$tmp/my/mysqld.pid" ]; then kill "$(cat "$tmp/my/mysqld.pid")" 2>/dev/null || true; sleep 1; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Server binaries refuse to run as root: run them as the directory's owner.
owner=""
if [ "$(id -u)" = 0 ]; then
  for u in postgres mysql nobody; do id "$u" >/dev/null 2>&1 && { owner=$u; break; }; done
  chmod 755 "$tmp"
fi
as_owner() { if [ -n "$owner" ]; then runuser -u "$owner" -- "$@"; else "$@"; fi; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

answers() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

find_bin() { # name
  command -v "$1" 2>/dev/null && return 0
  ls /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1
}

if [ -z "${PREFLIGHT_TEST_POSTGRES_URL:-}" ]; then
  {
    initdb=$(find_bin initdb || true); pg_ctl=$(find_bin pg_ctl || true)
    if [ -z "$initdb" ] || [ -z "$pg_ctl" ]; then
      echo "PostgreSQL's initdb/pg_ctl are not installed." >&2
      echo "Install the server (Debian/Ubuntu: apt-get install postgresql; macOS: brew install postgresql@16)" >&2
      echo "or set PREFLIGHT_TEST_POSTGRES_URL to a server where the user may create databases." >&2
      exit 1
    fi
    mkdir -p "$tmp/pg"; [ -n "$owner" ] && chown "$owner" "$tmp/pg"
    port=$(free_port)
    as_owner "$initdb" -D "$tmp/pg" -U postgres -A trust >/dev/null
    # TLS as managed databases offer it (the fault tests connect with sslmode=require).
    ssl_opts=""
    if command -v openssl >/dev/null && openssl req -new -x509 -days 2 -nodes -subj "/CN=localhost" \
         -keyout "$tmp/pg/server.key" -out "$tmp/pg/server.crt" >/dev/null 2>&1; then
      chmod 600 "$tmp/pg/server.key"; [ -n "$owner" ] && chown "$owner" "$tmp/pg/server.key" "$tmp/pg/server.crt"
      ssl_opts="-c ssl=on -c ssl_cert_file=$tmp/pg/server.crt -c ssl_key_file=$tmp/pg/server.key"
    fi
    as_owner "$pg_ctl" -D "$tmp/pg" -w -l "$tmp/pg/server.log" \
      -o "-p $port -k $tmp/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 $ssl_opts" start >/dev/null
    pg_started=1
    export PREFLIGHT_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
    echo "started a throwaway PostgreSQL on port $port"
  }
fi

if [ -z "${PREFLIGHT_TEST_MYSQL_URL:-}" ]; then
  {
    install_db=$(command -v mariadb-install-db || command -v mysql_install_db || true)
    mariadbd=$(command -v mariadbd || command -v mysqld || ls /usr/sbin/mariadbd /usr/sbin/mysqld 2>/dev/null | head -n 1 || true)
    if [ -z "$install_db" ] || [ -z "$mariadbd" ]; then
      echo "MariaDB's mariadb-install-db/mariadbd are not installed." >&2
      echo "Install the server (Debian/Ubuntu: apt-get install mariadb-server; macOS: brew install mariadb)" >&2
      echo "or set PREFLIGHT_TEST_MYSQL_URL to a server where the user may create databases." >&2
      exit 1
    fi
    mkdir -p "$tmp/my"; [ -n "$owner" ] && chown "$owner" "$tmp/my"
    port=$(free_port)
    user_opt=(); [ -n "$owner" ] && user_opt=(--user="$owner")
    "$install_db" --no-defaults --datadir="$tmp/my" "${user_opt[@]}" --auth-root-authentication-method=normal \
      --skip-test-db >/dev/null 2>&1
    "$mariadbd" --no-defaults --datadir="$tmp/my" "${user_opt[@]}" --port="$port" --bind-address=127.0.0.1 \
      --socket="$tmp/my/mysqld.sock" --pid-file="$tmp/my/mysqld.pid" --skip-log-bin --innodb-flush-log-at-trx-commit=0 \
      >"$tmp/my.log" 2>&1 &
    my_started=1
    for _ in $(seq 1 60); do answers 127.0.0.1 "$port" && break; sleep 0.5; done
    answers 127.0.0.1 "$port" || { echo "throwaway MariaDB did not start:" >&2; cat "$tmp/my.log" >&2; exit 1; }
    export PREFLIGHT_TEST_MYSQL_URL="mysql://root@127.0.0.1:$port/mysql"
    echo "started a throwaway MariaDB on port $port"
  }
fi

# The real tools the tests drive (Alembic, SQLAlchemy, Django and their
# drivers; the Helm engine and kubernetes-validate for the chart), in a
# virtualenv under target/ built once.
if [ -z "${PREFLIGHT_TEST_PYTHON:-}" ] && command -v python3 >/dev/null; then
  venv=target/tools/venv
  stamp="$venv/.preflight-tools-2"
  if [ ! -f "$stamp" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" \
      && "$venv/bin/pip" install --quiet --disable-pip-version-check \
           'alembic>=1.13,<2' 'sqlalchemy>=2,<3' 'psycopg2-binary>=2.9,<3' 'pymysql>=1.1,<2' 'django>=5,<6' \
           'helm-python-sdk>=0.2.2,<0.3' 'kubernetes-validate>=1.37,<2' \
      && touch "$stamp" || echo "could not build the Python tool environment in $venv" >&2
  fi
  [ -f "$stamp" ] && export PREFLIGHT_TEST_PYTHON="$PWD/$venv/bin/python"
fi

# The real migration tools the replay tests drive (Django, Alembic, knex,
# Sequelize, TypeORM, node-pg-migrate, Rails, Laravel, goose, golang-migrate,
# dbmate, Flyway, Liquibase), installed once into target/tools.
if [ -z "${PREFLIGHT_SKIP_TOOLS:-}" ]; then
  scripts/tools.sh || echo "some migration tools could not be installed (see above)" >&2
fi

# A real Kubernetes control plane for tests/kube_e2e.rs: kube-apiserver and etcd
# built from their Go modules (scripts/kube.sh), once per version, into
# target/tools/kube/<version>. The newest release the module proxy serves and
# the oldest that builds with this Go.
# Every named version must build: tests/cluster fails (under CI) for a version
# in PREFLIGHT_KUBE_VERSIONS that has no binaries, so CI cannot silently test
# one version instead of two.
if [ -z "${PREFLIGHT_KUBE_BIN:-}" ] && command -v go >/dev/null; then
  export PREFLIGHT_KUBE_VERSIONS="${PREFLIGHT_KUBE_VERSIONS:-1.37.2 1.29.6}"
  kube_dirs=""
  for v in $PREFLIGHT_KUBE_VERSIONS; do
    if d=$(scripts/kube.sh "$v" | tail -n 1); then
      kube_dirs="${kube_dirs:+$kube_dirs:}$d"
    else
      echo "could not build kube-apiserver/etcd $v (see above)" >&2
      [ -n "${PREFLIGHT_REQUIRE_TOOLS:-}" ] && exit 1
    fi
  done
  [ -n "$kube_dirs" ] && export PREFLIGHT_KUBE_BIN="$kube_dirs"
fi

# Migration histories other projects ship in their packages (tests/third_party.rs):
# downloaded once into target/third_party, with an environment per package.
if [ -z "${PREFLIGHT_SKIP_THIRD_PARTY:-}" ]; then
  { bash tests/fixtures/third_party/fetch.sh && bash tests/fixtures/third_party/install-tools.sh \
      alembic django glance keystone mlflow optuna prefect zenml node; } >/dev/null \
    || echo "the third-party migration histories could not be fetched (see above)" >&2
fi

# Microsoft's SARIF validator checks `--format sarif` output against the SARIF
# and GitHub code scanning rules (needs Node.js/npm; installed once into target/).
if [ -z "${PREFLIGHT_SARIF_VALIDATOR:-}" ] && command -v npm >/dev/null; then
  tools=target/tools/sarif-multitool
  validator="$tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
  if [ ! -x "$validator" ] && [ "$(uname -s)" = Linux ]; then
    mkdir -p "$tools"
    npm install --silent --no-audit --no-fund --prefix "$tools" @microsoft/sarif-multitool@5.7.0 >/dev/null 2>&1 || true
  fi
  [ -x "$validator" ] && export PREFLIGHT_SARIF_VALIDATOR="$PWD/$validator"
fi

# Replays the tests do not ask to be cached go to a throwaway cache, never the
# user's ~/.cache.
export PREFLIGHT_CACHE_DIR="${PREFLIGHT_CACHE_DIR:-$tmp/cache}"

cargo test --locked "$@"
