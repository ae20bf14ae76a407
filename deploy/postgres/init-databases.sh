#!/bin/bash
# Runs once, on the first start of the postgres container (an empty pgdata volume): one
# role and one database per service, each role with its own password from
# XIETONG_DB_PASSWORD_<SERVICE> (XIETONG_DB_PASSWORD_REFERRAL, …; see deploy/.env.example).
# A role can reach only its own database: CONNECT is revoked from PUBLIC.
# To change a password later: ALTER ROLE <role> PASSWORD '…' (docs/deploy.md).
set -euo pipefail
services=(info_sharing assistance referral legal_review joint_inspection secondment oversight)
# Every password first, so nothing is half created when one is missing. Each goes into
# its service's database URL: URL-safe characters only.
for svc in "${services[@]}"; do
  var="XIETONG_DB_PASSWORD_${svc^^}"
  if [[ ! "${!var:-}" =~ ^[A-Za-z0-9._~-]{16,}$ ]]; then
    echo "init-databases: set $var: 16 or more characters from A-Z a-z 0-9 . _ ~ -" \
      "(e.g. openssl rand -hex 24)" >&2
    exit 1
  fi
done
for svc in "${services[@]}"; do
  var="XIETONG_DB_PASSWORD_${svc^^}"
  # psql quotes :'password' itself, so no character of it can end the SQL literal.
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v password="${!var}" <<SQL
CREATE ROLE ${svc} LOGIN PASSWORD :'password';
CREATE DATABASE xietong_${svc} OWNER ${svc};
REVOKE CONNECT ON DATABASE xietong_${svc} FROM PUBLIC;
SQL
done
