#!/usr/bin/env bash
# Writes a throw-away test PKI into DIR with the openssl CLI (EC P-256 keys,
# valid 2 days): a CA (ca.pem, ca.key), a server certificate for 127.0.0.1,
# 127.0.0.2 and localhost signed by it (server.pem, server.key), a client
# certificate signed by it (client.pem, client.key), and a second CA that
# signed nothing of ours (other-ca.pem). Used by tests/nginx_server.cc and
# bench/scenarios/s7_https.sh. Never use these anywhere else.
#   tests/nginx/make-certs.sh DIR
set -euo pipefail
dir=${1:?usage: make-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {  # ca NAME SUBJECT
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

leaf() {  # leaf NAME SUBJECT EXTENSIONS
  key "$1.key"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%b\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" \
    -days 2 -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

ca ca "/CN=forage test CA"
ca other-ca "/CN=forage other test CA"
leaf server "/CN=127.0.0.1" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,IP:127.0.0.2,DNS:localhost"
leaf client "/CN=forage test client" \
  "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth"
