#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, combined broker+controller) for tests.
#
# Usage: build/kafka.sh fetch|up|down|status|kill9|start-again|tool CLASS ARGS...
#
#   fetch        resolve the Kafka jars from build/kafka/pom.xml into build/.cache/kafka-jars
#   up           start a broker on free loopback ports (idempotent); writes build/broker.env
#   down         stop the broker (SIGTERM, 30 s, then SIGKILL), delete its data dir and broker.env
#   status       print the broker state; exit 0 only if it is alive and answering
#   kill9        SIGKILL the broker, keep data dir, ports and broker.env (fault tests)
#   start-again  start the broker again on the same ports and data dir (after kill9)
#   tool CLASS   run a Kafka tool class with the cached classpath, e.g.
#                build/kafka.sh tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server ... 
#
# Timings measured on the 2-core dev box (Kafka 4.1.1, Java 17):
#   fetch        ~2.5 s with a warm ~/.m2 (~10 s cold), 0 s when cached
#   up           ~5-6 s (random-uuid + format ~2 s, JVM start to first metadata answer ~3 s);
#                ~0.6 s when the broker is already up
#   down         ~1.5-2 s (clean SIGTERM shutdown)
#   kill9 + start-again  ~2 s + ~15 s (unclean-shutdown log recovery)
# Transactions work on this single node (ProducerPerformance --transactional-id, then a
# read_committed ConsoleConsumer; TransactionsCommand list shows CompleteCommit).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
JARS="${KLIENT_KAFKA_JARS:-$BUILD/.cache/kafka-jars}"
POM="$BUILD/kafka/pom.xml"
# KLIENT_BROKER_STATE=/path/prefix gives a test its own private broker (prefix.env,
# .pid, .log) that it may kill9/start-again/down without touching the shared one.
STATE="${KLIENT_BROKER_STATE:-$BUILD/broker}"
ENV_FILE="$STATE.env"
PID_FILE="$STATE.pid"
LOG_FILE="$STATE.log"
MARKER="$JARS/.complete"
UP_TIMEOUT="${KLIENT_BROKER_UP_TIMEOUT:-90}"
JAVA_LOG_OPTS=(-Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dorg.slf4j.simpleLogger.showDateTime=true)

log() { echo "kafka.sh: $*" >&2; }
die() { log "$*"; exit 1; }

cmd_fetch() {
  # The marker stores the pom's checksum so that editing the pom re-resolves.
  local sum
  sum="$(sha256sum "$POM" | cut -d' ' -f1)"
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "$sum" ]]; then
    return 0
  fi
  log "resolving Kafka jars into $JARS"
  rm -rf "$JARS"
  mkdir -p "$JARS"
  mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
    -DoutputDirectory="$JARS" -DincludeScope=runtime >&2
  ls "$JARS"/kafka_2.13-*.jar >/dev/null 2>&1 || die "fetch: kafka_2.13 jar missing in $JARS"
  echo "$sum" >"$MARKER"
}

kjava() { # run a java class on the Kafka classpath
  java -Xms64m -Xmx512m "${JAVA_LOG_OPTS[@]}" -cp "$JARS/*" "$@"
}

cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: kafka.sh tool CLASS [ARGS...]"
  cmd_fetch
  kjava "$@"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# load_env: read build/broker.env into KLIENT_* variables; returns 1 if absent
