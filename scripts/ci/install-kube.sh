#!/usr/bin/env bash
# Builds the Kubernetes control plane the operator suite runs against (kube-apiserver,
# kube-controller-manager, etcd) from the Go module proxy, the only download site CI reaches:
# scripts/ci/kube/go.mod pins k8s.io/kubernetes, maps its staging modules to their v0.x releases and
# pins etcd's server. The binaries are kept per machine in $GLIDER_TOOLS_CACHE (default
# ~/.cache/glider/tools)/kube-<versions>/, keyed by the pinned versions, so a machine builds them once
# (CI runs in a fresh clone), and linked as .ci/.tools/kube-<versions>/, where the tests look.
# Idempotent; prints how long it took (a build from scratch: see docs/kubernetes.md).
# Usage: scripts/ci/install-kube.sh            (builds if missing; the last line is the directory)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
mod="$root/scripts/ci/kube"
export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "install-kube: Go >= 1.26 is required" >&2; exit 1; }
began=$(date +%s)

k8s=$(sed -n 's/^\tk8s.io\/kubernetes \(v[0-9.]*\).*/\1/p' "$mod/go.mod")
etcd=$(sed -n 's/^require go.etcd.io\/etcd\/server\/v3 \(v[0-9.]*\)$/\1/p; s/^\tgo.etcd.io\/etcd\/server\/v3 \(v[0-9.]*\)$/\1/p' "$mod/go.mod" | head -1)
[ -n "$k8s" ] && [ -n "$etcd" ] || { echo "install-kube: cannot read the pinned versions from $mod/go.mod" >&2; exit 1; }
name="kube-$k8s-etcd-$etcd"
dir="${GLIDER_TOOLS_CACHE:-$HOME/.cache/glider/tools}/$name"
link="$root/.ci/.tools/$name"

# The binary names the pinned module version (its build info); no pipe into grep -q (pipefail).
have() {
  local info
  [ -x "$dir/$1" ] && info=$(go version -m "$dir/$1" 2>/dev/null) || return 1
  grep -Eq "^[[:space:]]+(mod|dep)[[:space:]]+$2[[:space:]]+$3([[:space:]]|$)" <<<"$info"
}
if have kube-apiserver k8s.io/kubernetes "$k8s" && have kube-controller-manager k8s.io/kubernetes "$k8s" \
  && have etcd go.etcd.io/etcd/server/v3 "$etcd"; then
  [ "$(readlink -f "$link")" = "$(readlink -f "$dir")" ] || { mkdir -p "$(dirname "$link")"; rm -rf "$link"; ln -s "$dir" "$link"; }
  echo "install-kube: kube-apiserver, kube-controller-manager $k8s and etcd $etcd already in $dir ($(( $(date +%s) - began )) s)"
  echo "$link"
  exit 0
fi

mkdir -p "$dir.tmp"
cd "$mod"
# -trimpath and no VCS stamps: the same inputs give the same binaries. nice: CI's 2 cores are shared
# with nothing, but a developer's machine may be running tests at the same time.
build() {
  local t0=$(date +%s)
  CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags="-s -w $3" -o "$dir.tmp/$1" "$2"
  echo "install-kube: built $1 in $(( $(date +%s) - t0 )) s"
}
# What `kube-apiserver --version` and /version report (Kubernetes' own build sets the same).
minor=$(echo "$k8s" | cut -d. -f2)
stamp="-X k8s.io/component-base/version.gitVersion=$k8s -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
build etcd ./etcd ""
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$stamp"
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$stamp"
rm -rf "$dir" && mv "$dir.tmp" "$dir"
mkdir -p "$(dirname "$link")" && rm -rf "$link" && ln -s "$dir" "$link"
"$dir/etcd" --version | sed -n 1p
echo "install-kube: kube-apiserver, kube-controller-manager $k8s and etcd $etcd built into $dir in $(( $(date +%s) - began )) s"
echo "$link"
