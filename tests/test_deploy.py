"""deploy/ and docs/ checked by the validators of their consumers: the Compose spec, the Kubernetes schemas,
the GitHub workflow schema; dashboards and alerts only use metrics the gate exports."""

from __future__ import annotations

import json
import re
import sys
from importlib import resources
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from gate.service.metrics import COUNTERS, HISTOGRAMS
from tests.conftest import ROOT

DEPLOY = ROOT / "deploy"
GAUGES = {"gate_queue_depth", "gate_queue_started", "gate_queue_scheduled", "gate_queue_failed", "gate_workers"}
EXPORTED = GAUGES | set(COUNTERS) | {f"{h}_{s}" for h in HISTOGRAMS for s in ("bucket", "sum", "count")}


def _vendor_schema(name: str) -> dict:  # type: ignore[type-arg]
    text = resources.files("check_jsonschema").joinpath(f"builtin_schemas/vendor/{name}").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def test_compose_file_follows_the_compose_spec() -> None:
    doc = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))
    jsonschema.validate(doc, _vendor_schema("compose-spec.json"))
    assert {"redis", "web", "worker", "reaper", "prometheus", "grafana"} <= set(doc["services"])
    assert "--appendonly" in doc["services"]["redis"]["command"]


K8S = sorted((DEPLOY / "k8s").glob("*.yaml"))
KEDA_SCALED_OBJECT = {  # KEDA is a custom resource: the fields of its v2 documentation that the gate uses
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "keda.sh/v1alpha1"},
        "kind": {"const": "ScaledObject"},
        "spec": {
            "type": "object",
            "required": ["scaleTargetRef", "triggers"],
            "additionalProperties": False,
            "properties": {
                "scaleTargetRef": {"type": "object", "required": ["name"]},
                "minReplicaCount": {"type": "integer"},
                "maxReplicaCount": {"type": "integer"},
                "cooldownPeriod": {"type": "integer"},
                "pollingInterval": {"type": "integer"},
                "triggers": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["type", "metadata"],
                        "properties": {"metadata": {"type": "object", "additionalProperties": {"type": "string"}}},
                    },
                },
            },
        },
    },
}


@pytest.mark.parametrize("path", K8S, ids=lambda p: p.name)
def test_kubernetes_objects_validate(path: Path) -> None:
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    assert docs
    for doc in docs:
        if doc["kind"] == "ScaledObject":
            jsonschema.validate(doc, KEDA_SCALED_OBJECT)
        else:
            kubernetes_validate.validate(doc, "1.30.0", strict=True)


def test_workers_scale_on_the_analysis_queue_and_share_the_data_volume() -> None:
    docs = [d for p in K8S for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]
    scaled = next(d for d in docs if d["kind"] == "ScaledObject")
    assert scaled["spec"]["triggers"][0]["metadata"]["listName"] == "rq:queue:analysis"
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert scaled["spec"]["scaleTargetRef"]["name"] in deployments
    for name in ("gate-web", "gate-worker"):
        volumes = deployments[name]["spec"]["template"]["spec"]["volumes"]
        assert volumes[0]["persistentVolumeClaim"]["claimName"] == "listing-gate-data"


def _metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\b(gate_[a-z_]+)", expr))


def test_dashboard_and_alerts_use_only_exported_metrics() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "gate-dashboard.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    alerts = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text(encoding="utf-8"))
    rules = [r for g in alerts["groups"] for r in g["rules"]]
    exprs += [r["expr"] for r in rules]
    used = set().union(*(_metric_names(e) for e in exprs))
    assert used <= EXPORTED, used - EXPORTED
    assert {"GateQueueBacklog", "GateAnalysisFailures", "GateCallbackFailures", "GateAnalysisSlow"} <= {
        r["alert"] for r in rules
    }
    assert all(r["labels"]["severity"] in ("warning", "critical") and r["annotations"]["summary"] for r in rules)


def test_the_ci_example_is_a_valid_github_workflow() -> None:
    doc = yaml.safe_load((ROOT / "docs" / "ci" / "gate-scan.yml").read_text(encoding="utf-8"))
    doc["on"] = doc.pop(True)  # YAML 1.1 reads the key `on` as true; GitHub's YAML 1.2 parser does not
    jsonschema.validate(doc, _vendor_schema("github-workflows.json"))


def test_the_developer_guide_is_up_to_date() -> None:
    sys.path.insert(0, str(ROOT / "docs"))
    from build_developer_guide import guide

    assert (ROOT / "docs" / "developers.md").read_text(encoding="utf-8") == guide()
