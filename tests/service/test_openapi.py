"""/openapi.json is a valid OpenAPI 3.1 document, and what the service really sends conforms to it."""

from __future__ import annotations

import json

import jsonschema
from openapi_spec_validator import validate

from tests.conftest import LISTINGS, fixture_apk
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
        "/v/{token}",
        "/metrics",
        "/healthz",
        "/readyz",
        "/openapi.json",
    ):
        assert path in spec["paths"], path


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
