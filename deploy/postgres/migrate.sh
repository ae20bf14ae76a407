#!/bin/sh
# compose's one-shot `migrate`: each service's migrations as its database's owner role
# (roles.sql), with the password from the compose secret <service>-db-owner-password.
# The services themselves run as their DML-only role with XIETONG_MIGRATE_ON_START=false.
set -eu
: "${XIETONG_SERVICES:?the services to migrate}"
for svc in $XIETONG_SERVICES; do
  pkg=$(printf '%s' "$svc" | tr - _)
  XIETONG_SERVICE_NAME="$svc" \
  XIETONG_DATABASE_URL="postgresql+asyncpg://${pkg}@${XIETONG_DB_HOST:-postgres}:5432/xietong_${pkg}" \
  XIETONG_DATABASE_PASSWORD_FILE="${XIETONG_DB_SECRETS:-/run/secrets}/${svc}-db-owner-password" \
    xietong migrate "$svc"
done
