#!/usr/bin/env sh
# Installs nats-server (>= 2.9, JetStream) for the bus and session-registry contract tests, which
# spawn it from PATH on a free port (libs/testing startNatsServer). Debian package; idempotent.
set -eu
if command -v nats-server >/dev/null 2>&1; then
  echo "nats-server: $(command -v nats-server) ($(nats-server --version))"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server
echo "nats-server: $(command -v nats-server) ($(nats-server --version))"
