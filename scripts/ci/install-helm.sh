#!/usr/bin/env sh
# Installs helm (from the Go module proxy: no other download site is reachable in CI) and fetches the
# Kubernetes OpenAPI v3 schemas used to validate rendered chart objects. Idempotent.
set -eu
HELM_VERSION="${HELM_VERSION:-v3.19.0}"
K8S_VERSION="${K8S_VERSION:-v1.33.4}"
GOBIN="${GOBIN:-$(go env GOPATH)/bin}"
export GOBIN
if ! go version -m "$GOBIN/helm" 2>/dev/null | grep -Eq "^\s+mod\s+helm.sh/helm/v3\s+${HELM_VERSION}\s"; then
  go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}"
fi
SCHEMA_DIR="${K8S_SCHEMA_DIR:-$HOME/.cache/glider/k8s-openapi/${K8S_VERSION}}"
if [ ! -f "$SCHEMA_DIR/api__v1_openapi.json" ]; then
  dir=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')
  mkdir -p "$SCHEMA_DIR"
  cp "$dir"/api/openapi-spec/v3/*.json "$SCHEMA_DIR"/
fi
# The Prometheus Operator's CRDs (ServiceMonitor, PodMonitor, PrometheusRule): the chart's monitoring
# objects are validated against them as the API server would (scripts/ci/check-chart.sh).
PROM_OPERATOR_VERSION="${PROM_OPERATOR_VERSION:-v0.85.0}"
PROM_CRD_DIR="${PROM_CRD_DIR:-$HOME/.cache/glider/prometheus-operator/${PROM_OPERATOR_VERSION}}"
if [ ! -f "$PROM_CRD_DIR/monitoring.coreos.com_prometheusrules.yaml" ]; then
  dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/prometheus-operator/prometheus-operator@${PROM_OPERATOR_VERSION}" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')
  mkdir -p "$PROM_CRD_DIR"
  for kind in servicemonitors podmonitors prometheusrules; do
    cp "$dir/example/prometheus-operator-crd/monitoring.coreos.com_${kind}.yaml" "$PROM_CRD_DIR/"
  done
fi
echo "helm: $GOBIN/helm; schemas: $SCHEMA_DIR; Prometheus Operator CRDs: $PROM_CRD_DIR"
