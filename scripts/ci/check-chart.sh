#!/usr/bin/env bash
# Chart checks (CI): the generated files are current, helm lint and helm template pass for the
# default values and a full example, every rendered object is valid against the Kubernetes OpenAPI
# schemas (offline), and values.schema.json refuses a misspelt key. Exits non-zero on any failure.
# Needs: helm and the schemas (scripts/ci/install-helm.sh), node 24, and a built tree (npm run build).
set -euo pipefail
cd "$(dirname "$0")/../.."
K8S_VERSION="${K8S_VERSION:-v1.33.4}"
SCHEMA_DIR="${K8S_SCHEMA_DIR:-$HOME/.cache/glider/k8s-openapi/${K8S_VERSION}}"
HELM="${HELM:-$(command -v helm || echo "$(go env GOPATH)/bin/helm")}"
CHART=charts/glider
KUBE="--kube-version ${K8S_VERSION#v}"
npx tsc -p tsconfig.build.json >/dev/null || true  # emits even with type errors elsewhere in the tree
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== generated CRD and values.schema.json are current"
node -e "
  const { crdTemplate } = await import('./dist/operator/src/api/v1alpha1/crd.js');
  const { valuesSchemaText } = await import('./dist/operator/src/api/v1alpha1/generate-crd.js');
  const fs = await import('node:fs');
  let bad = 0;
  if (fs.readFileSync('$CHART/templates/crds/xmppclusters.glider.im.yaml', 'utf8') !== crdTemplate()) { console.error('CRD template is stale: run node dist/operator/src/api/v1alpha1/generate-crd.js'); bad = 1; }
  if (fs.readFileSync('$CHART/values.schema.json', 'utf8') !== valuesSchemaText()) { console.error('values.schema.json is stale: run node dist/operator/src/api/v1alpha1/generate-crd.js'); bad = 1; }
  process.exit(bad);
"

for values in default "$CHART/ci/full-values.yaml"; do
  args=()
  [ "$values" = default ] || args=(-f "$values")
  echo "== helm lint ($values)"
  "$HELM" lint --strict "$CHART" "${args[@]}"
  echo "== helm template + OpenAPI validation ($values)"
  "$HELM" template glider "$CHART" -n glider $KUBE "${args[@]}" > "$tmp/out.yaml"
  node dist/operator/src/chart/validate-manifests.js "$SCHEMA_DIR" "$tmp/out.yaml"
done

echo "== helm template with the operator watching all namespaces and no first cluster"
"$HELM" template glider "$CHART" -n glider $KUBE --set watchNamespace= --set replicaCount=1 > "$tmp/out.yaml"
node dist/operator/src/chart/validate-manifests.js "$SCHEMA_DIR" "$tmp/out.yaml"

echo "== values.schema.json refuses a misspelt key"
for bad in "imag.tag=x" "crds.enable=false" "cluster.spec.domains[0]=a.example,cluster.spec.nats.url=nats://n,cluster.spec.mongodb.url=mongodb://m,cluster.spec.replics=3"; do
  if "$HELM" template glider "$CHART" -n glider $KUBE --set "$bad" > /dev/null 2> "$tmp/err"; then
    echo "FAIL: --set $bad was accepted" >&2
    exit 1
  fi
  grep -q "additional properties" "$tmp/err" || { echo "FAIL: unexpected error for --set $bad:" >&2; cat "$tmp/err" >&2; exit 1; }
  echo "refused: --set $bad ($(grep -o "additional properties '[^']*'" "$tmp/err" | head -1))"
done
echo "== values.schema.json refuses a bad cluster spec"
if "$HELM" template glider "$CHART" -n glider $KUBE --set cluster.enabled=true --set 'cluster.spec.domains[0]=Bad_Domain' --set cluster.spec.nats.url=nats://n --set cluster.spec.mongodb.url=mongodb://m > /dev/null 2>&1; then
  echo "FAIL: an invalid domain was accepted" >&2
  exit 1
fi
echo "chart checks passed"
