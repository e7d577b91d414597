#!/usr/bin/env bash
# Installs the Debian packages some tests need (a browser, Python's msgpack and
# numpy for the second reader, h5py for the Keras oracle), once. Needs root and apt-get; without them it
# says what is missing and leaves those tests to report it.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
# The server's TLS test makes a self-signed certificate with openssl.
command -v openssl >/dev/null || need+=(openssl)
/usr/bin/python3 -c 'import msgpack' 2>/dev/null || need+=(python3-msgpack)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || need+=(python3-numpy)
/usr/bin/python3 -c 'import h5py' 2>/dev/null || need+=(python3-h5py)
[ -x /usr/sbin/nginx ] || need+=(nginx-light) # the board replicas test's load balancer
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "system-deps: missing ${need[*]}; install them with apt-get as root to run every test." >&2
  exit 0
fi
echo "system-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