load_env() {
  [[ -f "$ENV_FILE" ]] || return 1
  KLIENT_TEST_BOOTSTRAP="" KLIENT_BROKER_PID="" KLIENT_BROKER_DATA="" KLIENT_BROKER_CONTROLLER=""
  KLIENT_TEST_SASL_BOOTSTRAP="" KLIENT_TEST_SSL_BOOTSTRAP=""
  # shellcheck disable=SC1090
  source "$ENV_FILE"
  [[ -n "$KLIENT_TEST_BOOTSTRAP" ]]
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# metadata_ok BOOTSTRAP: a real Kafka metadata round-trip (AdminClient listTopics)
metadata_ok() {
  kjava org.apache.kafka.tools.TopicCommand --bootstrap-server "$1" --list \
    --command-config <(printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=8000\n') \
    >/dev/null 2>&1
}

# The test credentials of the SASL/SCRAM listener (a throwaway broker on loopback).
SASL_USER=klient
SASL_PASSWORD=klient-test-secret
TLS_PASSWORD=klient-test-keystore

# make_tls DATA: a self-signed CA and a broker certificate for 127.0.0.1/localhost.
# Clients trust $data/tls/ca.pem; the broker reads a PKCS12 keystore.
make_tls() {
  local tls="$1/tls"
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3 -subj "/CN=klient-test-ca"
    openssl req -newkey rsa:2048 -nodes -keyout broker.key -out broker.csr -subj "/CN=localhost"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
    openssl x509 -req -in broker.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out broker.pem -days 3 -extfile san.ext
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -out broker.p12 -password "pass:$TLS_PASSWORD"
  ) >"$1/tls.log" 2>&1 || { cat "$1/tls.log" >&2; die "TLS material generation failed"; }
}

# Listeners: PLAINTEXT (tests), SASL (SASL_PLAINTEXT + SCRAM-SHA-512), SSL (TLS), CONTROLLER.
write_config() { # DATA PORT CPORT SASLPORT SSLPORT
  local data="$1" port="$2" cport="$3" sport="$4" tport="$5"
  cat >"$data/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
controller.listener.names=CONTROLLER
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport,SASL://127.0.0.1:$sport,SSL://127.0.0.1:$tport
advertised.listeners=PLAINTEXT://127.0.0.1:$port,SASL://127.0.0.1:$sport,SSL://127.0.0.1:$tport
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL:SASL_PLAINTEXT,SSL:SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
ssl.keystore.type=PKCS12
ssl.keystore.location=$data/tls/broker.p12
ssl.keystore.password=$TLS_PASSWORD
ssl.key.password=$TLS_PASSWORD
ssl.client.auth=none
log.dirs=$data/logs
metadata.log.dir=$data/metadata
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=true
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.segment.bytes=16777216
log.retention.check.interval.ms=60000
# Keep every record: tests produce with old timestamps (the C suite's 2023-11-14, the
# property tests' back to 1970), which the default 7-day retention would delete at the
# next check, mid-test (seen as "offset out of range" at offset 0).
log.retention.ms=-1
num.network.threads=2
num.io.threads=4
delete.topic.enable=true
EOF
}

start_java() { # DATA
  local data="$1"
  : >"$LOG_FILE"
  # setsid: the broker must not die with the shell/make that started it.
  nohup setsid java -Xms256m -Xmx1g "${JAVA_LOG_OPTS[@]}" \
    -Dkafka.logs.dir="$data/app-logs" \
    -cp "$JARS/*" kafka.Kafka "$data/server.properties" \
    >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  echo $!
}

wait_ready() { # PID BOOTSTRAP
  local pid="$1" bootstrap="$2" start=$SECONDS
  while true; do
    if ! pid_alive "$pid"; then
      log "broker (pid $pid) died during startup; tail of $LOG_FILE:"
      tail -n 60 "$LOG_FILE" >&2 || true
      return 1
    fi
    if metadata_ok "$bootstrap"; then
      return 0
    fi
    if (( SECONDS - start >= UP_TIMEOUT )); then
      log "broker did not answer within ${UP_TIMEOUT}s; tail of $LOG_FILE:"
      tail -n 60 "$LOG_FILE" >&2 || true
      kill -9 "$pid" 2>/dev/null || true
      return 1
    fi
    sleep 1
  done
}

write_env() { # BOOTSTRAP PID DATA CPORT SASL_BOOTSTRAP SSL_BOOTSTRAP
  cat >"$ENV_FILE.tmp" <<EOF
KLIENT_TEST_BOOTSTRAP=$1
KLIENT_BROKER_PID=$2
KLIENT_BROKER_DATA=$3
KLIENT_BROKER_CONTROLLER=127.0.0.1:$4
KLIENT_TEST_SASL_BOOTSTRAP=$5
KLIENT_TEST_SASL_USERNAME=$SASL_USER
KLIENT_TEST_SASL_PASSWORD=$SASL_PASSWORD
KLIENT_TEST_SSL_BOOTSTRAP=$6
KLIENT_TEST_SSL_CA=$3/tls/ca.pem
EOF
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

cmd_up() {
  cmd_fetch
  if load_env; then
    if pid_alive "$KLIENT_BROKER_PID" && metadata_ok "$KLIENT_TEST_BOOTSTRAP"; then
      log "broker already up at $KLIENT_TEST_BOOTSTRAP (pid $KLIENT_BROKER_PID)"
      return 0
    fi
    log "stale $ENV_FILE; cleaning up"
    cmd_down
  fi
  local port cport sport tport data cluster pid t0=$SECONDS
  port="$(free_port)"
  cport="$(free_port)"
  sport="$(free_port)"
  tport="$(free_port)"
  while [[ "$cport" == "$port" || "$sport" == "$port" || "$sport" == "$cport" ||
           "$tport" == "$port" || "$tport" == "$cport" || "$tport" == "$sport" ]]; do
    cport="$(free_port)"; sport="$(free_port)"; tport="$(free_port)"
  done
  data="$(mktemp -d "${TMPDIR:-/tmp}/klient-kafka.XXXXXX")"
  make_tls "$data"
  write_config "$data" "$port" "$cport" "$sport" "$tport"
  cluster="$(kjava kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)"
  [[ -n "$cluster" ]] || die "could not generate a cluster id"
  if ! kjava kafka.tools.StorageTool format -t "$cluster" -c "$data/server.properties" \
      --add-scram "SCRAM-SHA-512=[name=$SASL_USER,password=$SASL_PASSWORD]" \
      >"$data/format.log" 2>&1; then
    cat "$data/format.log" >&2
    rm -rf "$data"
    die "storage format failed"
  fi
  pid="$(start_java "$data")"
  # Write the env file early so `down` can clean up even if startup fails.
  write_env "127.0.0.1:$port" "$pid" "$data" "$cport" "127.0.0.1:$sport" "127.0.0.1:$tport"
  if ! wait_ready "$pid" "127.0.0.1:$port"; then
    cmd_down
    exit 1
  fi
  log "broker up at 127.0.0.1:$port (pid $pid, data $data) in $((SECONDS - t0))s"
}

cmd_down() {
  local pid="" data=""
  if load_env; then
    pid="$KLIENT_BROKER_PID"
    data="$KLIENT_BROKER_DATA"
  elif [[ -f "$PID_FILE" ]]; then
    pid="$(cat "$PID_FILE")"
  fi
  if pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 300; i++)); do
      pid_alive "$pid" || break
      sleep 0.1
    done
    if pid_alive "$pid"; then
      log "broker pid $pid ignored SIGTERM for 30s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
    fi
  fi
  # Only ever delete a data dir we created.
  if [[ -n "$data" && -d "$data" && "$data" == */klient-kafka.* ]]; then
    rm -rf "$data"
  fi
  rm -f "$ENV_FILE" "$ENV_FILE.tmp" "$PID_FILE"
}

