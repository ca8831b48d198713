#!/usr/bin/env bash
# The operations kit, each piece checked by its own tool: Prometheus rules (promtool check and
# unit tests), the compose stack's Prometheus config, metrics/rules/dashboard/docs agreement,
# the Kubernetes overlays (kustomize + kubernetes-validate), the load balancer's config
# (haproxy -c), both compose files (docker-compose config), and that the Dockerfile copies
# everything the build needs. Installs missing tools from Debian and PyPI (pinned).
set -euo pipefail
cd "$(dirname "$0")/../.."

need_apt() { # command package
  command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || {
    echo "installing $2"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$2" >/dev/null; }
  }
}
need_apt promtool prometheus
need_apt haproxy haproxy
need_apt docker-compose docker-compose
need_apt kubectl kubectl
python3 -c 'import kubernetes_validate, jsonschema, yaml' 2>/dev/null ||
  python3 -m pip install -q 'kubernetes-validate==1.37.0' 'jsonschema==4.26.0' 'PyYAML==6.0.3'
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)

echo "--- promtool: rules and their unit tests"
promtool check rules deploy/prometheus/rules.yml
promtool test rules deploy/prometheus/rules_test.yml

echo "--- promtool: the compose stack's Prometheus config, with the rules beside it"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp deploy/compose/prometheus.yml deploy/prometheus/rules.yml "$tmp/"
promtool check config "$tmp/prometheus.yml"

echo "--- metrics, documentation, rules and dashboard agree"
python3 scripts/ops/check_metrics.py

echo "--- Kubernetes: overlays rendered and validated"
python3 scripts/ops/check_deploy.py

echo "--- HAProxy: the scaled compose's load balancer"
# Container names cannot resolve here; the servers start disabled, which -c reports as a warning.
"$HAPROXY" -c -f deploy/compose/haproxy.cfg

echo "--- docker-compose config: both stacks"
CHAT_JWT_SECRET=check-only docker-compose -f docker-compose.yml config -q
CHAT_JWT_SECRET=check-only docker-compose -f deploy/compose/docker-compose.yml config -q

echo "--- the Dockerfile copies what the build needs (the workspace loads from it alone)"
mkdir "$tmp/context"
grep -E '^COPY [^-]' Dockerfile | while read -r _ sources; do
  for source in ${sources% *}; do cp -r "$source" "$tmp/context/"; done
done
(cd "$tmp/context" && cargo metadata --no-deps --offline --format-version 1 >/dev/null)
echo "ok"
