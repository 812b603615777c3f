#!/bin/sh
# Installs what `npm run bench:compare` needs beside Node: Prosody and ejabberd from Debian's
# packages, openssl (throwaway certificates) and nats-server (the local Glider cluster).
# Idempotent. The compare run starts its own server processes with bench/peers configs, so the
# system services the packages enable are stopped and disabled to free ports 5222/5269/5280.
# Not needed for the unit tests (bench/src/**/*.spec.ts need no server).
set -eu
missing=""
for pkg in prosody ejabberd openssl nats-server; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for svc in prosody ejabberd; do
    systemctl disable --now "$svc" >/dev/null 2>&1 || true
  done
fi
command -v erl >/dev/null && command -v prosody >/dev/null && command -v openssl >/dev/null
echo "bench peers ready: $(dpkg-query -W -f='prosody ${Version}' prosody), $(dpkg-query -W -f='ejabberd ${Version}' ejabberd)"
