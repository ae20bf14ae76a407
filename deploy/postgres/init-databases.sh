#!/bin/bash
# Runs once, on the first start of the postgres container: one role and one database per
# service. Passwords come from XIETONG_DB_PASSWORD (the same for all roles here; give each
# its own in a real deployment by extending this script).
set -euo pipefail
: "${XIETONG_DB_PASSWORD:?set XIETONG_DB_PASSWORD}"
for svc in info_sharing assistance referral legal_review joint_inspection secondment; do
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres <<SQL
CREATE ROLE ${svc} LOGIN PASSWORD '${XIETONG_DB_PASSWORD}';
CREATE DATABASE xietong_${svc} OWNER ${svc};
SQL
done
