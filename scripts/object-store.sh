#!/usr/bin/env bash
# A real S3-compatible object store for the tests: a single-node Ceph cluster
# (one monitor, one OSD on memstore, one RADOS Gateway) on 127.0.0.1, with
# cephx authentication. Debian's ceph packages are installed when missing.
#
#   scripts/object-store.sh start   # installs if needed, starts, prints the env file path
#   scripts/object-store.sh stop    # stops every daemon it started (by pid) and removes the data
#   scripts/object-store.sh status  # exit 0 when the gateway answers
#
# On start it writes $OBJECT_STORE_DIR/env (default /tmp/modelbundle-object-store/env) with
# MODELBUNDLE_S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION, which
# the S3 tests read. It logs the start-up time and the daemons' resident memory.
# The OSD keeps objects in memory (memstore): nothing touches a disk, start-up takes seconds,
# and a stop loses everything, which is what tests want.
set -Eeuo pipefail

DIR=${OBJECT_STORE_DIR:-/tmp/modelbundle-object-store}
MON_PORT=${OBJECT_STORE_MON_PORT:-46789}
RGW_PORT=${OBJECT_STORE_PORT:-47480}
CONF=$DIR/ceph.conf
ACCESS_KEY=modelbundletestkey
SECRET_KEY=modelbundletestsecret0123456789abcdef
log() { echo "object-store: $*" >&2; }

install_ceph() {
  local need=()
  for bin in ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw ceph:ceph-common radosgw-admin:ceph-common ceph-authtool:ceph-common monmaptool:ceph-base; do
    command -v "${bin%%:*}" >/dev/null || need+=("${bin##*:}")
  done
  command -v curl >/dev/null || need+=(curl)
  command -v uuidgen >/dev/null || need+=(uuid-runtime)
  [ ${#need[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    log "missing ${need[*]}: install them with apt-get as root (Debian packages ceph-mon ceph-osd radosgw ceph-common curl uuid-runtime)."
    exit 3
  fi
  log "installing ${need[*]}"
  local t0=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  log "installed in $((SECONDS - t0)) s"
}

ceph_() { ceph --conf "$CONF" --connect-timeout 15 "$@"; }

# The endpoint of a running store (from its env file), else the configured port.
endpoint() { sed -n 's/^MODELBUNDLE_S3_ENDPOINT=//p' "$DIR/env" 2>/dev/null | grep . || echo "http://127.0.0.1:$RGW_PORT"; }
gateway_up() { curl -fsS -m 3 -o /dev/null "$(endpoint)/" 2>/dev/null; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The first free port from $1 on, so a busy default does not stop the tests.
free_port() {
  local port=$1
  until port_free "$port"; do port=$((port + 1)); done
  echo "$port"
}

rss_mib() {
  local total=0 pid kb
  for f in "$DIR"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0}))
  done
  echo $((total / 1024))
}

write_conf() {
  cat >"$CONF" <<EOF
[global]
fsid = $(uuidgen)
mon host = v1:127.0.0.1:$MON_PORT
mon initial members = a
public network = 127.0.0.0/8
ms bind ipv4 = true
ms bind ipv6 = false
ms bind msgr2 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $DIR/admin.keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/\$name.pid
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = ${OBJECT_STORE_BYTES:-6442450944}
osd max object size = 1073741824
osd op num shards = 1
osd op num threads per shard = 2
[mon.a]
mon data = $DIR/mon
[osd.0]
osd data = $DIR/osd
keyring = $DIR/osd/keyring
[client.rgw.a]
keyring = $DIR/rgw.keyring
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT tcp_nodelay=1
rgw dns name = 127.0.0.1
rgw thread pool size = 64
rgw enable usage log = false
rgw max put size = 6442450944
EOF
}

# Stops what was started, shows the gateway's last log lines, and ends with an error.
fail() {
  log "$*; logs in $DIR/log"
  tail -5 "$DIR/log/client.rgw.a.log" >&2 2>/dev/null || true
  cat "$DIR/log/daemons.err" >&2 2>/dev/null || true
  stop quiet_keep_logs
  exit 1
}

