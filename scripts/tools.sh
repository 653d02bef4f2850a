#!/usr/bin/env bash
# Installs the real migration tools that preflight's replay feature drives, into
# target/tools/ (never into the fixtures): `scripts/tools.sh [tool…]`.
#
#   target/tools/venv/            Python venv: Alembic, Django (+ SQLAlchemy, psycopg 2 and 3, PyMySQL,
#                                 dj-database-url); the same venv scripts/test.sh uses
#   target/tools/node/            one npm prefix: knex, sequelize(-cli), typeorm, node-pg-migrate + drivers
#   target/tools/bin/             goose, migrate (golang-migrate; Go, GOBIN); dbmate (link to npm's binary);
#                                 flyway, liquibase launchers; helm, actionlint (Go); pre-commit (its own venv)
#   target/tools/java/<tool>/lib  Maven jars of Flyway / Liquibase (+ JDBC drivers)
#   Debian packages               Rails (ruby-activerecord, ruby-railties, …), Laravel (php-laravel-framework, …)
#   target/tools/stamps/<tool>    what was installed (spec, version, seconds the install took)
#   target/tools/logs/<tool>.log  the installer's output of the last attempt
#
# Idempotent: a tool whose stamp matches the wanted spec and whose files are still
# there is skipped (a full re-run takes a few seconds). One tool failing does not stop the others; the exit code is
# the number of tools that failed (0 = all there). Runs as root on a fresh Debian
# 12 (apt packages are installed only when missing), or as any user when the
# Debian packages are already there. Needs the package registries only (PyPI, npm,
# Go module proxy, Maven Central, Debian).
#
# Env: TOOLS_DIR (default target/tools), TOOLS_GOTOOLCHAIN (fallback Go toolchain
# when the local Go is too old for a module; default go1.27.3; needs Go >= 1.21).
# How each fixture under tests/fixtures/tools/ finds these tools, and the argv to
# drive each one: tests/fixtures/tools/TOOLS.md.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T=${TOOLS_DIR:-$ROOT/target/tools}
mkdir -p "$T/bin" "$T/stamps" "$T/logs" "$T/node" "$T/java"
T=$(cd "$T" && pwd)

# ---- pinned versions -------------------------------------------------------
PY_SPECS=('alembic>=1.13,<2' 'sqlalchemy>=2,<3' 'psycopg2-binary>=2.9,<3' 'psycopg[binary]>=3.2,<4' 'pymysql>=1.1,<2' 'django>=5,<6' 'dj-database-url>=2,<4')
# SQLAlchemy 2.1 maps plain postgresql:// to psycopg 3 (2.0 took psycopg2): both are
# installed so that either spelling works. scripts/test.sh builds the same venv with
# the PY_TEST_SPECS too; keep its stamp valid.
PY_TEST_SPECS=('helm-python-sdk>=0.2.2,<0.3' 'kubernetes-validate>=1.37,<2')
NODE_DRIVERS=(pg@8.23.1 mysql2@3.24.5 sqlite3@6.0.1 better-sqlite3@12.11.1)
KNEX=knex@3.3.0
SEQUELIZE=(sequelize@6.37.8 sequelize-cli@6.6.5)
TYPEORM=(typeorm@1.1.1 reflect-metadata@0.2.2)
NODE_PG_MIGRATE=node-pg-migrate@9.0.0
GOOSE=github.com/pressly/goose/v3/cmd/goose@v3.30.0
# Only the drivers the tests use: the others (ClickHouse, MSSQL, Vertica, YDB,
# libSQL) take most of the build time.
GOOSE_TAGS='no_clickhouse no_mssql no_azuresql no_vertica no_ydb no_libsql'
MIGRATE=github.com/golang-migrate/migrate/v4/cmd/migrate@v4.20.1
MIGRATE_TAGS='postgres mysql sqlite3'
# dbmate: the Go module proxy lists v2.36.0 but refuses its source zip ("not
# available"), so the official release binary comes from npm (dbmate +
# @dbmate/linux-x64, the way the project ships it to Node users).
DBMATE=dbmate@2.36.0
FLYWAY_V=12.4.0
LIQUIBASE_V=4.33.0
PICOCLI_V=4.7.7
PG_JDBC_V=42.7.14
MARIADB_JDBC_V=3.5.11
SQLITE_JDBC_V=3.54.1.0
HELM=helm.sh/helm/v3/cmd/helm@v3.22.0
HELM_KUBE_MINOR=37
ACTIONLINT=github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
PRECOMMIT='pre-commit==4.7.0'
RAILS_DEBS=(ruby ruby-activerecord ruby-railties ruby-pg ruby-mysql2 ruby-sqlite3)
LARAVEL_DEBS=(php-cli php-laravel-framework php-pgsql php-mysql php-sqlite3)