cmd_status() {
  if ! load_env; then
    echo "down (no $ENV_FILE)"
    return 1
  fi
  if ! pid_alive "$KLIENT_BROKER_PID"; then
    echo "dead (pid $KLIENT_BROKER_PID not running; $KLIENT_TEST_BOOTSTRAP)"
    return 1
  fi
  if metadata_ok "$KLIENT_TEST_BOOTSTRAP"; then
    echo "up $KLIENT_TEST_BOOTSTRAP pid=$KLIENT_BROKER_PID data=$KLIENT_BROKER_DATA"
  else
    echo "not answering ($KLIENT_TEST_BOOTSTRAP pid=$KLIENT_BROKER_PID)"
    return 1
  fi
}

cmd_kill9() {
  load_env || die "no broker ($ENV_FILE missing)"
  if pid_alive "$KLIENT_BROKER_PID"; then
    kill -KILL "$KLIENT_BROKER_PID"
    while pid_alive "$KLIENT_BROKER_PID"; do sleep 0.05; done
  fi
  log "broker pid $KLIENT_BROKER_PID killed (data kept in $KLIENT_BROKER_DATA)"
}

cmd_start_again() {
  load_env || die "no broker ($ENV_FILE missing); use up"
  if pid_alive "$KLIENT_BROKER_PID"; then
    log "broker already running (pid $KLIENT_BROKER_PID)"
    return 0
  fi
  [[ -f "$KLIENT_BROKER_DATA/server.properties" ]] || die "data dir $KLIENT_BROKER_DATA is gone"
  local pid t0=$SECONDS
  pid="$(start_java "$KLIENT_BROKER_DATA")"
  write_env "$KLIENT_TEST_BOOTSTRAP" "$pid" "$KLIENT_BROKER_DATA" "${KLIENT_BROKER_CONTROLLER##*:}" \
    "$KLIENT_TEST_SASL_BOOTSTRAP" "$KLIENT_TEST_SSL_BOOTSTRAP"
  # The ports may have been grabbed meanwhile; wait_ready then reports the bind failure.
  wait_ready "$pid" "$KLIENT_TEST_BOOTSTRAP" || exit 1
  log "broker restarted at $KLIENT_TEST_BOOTSTRAP (pid $pid) in $((SECONDS - t0))s"
}

sub="${1:-}"
[[ $# -gt 0 ]] && shift
case "$sub" in
  fetch) cmd_fetch ;;
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill9) cmd_kill9 ;;
  start-again) cmd_start_again ;;
  restart) cmd_kill9; cmd_start_again ;;
  tool) cmd_tool "$@" ;;
  *) die "usage: $0 fetch|up|down|status|kill9|start-again|restart|tool CLASS ARGS..." ;;
esac
