#!/usr/bin/env bash
# The distributed mesh on one machine, without Docker, for local integration work: Kafka (from Maven Central
# jars, tools/kafka/kafka.sh), the local PostgreSQL, and the five services as separate processes.
#
#   deploy/local/mesh-local.sh up|down|status
#
# up:     starts Kafka unless something already answers on its port (then reuses it), creates the database
#         if missing, runs the audit migrations, provisions the topics, builds the reference models if
#         missing, starts ingest, inference, routing, reporting and audit in the background and waits for each
#         /health/ready. Logs and pid files go under MESH_LOCAL_DIR.
# down:   stops the five processes (SIGTERM, then SIGKILL after MESH_LOCAL_STOP_TIMEOUT) and Kafka if `up`
#         started it. MESH_LOCAL_DROP_DB=1 also drops the database.
# status: one line per service; exit 0 when all five are up and ready, 3 otherwise.
#
# Environment (defaults): MESH_LOCAL_DIR (var/local), MESH_LOCAL_DB (triage_local), PGHOST (127.0.0.1),
# PGPORT (5432), PGUSER (postgres), KAFKA_PORT (9092), KAFKA_BROKERS (127.0.0.1:$KAFKA_PORT),
# KAFKA_GROUP_PREFIX (triage-local), INGEST_PORT (8080), INFERENCE_PORT (8081), ROUTING_PORT (8082),
# REPORTING_PORT (8083), AUDIT_PORT (8084), MESH_DATA_DIR ($MESH_LOCAL_DIR/data), LOG_LEVEL (info),
# MESH_LOCAL_READY_TIMEOUT (120 s), MESH_LOCAL_STOP_TIMEOUT (20 s). Services listen on 127.0.0.1 only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

SERVICES=(ingest inference routing reporting audit)
STATE_DIR="${MESH_LOCAL_DIR:-$ROOT/var/local}"
mkdir -p "$STATE_DIR"
STATE_DIR="$(cd "$STATE_DIR" && pwd)"
RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/logs"
DATA_ROOT="${MESH_DATA_DIR:-$STATE_DIR/data}"
DB_NAME="${MESH_LOCAL_DB:-triage_local}"
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
PG_USER="${PGUSER:-postgres}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
BROKERS="${KAFKA_BROKERS:-127.0.0.1:$KAFKA_PORT}"
GROUP_PREFIX="${KAFKA_GROUP_PREFIX:-triage-local}"
READY_TIMEOUT="${MESH_LOCAL_READY_TIMEOUT:-120}"
STOP_TIMEOUT="${MESH_LOCAL_STOP_TIMEOUT:-20}"
declare -A PORT=(
  [ingest]="${INGEST_PORT:-8080}" [inference]="${INFERENCE_PORT:-8081}" [routing]="${ROUTING_PORT:-8082}"
  [reporting]="${REPORTING_PORT:-8083}" [audit]="${AUDIT_PORT:-8084}"
)

log() { echo "[mesh-local] $*" >&2; }
die() { echo "[mesh-local] ERROR: $*" >&2; exit 1; }

[[ "$DB_NAME" =~ ^[a-z_][a-z0-9_]*$ ]] || die "MESH_LOCAL_DB must be a plain lower-case identifier, got '$DB_NAME'"
DATABASE_URL_LOCAL="postgresql://$PG_USER@$PG_HOST:$PG_PORT/$DB_NAME"

port_answers() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# The pid of a service when its pid file names a live process that is that service (guards a reused pid).
service_pid() {
  local f="$RUN_DIR/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "apps/$1/src/main.ts" || return 1
  echo "$pid"
}

is_ready() {
  node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))' \
    "http://127.0.0.1:${PORT[$1]}/health/ready"
}

psql_q() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -v ON_ERROR_STOP=1 -tAc "$1"; }

ensure_kafka() {
  if port_answers "$KAFKA_PORT"; then
    log "reusing the Kafka broker on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  log "starting Kafka on 127.0.0.1:$KAFKA_PORT"
  KAFKA_PORT="$KAFKA_PORT" bash tools/kafka/kafka.sh start
  touch "$RUN_DIR/kafka.started-by-us"
}

ensure_database() {
  command -v psql >/dev/null || die "psql not found (PostgreSQL client)"
  if [[ "$(psql_q "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != "1" ]]; then
    log "creating database $DB_NAME on $PG_HOST:$PG_PORT"
    psql_q "CREATE DATABASE $DB_NAME" >/dev/null
  fi
  log "migrating $DB_NAME"
  DATABASE_URL="$DATABASE_URL_LOCAL" CHECKPOINT_DISABLE=1 \
    node node_modules/prisma/build/index.js migrate deploy --config libs/audit/data-access/prisma.config.ts \
    >"$LOG_DIR/migrate.log" 2>&1 || { tail -n 30 "$LOG_DIR/migrate.log" >&2; die "migration failed"; }
}

