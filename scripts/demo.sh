#!/usr/bin/env bash
# cogov's main job, for a first look: install dependencies, build, start the
# four daemons in a run directory (ipc endpoints, SQLite stores, keys, manual
# calendar), run the demonstration year of a fictional consortium
# (deploy/demo/scenario.sh: data plus cogovctl commands) and print its
# report. The daemons keep running so you can explore with cogovctl.
#   --stop   stop the daemons at the end (tests, CI)
#   COGOV_DEMO_DIR   run directory (default /tmp/cogov-demo)
#   COGOV_BUILD_DIR  build directory (default build)
#   COGOV_NO_BUILD=1 use what is built there (no install, no build)
set -euo pipefail
cd "$(dirname "$0")/.."
STOP=0
for a in "$@"; do
  case $a in
  --stop) STOP=1 ;;
  --keep) ;; # the default since the demonstration became a full year
  *) echo "usage: $0 [--stop]" >&2; exit 1 ;;
  esac
done
BUILD=${COGOV_BUILD_DIR:-build}
if [ "${COGOV_NO_BUILD:-0}" != 1 ]; then
  ./scripts/deps.sh
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j"$(nproc)" --target cogov-coordination \
    cogov-secretariat cogov-incentives cogov-supervision cogovctl >/dev/null
fi
BIN=$(cd "$BUILD" && pwd)
RUN=${COGOV_DEMO_DIR:-/tmp/cogov-demo}
SERVICES="coordination secretariat incentives supervision"
for f in "$RUN"/*.pid; do [ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
rm -rf "$RUN"
mkdir -p "$RUN"

common() {
  cat <<CONF
keys_dir = $RUN/keys
allow_list = $RUN/allow.list
log_level = info
coordination_endpoint = ipc://$RUN/coordination.sock
secretariat_endpoint = ipc://$RUN/secretariat.sock
incentives_endpoint = ipc://$RUN/incentives.sock
supervision_endpoint = ipc://$RUN/supervision.sock
fetch_wait_ms = 1000
CONF
}
{ echo "store = $RUN/coordination.db"; common
  echo "calendar_mode = manual"; echo "calendar_start = 2025-01-01"; } > "$RUN/coordination.conf"
for s in secretariat incentives supervision; do
  { echo "store = $RUN/$s.db"; common; } > "$RUN/$s.conf"
done
# A young consortium's grades: thresholds configurable (README, supervision).
cat deploy/demo/supervision.conf >> "$RUN/supervision.conf"
cat > "$RUN/cogovctl.conf" <<CONF
coordination_endpoint = ipc://$RUN/coordination.sock
secretariat_endpoint = ipc://$RUN/secretariat.sock
incentives_endpoint = ipc://$RUN/incentives.sock
supervision_endpoint = ipc://$RUN/supervision.sock
keys_dir = $RUN/keys
key = operator
CONF
export COGOVCTL=$BIN/tools/cogovctl
ctl() { "$COGOVCTL" -c "$RUN/cogovctl.conf" "$@"; }

# First start makes the keys and the allow-list (see README, Security); the
# people of the scenario get keys of their own before the daemons start.
ctl keys init --dir "$RUN/keys" --allow-list "$RUN/allow.list" >/dev/null
ALLOW_LIST=$RUN/allow.list deploy/demo/scenario.sh people "$RUN/cogovctl.conf"
for s in $SERVICES; do
  setsid "$BIN/services/$s/cogov-$s" -c "$RUN/$s.conf" 2>>"$RUN/$s.log" </dev/null >/dev/null &
  echo $! > "$RUN/$s.pid"
done
stop_all() {
  for s in supervision incentives secretariat coordination; do
    [ -e "$RUN/$s.pid" ] && kill -TERM "$(cat "$RUN/$s.pid")" 2>/dev/null || true
  done
  wait || true
  rm -f "$RUN"/*.pid
}
trap 'stop_all' EXIT
for i in $(seq 1 100); do
  ctl --timeout 300 status >/dev/null 2>&1 && break
  [ "$i" = 100 ] && { echo "daemons did not start; see $RUN/*.log" >&2; exit 1; }
done

deploy/demo/scenario.sh year "$RUN/cogovctl.conf"
deploy/demo/scenario.sh report "$RUN/cogovctl.conf"
echo
echo "Run directory: $RUN (configs, keys, stores, logs)."
if [ $STOP = 1 ]; then
  stop_all
  echo "Daemons stopped."
else
  trap - EXIT
  echo "The four daemons are still running. Explore, for example:"
  echo "  export COGOV_CTL_CONF=$RUN/cogovctl.conf; alias cogovctl=$COGOVCTL"
  echo "  cogovctl member list; cogovctl award list; cogovctl trace res:M2025-01/1"
  echo "Stop them with: kill \$(cat $RUN/*.pid)"
fi
exit 0