summary=()
failed=0
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", b-a}'; }

SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
apt_updated=""
# apt_missing pkg… -> prints the ones not installed
apt_missing() { for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done; }
apt_install() { # pkg…  (only the missing ones; apt-get update once, when needed)
  local miss; miss=$(apt_missing "$@")
  [ -z "$miss" ] && return 0
  command -v apt-get >/dev/null || { echo "missing Debian packages and no apt-get: $miss"; return 1; }
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq || true; apt_updated=1; fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $miss
}
need_cmd() { # command debian-package…: make sure a prerequisite command exists
  local c=$1; shift
  command -v "$c" >/dev/null && return 0
  echo "prerequisite '$c' missing: installing Debian packages $*"
  apt_install "$@" && command -v "$c" >/dev/null
}

# tool NAME SPEC INSTALL_FN CHECK_FN [PRESENT_FN]
#   CHECK_FN prints the installed version (and succeeds) when the tool works; it
#   runs after an install. On a re-run with a matching stamp the cheaper
#   PRESENT_FN (files still there; default CHECK_FN) decides "already there".
tool() {
  local name=$1 spec=$2 install=$3 check=$4 present=${5:-$4} stamp="$T/stamps/$1" log="$T/logs/$1.log" v t0 t1
  if [ -f "$stamp" ] && [ "$(sed -n 1p "$stamp")" = "$spec" ] && $present >/dev/null 2>&1; then
    v=$(sed -n 2p "$stamp")
    summary+=("$(printf '%-16s already there   %s (cold install took %ss)' "$name" "$v" "$(sed -n 3p "$stamp")")")
    return 0
  fi
  t0=$(now)
  local why=""
  if ! $install >"$log" 2>&1; then
    why="install failed: $(grep -iE 'error|fail|not found|denied|refused|unable|cannot' "$log" | grep -v 'Unpacking\|Setting up\|Selecting' | tail -n 2 | tr '\n' ' ' | cut -c1-300)"
  elif ! v=$($check 2>"$log.check"); then
    why="installed but does not run: $(tail -n 2 "$log.check" | tr '\n' ' ' | cut -c1-300)"
  fi
  [ -f "$log.check" ] && { cat "$log.check" >>"$log"; rm -f "$log.check"; }
  t1=$(now)
  if [ -z "$why" ]; then
    printf '%s\n%s\n%s\n' "$spec" "$v" "$(secs "$t0" "$t1")" >"$stamp"
    summary+=("$(printf '%-16s installed       %s in %ss' "$name" "$v" "$(secs "$t0" "$t1")")")
  else
    rm -f "$stamp"
    failed=$((failed + 1))
    summary+=("$(printf '%-16s FAILED          after %ss, %s (log: %s)' "$name" "$(secs "$t0" "$t1")" "$why" "$log")")
  fi
}

