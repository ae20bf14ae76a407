#!/usr/bin/env bash
# Prepares deploy/ for `docker compose up` on this host (docs/deploy.md):
#   1. checks Docker Compose is v2.24.0 or newer (Debian 12's docker-compose 1.29 cannot
#      read the file: it rejects the top-level `name:` among others);
#   2. .env from .env.example (settings, no secrets), if there is none;
#   3. secrets/ (mode 0700): a random password for every database role and Kafka user, the
#      JWT secret, joint inspection's identity key, the notifier's secrets key, Grafana's
#      admin password, and one Ed25519 audit signing key per service (openssl genpkey),
#      each only where missing;
#   4. proxy/tls/: a certificate for the HTTPS proxy from a local CA (proxy/make-certs.sh),
#      if there is none.
# It never overwrites a file: run it again after adding a service to make what is missing.
# The database passwords are fixed at the postgres container's first start; to change one
# later, see docs/deploy.md.
#
#   cd deploy && ./new-env.sh [PUBLIC_HOST]
set -euo pipefail
cd "$(dirname "$0")"
MIN_COMPOSE="2.24.0"
SERVICES=(info-sharing assistance referral legal-review joint-inspection secondment oversight notifier)

version_at_least() {  # HAVE WANT
  [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" == "$2" ]]
}

check_compose() {
  local version
  if command -v docker >/dev/null 2>&1 && version="$(docker compose version --short 2>/dev/null)"; then
    version="${version#v}"
    if ! version_at_least "$version" "$MIN_COMPOSE"; then
      echo "new-env: Docker Compose $version is too old: xietong needs $MIN_COMPOSE or newer" \
        "(the docker-compose-plugin package of Docker's own repository)" >&2
      return 1
    fi
    echo "new-env: Docker Compose $version" >&2
  elif command -v docker-compose >/dev/null 2>&1; then
    version="$(docker-compose version --short 2>/dev/null || docker-compose --version)"
    echo "new-env: found only docker-compose ${version} (Compose v1, e.g. Debian 12's package):" \
      "it cannot run deploy/docker-compose.yml. Install Docker Compose v2 ($MIN_COMPOSE or" \
      "newer, the \`docker compose\` plugin)." >&2
    return 1
  else
    echo "new-env: warning: no \`docker compose\` here; the deployment host needs Docker" \
      "Compose $MIN_COMPOSE or newer" >&2
  fi
}

random() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }

secret() {  # NAME [VALUE]: secrets/NAME, unless it exists
  local path="secrets/$1"
  [[ -e "$path" ]] && return 0
  if [[ $# -ge 2 ]]; then
    printf '%s' "$2" >"$path.tmp"
  else
    printf '%s' "$(random)" >"$path.tmp"
  fi
  mv "$path.tmp" "$path"
  made+=("$1")
}

audit_key() {  # SERVICE
  local path="secrets/$1-audit-key.pem"
  if [[ ! -e "$path" ]]; then
    openssl genpkey -algorithm ed25519 -out "$path.tmp" 2>/dev/null
    mv "$path.tmp" "$path"
    made+=("$1-audit-key.pem")
  fi
  # Its public key, for oversight's outsider (SUP-01), which verifies every service's audit
  # checkpoints and never holds their private keys.
  local public="secrets/$1-audit-public.pem"
  [[ -e "$public" ]] && return 0
  openssl pkey -in "$path" -pubout -out "$public.tmp" 2>/dev/null
  mv "$public.tmp" "$public"
  made+=("$1-audit-public.pem")
}

if [[ "${XIETONG_SKIP_COMPOSE_CHECK:-}" != 1 ]]; then
  check_compose
fi
command -v openssl >/dev/null 2>&1 || { echo "new-env: openssl is needed (keys, certificates)" >&2; exit 1; }

if [[ ! -e .env ]]; then
  cp .env.example .env
  chmod 600 .env
  echo "new-env: wrote .env (settings; edit XIETONG_DEPLOYMENT_ID before the first start)" >&2
fi

made=()
umask 077
mkdir -p secrets
chmod 700 secrets
secret postgres-password
secret jwt-secret
secret inspection-identity-key
secret notifier-secrets-key
secret integrator-kafka-password
secret grafana-admin-password
secret workbench-session-secret
# Empty: the workbench is a public OIDC client (PKCE alone); put the client secret here when
# the identity provider gives one.
secret workbench-oidc-client-secret ""
for svc in "${SERVICES[@]}"; do
  secret "$svc-db-owner-password"
  secret "$svc-db-password"
  secret "$svc-kafka-password"
  audit_key "$svc"
done
# Containers read the files as their own users (postgres 999, kafka 1000, the services
# 10001): readable inside the container, while the directory (0700) keeps other users of
# this host out. As root, each audit key is given to the service's user alone.
chmod 0444 secrets/*
if [[ "$(id -u)" == 0 ]]; then
  for svc in "${SERVICES[@]}"; do
    chown 10001:10001 "secrets/$svc-audit-key.pem"
    chmod 0400 "secrets/$svc-audit-key.pem"
  done
fi
if [[ ${#made[@]} -gt 0 ]]; then
  echo "new-env: made secrets/${made[*]}" | sed 's/ / secrets\//g' >&2
fi

if [[ ! -e proxy/tls/server.pem ]]; then
  if [[ $# -gt 0 ]]; then
    proxy/make-certs.sh "$@" localhost 127.0.0.1 >&2
  else
    proxy/make-certs.sh >&2
  fi
fi
echo "new-env: ready. Back up secrets/ offline (the audit keys and the identity key above" \
  "all); give the auditors the public keys: for k in secrets/*-audit-key.pem; do openssl pkey -in \$k -pubout; done" >&2
