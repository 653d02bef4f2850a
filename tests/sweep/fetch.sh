#!/usr/bin/env bash
# Fetches the sweep's third-party migration histories (tests/sweep/histories.toml)
# and lays out, for each, a project that its REAL tool migrates from empty to head:
#
#   target/sweep/_dist/<registry>/<file>    the pinned artifact (sha256-checked, kept)
#   target/sweep/_dist/<registry>/<file>.d/ the artifact unpacked once
#   target/sweep/_venv/<venv>/              Python environments (tests/sweep/requirements/<venv>.txt)
#   target/sweep/_node/<env>/               Node environments   (tests/sweep/node/<env>/package*.json)
#   target/sweep/<id>/project/              the project the tool runs in (scaffold + migrations)
#
#   bash tests/sweep/fetch.sh [id ...]      all histories, or the ones named
#
# Idempotent: an artifact already there with the right hash is not downloaded
# again, an environment whose stamp matches its requirements is kept, and each
# project/ is laid anew from the unpacked artifact and tests/sweep/scaffold/.
# Needs: python3 -m pip, npm, go, mvn, apt-get (Debian), unzip, tar, dpkg-deb.
# Tools (goose, migrate, flyway, liquibase, knex, sequelize, typeorm, Rails,
# Laravel) come from target/tools (scripts/tools.sh); this script installs only
# what a history needs beyond them (its package's own Python/Node dependencies,
# the Ruby gems a Debian application depends on).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$root/target/sweep"
dist="$out/_dist"
scaffold="$here/scaffold"
mkdir -p "$dist"
want=("$@")

wanted() { # id -> true when the id was asked for (or nothing was named)
  [ ${#want[@]} -eq 0 ] && return 0
  local w; for w in "${want[@]}"; do [ "$w" = "$1" ] && return 0; done; return 1
}

check() { # file sha256
  [ -f "$1" ] && echo "$2  $1" | sha256sum -c --quiet - >/dev/null 2>&1
}

verified() { # file sha256: the artifact is there with its pinned hash, or we stop
  check "$1" "$2" || { echo "sha256 mismatch or missing: $1 (want $2, have $(sha256sum "$1" 2>/dev/null | cut -c1-64))" >&2; exit 1; }
}

unpack() { # archive -> prints the directory it is unpacked into (once per content)
  local a=$1 d="$1.d" sum
  sum=$(sha256sum "$a" | cut -c1-64)
  if [ "$(cat "$d/.done" 2>/dev/null)" != "$sum" ]; then
    rm -rf "$d"; mkdir -p "$d"
    case "$a" in
      *.whl|*.zip|*.jar) unzip -q -o "$a" -d "$d" ;;
      *.tar.gz|*.tgz) tar xzf "$a" -C "$d" ;;
      *.deb) dpkg-deb -x "$a" "$d" ;;
      *) echo "cannot unpack $a" >&2; exit 1 ;;
    esac
    echo "$sum" > "$d/.done"
  fi
  echo "$d"
}

# ---- registries: each prints the local path of the verified artifact -------

pypi() { # requirement file sha256
  local f="$dist/pypi/$2"; mkdir -p "$dist/pypi"
  check "$f" "$3" || python3 -m pip download --quiet --disable-pip-version-check --no-deps "$1" -d "$dist/pypi" >&2
  verified "$f" "$3"; echo "$f"
}

npmpkg() { # spec file sha256
  local f="$dist/npm/$2"; mkdir -p "$dist/npm"
  check "$f" "$3" || (cd "$dist/npm" && npm pack --silent "$1" >/dev/null)
  verified "$f" "$3"; echo "$f"
}

gomod() { # module version sha256 -> the module zip from the Go module proxy
  local f="$dist/go/$(echo "$1" | tr '/' '_')@$2.zip"; mkdir -p "$dist/go"
  if ! check "$f" "$3"; then
    local z
    z=$(cd /tmp && GOFLAGS=-mod=mod GOMODCACHE="$dist/go/modcache" go mod download -json "$1@$2" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["Zip"])')
    cp "$z" "$f"
  fi
  verified "$f" "$3"; echo "$f"
}

