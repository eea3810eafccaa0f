#!/usr/bin/env bash
# Start a private PostgreSQL cluster on loopback for the county tests and print its URL.
#   eval "$(scripts/test-postgres.sh start DIR)"   → exports DOORSTEP_TEST_PG_URL
#   scripts/test-postgres.sh stop DIR
# The cluster lives in DIR (trust authentication, 127.0.0.1 only, a free port). As root the
# server runs as the "postgres" user, because PostgreSQL refuses to run as root.
set -euo pipefail
action="${1:?start|stop}"
dir="${2:?data directory}"
bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -x "$bindir/initdb" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$action" in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    if [ ! -f "$dir/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=on" start >/dev/null
    echo "export DOORSTEP_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$bindir/pg_ctl" -D "$dir" -m fast stop >/dev/null || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
