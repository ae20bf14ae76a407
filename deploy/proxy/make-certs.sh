#!/usr/bin/env bash
# A certificate for the HTTPS proxy, made offline: a local CA (tls/ca.pem, its key
# tls/ca.key) and a server certificate signed by it (tls/server.pem, tls/server.key) for
# the names given (default: $XIETONG_PUBLIC_HOST, else the host's name, plus localhost and
# 127.0.0.1). Give tls/ca.pem to the browsers and clients that should trust it (a district
# CA-signed certificate is better: put it and its key in tls/ instead of running this).
# Never overwrites: delete the files to make new ones.
#
#   deploy/proxy/make-certs.sh [NAME ...]
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p tls
umask 077
if [[ -f tls/server.pem || -f tls/server.key ]]; then
  echo "make-certs: tls/server.pem exists; delete tls/server.* to make a new one" >&2
  exit 0
fi
names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
  names=("${XIETONG_PUBLIC_HOST:-$(hostname -f 2>/dev/null || hostname)}" localhost 127.0.0.1)
fi
san=""
for name in "${names[@]}"; do
  if [[ "$name" =~ ^[0-9.]+$ || "$name" == *:* ]]; then
    san+="IP:$name,"
  else
    san+="DNS:$name,"
  fi
done
san="${san%,}"
if [[ ! -f tls/ca.pem ]]; then
  openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
    -days 3650 -subj "/CN=xietong local CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout tls/ca.key -out tls/ca.pem 2>/dev/null
fi
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256 \
  -subj "/CN=${names[0]}" -keyout tls/server.key -out tls/server.csr 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' \
  "$san" >tls/server.ext
openssl x509 -req -in tls/server.csr -CA tls/ca.pem -CAkey tls/ca.key -CAcreateserial \
  -days 825 -sha256 -extfile tls/server.ext -out tls/server.crt 2>/dev/null
cat tls/server.crt tls/ca.pem >tls/server.pem
rm -f tls/server.csr tls/server.ext tls/server.crt tls/ca.srl
# The certificate is public; the key is read by nginx's master process (root in the image).
chmod 644 tls/server.pem tls/ca.pem
chmod 600 tls/server.key
echo "make-certs: tls/server.pem for ${names[*]} (CA: tls/ca.pem)"
