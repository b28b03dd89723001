#!/usr/bin/env bash
# Start (or stop) a throwaway PostgreSQL and Redis on loopback for the test suite.
#   source .ci/services.sh start   -> exports TEST_DATABASE_URL and TEST_REDIS_URL
#   source .ci/services.sh stop
# Installs Debian's postgresql and redis-server when they are missing (root only).
set -euo pipefail

SERVICES_DIR=${SERVICES_DIR:-/tmp/shnor-ci-services}
PG_PORT=${PG_PORT:-55432}
REDIS_PORT=${REDIS_PORT:-56379}

_as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -s /bin/bash -c "$*"; else bash -c "$*"; fi
}

services_start() {
  if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || ! command -v redis-server >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql redis-server >/dev/null
    else
      echo "PostgreSQL or Redis is missing: install the Debian packages postgresql and redis-server" >&2
      return 1
    fi
  fi
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  rm -rf "$SERVICES_DIR" && mkdir -p "$SERVICES_DIR/pg"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$SERVICES_DIR"; fi
  _as_pg "$pgbin/initdb -D $SERVICES_DIR/pg -A trust -U shnor >/dev/null"
  _as_pg "$pgbin/pg_ctl -D $SERVICES_DIR/pg -l $SERVICES_DIR/pg.log -w -o \"-p $PG_PORT -k $SERVICES_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400\" start >/dev/null"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --pidfile "$SERVICES_DIR/redis.pid" --logfile "$SERVICES_DIR/redis.log" --dir "$SERVICES_DIR"
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export TEST_DATABASE_URL="postgresql+asyncpg://shnor@127.0.0.1:$PG_PORT/postgres"
  export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

services_stop() {
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -n "$pgbin" ] && [ -d "$SERVICES_DIR/pg" ]; then _as_pg "$pgbin/pg_ctl -D $SERVICES_DIR/pg -m immediate stop >/dev/null" || true; fi
  if [ -f "$SERVICES_DIR/redis.pid" ]; then kill "$(cat "$SERVICES_DIR/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$SERVICES_DIR"
}

case "${1:-}" in
  start) services_start ;;
  stop) services_stop ;;
  *) echo "usage: source .ci/services.sh start|stop" >&2 ;;
esac
