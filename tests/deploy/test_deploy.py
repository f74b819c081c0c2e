"""The deployment files, checked offline: hadolint on the Dockerfile, ``docker compose
config`` on compose.yml, kubernetes-validate (the API's JSON schemas, strict) on the
manifests, and the parts each must have (non-root, probes, the migration step, the
Secret, two replicas, a disruption budget) read with PyYAML.

Nothing here builds an image or starts a container: these machines cannot pull base
images (README, "Deployment", says what was and was not run).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "kubernetes"
BIN = Path(sys.executable).parent
K8S_VERSION = "1.30.0"  # the oldest Kubernetes the manifests promise to fit


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is missing: install the dev group (make .venv/.installed)"
    return found


# ------------------------------------------------------------------ Dockerfile


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    run = subprocess.run(
        [_tool("hadolint"), "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == ""


def _instructions() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), " ".join(rest.split())))
    return found


def test_dockerfile_runs_slim_non_root_with_a_readiness_healthcheck() -> None:
    steps = _instructions()
    images = [rest for word, rest in steps if word == "FROM"]
    assert images and all(re.match(r"python:3\.1[1-4]-slim\b", image) for image in images)
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    [health] = [rest for word, rest in final if word == "HEALTHCHECK"]
    assert "/readyz" in health
    assert dict(final)["ENTRYPOINT"] == '["vpsbot"]'  # exec form: vpsbot gets SIGTERM
    assert dict(final)["CMD"] == '["serve"]'  # migrations are `migrate`, a separate run
    [install] = [rest for word, rest in steps if word == "RUN" and "pip install" in rest]
    assert "--constraint constraints.txt" in install and "--group" not in install


def test_dockerignore_keeps_the_context_to_the_sources() -> None:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    assert lines[lines.index("*") :].count("*") == 1
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert allowed == {
        "pyproject.toml",
        "constraints.txt",
        "README.md",
        "bot",
        "providers",
        "db",
        "standins",  # `vpsbot sandbox` and the playground run from the image too (compose.yml)
    }
    copied = {
        part
        for word, rest in _instructions()
        if word == "COPY" and "--from" not in rest
        for part in rest.split()[:-1]
    }
    assert copied <= allowed


# ------------------------------------------------------------------ compose


def _compose(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "SLACK_BOT_TOKEN": "xoxb-compose-check",
        "SLACK_SIGNING_SECRET": "compose-check",
        "VPSBOT_ENCRYPTION_KEYS": "compose-check",
    }
    return subprocess.run(
        [_tool("docker-compose"), "-f", str(ROOT / "compose.yml"), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_compose_config_is_valid_and_describes_two_replicas_on_one_database() -> None:
    run = _compose("config", "--format", "yaml")
    assert run.returncode == 0, run.stderr
    services = yaml.safe_load(run.stdout)["services"]
    assert set(services) == {"postgres", "migrate", "sandbox", "register", "vpsbot-1", "vpsbot-2"}
    replicas = [services["vpsbot-1"], services["vpsbot-2"]]
    urls = {r["environment"]["DATABASE_URL"] for r in replicas}
    assert urls == {services["migrate"]["environment"]["DATABASE_URL"]}
    assert urls.pop().split("@")[1].startswith("postgres:5432/")
    for replica in replicas:
        assert replica["command"] == ["serve"]
        assert replica["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["postgres"]["image"].startswith("postgres:18")
    published = {p["published"] for r in replicas for p in r["ports"]}
    assert len(published) == 2


def test_compose_starts_the_sandbox_on_its_network_only() -> None:
    """The sandbox's command is one its CLI accepts (it refuses a non-loopback host
    unless told it runs on a container network), and no port of its unauthenticated
    control API is published beyond the compose network."""
    from bot.app.cli import build_parser
    from standins.sandbox.cli import parse_args

    run = _compose("config", "--format", "yaml")
    assert run.returncode == 0, run.stderr
    sandbox = yaml.safe_load(run.stdout)["services"]["sandbox"]
    assert not sandbox.get("ports")
    args = build_parser().parse_args(sandbox["command"])
    assert args.container_network and args.host == "0.0.0.0"
    forwarded = ["--container-network", "--host", args.host, "--port", str(args.port)]
    assert parse_args(forwarded).port == 3001
    registered = " ".join(yaml.safe_load(run.stdout)["services"]["register"]["command"])
    assert "http://sandbox:3001/" in registered


def test_compose_names_a_missing_secret() -> None:
    env_less = subprocess.run(
        [_tool("docker-compose"), "-f", str(ROOT / "compose.yml"), "config", "-q"],
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")},
        check=False,
    )
    assert env_less.returncode != 0
    assert "required variable SLACK_BOT_TOKEN is missing a value" in env_less.stderr


# ------------------------------------------------------------------ Kubernetes


def _resources() -> dict[str, dict[str, Any]]:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    found: dict[str, dict[str, Any]] = {}
    for name in kustomization["resources"]:
        for doc in yaml.safe_load_all((K8S / name).read_text()):
            found[doc["kind"]] = doc
    return found


def test_every_manifest_is_valid_against_the_kubernetes_schemas() -> None:
    resources = _resources()
    assert set(resources) == {
        "Secret",
        "ConfigMap",
        "Job",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
    }
    for kind, resource in resources.items():
        for version in (K8S_VERSION, kubernetes_validate.latest_version()):
            kubernetes_validate.validate(resource, version, strict=True)  # raises if not
        assert resource["metadata"]["name"].startswith("vpsbot"), kind


def _pod(resource: dict[str, Any]) -> dict[str, Any]:
    return dict(resource["spec"]["template"]["spec"])


def test_deployment_runs_replicas_with_probes_secrets_and_no_root() -> None:
    resources = _resources()
    deployment = resources["Deployment"]
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = _pod(deployment)
    [container] = pod["containers"]
    assert container["args"] == ["serve"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    sources = {next(iter(s)): next(iter(s.values()))["name"] for s in container["envFrom"]}
    assert sources == {"secretRef": "vpsbot", "configMapRef": "vpsbot"}
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    config = resources["ConfigMap"]["data"]
    assert ports == {"http": int(config["PORT"]), "metrics": int(config["METRICS_PORT"])}
    secret_keys = set(resources["Secret"]["stringData"])
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "VPSBOT_ENCRYPTION_KEYS"} <= secret_keys
    assert "DATABASE_URL" in secret_keys  # it holds the database password
    assert not secret_keys & set(config)


def test_migration_job_and_disruption_budget() -> None:
    resources = _resources()
    job = resources["Job"]
    [container] = _pod(job)["containers"]
    assert container["args"] == ["migrate"]
    assert container["envFrom"] == _pod(resources["Deployment"])["containers"][0]["envFrom"]
    assert _pod(job)["securityContext"]["runAsNonRoot"] is True
    assert job["spec"]["backoffLimit"] >= 1  # retries are safe: the advisory lock

    pdb = resources["PodDisruptionBudget"]
    selector = pdb["spec"]["selector"]["matchLabels"]
    assert selector == resources["Deployment"]["spec"]["selector"]["matchLabels"]
    assert selector == resources["Service"]["spec"]["selector"]
    labels = resources["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
    assert not selector.items() <= job["spec"]["template"]["metadata"]["labels"].items()
    assert 1 <= pdb["spec"]["minAvailable"] < resources["Deployment"]["spec"]["replicas"]


def test_kustomization_sets_the_image_every_container_uses() -> None:
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    [image] = kustomization["images"]
    used = {
        container["image"]
        for resource in _resources().values()
        if "template" in resource.get("spec", {})
        for container in _pod(resource)["containers"]
    }
    assert used == {image["name"]}
    assert image["newTag"] and image["newName"]
