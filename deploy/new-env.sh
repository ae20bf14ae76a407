#!/usr/bin/env bash
# Prints deploy/.env.example with a fresh random value for every required secret:
#   cd deploy && ./new-env.sh > .env && chmod 600 .env
# Optional settings (XIETONG_JWT_JWKS_URL, KAFKA_EXTERNAL_*) stay empty. Never run it over
# an existing .env of a deployment: the database passwords are fixed at its first start.
set -euo pipefail
cd "$(dirname "$0")"
optional='^(XIETONG_JWT_JWKS_URL|KAFKA_EXTERNAL_HOST|KAFKA_EXTERNAL_PORT)='
while IFS= read -r line; do
  if [[ "$line" =~ ^[A-Z_]+=$ && ! "$line" =~ $optional ]]; then
    printf '%s%s\n' "$line" "$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')"
  else
    printf '%s\n' "$line"
  fi
done < .env.example
