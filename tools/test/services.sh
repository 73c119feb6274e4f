#!/usr/bin/env bash
# Starts what the integration and end-to-end tests need, and prints the environment to use:
#   eval "$(bash tools/test/services.sh start)"   ...   bash tools/test/services.sh stop
#
# start: the DICOM/HL7 peers (apt-get, when missing), the Kafka broker (tools/kafka/kafka.sh, only when nothing answers on its port yet), a fresh
#        PostgreSQL database on the local server (dropped and created again), and the mesh's topics.
# stop:  stops only what start started (remembered in var/test-services/state).
# With CI=true a service that cannot be started fails the command; locally it is a loud warning.
# Logs go to stderr; stdout carries only `export NAME=value` lines.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
STATE_DIR="${TEST_SERVICES_STATE_DIR:-$ROOT/var/test-services}"
STATE_FILE="$STATE_DIR/state"

KAFKA_PORT="${KAFKA_PORT:-9092}"
PG_HOST="${TEST_PG_HOST:-127.0.0.1}"
PG_PORT="${TEST_PG_PORT:-5432}"
PG_USER="${TEST_PG_USER:-postgres}"
DB_NAME="${TEST_DB_NAME:-triage_test}"
CI="${CI:-false}"

log() { echo "[services] $*" >&2; }

problems=()
# A service that could not be started: fatal in CI, a warning locally (tests then fail with a clear message).
unavailable() {
  problems+=("$1")
  if [[ "$CI" == "true" ]]; then
    echo "[services] ERROR: $1" >&2
  else
    echo "[services] WARNING: $1 (tests that need it will fail)" >&2
  fi
}

port_answers() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

remember() {
  mkdir -p "$STATE_DIR"
  echo "$1" >>"$STATE_FILE"
}

start_kafka() {
  if port_answers 127.0.0.1 "$KAFKA_PORT"; then
    log "Kafka already answers on 127.0.0.1:$KAFKA_PORT; using it (and leaving it running afterwards)"
    return 0
  fi
  if bash "$ROOT/tools/kafka/kafka.sh" start; then
    remember kafka
  else
    unavailable "could not start the Kafka broker (tools/kafka/kafka.sh start; logs in var/kafka/logs)"
    return 1
  fi
}

pg_ready() {
  pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -t 3 >/dev/null 2>&1
}

start_postgres() {
  local tool
  for tool in pg_isready psql createdb dropdb; do
    command -v "$tool" >/dev/null || { unavailable "the PostgreSQL client '$tool' is not installed"; return 1; }
  done
  if ! pg_ready; then
    local versions
    versions="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$versions" ]] && command -v pg_ctlcluster >/dev/null; then
      log "PostgreSQL does not answer on $PG_HOST:$PG_PORT; starting cluster $versions/main"
      # Non-zero also when the cluster already runs (then on other settings): nothing to wait for.
      if pg_ctlcluster --skip-systemctl-redirect "$versions" main start >&2; then
        local i
        for i in $(seq 1 30); do pg_ready && break; sleep 1; done
      fi
    fi
  fi
  if ! pg_ready; then
    unavailable "PostgreSQL does not answer on $PG_HOST:$PG_PORT (user $PG_USER)"
    return 1
  fi
  # A fresh database per run: no state leaks from an earlier run. --force ends leftover sessions.
  if dropdb --if-exists --force -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB_NAME" >&2 &&
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$DB_NAME" >&2; then
    log "fresh database $DB_NAME on $PG_HOST:$PG_PORT"
  else
    unavailable "could not recreate the database $DB_NAME on $PG_HOST:$PG_PORT"
    return 1
  fi
}

# Real DICOM and HL7 peers the integration and end-to-end tests drive: dcmtk (storescu, echoscu, findscu,
# storescp, dcmdump), Orthanc with its DICOMweb plugin, and python3-hl7 (mllp_send, hl7.mllp) for Debian's
# /usr/bin/python3. Installed from Debian's packages when missing (a fresh machine has none of them).
PEER_PACKAGES=(dcmtk orthanc orthanc-dicomweb python3-hl7)
peers_present() {
  command -v storescu >/dev/null && command -v dcmdump >/dev/null && command -v Orthanc >/dev/null &&
    [[ -e /usr/share/orthanc/plugins/libOrthancDicomWeb.so ]] && command -v mllp_send >/dev/null &&
    /usr/bin/python3 -c 'import hl7.mllp' 2>/dev/null
}

install_peers() {
  if peers_present; then
    log "DICOM and HL7 peers present (dcmtk, Orthanc + DICOMweb, python3-hl7)"
    return 0
  fi
  if ! command -v apt-get >/dev/null; then
    unavailable "the DICOM/HL7 peers (${PEER_PACKAGES[*]}) are missing and apt-get is not available"
    return 1
  fi
  log "installing the DICOM and HL7 peers from Debian's packages: ${PEER_PACKAGES[*]}"
  # The packages' maintainer scripts try to start Orthanc as a system service; the tests start their own.
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PEER_PACKAGES[@]}" >&2; }; then
    unavailable "could not install the DICOM/HL7 peers (${PEER_PACKAGES[*]}) with apt-get"
    return 1
  fi
  peers_present || { unavailable "the DICOM/HL7 peers are still missing after apt-get install"; return 1; }
}

provision() {
  log "provisioning Kafka topics"
  if ! (cd "$ROOT" && KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT" node -r @swc-node/register tools/kafka/provision-topics.ts >&2); then
    unavailable "topic provisioning failed (tools/kafka/provision-topics.ts)"
    return 1
  fi
}

start() {
  mkdir -p "$STATE_DIR"
  # An earlier start whose stop never ran may have left its broker: keep remembering it.
  [[ -f "$STATE_FILE" ]] || : >"$STATE_FILE"
  if start_kafka; then provision || true; fi
  start_postgres || true
  install_peers || true

  if ((${#problems[@]} > 0)) && [[ "$CI" == "true" ]]; then
    echo "[services] ERROR: ${#problems[@]} service(s) unavailable; with CI=true this is a failure, never a skip:" >&2
    printf '[services]   - %s\n' "${problems[@]}" >&2
    exit 1
  fi
  echo "export KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT"
  echo "export DATABASE_URL=postgresql://$PG_USER@$PG_HOST:$PG_PORT/$DB_NAME"
}

stop() {
  if [[ -f "$STATE_FILE" ]] && grep -qx kafka "$STATE_FILE"; then
    bash "$ROOT/tools/kafka/kafka.sh" stop || log "WARNING: stopping Kafka failed"
  else
    log "nothing to stop (services were already running before start)"
  fi
  rm -f "$STATE_FILE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