maven() { # group:artifact:version sha256 -> the jar from Maven Central
  local IFS=:; local g a v; read -r g a v <<<"$1"; unset IFS
  local f="$dist/maven/$a-$v.jar"; mkdir -p "$dist/maven"
  check "$f" "$2" || mvn -q -B -Dstyle.color=never org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      -Dartifact="$1" -DoutputDirectory="$dist/maven" >&2
  verified "$f" "$2"; echo "$f"
}

deb() { # package version file sha256 -> the .deb from Debian's archive
  local f="$dist/deb/$3"; mkdir -p "$dist/deb"
  check "$f" "$4" || (cd "$dist/deb" && apt-get download -q "$1=$2" >&2)
  verified "$f" "$4"; echo "$f"
}

# ---- project layout helpers -------------------------------------------------

project() { # id -> a fresh target/sweep/<id>/project, printed
  local p="$out/$1/project"; rm -rf "$p"; mkdir -p "$p"; echo "$p"
}

put() { # src-dir dest-dir [glob]: copy the files of one migration directory
  mkdir -p "$2"
  if [ $# -ge 3 ]; then cp -r "$1"/$3 "$2"/; else cp -r "$1"/. "$2"/; fi
  find "$2" -name __pycache__ -prune -exec rm -rf {} +
}

done_() { # id project: one summary line
  echo "$1: $(find "$2" -type f | wc -l) files in target/sweep/$1/project"
}

# Go module histories: the SQL files go to project/migrations (goose reads
# -dir / GOOSE_MIGRATION_DIR, golang-migrate -path: both relative to the cwd).
gosql() { # id module version sha256 dir-in-module
  local id=$1 d p; d=$(unpack "$(gomod "$2" "$3" "$4")"); p=$(project "$id")
  put "$d/$2@$3/$5" "$p/migrations" "*.sql"
  done_ "$id" "$p"
}

# knex histories in npm packages: project/migrations = the package's directory,
# knexfile.js from the scaffold, ledger.json = the package's tableName.
knexpkg() { # id spec file sha256 dir-in-package table
  local id=$1 d p; d=$(unpack "$(npmpkg "$2" "$3" "$4")"); p=$(project "$id")
  put "$d/package/$5" "$p/migrations" "*.js"
  cp "$scaffold/knex/knexfile.js" "$p/"
  printf '{"tableName": "%s"}\n' "$6" > "$p/ledger.json"
  done_ "$id" "$p"
}

# Python environments: one venv per requirements/<venv>.txt (a pip freeze of a
# working install, without the history's own package), then the history's own
# package from the pinned artifact itself (--no-deps), so that the revision
# files the tool runs are exactly the ones hashed here.
pyvenv() { # venv artifact-path
  local v="$out/_venv/$1" req="$here/requirements/$1.txt" sum
  sum=$(cat "$req" <(echo "$2") | sha256sum | cut -c1-16)
  if [ "$(cat "$v/.stamp" 2>/dev/null)" != "$sum" ]; then
    rm -rf "$v"; python3 -m venv "$v"
    # the freeze is the whole closure: no resolving (pip's resolver can refuse a
    # working set whose packages' metadata it reads differently today)
    "$v/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$req" >&2
    "$v/bin/pip" install --quiet --disable-pip-version-check --no-deps "$2" >&2
    echo "$sum" > "$v/.stamp"
  fi
}

site() { # venv -> its site-packages
  echo "$out/_venv/$1/lib/python3.$(python3 -c 'import sys; print(sys.version_info[1])')/site-packages"
}

# Alembic histories run with the generic env.py (scaffold/alembic/env.py, which
# runs tests/fixtures/third_party/alembic/env.py) on the package's revision files
# copied to project/versions.  Options: preflight.* lines of that env.py.
alembicproj() { # id artifact versions-dir-in-artifact [option-lines]
  local id=$1 d p; d=$(unpack "$2"); p=$(project "$id")
  put "$d/$3" "$p/versions" "*.py"
  cp "$scaffold/alembic/env.py" "$p/env.py"
  cp "$root/tests/fixtures/third_party/alembic/env.py" "$p/third_party_env.py"
  sed -e "s#@VERSIONS@#%(here)s/versions#" -e "s#@OPTIONS@#${4:-}#" "$scaffold/alembic/alembic.ini.in" > "$p/alembic.ini"
  done_ "$id" "$p"
}

# Django histories: manage.py + settings.py (scaffold/django), and sweep_apps.py
# = scaffold/django/<apps>_apps.py: the apps' migrations are the installed
# package's, installed from the pinned artifact.
djangoproj() { # id apps
  local p; p=$(project "$1")
  cp "$scaffold/django/manage.py" "$scaffold/django/settings.py" "$scaffold/django/urls.py" "$p/"
  cp "$scaffold/django/$2_apps.py" "$p/sweep_apps.py"
  done_ "$1" "$p"
}

# ---- Go module proxy: goose ----------------------------------------------------
openfga=(github.com/openfga/openfga v1.22.1 6257b5383ea2f3cdd57a8b43be115b6f3fefdddbd25ba223b2ea1af900007f51)
for e in postgres mysql sqlite; do
  wanted "openfga-$e" && gosql "openfga-$e" "${openfga[@]}" "assets/migrations/$e"
done
cfssl=(github.com/cloudflare/cfssl v1.6.5 d4eb0f013425a8c7d8bb2ea14d8d3a4a02efcb790f5f5e018d29ade3135f68f8)
for e in pg mysql sqlite; do
  wanted "cfssl-$e" && gosql "cfssl-$e" "${cfssl[@]}" "certdb/$e/migrations"
done

# ---- Go module proxy: golang-migrate ------------------------------------------
notary=(github.com/theupdateframework/notary v0.7.0 777f6c85ead0970109c5ad033574bc048cc114e60173976e3c3efedddd6aae40)
for s in server signer; do for e in mysql postgresql; do
  wanted "notary-$s-$e" && gosql "notary-$s-$e" "${notary[@]}" "migrations/$s/$e"
done; done
wanted lnd-invoices && gosql lnd-invoices github.com/lightningnetwork/lnd/sqldb v1.0.4 \
  aa4f12a70239d41cd80825db2c98010197bc58d7bf977404828d03e6065176b6 sqlc/migrations
wanted cortex-configs && gosql cortex-configs github.com/cortexproject/cortex v1.21.1 \
  a4d2c2daec3a15de74b194fad30b4eab23f71e55d9e4b7b2294d4f4736b21478 cmd/cortex/migrations

# ---- npm: knex ------------------------------------------------------------------
bs=@backstage/plugin
wanted backstage-notifications && knexpkg backstage-notifications $bs-notifications-backend@0.6.11 \
  backstage-plugin-notifications-backend-0.6.11.tgz a1cc804ce43fe4f44e66cbba9fa2761a0d52b5a440027ecad2ac269bb09a29fe migrations knex_migrations
wanted backstage-tech-insights && knexpkg backstage-tech-insights $bs-tech-insights-backend@0.5.32 \
  backstage-plugin-tech-insights-backend-0.5.32.tgz 261214ba73647af3b31d49a242e8c6bd4c3727bbd6dc6335e2b2f347915c3116 migrations knex_migrations
wanted backstage-bazaar && knexpkg backstage-bazaar $bs-bazaar-backend@0.3.16 \
  backstage-plugin-bazaar-backend-0.3.16.tgz 3ce9f497d529b1fc3d1b4bc033fd380b38861c07195d87245229624f151ba585 migrations knex_migrations
wanted backstage-search-pg && knexpkg backstage-search-pg $bs-search-backend-module-pg@0.5.61 \
  backstage-plugin-search-backend-module-pg-0.5.61.tgz ad3f03414e3fb12c217b8b7ad7e8fa0e15d2a042e99667fa8fb17b1bdf814e12 migrations knex_migrations
wanted backstage-app && knexpkg backstage-app $bs-app-backend@0.5.20 \
  backstage-plugin-app-backend-0.5.20.tgz ad3b2581017d5286bf96b6584f010328435e366c5d584664eb1f76dfdc146e8d migrations knex_migrations
wanted backstage-linguist && knexpkg backstage-linguist $bs-linguist-backend@0.5.16 \
  backstage-plugin-linguist-backend-0.5.16.tgz d9e6c29a457db40d23b2334c42dc741a6ec96bb7fa849fa8b72ec602f650f707 migrations knex_migrations
wanted backstage-scheduler && knexpkg backstage-scheduler @backstage/backend-defaults@0.19.0 \
  backstage-backend-defaults-0.19.0.tgz 8714be25f7c5014078fd4e5046963b8711cca358a04767d08191be54b74f8a18 migrations/scheduler backstage_backend_tasks__knex_migrations
wanted cumulus-db && knexpkg cumulus-db @cumulus/db@21.0.0 \
  cumulus-db-21.0.0.tgz 3914e0b427978595303bc97ab9ebe2bf517dc210b1097c401af93114a382913d dist/migrations knex_migrations

# ---- PyPI: Alembic -------------------------------------------------------------
if wanted airflow; then
  a=$(pypi apache-airflow==2.10.5 apache_airflow-2.10.5-py3-none-any.whl 4c6d19159bcd85f496fbea70db72ef55d32335f80e4ffb82ae3c252782079ca0)
  pyvenv airflow "$a"
  # Airflow's own env.py and revision files, from the installed package (the
  # pinned wheel); scaffold/alembic/airflow_env.py runs it as upgradedb() does.
  p=$(project airflow); mkdir -p "$p/home"
  cp "$scaffold/alembic/airflow_env.py" "$p/env.py"
  sed -e "s#@VERSIONS@#$(site airflow)/airflow/migrations/versions#" -e "s#@OPTIONS@##" \
    "$scaffold/alembic/alembic.ini.in" > "$p/alembic.ini"
  done_ airflow "$p"
fi
if wanted ckan; then
  a=$(pypi ckan==2.11.2 ckan-2.11.2-py3-none-any.whl f45ba4080709969b30568acab5aea235485e05a10f70eac734e9ba6c5d5202f2)
  pyvenv ckan "$a"
  alembicproj ckan "$a" ckan/migration/versions
fi

if wanted superset; then
  # Installed from the pinned sdist (PyPI has no wheel of 4.1.2); the revision
  # files and env.py are the installed package's, run by `superset db upgrade`
  # (Flask-Migrate) with project/superset_config.py.
  pyvenv superset "$(pypi apache-superset==4.1.2 apache-superset-4.1.2.tar.gz 197bcb2ff79de2a079a52be600e6a16e35d6e2ce69472d411d1d4460a7945360)"
  p=$(project superset); cp "$scaffold/superset/superset_config.py" "$p/"
  done_ superset "$p"
fi

# ---- PyPI: Django --------------------------------------------------------------
if wanted wagtail; then
  pyvenv wagtail "$(pypi wagtail==6.3.2 wagtail-6.3.2-py3-none-any.whl ac72f7138281ef47360057ebfb835a8eae34048efeed10ca9f4aabbc8f4e4ea5)"
  djangoproj wagtail wagtail
fi
if wanted django-cms; then
  pyvenv djangocms "$(pypi django-cms==4.1.4 django_cms-4.1.4-py2.py3-none-any.whl db8a76bf35d12c8bd1ddd70b310d476a949a3997b89945219b500e9091c0a021)"
  djangoproj django-cms djangocms
fi
if wanted pretix; then
  pyvenv pretix "$(pypi pretix==2025.1.0 pretix-2025.1.0-py3-none-any.whl b5620ff2ebcf5c47efe1201c9368d756a771ca93ea81b0c5380e298cec42b5ee)"
  p=$(project pretix); mkdir -p "$p/data"
  cp "$scaffold/django/manage.py" "$p/"; cp "$scaffold/django/pretix_settings.py" "$p/settings.py"
  done_ pretix "$p"
fi

# ---- npm: TypeORM ------------------------------------------------------------------
# Node environments: `npm ci` of tests/sweep/node/<env>/package*.json into
# target/sweep/_node/<env> (install scripts off: the native drivers come from
# target/tools/node through NODE_PATH).
nodeenv() { # env
  local n="$out/_node/$1" src="$here/node/$1" sum
  sum=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)
  if [ "$(cat "$n/.stamp" 2>/dev/null)" != "$sum" ]; then
    rm -rf "$n"; mkdir -p "$n"; cp "$src/package.json" "$src/package-lock.json" "$n/"
    (cd "$n" && npm ci --no-audit --no-fund --loglevel=error --ignore-scripts >&2)
    echo "$sum" > "$n/.stamp"
  fi
}
# n8n: the migrations of @n8n/db (dist/migrations/{common,postgresdb,sqlite}),
# run by n8n's own DbConnection (scaffold/typeorm/n8n_migrate.js).  The pinned
# tarball is the one the lockfile's integrity names.
if wanted n8n; then
  npmpkg @n8n/db@1.40.4 n8n-db-1.40.4.tgz f5dd56abc5ecf98d208a38f41d4e48ffa315556feff8cb35f00b25e3de3695b2 >/dev/null
  nodeenv n8n
  p=$(project n8n); cp "$scaffold/typeorm/n8n_migrate.js" "$p/"
  done_ n8n "$p"
