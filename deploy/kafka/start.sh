#!/usr/bin/env bash
# The kafka service's command (deploy/docker-compose.yml): chooses the protocol of the
# EXTERNAL listener (integrators), then runs the apache/kafka image's own start script.
#
#   /etc/kafka/tls/server.pem present  -> SASL_SSL: SCRAM over TLS. The file holds the
#       broker's private key (PKCS#8 PEM, unencrypted unless server.key-password is given
#       beside it) followed by its certificate chain; the certificate must name
#       KAFKA_EXTERNAL_HOST.
#   otherwise                          -> SASL_PLAINTEXT: SCRAM without TLS. Passwords
#       are never sent in clear (SCRAM), but the events are: use it only on a trusted
#       network.
#
# The other listeners are fixed by the compose file: INTERNAL (SASL_PLAINTEXT, the
# services), LOCAL and CONTROLLER (PLAINTEXT on 127.0.0.1 only: inter-broker traffic and
# administration from inside the kafka container's network namespace).
set -euo pipefail
tls_dir="${XIETONG_KAFKA_TLS_DIR:-/etc/kafka/tls}"
if [[ -f "$tls_dir/server.pem" ]]; then
  external=SASL_SSL
  export KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_TYPE=PEM
  export KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEYSTORE_LOCATION="$tls_dir/server.pem"
  if [[ -f "$tls_dir/server.key-password" ]]; then
    KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEY_PASSWORD="$(cat "$tls_dir/server.key-password")"
    export KAFKA_LISTENER_NAME_EXTERNAL_SSL_KEY_PASSWORD
  fi
else
  external=SASL_PLAINTEXT
fi
export KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="CONTROLLER:PLAINTEXT,LOCAL:PLAINTEXT,INTERNAL:SASL_PLAINTEXT,EXTERNAL:${external}"
echo "xietong: EXTERNAL listener (integrators) is ${external} on ${KAFKA_ADVERTISED_LISTENERS##*EXTERNAL://}"
exec "${XIETONG_KAFKA_RUN:-/etc/kafka/docker/run}"
