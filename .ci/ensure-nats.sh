#!/usr/bin/env bash
# Makes sure a NATS server with JetStream answers at the given URL's host and port
# (127.0.0.1:4222). Installs Debian's nats-server when none is installed, and starts one in the
# background when nothing answers there, its JetStream store and its log under /tmp. A NATS
# already running is left as it is (never stopped), but must have JetStream on.
# Usage: .ci/ensure-nats.sh nats://127.0.0.1:4222
set -euo pipefail
url="$1"
hostport="${url#*://}"
host="${hostport%:*}"
port="${hostport##*:}"
store=/tmp/flashsale-ci-nats
log=/tmp/flashsale-ci-nats.log
pidfile=/tmp/flashsale-ci-nats.pid
# A NATS server greets every connection with one INFO line (JSON), which says whether JetStream is on.
info() { timeout 2 bash -c "exec 3<>/dev/tcp/${host}/${port} && head -n1 <&3" 2>/dev/null; }

if ! info >/dev/null; then
  server="$(command -v nats-server || echo /usr/sbin/nats-server)"
  if [ ! -x "$server" ]; then
    echo "nats-server is not installed: installing it"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq nats-server >/dev/null
    server=/usr/sbin/nats-server
  fi
  echo "nothing answers on ${host}:${port}: starting nats-server with JetStream (store ${store}, log ${log})"
  mkdir -p "$store"
  # Matched by its own pid file, not by the program: another nats-server may run on other ports.
  start-stop-daemon --start --background --pidfile "$pidfile" --make-pidfile --startas "$server" -- -a "$host" -p "$port" -js -sd "$store" -l "$log"
  for _ in $(seq 1 30); do info >/dev/null && break; sleep 1; done
fi

greeting="$(info)" || { echo "NATS does not answer on ${host}:${port} (see ${log})"; exit 1; }
case "$greeting" in
  *'"jetstream":true'*) ;;
  *) echo "the NATS on ${host}:${port} has JetStream off: the tests need it (run it with -js)"; exit 1 ;;
esac
echo "$greeting" | sed -E 's/.*"version":"([^"]*)".*/NATS \1 with JetStream on '"${host}:${port}"'/'