fi

# ---- npm: Sequelize (Umzug) -------------------------------------------------------
# Lighthouse CI server: its migrations run by its own SqlStorageMethod.initialize()
# (Umzug + SequelizeStorage), scaffold/sequelize/lhci_migrate.js.
if wanted lhci-server; then
  npmpkg @lhci/server@0.15.1 lhci-server-0.15.1.tgz 20049b919a1bd8a25a2d1cc69e73a5cea2f2d0fe8014206d3c51de47f8f62e76 >/dev/null
  nodeenv lhci
  p=$(project lhci-server); cp "$scaffold/sequelize/lhci_migrate.js" "$p/"
  done_ lhci-server "$p"
fi

# ---- Maven Central: Flyway -----------------------------------------------------
# project/sql = the jar's migration directory; project/flyway.toml (written
# here) = the settings the application gives Flyway (table, suffixes, baseline).
flywayproj() { # id g:a:v sha256 dir-in-jar toml-lines
  local id=$1 d p; d=$(unpack "$(maven "$2" "$3")"); p=$(project "$id")
  put "$d/$4" "$p/sql" "*.sql"
  printf '# Flyway settings of %s (%s), as the application configures Flyway.\n# Connection: FLYWAY_URL (JDBC).\n[flyway]\nlocations = ["filesystem:sql"]\n%b' \
    "$id" "$2" "${5:-}" > "$p/flyway.toml"
  done_ "$id" "$p"
}
# hawkbit: spring.flyway.table=schema_version, sql-migration-suffixes=${spring.jpa.database}.sql,
# init-on-migrate (= baselineOnMigrate) in hawkbit-jpa-defaults.properties.
wanted hawkbit-mysql && flywayproj hawkbit-mysql org.eclipse.hawkbit:hawkbit-repository-jpa:0.3.0M7 8b9246fe24689afaa603bfef14ca7484f39896cd563ecb27ef735ea54905728b \
  db/migration/MYSQL 'table = "schema_version"\nsqlMigrationSuffixes = ["MYSQL.sql"]\nbaselineOnMigrate = true\n'
