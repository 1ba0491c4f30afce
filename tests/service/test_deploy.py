"""The Kubernetes manifests agree with the service: probe paths, port, environment variables."""

from __future__ import annotations

import yaml

from tests.conftest import ROOT

DEPLOY = ROOT / "deploy" / "kubernetes"


def _container() -> dict:
    dep = yaml.safe_load((DEPLOY / "deployment.yaml").read_text())
    return dep["spec"]["template"]["spec"]["containers"][0]


def test_probes_point_at_the_service_health_routes():
    c = _container()
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert c["ports"][0]["containerPort"] == 3000


def test_every_zoo_variable_is_one_the_service_reads():
    """Each ZOO_* variable of the manifest appears in the code that reads the environment."""
    source = "".join(p.read_text() for p in (ROOT / "service" / "settings.py", ROOT / "zoo" / "runtime.py"))
    names = [env["name"] for env in _container()["env"] if env["name"].startswith("ZOO_")]
    assert names
    for name in names:
        assert f'"{name}"' in source, name


def test_all_manifests_parse_and_target_the_deployment():
    docs = {p.name: yaml.safe_load(p.read_text()) for p in DEPLOY.glob("*.yaml")}
    assert docs["hpa.yaml"]["spec"]["scaleTargetRef"]["name"] == docs["deployment.yaml"]["metadata"]["name"]
    assert docs["service.yaml"]["spec"]["selector"] == docs["deployment.yaml"]["spec"]["selector"]["matchLabels"]