start() {
  install_ceph
  if gateway_up && [ -f "$DIR/env" ]; then
    log "already running at $(endpoint)"
    echo "$DIR/env"
    return 0
  fi
  stop quiet
  MON_PORT=$(free_port "$MON_PORT")
  RGW_PORT=$(free_port "$RGW_PORT")
  local t0
  t0=$(date +%s.%N)
  mkdir -p "$DIR"/{run,log,mon,osd}
  write_conf
  # cephx keys: the monitor's, the admin's, and a monmap with one monitor on loopback.
  ceph-authtool --create-keyring "$DIR/mon.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$DIR/admin.keyring" --gen-key -n client.admin \
    --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$DIR/mon.keyring" --import-keyring "$DIR/admin.keyring" >/dev/null
  local fsid
  fsid=$(awk '/^fsid/ {print $3}' "$CONF")
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v1:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
  ceph-mon --conf "$CONF" --mkfs -i a --monmap "$DIR/monmap" --keyring "$DIR/mon.keyring"
  ceph-mon --conf "$CONF" -i a 2>>"$DIR/log/daemons.err" 9>&-
  # One OSD on memstore.
  local uuid id
  uuid=$(uuidgen)
  id=$(ceph_ osd new "$uuid")
  [ "$id" = 0 ] || { log "expected osd id 0, got $id"; exit 1; }
  ceph-authtool --create-keyring "$DIR/osd/keyring" --gen-key -n osd.0 >/dev/null
  ceph_ auth add osd.0 osd 'allow *' mon 'allow profile osd' -i "$DIR/osd/keyring" 2>/dev/null
  ceph-osd --conf "$CONF" -i 0 --mkfs --osd-uuid "$uuid" --no-mon-config 2>"$DIR/log/osd-mkfs.err" >/dev/null ||
    { cat "$DIR/log/osd-mkfs.err" >&2; exit 1; }
  ceph-osd --conf "$CONF" -i 0 2>>"$DIR/log/daemons.err" 9>&-
  # The gateway, with its own cephx identity.
  ceph_ auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' >"$DIR/rgw.keyring"
  radosgw --conf "$CONF" -n client.rgw.a 2>>"$DIR/log/daemons.err" 9>&-
  local deadline=$((SECONDS + 120))
  until gateway_up; do
    local rgw_pid
    rgw_pid=$(cat "$DIR/client.rgw.a.pid" 2>/dev/null || true)
    if [ -n "$rgw_pid" ] && ! kill -0 "$rgw_pid" 2>/dev/null; then fail "the gateway exited while starting"; fi
    [ $SECONDS -lt $deadline ] || fail "the gateway did not answer on 127.0.0.1:$RGW_PORT within 120 s"
    sleep 0.2
  done
  radosgw-admin --conf "$CONF" user create --uid=modelbundle --display-name=modelbundle-tests \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
  cat >"$DIR/env" <<EOF
MODELBUNDLE_S3_ENDPOINT=http://127.0.0.1:$RGW_PORT
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
AWS_REGION=us-east-1
EOF
  local t1
  t1=$(date +%s.%N)
  log "Ceph $(ceph-mon --version | awk '{print $3}') up at http://127.0.0.1:$RGW_PORT in $(awk "BEGIN {printf \"%.1f\", $t1 - $t0}") s; mon+osd+rgw resident memory $(rss_mib) MiB"
  echo "$DIR/env"
}

stop() {
  local quiet=${1:-}
  local pid stopped=0
  for f in "$DIR"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      stopped=$((stopped + 1))
    fi
  done
  for f in "$DIR"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [ "$quiet" = quiet_keep_logs ]; then rm -rf "$DIR/mon" "$DIR/osd" "$DIR/env"; else rm -rf "$DIR"; fi
  [ -n "$quiet" ] || log "stopped $stopped daemons"
}

# One start or stop at a time: test processes that start the store in parallel wait for the first.
# (The daemons are started without this descriptor, so they never hold the lock.)
if command -v flock >/dev/null; then
  exec 9>"${DIR%/}.lock"
  flock 9
fi

case "${1:-}" in
  start) trap 'fail "a start-up step failed (line $LINENO)"' ERR; start ;;
  stop) stop ;;
  status) gateway_up ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