wanted hawkbit-postgresql && flywayproj hawkbit-postgresql org.eclipse.hawkbit:hawkbit-repository-jpa:0.3.0M7 8b9246fe24689afaa603bfef14ca7484f39896cd563ecb27ef735ea54905728b \
  db/migration/POSTGRESQL 'table = "schema_version"\nsqlMigrationSuffixes = ["POSTGRESQL.sql"]\nbaselineOnMigrate = true\n'
# conductor: PostgresConfiguration.flywayForPrimaryDb(): locations classpath:db/migration_postgres.
wanted conductor-postgres && flywayproj conductor-postgres com.netflix.conductor:conductor-postgres-persistence:3.13.8 4190b3dea28e2b312c5b7e11a0a25a7ff3d725e1027dd7fdd5e47e9b72378200 \
  db/migration_postgres

# ---- Maven Central: Liquibase ---------------------------------------------------
# The changelog keeps its classpath path inside project/ (Liquibase records
# that path in the ledger's FILENAME), liquibase.properties names it; the
# ledger tables are the ones the engine configures (run args in histories.toml).
liquibaseproj() { # id g:a:v sha256 changelog-path-in-jar [jar]
  local id=$1 d p; d=$(unpack "$(maven "$2" "$3")"); p=$(project "$id")
  if [ "${5:-}" = jar ]; then
    # The changelog names a customChange class of the jar: the jar goes on the
    # JVM classpath (project/lib) and the changelog is read from it, as the
    # engine reads it (a second copy on the search path is an error).
    mkdir -p "$p/lib"; cp "$(maven "$2" "$3")" "$p/lib/"
  else
    mkdir -p "$p/$(dirname "$4")"; cp "$d/$4" "$p/$4"
  fi
  printf '# Liquibase defaults of %s (%s).  Connection: LIQUIBASE_COMMAND_URL (JDBC).\nchangelog-file: %s\n' \
    "$id" "$2" "$4" > "$p/liquibase.properties"
  done_ "$id" "$p"
}
for e in cmmn:cmmn-engine dmn:dmn-engine eventregistry:event-registry app:app-engine; do
  n=${e%%:*}; a=${e#*:}
  sha=$(case $n in cmmn) echo d4d1c2066c5e4be56a9f2f2c006bd4e36993a2beb362773bdc0c5cb9e20be9b5;; dmn) echo 85ccfe299fa1852e729b228b3cd5d83c41de0e069ab81b4267bf202aab99c52d;; eventregistry) echo ef1ce2ef728b8b3e9f734bf3133b1ed09bb0d6f6935c10ddc734322f795da6a7;; app) echo 18d652f9a579cc12f6dd719d7eb5d0eb0a140b712d026f8e6b7209cb75f268d6;; esac)
  wanted "flowable-$n" && liquibaseproj "flowable-$n" "org.flowable:flowable-$a:6.8.1" "$sha" \
    "org/flowable/$n/db/liquibase/flowable-$n-db-changelog.xml" "$([ $n = eventregistry ] && echo jar)"
