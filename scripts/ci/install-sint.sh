#!/usr/bin/env sh
# Fetches the Smack Integration Test Framework (SINT) and its dependencies from Maven Central into
# .ci/.tools/sint-<version>/lib (test/sint/pom.xml names the artifact). Idempotent: a complete copy
# of that version is kept and reused. Needs java (17+) and mvn (installed with apt-get when missing).
set -eu
cd "$(dirname "$0")/../.."
SINT_VERSION="${SINT_VERSION:-4.5.0-beta5}"
DIR="$PWD/.ci/.tools/sint-$SINT_VERSION"
if [ -f "$DIR/.complete" ]; then
  echo "sint: $DIR (cached)"
  exit 0
fi
# a fresh Debian machine (CI): Java and Maven from the distribution, as .ci/run does for the rest
need=""
command -v java >/dev/null || need="$need openjdk-17-jre-headless"
command -v mvn >/dev/null || need="$need maven"
if [ -n "$need" ] && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
fi
command -v java >/dev/null || { echo "install-sint: java (17 or newer) is not on PATH" >&2; exit 1; }
command -v mvn >/dev/null || { echo "install-sint: mvn is not on PATH" >&2; exit 1; }
rm -rf "$DIR"
mkdir -p "$DIR/lib"
mvn -q -B -Dstyle.color=never -f test/sint/pom.xml -Dsmack.version="$SINT_VERSION" \
  dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$DIR/lib"
[ -f "$DIR/lib/smack-integration-test-$SINT_VERSION.jar" ] || { echo "install-sint: smack-integration-test-$SINT_VERSION.jar missing" >&2; exit 1; }
touch "$DIR/.complete"
echo "sint: $DIR ($(ls "$DIR/lib" | wc -l) jars)"
