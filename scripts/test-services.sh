#!/usr/bin/env bash
# The services the test suite needs, on a Debian 12 machine (run as root the first time):
# PostgreSQL 15 with PostGIS and Redis, running on 127.0.0.1, a fresh test database
# with the postgis extension, an empty Redis database, and Debian's chromium for the
# browser tests. Safe to run again: it only installs, starts or configures what is missing.
#
#   scripts/test-services.sh [DATABASE [REDIS_DB]]     # defaults: vvs_test 15
set -euo pipefail
cd "$(dirname "$0")/.."

PG_HOST=127.0.0.1
PG_PORT=5432
PG_VERSION=15
REDIS_PORT=6379
TEST_DB=${1:-vvs_test}
TEST_REDIS_DB=${2:-15}

scripts/apt-install.sh "postgresql-$PG_VERSION" "postgresql-$PG_VERSION-postgis-3" redis-server chromium fonts-dejavu-core

wait_for() {  # wait_for DESCRIPTION COMMAND…: up to 30 s
    local what=$1; shift
    for _ in $(seq 1 60); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 0.5
    done
    echo "$what did not start" >&2
    exit 1
}

pg_answers() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
as_postgres() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres "$@"; }

if ! pg_answers; then
    if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$PG_VERSION main"; then
        pg_createcluster "$PG_VERSION" main
    fi
    echo "Starting PostgreSQL $PG_VERSION"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
    wait_for "PostgreSQL" pg_answers
fi

# The test URL has no password: let `postgres` in from this machine only.
if ! as_postgres -d postgres -c "SELECT 1" >/dev/null 2>&1; then
    hba=$(runuser -u postgres -- psql -X -tA -c "SHOW hba_file")
    echo "Allowing the postgres user without password from 127.0.0.1 and ::1 in $hba (test machine)"
    sed -i "1i host all postgres 127.0.0.1/32 trust\nhost all postgres ::1/128 trust" "$hba"
    runuser -u postgres -- psql -X -q -c "SELECT pg_reload_conf()"
    wait_for "PostgreSQL (after allowing local connections)" as_postgres -d postgres -c "SELECT 1"
fi

echo "Creating a fresh $TEST_DB database with PostGIS"
as_postgres -d postgres -c "DROP DATABASE IF EXISTS $TEST_DB WITH (FORCE)" -c "CREATE DATABASE $TEST_DB"
as_postgres -d "$TEST_DB" -c "CREATE EXTENSION postgis"

redis_answers() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = "PONG" ]; }
if ! redis_answers; then
    echo "Starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no
    wait_for "Redis" redis_answers
fi
redis-cli -h 127.0.0.1 -p "$REDIS_PORT" -n "$TEST_REDIS_DB" flushdb >/dev/null
