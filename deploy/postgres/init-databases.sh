#!/bin/bash
# Runs once, on the first start of the postgres container (an empty pgdata volume): for
# each service its database and two roles (roles.sql beside this file): `<service>`, the
# owner, which only the one-shot `migrate` logs in as, and `<service>_app`, the DML-only
# role the running service uses. Passwords are files (compose secrets, made by
# deploy/new-env.sh): $XIETONG_DB_SECRETS/<service>-db-owner-password and
# <service>-db-password; the variables XIETONG_DB_PASSWORD_<SERVICE> (owner) and
# XIETONG_DB_APP_PASSWORD_<SERVICE> (app) are read when no file is given.
# To change a password later, run roles.sql again (docs/deploy.md).
set -euo pipefail
services=(info-sharing assistance referral legal-review joint-inspection secondment oversight notifier)
secrets="${XIETONG_DB_SECRETS:-/run/secrets}"
roles_sql="${XIETONG_ROLES_SQL:-/opt/xietong/roles.sql}"

password() {  # SERVICE KIND(owner|app) -> the password, or exit
  local svc="$1" kind="$2" file var value upper
  upper="$(tr '[:lower:]-' '[:upper:]_' <<<"$svc")"
  if [[ "$kind" == owner ]]; then
    file="$secrets/$svc-db-owner-password"; var="XIETONG_DB_PASSWORD_$upper"
  else
    file="$secrets/$svc-db-password"; var="XIETONG_DB_APP_PASSWORD_$upper"
  fi
  if [[ -f "$file" ]]; then
    value="$(<"$file")"
  else
    value="${!var:-}"
  fi
  # Each goes into nothing but psql's quoting, yet keep them URL-safe for operators' URLs.
  if [[ ! "$value" =~ ^[A-Za-z0-9._~-]{16,}$ ]]; then
    echo "init-databases: the $kind password of $svc ($file or $var): 16 or more" \
      "characters from A-Z a-z 0-9 . _ ~ - (deploy/new-env.sh makes them)" >&2
    exit 1
  fi
  printf '%s' "$value"
}

# Every password first, so nothing is half created when one is missing.
for svc in "${services[@]}"; do
  password "$svc" owner >/dev/null
  password "$svc" app >/dev/null
done
for svc in "${services[@]}"; do
  pkg="${svc//-/_}"
  psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres --quiet \
    -v owner="$pkg" -v app="${pkg}_app" -v db="xietong_$pkg" \
    -v owner_password="$(password "$svc" owner)" -v app_password="$(password "$svc" app)" \
    -f "$roles_sql"
  echo "init-databases: xietong_$pkg, roles $pkg (owner) and ${pkg}_app"
done
