#!/usr/bin/env bash
# Single-node KRaft Apache Kafka 3.9.1 broker for development and CI, from Maven Central (see pom.xml).
#
#   tools/kafka/kafka.sh start|stop|status [--data DIR]
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (var/kafka),
# KAFKA_LIB_DIR (<data>/lib), KAFKA_HEAP_OPTS (-Xms256m -Xmx512m), KAFKA_START_TIMEOUT (90 s),
# KAFKA_STOP_TIMEOUT (60 s). Listens on 127.0.0.1 only.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
KAFKA_VERSION=3.9.1

usage() {
  echo "usage: $0 start|stop|status [--data DIR]" >&2
  exit 2
}

CMD="${1:-}"
[[ -n "$CMD" ]] || usage
shift
DATA_DIR="${KAFKA_DATA_DIR:-$ROOT/var/kafka}"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --data) [[ $# -ge 2 ]] || usage; DATA_DIR="$2"; shift 2 ;;
    --data=*) DATA_DIR="${1#--data=}"; shift ;;
    *) usage ;;
  esac
done
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"

PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
LIB_DIR="${KAFKA_LIB_DIR:-$DATA_DIR/lib}"
CONF_DIR="$DATA_DIR/config"
LOG_DIR="$DATA_DIR/logs"
KRAFT_DIR="$DATA_DIR/kraft-combined-logs"
PID_FILE="$DATA_DIR/kafka.pid"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-60}"

log() { echo "[kafka] $*" >&2; }
die() { echo "[kafka] ERROR: $*" >&2; exit 1; }

port_answers() {
  # bash's /dev/tcp: a TCP connect, closed at once. timeout bounds a half-open host.
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# The pid from the pid file when that process is still our broker (guards against a reused pid).
running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka" || return 1
  echo "$pid"
}

ensure_libs() {
  local stamp="$LIB_DIR/.complete" want
  want="$KAFKA_VERSION $(sha256sum "$SCRIPT_DIR/pom.xml" | cut -d' ' -f1)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$LIB_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]]; then
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found; Maven is needed to fetch Kafka $KAFKA_VERSION from Maven Central"
  log "copying Kafka $KAFKA_VERSION runtime jars into $LIB_DIR (Maven caches them in ~/.m2)"
  rm -rf "$LIB_DIR"
  mkdir -p "$LIB_DIR"
  mvn -q -B -Dstyle.color=never -f "$SCRIPT_DIR/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIB_DIR" </dev/null >"$DATA_DIR/mvn.log" 2>&1 ||
    { tail -n 30 "$DATA_DIR/mvn.log" >&2; die "mvn dependency:copy-dependencies failed (is Maven Central reachable?)"; }
  [[ -f "$LIB_DIR/kafka_2.13-$KAFKA_VERSION.jar" ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after copy"
  echo "$want" >"$stamp"
}

write_config() {
  mkdir -p "$CONF_DIR" "$LOG_DIR" "$KRAFT_DIR"
  cat >"$CONF_DIR/server.properties" <<EOF
# Written by tools/kafka/kafka.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KRAFT_DIR
num.partitions=1
default.replication.factor=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
min.insync.replicas=1
# Fewer internal partitions than the default 50: a single dev broker joins groups faster.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=10
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
delete.topic.enable=true
num.network.threads=2
num.io.threads=4
EOF
  cat >"$CONF_DIR/log4j.properties" <<EOF
# Broker logs go to a file, never to the console of the script that started it.
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=$LOG_DIR/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients=WARN
log4j.logger.kafka.log.LogCleaner=WARN
EOF
}

cluster_id() {
  local f="$DATA_DIR/cluster-id"
  if [[ ! -s "$f" ]]; then
    # A Kafka Uuid is 16 random bytes in URL-safe base64 without padding (what StorageTool random-uuid prints).
    head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' >"$f"
  fi
  cat "$f"
}

java_cmd() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"; return; fi
  command -v java >/dev/null || die "java not found; Kafka needs a Java 17 runtime"
  command -v java
}

start() {
  local pid
  if pid="$(running_pid)"; then
    log "already running (pid $pid) on 127.0.0.1:$PORT"
    return 0
  fi
  port_answers "$PORT" && die "port 127.0.0.1:$PORT is already in use by another process"
  port_answers "$CONTROLLER_PORT" && die "port 127.0.0.1:$CONTROLLER_PORT is already in use by another process"

  local t0 java
  t0=$(date +%s.%N)
  java="$(java_cmd)"
  ensure_libs
  write_config

  local jvm=(-cp "$LIB_DIR/*" ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20
    -Djava.awt.headless=true -Dkafka.logs.dir="$LOG_DIR" -Dlog4j.configuration="file:$CONF_DIR/log4j.properties")

  "$java" "${jvm[@]}" kafka.tools.StorageTool format -t "$(cluster_id)" -c "$CONF_DIR/server.properties" \
    --ignore-formatted >"$LOG_DIR/storage-format.log" 2>&1 </dev/null ||
    { cat "$LOG_DIR/storage-format.log" >&2; die "kafka-storage format failed"; }

  rm -f "$PID_FILE"
  # server.log is appended to across runs: only lines written after this offset tell about this start.
  local log_offset=0
  [[ -f "$LOG_DIR/server.log" ]] && log_offset=$(stat -c %s "$LOG_DIR/server.log")
  # setsid: the broker gets its own session, so a Ctrl-C meant for the test runner does not kill it before
  # the runner's trap stops it gracefully. The inner shell records its pid, then becomes the JVM.
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" "$java" "${jvm[@]}" kafka.Kafka \
    "$CONF_DIR/server.properties" >"$LOG_DIR/kafka.out" 2>&1 </dev/null &

  local deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if [[ -f "$PID_FILE" ]] && ! running_pid >/dev/null; then
      tail -n 40 "$LOG_DIR/server.log" "$LOG_DIR/kafka.out" >&2 2>/dev/null || true
      die "broker exited during start-up (logs in $LOG_DIR)"
    fi
    if running_pid >/dev/null && port_answers "$PORT" && tail -c "+$((log_offset + 1))" "$LOG_DIR/server.log" 2>/dev/null | grep -q "Kafka Server started"; then
      log "started (pid $(cat "$PID_FILE")) on 127.0.0.1:$PORT in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s; logs in $LOG_DIR"
      return 0
    fi
    sleep 0.25
  done
  tail -n 40 "$LOG_DIR/server.log" >&2 2>/dev/null || true
  stop || true
  die "broker did not answer on 127.0.0.1:$PORT within ${START_TIMEOUT}s (logs in $LOG_DIR)"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    log "not running"
    return 0
  fi
  log "stopping (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.25; done
  if kill -0 "$pid" 2>/dev/null; then
    log "no clean shutdown within ${STOP_TIMEOUT}s, killing"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$PID_FILE"
  log "stopped"
}

status() {
  local pid
  if pid="$(running_pid)"; then
    if port_answers "$PORT"; then
      echo "running (pid $pid) on 127.0.0.1:$PORT, data in $DATA_DIR"
    else
      echo "starting or unhealthy (pid $pid): 127.0.0.1:$PORT does not answer"
    fi
    return 0
  fi
  if port_answers "$PORT"; then
    echo "not started by this script, but something answers on 127.0.0.1:$PORT"
  else
    echo "not running"
  fi
  return 3
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
