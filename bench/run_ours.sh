#!/usr/bin/env bash
# One benchmark run of OUR server against fresh processes, the twin of sharedb/run.sh:
#
#   bench/run_ours.sh fanout|saturate|multi [collab_load.py scenario options]
#
# Starts two daphne processes on 8101 and 8102 (the Makefile's flags, DEBUG off) on the
# database and Redis of DATABASE_URL / REDIS_URL, waits until they answer, runs
# collab_load.py once with CPU accounting from the first edit to the last ack (both
# processes, this database's PostgreSQL backends, Redis) and stops them, whatever
# happened. Needs the bench user of bench/README.md. Server logs: ${TMPDIR:-/tmp}/daphne-PORT.log.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 1 ] || { echo "usage: $0 fanout|saturate|multi [options]" >&2; exit 2; }
: "${DATABASE_URL:?set DATABASE_URL (PostgreSQL) as in bench/README.md}"
: "${REDIS_URL:?set REDIS_URL as in bench/README.md}"
export DEBUG=false LOG_LEVEL=${LOG_LEVEL:-WARNING}
database=${DATABASE_URL##*/}
flags=(--websocket_timeout -1 --websocket_connect_timeout 10 --ping-interval 20
       --ping-timeout 30 --websocket-max-message-size 2097152
       --websocket-max-frame-size 2097152 --application-close-timeout 10)
pids=()
stop() {
  if [ ${#pids[@]} -gt 0 ]; then
    kill "${pids[@]}" 2>/dev/null || true
    wait "${pids[@]}" 2>/dev/null || true
  fi
}
trap stop EXIT
for port in 8101 8102; do
  .venv/bin/daphne -b 127.0.0.1 -p "$port" "${flags[@]}" config.asgi:application \
    >"${TMPDIR:-/tmp}/daphne-$port.log" 2>&1 &
  pids+=($!)
done
for port in 8101 8102; do
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
    sleep 0.2
  done
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null || { echo "daphne on $port did not start" >&2; exit 1; }
done
.venv/bin/python bench/collab_load.py \
  --url ws://127.0.0.1:8101/ws/collab/ --url ws://127.0.0.1:8102/ws/collab/ \
  --api http://127.0.0.1:8101 --username "${BENCH_USERNAME:-bench}" \
  --password "${BENCH_PASSWORD:-bench-password-123}" \
  --cpu-pid "$(IFS=,; echo "${pids[*]}")" \
  --cpu-match "^postgres: .* $database " --cpu-match '^redis-server' "$@"
