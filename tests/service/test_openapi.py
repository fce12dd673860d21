"""/openapi.json is a valid OpenAPI 3.1 document, and what the service really sends conforms to it."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import jsonschema
from marshmallow import Schema
from openapi_spec_validator import validate

from gate.core import history as hist
from gate.core import policy as policy_mod
from gate.core import reference
from gate.core.rules import Status
from gate.core.scan import scan
from gate.service import schemas
from gate.service.json_schema import VERDICT_SCHEMA_PATH, components, render
from tests.conftest import LISTINGS, fixture_apk, listing
from tests.service.conftest import post_build, wait_status

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


def _check(spec: dict, name: str, instance: object) -> None:  # type: ignore[type-arg]
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    jsonschema.Draft202012Validator(schema).validate(instance)


def test_the_document_is_valid_and_covers_the_contract(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    for path in (
        "/webhooks/v1/{tenant}/builds",
        "/api/v1/builds/{build_id}",
        "/api/v1/builds",
        "/api/v1/builds/{build_id}/redeliver",
        "/api/v1/review",
        "/api/v1/builds/{build_id}/decision",
        "/api/v1/waivers",
        "/v/{token}",
        "/metrics",
        "/healthz",
        "/readyz",
        "/openapi.json",
        "/rules",
        "/rules/{rule_id}",
    ):
        assert path in spec["paths"], path
    assert set(spec["paths"]["/api/v1/waivers"]) == {"get", "post", "delete"}
    assert "lang" in [p["name"] for p in spec["paths"]["/v/{token}"]["get"]["parameters"]]


def test_every_route_is_documented(app, client) -> None:  # type: ignore[no-untyped-def]
    """Each route the app serves, with each of its methods, is in the document (a new route must be added)."""
    spec = client.get("/openapi.json").json
    missing = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method.lower() not in spec["paths"].get(path, {}):
                missing.append(f"{method} {path}")
    assert not missing, missing


def test_real_responses_conform(client, rt, tenant, workers, callback_server) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json
    accepted = post_build(client, tenant, fixture_apk("sdk-calls"), LISTING)
    _check(spec, "Accepted", accepted.json)
    auth = {"authorization": f"Bearer {tenant['token']}"}
    queued = client.get(f"/api/v1/builds/{accepted.json['build_id']}", headers=auth)
    _check(spec, "Build", queued.json)
    workers.burst()
    wait_status(rt, accepted.json["build_id"], ("done",))
    done = client.get(f"/api/v1/builds/{accepted.json['build_id']}", headers=auth).json
    _check(spec, "Build", done)
    _check(
        spec, "Verdict", {k: v for k, v in done.items() if k in spec["components"]["schemas"]["Verdict"]["properties"]}
    )
    _check(spec, "BuildList", client.get("/api/v1/builds?package=cn.gate.fixture.sdk_calls", headers=auth).json)
    _check(spec, "Problem", client.get("/api/v1/builds/b_nope", headers=auth).json)
    _check(spec, "Redelivery", client.post(f"/api/v1/builds/{accepted.json['build_id']}/redeliver", headers=auth).json)
    [event] = callback_server.wait_for(1)
    _check(spec, "CallbackEvent", event)
    assert done["sdks"] and done["findings"]  # the checks above saw real content


def test_the_schemas_catch_a_broken_verdict(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json
    broken = {
        "verdict": "maybe",
        "app": {},
        "findings": [],
        "sdks": [],
        "policy": {"name": "x", "version": "y"},
        "gate_version": "1",
        "analysis_ms": 1,
    }
    try:
        _check(spec, "Verdict", broken)
    except jsonschema.ValidationError:
        return
    raise AssertionError("a verdict of 'maybe' passed the schema")


def test_the_shipped_verdict_schema_is_generated_from_the_marshmallow_schemas() -> None:
    # one description of the shape: after a change to gate/service/schemas.py, run
    # `python -m gate.service.json_schema` to rewrite gate/data/verdict.schema.json
    assert VERDICT_SCHEMA_PATH.read_text(encoding="utf-8") == render()


def test_the_openapi_components_are_the_same_schemas(client) -> None:  # type: ignore[no-untyped-def]
    served = client.get("/openapi.json").json["components"]["schemas"]
    assert {name: served[name] for name in components()} == components()


def _declared(schema: type[Schema]) -> dict[str, Any]:
    return dict(schema().fields)


def _same_keys(obj: dict[str, Any], schema: type[Schema], where: str, *, open_: bool = False) -> None:
    """``obj`` (a dumped model value) carries exactly the fields ``schema`` declares, required ones always."""
    declared = _declared(schema)
    required = {name for name, f in declared.items() if f.required}
    assert required <= set(obj), f"{where}: missing {sorted(required - set(obj))}"
    extra = set(obj) - set(declared)
    assert open_ or not extra, f"{where}: model field(s) {sorted(extra)} not in {schema.__name__}"


def test_the_models_dump_the_shape_the_schemas_declare() -> None:
    # model.to_dict writes the JSON (marshmallow is not imported by a one-shot `gate scan`: 60 ms); this holds
    # every key it writes to the schema the JSON Schema and OpenAPI come from, on verdicts with every part
    doc = scan(fixture_apk("sdk-calls"), policy_mod.load("cn-default"), listing("complete")).to_dict()
    earlier = {"build_id": "b0", "findings": [hist.finding_key(f) for f in doc["findings"][1:]]}
    doc["diff"] = hist.diff(doc["findings"], earlier)
    _same_keys(doc, schemas.VerdictSchema, "verdict")
    _same_keys(doc["app"], schemas.AppSchema, "app")
    for cert in doc["app"]["certificates"]:
        _same_keys(cert, schemas.CertificateSchema, "certificate")
    _same_keys(doc["policy"], schemas.PolicyRefSchema, "policy")
    assert doc["findings"] and doc["sdks"]
    for finding in doc["findings"]:
        _same_keys(finding, schemas.FindingSchema, finding["rule_id"])
        for evidence in finding["evidence"]:
            _same_keys(evidence, schemas.EvidenceSchema, "evidence", open_=True)  # plus the check's extras
    for sdk in doc["sdks"]:
        _same_keys(sdk, schemas.SdkSchema, sdk["id"])
    _same_keys(doc["diff"], schemas.DiffSchema, "diff")
    assert schemas.VerdictSchema().validate(doc) == {}


def test_a_shadowed_finding_dumps_the_shape_the_schema_declares(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # no rule is under evaluation today, so the scan above never writes "shadow": shadow one of its rules
    rules = dict(reference.rules())
    rules["PI-CLIPBOARD"] = dataclasses.replace(rules["PI-CLIPBOARD"], status=Status.EVALUATION)
    monkeypatch.setattr(reference, "rules", lambda: rules)
    doc = scan(fixture_apk("sdk-calls"), policy_mod.load("cn-default"), listing("complete")).to_dict()
    [shadowed] = [f for f in doc["findings"] if f["rule_id"] == "PI-CLIPBOARD"]
    assert shadowed["shadow"] is True and shadowed["outcome"] == "info"
    _same_keys(shadowed, schemas.FindingSchema, "shadowed finding")
    assert schemas.VerdictSchema().validate(doc) == {}
    shipped = json.loads(VERDICT_SCHEMA_PATH.read_text(encoding="utf-8"))
    assert "shadow" in shipped["$defs"]["Finding"]["properties"]


def test_the_review_desk_responses_conform(client, rt, callback_server, workers) -> None:  # type: ignore[no-untyped-def]
    from tests.service.desk import decided, store

    spec = client.get("/openapi.json").json
    auth = {"authorization": f"Bearer {store(rt.record, callback_server.url)['token']}"}
    build_id = decided(rt.record, "sdk-calls")
    queue = client.get("/api/v1/review", headers=auth).json
    _check(spec, "ReviewQueue", queue)
    assert queue["builds"][0]["rules"]
    package = queue["builds"][0]["package"]
    waiver = client.post("/api/v1/waivers", json={"rule_id": "PI-CLIPBOARD", "reason": "r", "author": "alice",
                                                  "package": package}, headers=auth).json
    _check(spec, "Waiver", waiver)
    _check(spec, "WaiverList", client.get("/api/v1/waivers", headers=auth).json)
    _check(spec, "Waiver", client.delete(f"/api/v1/waivers?id={waiver['id']}", headers=auth).json)
    bad = client.post(f"/api/v1/builds/{build_id}/decision", json={"decision": "maybe"}, headers=auth)
    _check(spec, "Problem", bad.json)
    decision = client.post(f"/api/v1/builds/{build_id}/decision",
                           json={"decision": "approve", "reason": "ok", "reviewer": "alice"}, headers=auth).json
    _check(spec, "Decision", decision)
    workers.burst()
    [event] = callback_server.wait_for(1)
    _check(spec, "DecisionEvent", event)
    try:
        _check(spec, "DecisionEvent", {**event, "type": "build.verdict"})
    except jsonschema.ValidationError:
        return
    raise AssertionError("a build.verdict event passed as a decision")