done
# SetChannelDefinitionTypeAndImplementationCustomChange reads Flowable's command
# context (org.flowable.common.engine.impl.context.Context): that class's jar too.
wanted flowable-eventregistry && cp "$(maven org.flowable:flowable-engine-common:6.8.1 b08eacf358d4c389284d31792b6b6750ab55f215cdf22643300e2f80f337a9fc)" \
  "$out/flowable-eventregistry/project/lib/"

# ---- Debian: Rails --------------------------------------------------------------
# Debian's Redmine (/usr/share/redmine of the pinned .deb) run in place of its
# installed copy: the Ruby gems it depends on come from Debian (apt-get install
# of the .deb's Depends, minus the web-server/dbconfig parts), Bundler resolves
# the Gemfile against them (`bundle lock --local`, nothing downloaded).
redmine_deps="ruby-actionpack-action-caching ruby-actionpack-xml-parser ruby-addressable bundler
  ruby-coderay ruby-commonmarker ruby-csv ruby-task-list ruby-html-pipeline ruby-i18n ruby-jquery-rails
  ruby-mail ruby-marcel ruby-mini-magick ruby-mini-mime ruby-mocha ruby-net-ldap ruby-nokogiri ruby-rack
  ruby-rack-test ruby-rails ruby-rails-dom-testing ruby-rails-observers ruby-rbpdf ruby-redcarpet
  ruby-request-store ruby-rmagick ruby-roadie ruby-roadie-rails ruby-rotp ruby-rouge ruby-rqrcode
  ruby-sanitize ruby-zip ruby-pg ruby-mysql2 ruby-sqlite3"
