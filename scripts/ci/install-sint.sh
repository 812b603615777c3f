#!/usr/bin/env sh
# Fetches the Smack Integration Test Framework (SINT) and its dependencies from Maven Central into
# .ci/.tools/sint-<version>/lib (test/sint/pom.xml names the artifact). Idempotent: a complete copy
# of that version is kept and reused. Needs java (17+) and mvn on PATH.
set -eu
cd "$(dirname "$0")/../.."
SINT_VERSION="${SINT_VERSION:-4.5.0-beta5}"
DIR="$PWD/.ci/.tools/sint-$SINT_VERSION"
if [ -f "$DIR/.complete" ]; then
  echo "sint: $DIR (cached)"
  exit 0
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
