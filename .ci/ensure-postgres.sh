#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers at the given URL's host (127.0.0.1:5432), user postgres
# with trust auth, and that the URL's database exists. Installs PostgreSQL with apt when missing.
set -euo pipefail
url="$1"
db="${url##*/}"

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "PostgreSQL is not installed: installing it"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

version="$(ls /etc/postgresql | sort -V | tail -n 1)"
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "PostgreSQL ${version} is down: starting it"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
pg_isready -h 127.0.0.1 -p 5432

# A freshly installed cluster asks for passwords on TCP; the tests expect trust on loopback.
if ! psql "postgres://postgres@127.0.0.1:5432/postgres" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  hba="/etc/postgresql/${version}/main/pg_hba.conf"
  echo "enabling trust auth for postgres on 127.0.0.1 in ${hba}"
  sed -i '1i host all postgres 127.0.0.1/32 trust' "$hba"
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  sleep 1
fi

if [ "$(psql "postgres://postgres@127.0.0.1:5432/postgres" -qAtc "SELECT 1 FROM pg_database WHERE datname = '${db}'")" != "1" ]; then
  psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "CREATE DATABASE \"${db}\""
fi
psql "$url" -qAtc 'SELECT version()'
