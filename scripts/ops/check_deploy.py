"""The Kubernetes overlays render, match the Kubernetes schemas, and hang together.

Each overlay is rendered with `kubectl kustomize`; every resource is validated strictly with
kubernetes-validate (the ServiceMonitor, a custom resource, against
deploy/kubernetes/schemas/servicemonitor.schema.json). Then what the schemas cannot see:
selectors that select, ports and references that exist, probes on the health endpoints, a
grace period longer than the drain, and `CHAT__…` settings that the server knows (here and in
the compose files), since a misspelt one is silently ignored.
"""

import json
import pathlib
import re
import subprocess
import sys
import tomllib

import jsonschema
import kubernetes_validate
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
KUBERNETES = "1.31.0"
OVERLAYS = {"single": {"replicas": 1, "hpa": False}, "scaled": {"replicas": 2, "hpa": True}}
failures = []


def load_defaults():
    """config/default.toml, with the optional keys it shows commented out (`# token = ""`)."""
    text = (ROOT / "config/default.toml").read_text()
    defaults = tomllib.loads(text)
    section = defaults
    for line in text.splitlines():
        if header := re.fullmatch(r"\[([a-z0-9_.]+)\]", line.strip()):
            section = defaults
            for part in header.group(1).split("."):
                section = section[part]
        elif optional := re.match(r"#\s*([a-z0-9_]+)\s*=", line):
            section.setdefault(optional.group(1), None)
    return defaults


DEFAULTS = load_defaults()


def fail(message):
    failures.append(message)


def known_setting(name):
    """`CHAT__SECTION__KEY` names a key of config/default.toml (maps and lists by prefix)."""
    if not name.startswith("CHAT__"):
        return True
    node = DEFAULTS
    for part in name[len("CHAT__"):].lower().split("__"):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def check_settings(where, names):
    for name in names:
        if not known_setting(name):
            fail(f"{where}: {name} is not a setting of config/default.toml")