# ---- Python: Alembic, Django ---------------------------------------------------
VENV=$T/venv
py_install() {
  need_cmd python3 python3 python3-venv || return 1
  if [ ! -x "$VENV/bin/pip" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV" || { apt_install python3-venv && python3 -m venv "$VENV"; } || return 1
  fi
  local extra=()
  # A venv that scripts/test.sh did not finish gets its packages too, so that
  # test.sh (which rebuilds a venv lacking its stamp) keeps this one.
  [ -f "$VENV/.preflight-tools-2" ] || extra=("${PY_TEST_SPECS[@]}")
  "$VENV/bin/pip" install --disable-pip-version-check "${PY_SPECS[@]}" "${extra[@]}" || return 1
  if [ ${#extra[@]} -gt 0 ]; then touch "$VENV/.preflight-tools-2"; fi
}
alembic_check() { "$VENV/bin/alembic" --version | awk '{print "alembic " $2}'; }
django_check() { echo "django $("$VENV/bin/python" -m django --version)"; }
alembic_install() { py_install; }
django_install() { py_install; }

# ---- Node: knex, sequelize-cli, typeorm, node-pg-migrate ------------------------
N=$T/node
npm_add() { # spec…
  need_cmd node nodejs || return 1
  need_cmd npm npm || return 1
  [ -f "$N/package.json" ] || echo '{"name":"preflight-tools","private":true}' >"$N/package.json"
  # Native drivers (sqlite3, better-sqlite3) fall back to a source build when no
  # prebuilt binary can be fetched: use the local Node headers for it.
  local nodedir=()
  [ -d /usr/include/node ] && nodedir=(--nodedir=/usr)
  npm install --prefix "$N" --no-audit --no-fund --save-exact "${nodedir[@]}" "$@"
}
nodever() { node -p "require('$N/node_modules/$1/package.json').version"; }
drivers_install() { npm_add "${NODE_DRIVERS[@]}"; }
drivers_check() {
  (cd "$N" && node -e "require('pg'); require('mysql2'); new (require('better-sqlite3'))(':memory:'); new (require('sqlite3').Database)(':memory:', e => { if (e) process.exit(1) })") || return 1
  echo "pg $(nodever pg), mysql2 $(nodever mysql2), sqlite3 $(nodever sqlite3), better-sqlite3 $(nodever better-sqlite3)"
}
knex_install() { npm_add "$KNEX"; }
knex_check() { "$N/node_modules/.bin/knex" --version >/dev/null && echo "knex $(nodever knex)"; }
sequelize_install() { npm_add "${SEQUELIZE[@]}"; }
sequelize_check() { "$N/node_modules/.bin/sequelize" --version >/dev/null && echo "sequelize-cli $(nodever sequelize-cli), sequelize $(nodever sequelize)"; }
typeorm_install() { npm_add "${TYPEORM[@]}"; }
typeorm_check() { "$N/node_modules/.bin/typeorm" version >/dev/null && echo "typeorm $(nodever typeorm)"; }
npm_install_pgm() { npm_add "$NODE_PG_MIGRATE"; }
pgm_check() { "$N/node_modules/.bin/node-pg-migrate" --help >/dev/null && echo "node-pg-migrate $(nodever node-pg-migrate)"; }

# ---- Go: goose, golang-migrate (dbmate: npm, see DBMATE) -------------------------
go_get() { # [-tags TAGS] module@version
  need_cmd go golang-go || return 1
  local tags=() ; if [ "$1" = -tags ]; then tags=(-tags "$2"); shift 2; fi
  # mattn/go-sqlite3 (golang-migrate's sqlite3 driver) needs cgo and a C compiler.
  command -v cc >/dev/null || apt_install gcc libc6-dev || true
  if ! GOBIN="$T/bin" CGO_ENABLED=1 GOFLAGS="${GOFLAGS:-} -modcacherw" go install "${tags[@]}" "$1"; then
    echo "retrying with GOTOOLCHAIN=${TOOLS_GOTOOLCHAIN:-go1.27.3}"
    GOTOOLCHAIN=${TOOLS_GOTOOLCHAIN:-go1.27.3} GOBIN="$T/bin" CGO_ENABLED=1 GOFLAGS="${GOFLAGS:-} -modcacherw" go install "${tags[@]}" "$1"
  fi
}
goose_install() { go_get -tags "$GOOSE_TAGS" "$GOOSE"; }
goose_check() { "$T/bin/goose" --version | head -n1; }
migrate_install() { go_get -tags "$MIGRATE_TAGS" "$MIGRATE"; }
migrate_check() { echo "golang-migrate $("$T/bin/migrate" -version 2>&1)"; }
dbmate_install() {
  npm_add "$DBMATE" || return 1
  local bin; bin=$(ls "$N"/node_modules/@dbmate/*/bin/dbmate 2>/dev/null | head -n 1)
  [ -x "$bin" ] || { echo "no platform binary under $N/node_modules/@dbmate"; return 1; }
  ln -sf "../node/${bin#"$N"/}" "$T/bin/dbmate"
}
dbmate_check() { "$T/bin/dbmate" --version; }

# ---- Linting integrations: helm (charts as input), actionlint (the release
# workflow), pre-commit (the hook manifest) ---------------------------------------
helm_install() {
  need_cmd go golang-go || return 1
  # The Makefile's version flags: without them `helm version` has no number and
  # .Capabilities.KubeVersion defaults to v1.20, which fails charts with a
  # kubeVersion constraint.
  local v=${HELM#*@} p=helm.sh/helm/v3
  GOBIN="$T/bin" CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -modcacherw" go install -trimpath \
    -ldflags "-w -s -X $p/internal/version.version=$v -X $p/pkg/chartutil.k8sVersionMajor=1 -X $p/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR -X $p/pkg/lint/rules.k8sVersionMajor=1 -X $p/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR" \
    "$HELM"
}
helm_check() { "$T/bin/helm" version --short; }
actionlint_install() { go_get "$ACTIONLINT"; }
actionlint_check() { echo "actionlint $("$T/bin/actionlint" -version | head -n1)"; }
PRECOMMIT_VENV=$T/precommit-venv
precommit_install() {
  [ -x "$PRECOMMIT_VENV/bin/pip" ] || python3 -m venv "$PRECOMMIT_VENV" || return 1
  "$PRECOMMIT_VENV/bin/pip" install --disable-pip-version-check "$PRECOMMIT" || return 1
  ln -sf "$PRECOMMIT_VENV/bin/pre-commit" "$T/bin/pre-commit"
}
precommit_check() { "$T/bin/pre-commit" --version; }

# ---- Java: Flyway, Liquibase -----------------------------------------------------
mvn_copy() { # tool 'g:a:v[:exclusions]'…  -> target/tools/java/TOOL/lib/*.jar
  need_cmd java default-jre-headless || return 1
  need_cmd mvn maven || return 1
  local d="$T/java/$1"; shift
  mkdir -p "$d"
  {
    echo '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
    echo "<groupId>preflight.tools</groupId><artifactId>$(basename "$d")</artifactId><version>1</version><dependencies>"
    local dep g a v ex
    for dep in "$@"; do
      IFS=: read -r g a v ex <<<"$dep"
      echo "<dependency><groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version>"
      if [ -n "$ex" ]; then
        echo "<exclusions>"
        local e; for e in ${ex//,/ }; do echo "<exclusion><groupId>${e%%/*}</groupId><artifactId>${e##*/}</artifactId></exclusion>"; done
        echo "</exclusions>"
      fi
      echo "</dependency>"
    done
    echo '</dependencies></project>'
  } >"$d/pom.xml"
  rm -rf "$d/lib.new"
  mvn -B -q -f "$d/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$d/lib.new" || return 1
  rm -rf "$d/lib" && mv "$d/lib.new" "$d/lib"
}
launcher() { # name main-class
  cat >"$T/bin/$1" <<EOF
#!/bin/sh
# Generated by scripts/tools.sh: the real $1 from Maven Central jars.
exec java \${JAVA_OPTS:-} -cp "\$(dirname "\$0")/../java/$1/lib/*" $2 "\$@"
EOF
  chmod +x "$T/bin/$1"
}
# flyway-commandline names every database module, cloud extras, native connectors
# and their drivers as runtime dependencies; several are not on Maven Central
# (flyway-nc-*, flyway-verb-*, …). Keep the command line and core, add back the
# PostgreSQL and MySQL/MariaDB modules and three JDBC drivers (SQLite is in core).
# 13.x does not run from Central's jars: its command line registers a plugin from
# flyway-command-mcp, which (like flyway-core-utilities) Central does not serve.
FLYWAY_EXCL_LIST=(
  com.amazonaws.secretsmanager/aws-secretsmanager-jdbc
  com.azure/azure-identity
  com.couchbase.client/java-client
  com.databricks/databricks-jdbc
  com.github.jnr/jffi
  com.google.cloud/google-cloud-spanner-jdbc
  com.google.cloud/google-cloud-storage
  com.h2database/h2
  com.ing.data/cassandra-jdbc-wrapper
  com.microsoft.azure/msal4j
  com.microsoft.sqlserver/mssql-jdbc
  com.oracle.database.jdbc/ojdbc11
  com.singlestore/singlestore-jdbc-client
  net.java.dev.jna/jna
  net.java.dev.jna/jna-platform
  net.snowflake/snowflake-jdbc
  net.sourceforge.jtds/jtds
  org.apache.commons/commons-text
  org.firebirdsql.jdbc/jaybird-jdk18
  org.flywaydb/flyway-command-test-connection
  org.flywaydb/flyway-database-cassandra
  org.flywaydb/flyway-database-clickhouse
  org.flywaydb/flyway-database-cubrid
  org.flywaydb/flyway-database-databricks
  org.flywaydb/flyway-database-db2
  org.flywaydb/flyway-database-db2zos
  org.flywaydb/flyway-database-derby
  org.flywaydb/flyway-database-duckdb
  org.flywaydb/flyway-database-hsqldb
  org.flywaydb/flyway-database-ignite
  org.flywaydb/flyway-database-informix
  org.flywaydb/flyway-database-iris
  org.flywaydb/flyway-database-nc-couchbase
  org.flywaydb/flyway-database-nc-mongodb
  org.flywaydb/flyway-database-nc-sqlite
  org.flywaydb/flyway-database-oceanbase
  org.flywaydb/flyway-database-oracle
  org.flywaydb/flyway-database-postgresql
  org.flywaydb/flyway-database-questdb
  org.flywaydb/flyway-database-redshift
  org.flywaydb/flyway-database-saphana
  org.flywaydb/flyway-database-snowflake
  org.flywaydb/flyway-database-sybasease
  org.flywaydb/flyway-database-tidb
  org.flywaydb/flyway-database-timeplus
  org.flywaydb/flyway-database-yugabytedb
  org.flywaydb/flyway-firebird
  org.flywaydb/flyway-gcp-bigquery
  org.flywaydb/flyway-gcp-spanner
  org.flywaydb/flyway-locations-s3
  org.flywaydb/flyway-mysql
  org.flywaydb/flyway-nc-callbacks
  org.flywaydb/flyway-nc-core
  org.flywaydb/flyway-nc-scanners
  org.flywaydb/flyway-reports
  org.flywaydb/flyway-singlestore
  org.flywaydb/flyway-sqlserver
  org.flywaydb/flyway-verb-baseline
  org.flywaydb/flyway-verb-clean
  org.flywaydb/flyway-verb-info
  org.flywaydb/flyway-verb-migrate
  org.flywaydb/flyway-verb-repair
  org.flywaydb/flyway-verb-schemas
  org.flywaydb/flyway-verb-testConnection
  org.flywaydb/flyway-verb-validate
  org.hsqldb/hsqldb
  org.mariadb.jdbc/mariadb-java-client
  org.mongodb/mongodb-driver-sync
  org.postgresql/postgresql
  org.slf4j/slf4j-nop
  org.xerial/sqlite-jdbc
  software.amazon.awssdk/s3
)
FLYWAY_EXCL=$(IFS=,; echo "${FLYWAY_EXCL_LIST[*]}")
flyway_install() {
  mvn_copy flyway "org.flywaydb:flyway-commandline:$FLYWAY_V:$FLYWAY_EXCL" \
    "org.flywaydb:flyway-database-postgresql:$FLYWAY_V" "org.flywaydb:flyway-mysql:$FLYWAY_V" \
    "org.postgresql:postgresql:$PG_JDBC_V" "org.mariadb.jdbc:mariadb-java-client:$MARIADB_JDBC_V" \
    "org.xerial:sqlite-jdbc:$SQLITE_JDBC_V" || return 1
  launcher flyway org.flywaydb.commandline.Main
}
flyway_check() { "$T/bin/flyway" -v 2>&1 | grep -m1 -oE 'Flyway [A-Za-z ]*Edition [0-9.]+' || return 1; }
liquibase_install() {
  mvn_copy liquibase "org.liquibase:liquibase-core:$LIQUIBASE_V" "info.picocli:picocli:$PICOCLI_V" \
    "org.postgresql:postgresql:$PG_JDBC_V" "org.mariadb.jdbc:mariadb-java-client:$MARIADB_JDBC_V" \
    "org.xerial:sqlite-jdbc:$SQLITE_JDBC_V" || return 1
  launcher liquibase liquibase.integration.commandline.LiquibaseCommandLine
}
liquibase_check() { "$T/bin/liquibase" --version 2>&1 | grep -m1 -oE 'Liquibase Version: [0-9.]+' || return 1; }

# ---- Debian: Rails (ActiveRecord + railties), Laravel ------------------------------
rails_install() { apt_install "${RAILS_DEBS[@]}"; }
rails_check() {
  ruby -e 'require "rails"; require "active_record"; require "pg"; require "mysql2"; require "sqlite3"; puts "railties #{Rails.version}, activerecord #{ActiveRecord.version}"'
}
laravel_install() { apt_install "${LARAVEL_DEBS[@]}"; }
laravel_check() {
  local mods; mods=$(php -m) || return 1
  for m in pdo_pgsql pdo_mysql pdo_sqlite; do grep -qx "$m" <<<"$mods" || { echo "php module $m missing" >&2; return 1; }; done
  php -r 'require "/usr/share/php/Illuminate/autoload.php"; echo "laravel/framework ", Illuminate\Foundation\Application::VERSION, "\n";'
}

# Cheap presence tests for re-runs (no JVM / interpreter start).
jars_present() { [ -x "$T/bin/$1" ] && compgen -G "$T/java/$1/lib/*.jar" >/dev/null; }
flyway_present() { jars_present flyway; }
liquibase_present() { jars_present liquibase; }
rails_present() { [ -z "$(apt_missing "${RAILS_DEBS[@]}")" ]; }
laravel_present() { [ -z "$(apt_missing "${LARAVEL_DEBS[@]}")" ]; }
py_present() { [ -x "$VENV/bin/alembic" ] && [ -x "$VENV/bin/django-admin" ]; }

# ---- run ---------------------------------------------------------------------------
all=(alembic django node-drivers knex sequelize typeorm node-pg-migrate goose golang-migrate dbmate flyway liquibase rails laravel helm actionlint pre-commit)
wanted=("$@"); [ ${#wanted[@]} -eq 0 ] && wanted=("${all[@]}")
join() { local IFS=' '; echo "$*"; }
for w in "${wanted[@]}"; do
  case $w in
    alembic) tool alembic "$(join "${PY_SPECS[@]}")" alembic_install alembic_check py_present ;;
    django) tool django "$(join "${PY_SPECS[@]}")" django_install django_check py_present ;;
    node-drivers) tool node-drivers "$(join "${NODE_DRIVERS[@]}")" drivers_install drivers_check ;;
    knex) tool knex "$KNEX" knex_install knex_check ;;
    sequelize) tool sequelize "$(join "${SEQUELIZE[@]}")" sequelize_install sequelize_check ;;
    typeorm) tool typeorm "$(join "${TYPEORM[@]}")" typeorm_install typeorm_check ;;
    node-pg-migrate) tool node-pg-migrate "$NODE_PG_MIGRATE" npm_install_pgm pgm_check ;;
    goose) tool goose "$GOOSE $GOOSE_TAGS" goose_install goose_check ;;
    golang-migrate) tool golang-migrate "$MIGRATE tags=$MIGRATE_TAGS" migrate_install migrate_check ;;
    dbmate) tool dbmate "$DBMATE" dbmate_install dbmate_check ;;
    flyway) tool flyway "flyway $FLYWAY_V pg-jdbc $PG_JDBC_V mariadb-jdbc $MARIADB_JDBC_V sqlite-jdbc $SQLITE_JDBC_V" flyway_install flyway_check flyway_present ;;
    liquibase) tool liquibase "liquibase $LIQUIBASE_V picocli $PICOCLI_V pg-jdbc $PG_JDBC_V mariadb-jdbc $MARIADB_JDBC_V sqlite-jdbc $SQLITE_JDBC_V" liquibase_install liquibase_check liquibase_present ;;
    rails) tool rails "$(join "${RAILS_DEBS[@]}")" rails_install rails_check rails_present ;;
    helm) tool helm "$HELM kube=1.$HELM_KUBE_MINOR" helm_install helm_check ;;
    actionlint) tool actionlint "$ACTIONLINT" actionlint_install actionlint_check ;;
    pre-commit) tool pre-commit "$PRECOMMIT" precommit_install precommit_check ;;
    laravel) tool laravel "$(join "${LARAVEL_DEBS[@]}")" laravel_install laravel_check laravel_present ;;
    *) summary+=("$(printf '%-16s FAILED          unknown tool (known: %s)' "$w" "${all[*]}")"); failed=$((failed + 1)) ;;
  esac
done
printf '%s\n' "${summary[@]}"
echo "tools in $T (launchers in $T/bin, node modules in $T/node/node_modules, venv in $T/venv); $failed failed"
exit "$failed"
