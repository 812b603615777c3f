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
PROM_CRD_DIR="${PROM_CRD_DIR:-$HOME/.cache/glider/prometheus-operator/${PROM_OPERATOR_VERSION:-v0.85.0}}"
KUBE="--kube-version ${K8S_VERSION#v}"
npx tsc -p tsconfig.build.json >/dev/null || true  # emits even with type errors elsewhere in the tree
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== generated CRD, values.schema.json and _components.tpl are current"
node -e "
  const { crdTemplate } = await import('./dist/operator/src/api/v1alpha1/crd.js');
  const { valuesSchemaText } = await import('./dist/operator/src/api/v1alpha1/generate-crd.js');
  const { componentsTemplate } = await import('./dist/operator/src/chart/components-template.js');
  const fs = await import('node:fs');
  let bad = 0;
  if (fs.readFileSync('$CHART/templates/crds/xmppclusters.glider.im.yaml', 'utf8') !== crdTemplate()) { console.error('CRD template is stale: run node dist/operator/src/api/v1alpha1/generate-crd.js'); bad = 1; }
  if (fs.readFileSync('$CHART/values.schema.json', 'utf8') !== valuesSchemaText()) { console.error('values.schema.json is stale: run node dist/operator/src/api/v1alpha1/generate-crd.js'); bad = 1; }
  if (fs.readFileSync('$CHART/templates/_components.tpl', 'utf8') !== componentsTemplate()) { console.error('templates/_components.tpl is stale: run node dist/operator/src/api/v1alpha1/generate-crd.js'); bad = 1; }
  process.exit(bad);
"

