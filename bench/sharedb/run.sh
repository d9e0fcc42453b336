#!/usr/bin/env bash
# One benchmark run against fresh ShareDB processes:
#
#   ./run.sh memory|postgres|postgres2 fanout|saturate|multi [load.js scenario options]
#
#   memory     one process, in-memory database (not durable)
#   postgres   one process on PostgreSQL (in-process pub/sub)
#   postgres2  two processes on PostgreSQL sharing documents through Redis pub/sub
#
# Empties the PostgreSQL tables, starts the server(s) on 8201 (and 8202), waits until they
# answer, runs load.js once with CPU accounting (the servers, this database's PostgreSQL
# backends, Redis when used) and stops the servers, whatever happened. Server logs go to
# ${TMPDIR:-/tmp}/sharedb-PORT.log. DATABASE_URL and REDIS_URL as for server.js.
set -euo pipefail
cd "$(dirname "$0")"

usage() {
  echo "usage: $0 memory|postgres|postgres2 fanout|saturate|multi [options]" >&2
  exit 2
}
[ $# -ge 2 ] || usage
mode=$1
shift
db=postgres
pubsub=memory
ports=(8201)
case $mode in
  memory) db=memory ;;
  postgres) ;;
  postgres2) pubsub=redis ports=(8201 8202) ;;
  *) usage ;;
esac
database_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sharedb_bench}
database=${database_url##*/}

if [ "$db" = postgres ]; then
  node db.js reset >/dev/null
fi
pids=()
urls=()
stop() {
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop EXIT
for port in "${ports[@]}"; do
  node server.js --db "$db" --pubsub "$pubsub" --port "$port" >"${TMPDIR:-/tmp}/sharedb-$port.log" 2>&1 &
  pids+=($!)
  urls+=(--url "ws://127.0.0.1:$port/")
done
for port in "${ports[@]}"; do
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/stats" >/dev/null && break
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$port/stats" >/dev/null || { echo "server on $port did not start" >&2; exit 1; }
done

cpu=(--pids "$(IFS=,; echo "${pids[*]}")")
if [ "$db" = postgres ]; then
  cpu+=(--match "^postgres: .* $database ")
fi
if [ "$pubsub" = redis ]; then
  cpu+=(--match '^redis-server')
fi
node load.js "${urls[@]}" "${cpu[@]}" "$@"