def render(overlay):
    path = ROOT / "deploy/kubernetes/overlays" / overlay
    out = subprocess.run(["kubectl", "kustomize", str(path)], check=True, capture_output=True, text=True)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def validate(overlay, docs):
    monitor_schema = json.loads((ROOT / "deploy/kubernetes/schemas/servicemonitor.schema.json").read_text())
    for doc in docs:
        name = f"{overlay}: {doc['kind']}/{doc['metadata']['name']}"
        try:
            if doc["kind"] == "ServiceMonitor":
                jsonschema.validate(doc, monitor_schema)
            else:
                kubernetes_validate.validate(doc, KUBERNETES, strict=True)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as error:
            fail(f"{name}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError:
            fail(f"{name}: no schema to validate it against")


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def cohere(overlay, docs, expected):
    by_kind = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    [deployment] = by_kind["Deployment"]
    [service] = by_kind["Service"]
    pod = deployment["spec"]["template"]
    labels = pod["metadata"]["labels"]
    spec = pod["spec"]
    [container] = spec["containers"]
    where = f"{overlay}: Deployment"

    if not matches(deployment["spec"]["selector"]["matchLabels"], labels):
        fail(f"{where}: its selector does not select its own pods")
    if not matches(service["spec"]["selector"], labels):
        fail(f"{overlay}: the Service selects no pod")
    if deployment["spec"].get("replicas") != expected["replicas"]:
        fail(f"{where}: {expected['replicas']} replicas expected")
    if overlay == "single" and deployment["spec"]["strategy"]["type"] != "Recreate":
        fail(f"{where}: one SQLite writer needs the Recreate strategy")

    probes = {
        "livenessProbe": "/health/live",
        "readinessProbe": "/health/ready",
        "startupProbe": "/health/live",
    }
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for probe, path in probes.items():
        http = container.get(probe, {}).get("httpGet", {})
        if http.get("path") != path or http.get("port") not in ports:
            fail(f"{where}: {probe} should GET {path} on a named container port")

    security = container.get("securityContext", {})
    if not spec.get("securityContext", {}).get("runAsNonRoot"):
        fail(f"{where}: pods must run as non-root")
    if not security.get("readOnlyRootFilesystem") or security.get("allowPrivilegeEscalation") is not False:
        fail(f"{where}: read-only root file system and no privilege escalation expected")
    if "limits" not in container.get("resources", {}) or "requests" not in container.get("resources", {}):
        fail(f"{where}: resource requests and limits expected")

    config = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef") or source.get("secretRef")
        kind = "ConfigMap" if "configMapRef" in source else "Secret"
        found = [d for d in by_kind.get(kind, []) if d["metadata"]["name"] == ref["name"]]
        if not found:
            fail(f"{where}: envFrom names {kind} {ref['name']}, which is not in the overlay")
            continue
        data = found[0].get("data") or found[0].get("stringData") or {}
        config.update(data)
        check_settings(f"{overlay}: {kind}/{ref['name']}", data)
    drain = int(config.get("CHAT__SERVER__SHUTDOWN_TIMEOUT_SECS", DEFAULTS["server"]["shutdown_timeout_secs"]))
    pause = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if grace <= drain + pause:
        fail(f"{where}: a grace period of {grace} s does not cover the {pause} s pause and the {drain} s drain")
    metrics_port = config.get("CHAT__METRICS__LISTEN", "").rsplit(":", 1)[-1]
    if metrics_port and int(metrics_port) != ports.get("metrics"):
        fail(f"{where}: metrics listen on {metrics_port}, not on the `metrics` container port")

    service_ports = {p["name"]: p for p in service["spec"]["ports"]}
    for port in service_ports.values():
        if port["targetPort"] not in ports:
            fail(f"{overlay}: Service port {port['name']} targets no container port")
    for monitor in by_kind.get("ServiceMonitor", []):
        if not matches(monitor["spec"]["selector"]["matchLabels"], service["metadata"]["labels"]):
            fail(f"{overlay}: the ServiceMonitor selects no Service")
        for endpoint in monitor["spec"]["endpoints"]:
            if endpoint["port"] not in service_ports:
                fail(f"{overlay}: the ServiceMonitor scrapes port {endpoint['port']}, which the Service lacks")
    for ingress in by_kind.get("Ingress", []):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                if backend["name"] != service["metadata"]["name"] or backend["port"]["name"] not in service_ports:
                    fail(f"{overlay}: the Ingress routes to a Service port that does not exist")

    hpas = by_kind.get("HorizontalPodAutoscaler", [])
    if bool(hpas) != expected["hpa"]:
        fail(f"{overlay}: {'an' if expected['hpa'] else 'no'} HorizontalPodAutoscaler expected")
    for hpa in hpas:
        if hpa["spec"]["scaleTargetRef"]["name"] != deployment["metadata"]["name"]:
            fail(f"{overlay}: the HorizontalPodAutoscaler scales something else")
    for pdb in by_kind.get("PodDisruptionBudget", []):
        if not matches(pdb["spec"]["selector"]["matchLabels"], labels):
            fail(f"{overlay}: the PodDisruptionBudget selects no pod")
    for claim in by_kind.get("PersistentVolumeClaim", []):
        used = [v for v in spec.get("volumes", []) if v.get("persistentVolumeClaim", {}).get("claimName") == claim["metadata"]["name"]]
        if not used:
            fail(f"{overlay}: PersistentVolumeClaim {claim['metadata']['name']} is mounted by no pod")


def compose_settings():
    for path in [ROOT / "docker-compose.yml", ROOT / "deploy/compose/docker-compose.yml"]:
        text = path.read_text()
        check_settings(path.relative_to(ROOT), set(re.findall(r"\b(CHAT__[A-Z0-9_]+):", text)))


def main():
    for overlay, expected in OVERLAYS.items():
        docs = render(overlay)
        validate(overlay, docs)
        cohere(overlay, docs, expected)
        print(f"{overlay}: {len(docs)} resources")
    compose_settings()
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"every resource is valid for Kubernetes {KUBERNETES} and the overlays hang together")


main()