for values in default "$CHART/ci/full-values.yaml"; do
  args=()
  [ "$values" = default ] || args=(-f "$values")
  echo "== helm lint ($values)"
  "$HELM" lint --strict "$CHART" "${args[@]}"
  echo "== helm template + OpenAPI validation ($values)"
  "$HELM" template glider "$CHART" -n glider $KUBE "${args[@]}" > "$tmp/out.yaml"
  # ServiceMonitor, PodMonitor and PrometheusRule are checked against the Prometheus Operator's CRDs
  for crd in "$PROM_CRD_DIR"/*.yaml; do printf '\n---\n' >> "$tmp/out.yaml"; cat "$crd" >> "$tmp/out.yaml"; done
  node dist/operator/src/chart/validate-manifests.js "$SCHEMA_DIR" "$tmp/out.yaml"
done

echo "== monitoring: nothing by default; ServiceMonitor, PodMonitor, PrometheusRule and every dashboard in the full example"
"$HELM" template glider "$CHART" -n glider $KUBE > "$tmp/default.yaml"
if grep -Eq "^kind: (ServiceMonitor|PodMonitor|PrometheusRule)$|grafana_dashboard" "$tmp/default.yaml"; then
  echo "FAIL: the default values render a monitoring object" >&2
  exit 1
fi
"$HELM" template glider "$CHART" -n glider $KUBE -f "$CHART/ci/full-values.yaml" > "$tmp/full.yaml"
node -e "
  const { parseAllDocuments } = await import('yaml');
  const fs = await import('node:fs');
  const docs = parseAllDocuments(fs.readFileSync('$tmp/full.yaml', 'utf8')).map((d) => d.toJSON()).filter(Boolean);
  const kinds = docs.map((d) => d.kind);
  for (const k of ['ServiceMonitor', 'PodMonitor', 'PrometheusRule']) if (!kinds.includes(k)) throw new Error(k + ' not rendered');
  const boards = docs.filter((d) => d.kind === 'ConfigMap' && d.metadata.labels?.grafana_dashboard === '1');
  const files = fs.readdirSync('$CHART/dashboards').filter((f) => f.endsWith('.json'));
  if (boards.length !== files.length) throw new Error(boards.length + ' dashboard ConfigMaps for ' + files.length + ' files');
  const uids = new Set();
  for (const b of boards) for (const [name, text] of Object.entries(b.data)) {
    const d = JSON.parse(text);
    if (!d.uid || uids.has(d.uid)) throw new Error(name + ': missing or duplicate uid ' + d.uid);
    uids.add(d.uid);
  }
  const rule = docs.find((d) => d.kind === 'PrometheusRule');
  const left = JSON.stringify(rule.spec).match(/__[A-Z0-9_]+__/);
  if (left) throw new Error('PrometheusRule: placeholder ' + left[0] + ' not replaced');
  fs.writeFileSync('$tmp/rules.yaml', JSON.stringify(rule.spec));
  console.log(boards.length + ' dashboards (' + [...uids].join(', ') + '), ' + rule.spec.groups.flatMap((g) => g.rules).length + ' rules');
"
PROMTOOL="${PROMTOOL:-$(command -v promtool || true)}"
if [ -n "$PROMTOOL" ]; then "$PROMTOOL" check rules "$tmp/rules.yaml"; else echo "promtool not found: rules checked by the e2e test only"; fi

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
echo "== values.schema.json refuses an LDAP URL that is not ldap:// or ldaps:// (the CRD's pattern)"
if "$HELM" template glider "$CHART" -n glider $KUBE --set cluster.enabled=true --set 'cluster.spec.domains[0]=a.example' --set cluster.spec.nats.url=nats://n --set cluster.spec.mongodb.url=mongodb://m \
  --set 'cluster.spec.directory.domains.a\.example.ldap.url=http://ldap.a.example' --set 'cluster.spec.directory.domains.a\.example.ldap.userBase=o=a' > /dev/null 2> "$tmp/err"; then
  echo "FAIL: an http:// LDAP URL was accepted" >&2
  exit 1
fi
grep -q "url" "$tmp/err" || { echo "FAIL: unexpected error for the LDAP URL:" >&2; cat "$tmp/err" >&2; exit 1; }
echo "refused: directory ldap.url=http://…"
echo "== every component has its app now (muc too): enabling one renders; NOTES offer only served ports"
CLUSTER_SET=(--set cluster.enabled=true --set 'cluster.spec.domains[0]=a.example' --set cluster.spec.nats.url=nats://n --set cluster.spec.mongodb.url=mongodb://m)
# components.ts keeps the "no app yet" rule for the next component that is declared before it is built.
"$HELM" template glider "$CHART" -n glider $KUBE "${CLUSTER_SET[@]}" --set cluster.spec.components.muc.enabled=true > /dev/null 2> "$tmp/err" || { echo "FAIL: components.muc.enabled=true was refused:" >&2; cat "$tmp/err" >&2; exit 1; }
echo "accepted: cluster.spec.components.muc.enabled=true (apps/muc)"
# NOTES.txt as helm install would print it, without a cluster: rendered as a template in a copy.
cp -r "$CHART" "$tmp/chart"
{ echo '{{- define "notes" -}}'; cat "$CHART/templates/NOTES.txt"; echo '{{- end }}'; } > "$tmp/chart/templates/_notes.tpl"
rm "$tmp/chart/templates/NOTES.txt"
echo 'notes: {{ include "notes" . | toJson }}' > "$tmp/chart/templates/notes-as-template.yaml"
notes() { "$HELM" template glider "$tmp/chart" -n glider $KUBE "${CLUSTER_SET[@]}" "$@" --show-only templates/notes-as-template.yaml; }
notes > "$tmp/notes.txt"
grep -q "5222 (c2s, STARTTLS), 5223 (direct TLS), 5280" "$tmp/notes.txt" || { echo "FAIL: NOTES do not list the edge ports" >&2; exit 1; }
grep -q 'glider-admin.\{1,2\} Service: 5582' "$tmp/notes.txt" || { echo "FAIL: NOTES do not name the admin Service and port" >&2; exit 1; }
if grep -q 5269 "$tmp/notes.txt"; then echo "FAIL: NOTES offer 5269, which nothing serves" >&2; exit 1; fi
notes --set cluster.spec.edgeService.webSocket=false > "$tmp/notes.txt"
if grep -Eq "5280|5443" "$tmp/notes.txt"; then echo "FAIL: NOTES offer WebSocket ports with webSocket=false" >&2; exit 1; fi
echo "== helm test: the app image, the admin Service and token, direct TLS to the edge, no API token"
"$HELM" template glider "$CHART" -n glider $KUBE "${CLUSTER_SET[@]}" --show-only templates/tests/test-login.yaml > "$tmp/test.yaml"
app_version=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$CHART/Chart.yaml")
# npm run image tags both images with package.json's version: the chart's defaults must name them.
pkg_version=$(node -p "require('./package.json').version")
[ "$app_version" = "$pkg_version" ] || { echo "FAIL: Chart.yaml appVersion $app_version is not package.json's version $pkg_version (the tag npm run image builds)" >&2; exit 1; }
for want in "image: ghcr.io/glider-im/glider:${app_version}" 'value: "glider-admin.glider.svc:5582"' 'value: "glider-edge.glider.svc"' 'value: "5223"' \
  'secretName: glider-admin-token' 'automountServiceAccountToken: false' 'command: \[node, /probe/helm-test.mjs\]'; do
  grep -q -- "$want" "$tmp/test.yaml" || { echo "FAIL: the helm test pod lacks: $want" >&2; exit 1; }
done
"$HELM" template glider "$CHART" -n glider $KUBE "${CLUSTER_SET[@]}" --set cluster.spec.image.repository=r.example/g --set cluster.spec.image.tag=9.9.9 \
  --show-only templates/tests/test-login.yaml | grep -q 'image: r.example/g:9.9.9' || { echo "FAIL: the helm test pod does not run the cluster's image" >&2; exit 1; }
echo "chart checks passed"
