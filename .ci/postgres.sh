#!/bin/sh
# Makes PostgreSQL's server binaries available for the tests (tests/global-setup.ts starts a
# throw-away cluster with them). Idempotent and non-interactive; Debian/Ubuntu (apt-get).
set -eu

have_server() {
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "postgres.sh: PostgreSQL server binaries found in $dir"
      return 0
    fi
  done
  return 1
}

if have_server; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "postgres.sh: no PostgreSQL server binaries and no apt-get; install PostgreSQL or set TEST_DATABASE_URL" >&2
  exit 1
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "postgres.sh: need root (or sudo) to install postgresql" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends postgresql
# Debian starts a system cluster on install; the tests use their own, so the service may stay as is.

have_server || { echo "postgres.sh: postgresql installed but initdb/pg_ctl not found" >&2; exit 1; }
