#!/usr/bin/env bash
# Install (when missing) and start Debian's PostgreSQL on loopback, with a role and database
# for the tests. Prints the URL to use as VUURTOREN_TEST_POSTGRES_URL on its last line.
set -euo pipefail
if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d /usr/lib/postgresql ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -h 127.0.0.1 -q && break
  sleep 1
done
pg_isready -h 127.0.0.1
su postgres -c "psql -qtc \"SELECT 1 FROM pg_roles WHERE rolname='vuurtoren_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE vuurtoren_test LOGIN PASSWORD 'vuurtoren_test' CREATEDB\""
su postgres -c "psql -qtc \"SELECT 1 FROM pg_database WHERE datname='vuurtoren_test'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE DATABASE vuurtoren_test OWNER vuurtoren_test\""
echo "postgresql+asyncpg://vuurtoren_test:vuurtoren_test@127.0.0.1:5432/vuurtoren_test"
