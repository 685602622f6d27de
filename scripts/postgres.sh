#!/usr/bin/env bash
# Starts (once) a private PostgreSQL for the tests and the load benchmark, on loopback
# only, from Debian's packages (scripts/setup.sh installs them), and prints its URL.
# Idempotent: a running cluster is reused; test databases of earlier runs are dropped.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
dir=${DRAWDOWN_PG_DIR:-/tmp/drawdown-pg}
port=${DRAWDOWN_PG_PORT:-55432}
# PostgreSQL refuses to run as root: run its tools as the `postgres` user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
fi
url="postgres://postgres@127.0.0.1:$port/postgres"
for db in $(psql "$url" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'dd_test_%'"); do
  psql "$url" -qc "DROP DATABASE $db" >/dev/null
done
echo "$url"
