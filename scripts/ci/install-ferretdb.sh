#!/usr/bin/env bash
# Installs FerretDB 1.x (a MongoDB-wire server on SQLite, no other service needed) into
# $(go env GOPATH)/bin for the MongoDB storage contract and fault tests. Idempotent.
# Needs Go (>= 1.22; GOTOOLCHAIN fetches a newer one from the Go proxy if required).
set -euo pipefail
VERSION=v1.24.2
MODULE=github.com/FerretDB/FerretDB

command -v go >/dev/null || { echo "install-ferretdb: Go is required (https://go.dev/dl or apt-get install golang-go)" >&2; exit 1; }
BIN_DIR="$(go env GOPATH)/bin"
BIN="$BIN_DIR/ferretdb"
if [ -x "$BIN" ] && "$BIN" --version 2>/dev/null | grep -q "^version: $VERSION\$"; then
  echo "ferretdb $VERSION already in $BIN"
  exit 0
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Not `go install $MODULE/cmd/ferretdb@$VERSION`: it asks the proxy for the module's version list
# (deprecation check), which some Go proxies refuse with 403; fetching the exact version works.
dir="$(cd "$work" && go mod download -json "$MODULE@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$dir" ] || { echo "install-ferretdb: go mod download $MODULE@$VERSION failed" >&2; exit 1; }
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
# FerretDB's own build writes this file (Taskfile gen-version); without it the binary panics at start.
echo "$VERSION" > "$work/src/build/version/version.txt"
mkdir -p "$BIN_DIR"
(cd "$work/src" && CGO_ENABLED=0 go build -trimpath -o "$BIN" ./cmd/ferretdb)
"$BIN" --version | head -1
