#!/usr/bin/env bash
# Start Debian's PostgreSQL on loopback, with a role and database for the tests, and print
# the URL to use as VUURTOREN_TEST_POSTGRES_URL (the only line on stdout).
#   .ci/postgres.sh               installs PostgreSQL first when it is missing (CI)
#   .ci/postgres.sh --no-install  `make test`: uses a local PostgreSQL only if one is
#                                 installed and this user may start it; else prints nothing
set -euo pipefail
install=yes
[ "${1:-}" = "--no-install" ] && install=no
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /usr/lib/postgresql ]; then
  [ "$install" = yes ] || exit 0
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  # not root: only a server that already runs, with the test role made before
  if pg_isready -h 127.0.0.1 -q 2>/dev/null; then
    echo "postgresql+asyncpg://vuurtoren_test:vuurtoren_test@127.0.0.1:5432/vuurtoren_test"
  fi
  exit 0
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -q && break
  sleep 1
done
pg_isready -h 127.0.0.1 >&2
su postgres -c "psql -qtc \"SELECT 1 FROM pg_roles WHERE rolname='vuurtoren_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE vuurtoren_test LOGIN PASSWORD 'vuurtoren_test' CREATEDB\"" >&2
su postgres -c "psql -qtc \"SELECT 1 FROM pg_database WHERE datname='vuurtoren_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE DATABASE vuurtoren_test OWNER vuurtoren_test\"" >&2
echo "postgresql+asyncpg://vuurtoren_test:vuurtoren_test@127.0.0.1:5432/vuurtoren_test"