ensure_models() {
  if ls models/build/*.onnx >/dev/null 2>&1; then return 0; fi
  log "building the reference models into models/build"
  node -r @swc-node/register tools/models/build-reference-models.ts models/build >"$LOG_DIR/models.log" 2>&1 ||
    { tail -n 30 "$LOG_DIR/models.log" >&2; die "model build failed"; }
}

start_service() {
  local svc=$1
  mkdir -p "$DATA_ROOT/$svc"
  local env=(MESH_MODE=distributed HTTP_HOST=127.0.0.1 "HTTP_PORT=${PORT[$svc]}" "DATA_DIR=$DATA_ROOT/$svc"
    "MODELS_DIR=$ROOT/models/build" "MODELS_MANIFESTS_DIR=$ROOT/models/manifests" "KAFKA_BROKERS=$BROKERS"
    "KAFKA_GROUP_PREFIX=$GROUP_PREFIX" "LOG_LEVEL=${LOG_LEVEL:-info}" "INGEST_PUBLIC_URL=http://127.0.0.1:${PORT[ingest]}")
  [[ "$svc" == audit ]] && env+=("DATABASE_URL=$DATABASE_URL_LOCAL")
  # setsid: the service outlives this script and a Ctrl-C in the terminal that ran `up`. The inner shell
  # writes its pid, then becomes node, so the pid file names the service itself.
  setsid env "${env[@]}" bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$RUN_DIR/$svc.pid" \
    node -r @swc-node/register "apps/$svc/src/main.ts" >>"$LOG_DIR/$svc.log" 2>&1 </dev/null &
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) pending=("${SERVICES[@]}")
  while ((${#pending[@]} > 0)); do
    local still=()
    for svc in "${pending[@]}"; do
      if ! service_pid "$svc" >/dev/null && [[ -s "$RUN_DIR/$svc.pid" ]]; then
        tail -n 30 "$LOG_DIR/$svc.log" >&2 || true
        return 1
      fi
      if is_ready "$svc"; then log "$svc ready on http://127.0.0.1:${PORT[$svc]}"; else still+=("$svc"); fi
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]} == 0)) && return 0
    if ((SECONDS >= deadline)); then
      for svc in "${pending[@]}"; do log "$svc not ready within ${READY_TIMEOUT}s"; tail -n 20 "$LOG_DIR/$svc.log" >&2 || true; done
      return 1
    fi
    sleep 0.5
  done
}

up() {
  mkdir -p "$RUN_DIR" "$LOG_DIR" "$DATA_ROOT"
  for svc in "${SERVICES[@]}"; do
    service_pid "$svc" >/dev/null && die "$svc is already running (pid $(service_pid "$svc")); run down first"
    port_answers "${PORT[$svc]}" && die "port 127.0.0.1:${PORT[$svc]} for $svc is already in use"
  done
  ensure_kafka
  ensure_database
  log "provisioning topics on $BROKERS"
  KAFKA_BROKERS="$BROKERS" node -r @swc-node/register tools/kafka/provision-topics.ts >"$LOG_DIR/topics.log" 2>&1 ||
    { tail -n 30 "$LOG_DIR/topics.log" >&2; die "topic provisioning failed"; }
  ensure_models
  for svc in "${SERVICES[@]}"; do start_service "$svc"; done
  if ! wait_ready; then
    log "start-up failed; stopping what was started (logs in $LOG_DIR)"
    down
    exit 1
  fi
  log "mesh up: DICOMweb http://127.0.0.1:${PORT[ingest]}, lineage http://127.0.0.1:${PORT[audit]}, logs in $LOG_DIR"
}

stop_service() {
  local svc=$1 pid
  if ! pid="$(service_pid "$svc")"; then
    rm -f "$RUN_DIR/$svc.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$svc did not stop within ${STOP_TIMEOUT}s, killing"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$RUN_DIR/$svc.pid"
  log "$svc stopped"
}

down() {
  mkdir -p "$RUN_DIR"
  # In parallel: each service drains its consumers on SIGTERM, which takes a few seconds.
  local pids=()
  for svc in "${SERVICES[@]}"; do stop_service "$svc" & pids+=($!); done
  local p
  for p in "${pids[@]}"; do wait "$p" || true; done
  if [[ -f "$RUN_DIR/kafka.started-by-us" ]]; then
    KAFKA_PORT="$KAFKA_PORT" bash tools/kafka/kafka.sh stop
    rm -f "$RUN_DIR/kafka.started-by-us"
  fi
  if [[ "${MESH_LOCAL_DROP_DB:-0}" == 1 ]]; then
    log "dropping database $DB_NAME"
    psql_q "DROP DATABASE IF EXISTS $DB_NAME WITH (FORCE)" >/dev/null
  fi
}

status() {
  local all=0 pid
  for svc in "${SERVICES[@]}"; do
    if pid="$(service_pid "$svc")"; then
      if is_ready "$svc"; then echo "$svc: ready (pid $pid) on http://127.0.0.1:${PORT[$svc]}"; else echo "$svc: running, not ready (pid $pid)"; all=3; fi
    else
      echo "$svc: not running"
      all=3
    fi
  done
  return "$all"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