installed_is() { # package version: the installed package is the pinned one (its files are used)
  local v; v=$(dpkg-query -W -f '${Version}' "$1")
  [ "$v" = "$2" ] || { echo "$1 $v installed, $2 pinned: update the pin (version + sha256)" >&2; exit 1; }
}
aptdeps() { # packages...: install the ones missing (Debian's own packages)
  local missing=() x
  for x in "$@"; do dpkg -s "$x" >/dev/null 2>&1 || missing+=("$x"); done
  [ ${#missing[@]} -eq 0 ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}
if wanted redmine; then
  a=$(deb redmine 5.0.4-5+deb12u1 redmine_5.0.4-5+deb12u1_all.deb d4ef5a30d641853a273d45c961ade38f83fe28146c36a0006f8fd63313496146)
  aptdeps $redmine_deps
  d=$(unpack "$a"); p=$(project redmine)
  cp -a "$d/usr/share/redmine/." "$p/"
  # the package's symlinks into /etc and /var/lib become the project's own files
  rm -f "$p/Gemfile.lock" "$p/instances" "$p/config/database.yml"
  mkdir -p "$p/instances/default/config" "$p/instances/default/log" "$p/instances/default/tmp" "$p/instances/default/files"
  cp "$scaffold/rails/redmine_database.yml" "$p/config/database.yml"
  cp "$scaffold/rails/redmine_database.yml" "$p/instances/default/config/database.yml"
  cp "$scaffold/rails/redmine_Gemfile.local" "$p/Gemfile.local"
  (cd "$p" && BUNDLE_GEMFILE="$p/Gemfile" bundle lock --local >/dev/null)
  done_ redmine "$p"
fi

# Rails engines' histories, as an app gets them: the replay fixture's Rails
# skeleton (tests/fixtures/tools/rails) requiring the engine(s), then the
# engine's own copier (`rails <engine>:install:migrations` /
# `railties:install:migrations FROM=...`), which names the copies after the
# clock: they are renamed to 2020010100000N_<name>.<engine>.rb in copy order.
railsapp() { # id require-lines rails-task...
  local id=$1 req=$2 p f n=0; shift 2
  p=$(project "$id")
  cp -r "$root/tests/fixtures/tools/rails/." "$p/"; rm -f "$p"/db/migrate/*
  sed -i "s#^require \"active_record/railtie\"#&\n$req#" "$p/config/application.rb"
  (cd "$p" && DATABASE_URL=sqlite3:/dev/null ruby bin/rails "$@" >/dev/null)
  for f in $(ls "$p/db/migrate"); do
    n=$((n + 1)); mv "$p/db/migrate/$f" "$p/db/migrate/2020010100000${n}_${f#*_}"
  done
  done_ "$id" "$p"
}
if wanted acts-as-taggable-on; then
  deb ruby-acts-as-taggable-on 9.0.1-2 ruby-acts-as-taggable-on_9.0.1-2_all.deb \
    e88054d6eaf7e27e62d16259b038e879a14876db48a021db0297f67a4a73042b >/dev/null
  aptdeps ruby-railties ruby-activerecord ruby-pg ruby-mysql2 ruby-sqlite3 ruby-acts-as-taggable-on
  installed_is ruby-acts-as-taggable-on 9.0.1-2
  railsapp acts-as-taggable-on 'require "acts-as-taggable-on"' acts_as_taggable_on_engine:install:migrations
fi
if wanted rails-engines; then
  rv=2:6.1.7.10+dfsg-1~deb12u4
  deb ruby-activestorage $rv "ruby-activestorage_2%3a6.1.7.10+dfsg-1~deb12u4_all.deb" \
    bd23fe629b1cc9f1999a5965623d865a854eaeac1d71061343af48df3ba840d5 >/dev/null
  deb ruby-actionmailbox $rv "ruby-actionmailbox_2%3a6.1.7.10+dfsg-1~deb12u4_all.deb" \
    0ec3540c307279e17191d662ab260bd5c906f8c63751f88f31b781cffabe968f >/dev/null
  deb ruby-actiontext $rv "ruby-actiontext_2%3a6.1.7.10+dfsg-1~deb12u4_all.deb" \
    43b24c2db29943e76d49c75829528739c13291d90d00f5aba355d942f44501b5 >/dev/null
  aptdeps ruby-railties ruby-activerecord ruby-pg ruby-mysql2 ruby-sqlite3 ruby-activestorage ruby-actionmailbox ruby-actiontext
  for x in ruby-activestorage ruby-actionmailbox ruby-actiontext; do installed_is $x $rv; done
  railsapp rails-engines 'require "active_storage/engine"\nrequire "action_controller/railtie"\nrequire "action_mailer/railtie"\nrequire "action_mailbox/engine"\nrequire "action_text/engine"' \
    railties:install:migrations FROM=active_storage,action_mailbox,action_text
fi

# ---- Debian: Laravel ------------------------------------------------------------
# No Laravel application is packaged in Debian; its framework is
# (php-laravel-framework, Laravel 8).  The history is the one the framework
# itself writes into every app that uses its database queue, sessions, cache
# and notifications: `artisan queue:table`, `queue:failed-table`,
# `queue:batches-table`, `session:table`, `cache:table`, `notifications:table`,
# generated from the installed framework's stubs into the replay fixture's
# skeleton (tests/fixtures/tools/laravel) and renamed to fixed timestamps in
# that order (artisan names them after the clock).
if wanted laravel-framework; then
  deb php-laravel-framework 8.83.26+dfsg-2 php-laravel-framework_8.83.26+dfsg-2_all.deb a07286589520fbf482460fa34f09599d19967eac936aea62a34e13bc8c7e6f00 >/dev/null
  aptdeps php-cli php-laravel-framework php-pgsql php-mysql php-sqlite3
  installed_is php-laravel-framework 8.83.26+dfsg-2
  p=$(project laravel-framework)
  cp -r "$root/tests/fixtures/tools/laravel/." "$p/"; rm -f "$p"/database/migrations/*
  cp "$scaffold/laravel/queue.php" "$p/config/"
  # the generators live in ConsoleSupportServiceProvider / QueueServiceProvider
  sed -i 's#^\(\s*\)Illuminate\\Database\\MigrationServiceProvider::class,#&\n\1Illuminate\\Foundation\\Providers\\ConsoleSupportServiceProvider::class,\n\1Illuminate\\Queue\\QueueServiceProvider::class,#' "$p/config/app.php"
  n=0
  for c in queue:table queue:failed-table queue:batches-table session:table cache:table notifications:table; do
    before=$(ls "$p/database/migrations")
    DATABASE_URL=sqlite:////dev/null php "$p/artisan" "$c" >/dev/null
    f=$(comm -13 <(echo "$before") <(ls "$p/database/migrations"))
    n=$((n + 1)); mv "$p/database/migrations/$f" "$p/database/migrations/2020_01_01_00000${n}_${f#*_*_*_*_}"
  done
  done_ laravel-framework "$p"
fi

echo "fetch done"
