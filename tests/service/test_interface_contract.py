"""The gate against its contract, /work/shared/spec/interface.md and rules.md, name by name.

Every literal here (route, method, status code, header, field, command, flag, exit code, environment variable,
rule id and default outcome) is copied from the spec, not from the code, so that a rename in the code fails
here. Real services as the rest of tests/service: the app on a real HTTP server, real Redis, real `gate worker`
processes, the store's callback endpoint a real HTTP server, the command line as a child process. Signatures are
computed here from the spec's words ("base64 HMAC-SHA256 of {id}.{timestamp}.{raw body}" with the whsec_ key), not
with the gate's own signing module.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from typing import Any

import pytest
import requests

from gate.service.settings import Settings
from tests.conftest import LISTINGS, fixture_apk, load_json, run_gate
from tests.service.conftest import multipart, wait_status

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))
PROBLEM = "application/problem+json"


def spec_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """interface.md section 4: `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{raw body}">`, key = the whsec_ secret."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def spec_headers(secret: str, body: bytes, *, offset_s: int = 0, signature: str | None = None) -> dict[str, str]:
    msg_id = f"msg_{os.urandom(6).hex()}"
    ts = int(time.time()) + offset_s
    return {"webhook-id": msg_id, "webhook-timestamp": str(ts),
            "webhook-signature": signature or spec_signature(secret, msg_id, ts, body)}


def submit(base: str, tenant: dict[str, str], apk: Any, listing: Any = None, *, platform_id: str = "p-1",
           offset_s: int = 0, signature: str | None = None, metadata: Any = "default") -> requests.Response:
    meta = {"build": {"id": platform_id}, "listing": listing} if metadata == "default" else metadata
    body, ctype = multipart(apk, meta)
    headers = {**spec_headers(tenant["secret"], body, offset_s=offset_s, signature=signature), "content-type": ctype}
    return requests.post(f"{base}/webhooks/v1/{tenant['name']}/builds", data=body, headers=headers, timeout=30)


def bearer(tenant: dict[str, str]) -> dict[str, str]:
    return {"authorization": f"Bearer {tenant['token']}"}


# -- section 6, 7, 8: every route and method of the spec is served (no 404/405) -------------------------------------

# (method, path, answer without credentials): the API routes refuse an unauthenticated caller with 401 (a route
# that did not exist would answer 404, a method it does not take 405)
ROUTES = [
    ("GET", "/api/v1/builds/b_unknown", 401),
    ("GET", "/api/v1/builds?package=cn.example", 401),
    ("POST", "/api/v1/builds/b_unknown/redeliver", 401),
    ("GET", "/api/v1/review?status=pending&rule=&sdk=&developer=&category=", 401),
    ("POST", "/api/v1/builds/b_unknown/decision", 401),
    ("GET", "/api/v1/waivers", 401),
    ("POST", "/api/v1/waivers", 401),
    ("DELETE", "/api/v1/waivers", 401),
    ("GET", "/api/v1/reports/decisions?from=2026-01-01&to=2026-01-31&format=csv", 401),
    ("GET", "/openapi.json", 200),
    ("GET", "/healthz", 200),
    ("GET", "/readyz", 503),  # Redis reachable, but no worker is running in this test
    ("GET", "/metrics", 200),
    ("GET", "/v/not-a-token", 404),  # the route is there; the token is unguessable, a wrong one is 404
    ("POST", "/webhooks/v1/nobody/builds", 404),  # section 4: unknown tenant
]


@pytest.mark.parametrize(("method", "path", "status"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_route_of_the_contract_answers(served: str, method: str, path: str, status: int) -> None:
    resp = requests.request(method, served + path, timeout=10)
    assert resp.status_code == status, resp.text[:300]
    if status == 401:
        assert resp.headers["content-type"].startswith(PROBLEM)


def test_the_routes_answer_with_the_store_token(served: str, tenant: dict[str, str]) -> None:
    """With the store's token, the API routes of sections 6 and 8 exist and answer (unknown build: 404)."""
    h = bearer(tenant)
    assert requests.get(f"{served}/api/v1/builds/b_unknown", headers=h, timeout=10).status_code == 404
    assert requests.post(f"{served}/api/v1/builds/b_unknown/redeliver", headers=h, timeout=10).status_code == 404
    listed = requests.get(f"{served}/api/v1/builds", params={"package": "cn.example"}, headers=h, timeout=10)
    assert listed.status_code == 200 and listed.json() == {"builds": []}
    review = requests.get(f"{served}/api/v1/review", params={"status": "pending", "rule": "", "sdk": "",
                                                              "developer": "", "category": ""}, headers=h, timeout=10)
    assert review.status_code == 200 and review.json() == {"builds": []}
    for status in ("not_required", "pending", "approved", "rejected"):  # section 8: the review_status values
        assert requests.get(f"{served}/api/v1/review", params={"status": status}, headers=h,
                            timeout=10).status_code == 200, status
    assert requests.get(f"{served}/api/v1/waivers", headers=h, timeout=10).json() == {"waivers": []}
    for fmt in ("csv", "jsonl"):
        report = requests.get(f"{served}/api/v1/reports/decisions", headers=h, timeout=10,
                              params={"from": "2026-01-01", "to": "2026-01-31", "format": fmt})
        assert report.status_code == 200, (fmt, report.text[:300])


def test_operations_endpoints(served: str) -> None:
    assert requests.get(f"{served}/healthz", timeout=10).status_code == 200
    doc = requests.get(f"{served}/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.")
    for path in ("/webhooks/v1/{tenant}/builds", "/api/v1/builds/{build_id}", "/api/v1/builds",
                 "/api/v1/builds/{build_id}/redeliver", "/api/v1/review", "/api/v1/builds/{build_id}/decision",
                 "/api/v1/waivers", "/api/v1/reports/decisions", "/v/{token}", "/metrics", "/healthz", "/readyz",
                 "/openapi.json", "/review"):
        assert path in doc["paths"], path
    metrics = requests.get(f"{served}/metrics", timeout=10)
    assert metrics.headers["content-type"].startswith("text/plain")  # the Prometheus text format
    assert "# TYPE " in metrics.text
    review = requests.get(f"{served}/review", timeout=10)  # section 8: the desk starts with sign-in
    assert review.status_code == 200 and "/review/login" in review.url


# -- section 4: the inbound webhook ----------------------------------------------------------------------------------

def test_accepted_answer_is_exactly_the_contract(served: str, tenant: dict[str, str]) -> None:
    resp = submit(served, tenant, fixture_apk("clean"), LISTING)
    assert resp.status_code == 202, resp.text
    doc = resp.json()
    assert {"build_id", "status", "status_url", "verdict_url"} <= set(doc)
    assert doc["status"] == "queued"
    assert doc["status_url"].endswith(f"/api/v1/builds/{doc['build_id']}")
    assert "/v/" in doc["verdict_url"]


@pytest.mark.parametrize(("case", "status", "field"), [
    ("several signatures, the last one valid", 202, None),
    ("timestamp 4 minutes old", 202, None),
    ("timestamp 4 minutes ahead", 202, None),
    ("timestamp 6 minutes old", 401, None),
    ("timestamp 6 minutes ahead", 401, None),
    ("signature of another body", 401, None),
    ("no signature headers", 401, None),
    ("metadata without build", 422, "build"),
    ("listing field of the wrong type", 422, "listing.app_name"),
    ("no apk part", 422, "apk"),
])
def test_inbound_answers(served: str, tenant: dict[str, str], case: str, status: int, field: str | None) -> None:
    apk: Any = fixture_apk("clean")
    kwargs: dict[str, Any] = {}
    if case.startswith("several"):
        body, ctype = multipart(apk, {"build": {"id": "p-1"}, "listing": LISTING})
        msg_id, ts = "msg_several", int(time.time())
        good = spec_signature(tenant["secret"], msg_id, ts, body)
        other = spec_signature("whsec_" + base64.b64encode(b"x" * 32).decode(), msg_id, ts, body)
        resp = requests.post(f"{served}/webhooks/v1/{tenant['name']}/builds", data=body, timeout=30, headers={
            "webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": f"{other} {good}",
            "content-type": ctype})
    elif case == "no signature headers":
        body, ctype = multipart(apk, {"build": {"id": "p-1"}, "listing": LISTING})
        resp = requests.post(f"{served}/webhooks/v1/{tenant['name']}/builds", data=body, timeout=30,
                             headers={"content-type": ctype})
    else:
        if case.startswith("timestamp"):
            minutes = int(case.split()[1])
            kwargs["offset_s"] = 60 * minutes * (-1 if case.endswith("old") else 1)
        elif case == "signature of another body":
            kwargs["signature"] = spec_signature(tenant["secret"], "msg_x", int(time.time()), b"another body")
        elif case == "metadata without build":
            kwargs["metadata"] = {"listing": LISTING}
        elif case == "listing field of the wrong type":
            kwargs["metadata"] = {"build": {"id": "p-1"}, "listing": {**LISTING, "app_name": 7}}
        elif case == "no apk part":
            apk = None
        resp = submit(served, tenant, apk, LISTING, **kwargs)
    assert resp.status_code == status, (case, resp.text[:300])
    if status != 202:
        assert resp.headers["content-type"].startswith(PROBLEM), case
    if field is not None:
        assert resp.json()["field"] == field


# -- sections 2, 5, 6, 8: one build through the service, every field by its contract name ---------------------------

VERDICT_KEYS = {"verdict", "app", "findings", "sdks", "policy", "gate_version", "analysis_ms"}
BUILD_KEYS = {"build_id", "tenant", "platform_build_id", "status", "received_at", "decided_at", "verdict_url"}
APP_KEYS = {"package", "version_code", "version_name", "min_sdk", "target_sdk", "sha256", "size", "certificates"}
FINDING_KEYS = {"rule_id", "outcome", "title", "message", "references", "evidence", "remediation"}
EVIDENCE_KEYS = {"kind", "value", "location", "sdk"}
SDK_KEYS = {"id", "name", "vendor", "category", "evidence"}
DECISION_KEYS = {"build_id", "decision", "reason", "reviewer", "decided_at", "verdict"}
WAIVER_KEYS = {"tenant", "package", "developer", "rule_id", "evidence_match", "reason", "expires_at", "author"}


def spec_verify(received: dict[str, Any], secret: str) -> dict[str, Any]:
    """Section 5: the callback is signed the same way as section 4 (headers by their contract names)."""
    h = received["headers"]
    msg_id, ts = h["webhook-id"], int(h["webhook-timestamp"])
    assert abs(ts - time.time()) < 300
    expected = spec_signature(secret, msg_id, ts, received["body"])
    assert expected in h["webhook-signature"].split(" "), "the callback's signature does not verify"
    body: dict[str, Any] = json.loads(received["body"])
    return body


def check_verdict(doc: dict[str, Any]) -> None:
    assert VERDICT_KEYS <= set(doc), VERDICT_KEYS - set(doc)
    assert doc["verdict"] in ("pass", "warn", "block")
    assert APP_KEYS <= set(doc["app"]), APP_KEYS - set(doc["app"])
    assert doc["app"]["certificates"] and all({"sha256", "subject"} <= set(c) for c in doc["app"]["certificates"])
    assert set(doc["policy"]) >= {"name", "version"} and doc["policy"]["name"] == "cn-default"
    assert isinstance(doc["analysis_ms"], int) and isinstance(doc["gate_version"], str)
    assert doc["findings"] and any(f["outcome"] == "info" for f in doc["findings"])  # info findings included
    # rules.md: info < warn < block; the verdict is the highest outcome, pass when none is above info
    order = ["info", "warn", "block"]
    highest = max((order.index(f["outcome"]) for f in doc["findings"]), default=0)
    assert doc["verdict"] == ("pass" if highest == 0 else order[highest])
    for f in doc["findings"]:
        assert FINDING_KEYS <= set(f), (f["rule_id"], FINDING_KEYS - set(f))
        assert f["outcome"] in ("info", "warn", "block")
        assert isinstance(f["references"], list)
        for e in f["evidence"]:
            assert EVIDENCE_KEYS <= set(e), (f["rule_id"], EVIDENCE_KEYS - set(e))
    assert doc["sdks"], "sdk-calls embeds third-party SDKs"
    for s in doc["sdks"]:
        assert SDK_KEYS <= set(s), SDK_KEYS - set(s)


def test_a_build_through_the_service_by_the_contract_names(  # type: ignore[no-untyped-def]
        served: str, rt, tenant: dict[str, str], workers, callback_server) -> None:
    resp = submit(served, tenant, fixture_apk("sdk-calls"), LISTING, platform_id="store-7")
    assert resp.status_code == 202, resp.text
    build_id = resp.json()["build_id"]
    status = requests.get(f"{served}/api/v1/builds/{build_id}", headers=bearer(tenant), timeout=10).json()
    assert status["status"] in ("queued", "running")
    workers.burst()
    wait_status(rt, build_id, ("done",), timeout_s=30)

    # section 6: the API answers the verdict with the build fields
    doc = requests.get(f"{served}/api/v1/builds/{build_id}", headers=bearer(tenant), timeout=10).json()
    check_verdict(doc)
    assert BUILD_KEYS <= set(doc), BUILD_KEYS - set(doc)
    assert (doc["build_id"], doc["tenant"], doc["platform_build_id"], doc["status"]) == (
        build_id, tenant["name"], "store-7", "done")
    assert doc["verdict"] == "warn" and doc["review_status"] == "pending"  # section 8: a warn waits for review
    listed = requests.get(f"{served}/api/v1/builds", params={"package": doc["app"]["package"]}, headers=bearer(tenant),
                          timeout=10).json()
    assert [b["build_id"] for b in listed["builds"]] == [build_id]

    # section 5: the signed build.verdict callback, its data the same verdict with the build fields
    callback_server.wait_for(1)
    event = spec_verify(callback_server.received[0], tenant["secret"])
    assert event["type"] == "build.verdict"
    check_verdict(event["data"])
    assert BUILD_KEYS <= set(event["data"]) and event["data"]["build_id"] == build_id
    assert event["data"]["findings"] == doc["findings"]
    # every attempt is recorded and visible through the API
    def attempts(count: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 10
        while True:
            seen: list[dict[str, Any]] = requests.get(f"{served}/api/v1/builds/{build_id}", headers=bearer(tenant),
                                                      timeout=10).json().get("callback_attempts") or []
            if len(seen) >= count or time.monotonic() > deadline:
                return seen
            time.sleep(0.1)

    assert len(attempts(1)) == 1

    # section 6: redeliver sends the callback again
    again = requests.post(f"{served}/api/v1/builds/{build_id}/redeliver", headers=bearer(tenant), timeout=10)
    assert again.status_code == 202
    workers.burst()
    callback_server.wait_for(2)
    assert spec_verify(callback_server.received[1], tenant["secret"])["type"] == "build.verdict"
    assert len(attempts(2)) == 2

    # section 8: the queue, a decision and its build.decision callback
    queue = requests.get(f"{served}/api/v1/review", params={"status": "pending", "sdk": doc["sdks"][0]["id"]},
                         headers=bearer(tenant), timeout=10).json()
    assert [b["build_id"] for b in queue["builds"]] == [build_id]
    decided = requests.post(f"{served}/api/v1/builds/{build_id}/decision", headers=bearer(tenant), timeout=10,
                            json={"decision": "approve", "reason": "the policy names every SDK now",
                                  "reviewer": "alice"})
    assert decided.status_code in (200, 201), decided.text
    workers.burst()
    callback_server.wait_for(3)
    decision = spec_verify(callback_server.received[2], tenant["secret"])
    assert decision["type"] == "build.decision"
    assert DECISION_KEYS <= set(decision["data"]), DECISION_KEYS - set(decision["data"])
    assert (decision["data"]["build_id"], decision["data"]["decision"], decision["data"]["reviewer"]) == (
        build_id, "approve", "alice")
    after = requests.get(f"{served}/api/v1/builds/{build_id}", headers=bearer(tenant), timeout=10).json()
    assert after["review_status"] == "approved"

    # section 8: waivers {tenant, package | developer, rule_id, evidence_match?, reason, expires_at, author}
    made = requests.post(f"{served}/api/v1/waivers", headers=bearer(tenant), timeout=10, json={
        "package": doc["app"]["package"], "rule_id": "PI-CLIPBOARD", "evidence_match": "ClipboardManager",
        "reason": "reads the clipboard only on the user's paste", "expires_at": "2099-12-31", "author": "alice"})
    assert made.status_code in (200, 201), made.text
    waiver = made.json()
    assert WAIVER_KEYS <= set(waiver), WAIVER_KEYS - set(waiver)
    assert (waiver["tenant"], waiver["rule_id"], waiver["author"]) == (tenant["name"], "PI-CLIPBOARD", "alice")
    listed_waivers = requests.get(f"{served}/api/v1/waivers", headers=bearer(tenant), timeout=10).json()["waivers"]
    assert [w["id"] for w in listed_waivers] == [waiver["id"]]
    gone = requests.delete(f"{served}/api/v1/waivers", params={"id": waiver["id"]}, headers=bearer(tenant),
                           timeout=10)
    assert gone.status_code == 200
    assert requests.get(f"{served}/api/v1/waivers", headers=bearer(tenant), timeout=10).json() == {"waivers": []}


# -- section 5 and 4: the timing promises, as configured by default ---------------------------------------------------

def test_callback_retries_last_at_least_a_day_with_growing_intervals() -> None:
    intervals = Settings.from_env({}).callback_retry_intervals_s
    assert sum(intervals) >= 24 * 3600
    assert list(intervals) == sorted(intervals) and intervals[-1] > intervals[0]


def test_the_timestamp_tolerance_is_five_minutes() -> None:
    assert Settings.from_env({}).webhook_tolerance_s == 300


def test_the_environment_variables_of_the_contract() -> None:
    s = Settings.from_env({"REDIS_URL": "redis://127.0.0.1:6390/3",
                           "DATABASE_URL": "postgresql+psycopg://gate@db.example/gate"})
    assert s.redis_url == "redis://127.0.0.1:6390/3"
    assert s.database_url == "postgresql+psycopg://gate@db.example/gate"
    assert s.record_url == "postgresql+psycopg://gate@db.example/gate"
    bare = Settings.from_env({"GATE_DATA_DIR": "/srv/gate"})
    assert bare.redis_url is None and bare.database_url is None  # embedded Redis and SQLite under the data dir
    assert bare.record_url.startswith("sqlite") and "/srv/gate/" in bare.record_url


# -- section 3: the command line --------------------------------------------------------------------------------------

# each command of the table and the flags the contract gives it
COMMANDS = [
    (("scan",), ("--listing", "--policy", "--format", "--out", "--history")),
    (("serve",), ("--host", "--port", "--workers")),
    (("worker",), ("--burst",)),
    (("tenants", "add"), ("--callback-url",)),
    (("tenants", "list"), ()),
    (("tenants", "rotate"), ()),
    (("delist", "add"), ("--developer", "--notice")),
    (("delist", "remove"), ()),
    (("delist", "list"), ()),
    (("rules",), ("--policy", "--format")),
    (("submit",), ("--listing", "--tenant", "--secret", "--url")),
    (("migrate",), ()),
    (("reviewers", "add"), ("--role",)),
    (("reviewers", "list"), ()),
    (("reviewers", "disable"), ()),
    (("report", "decisions"), ("--from", "--to", "--format")),
]


@pytest.mark.parametrize(("command", "flags"), COMMANDS, ids=[" ".join(c) for c, _ in COMMANDS])
def test_every_command_and_flag_of_the_contract(command: tuple[str, ...], flags: tuple[str, ...]) -> None:
    out = run_gate(*command, "--help")
    assert out.returncode == 0, out.stderr
    for flag in flags:
        assert f"{flag} " in out.stdout or f"{flag}\n" in out.stdout or f"{flag}=" in out.stdout, flag
    choices = {("scan",): "{json,text,sarif}", ("rules",): "{json", ("reviewers", "add"): "{reviewer,senior,admin}",
               ("report", "decisions"): "{csv,jsonl}"}
    if command in choices:
        assert choices[command] in out.stdout


def test_tenants_add_prints_the_contract_json(tmp_path, redis_url: str) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "REDIS_URL": redis_url, "GATE_DATA_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-m", "gate.cli", "tenants", "add", "store-c", "--callback-url",
                          "http://127.0.0.1:9/cb"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    doc = load_json(out.stdout)
    assert {"tenant", "webhook_secret", "api_token"} <= set(doc)
    assert doc["tenant"] == "store-c" and doc["webhook_secret"].startswith("whsec_") and doc["api_token"]


# -- rules.md: every rule id with its default outcome per policy ------------------------------------------------------

CN_DEFAULT = {
    "PKG-UNREADABLE": "block", "PKG-LIMITS": "block", "PKG-SIGNATURE": "block", "PKG-CERT-CHANGED": "block",
    "PKG-DEBUGGABLE": "block", "PKG-TARGET-SDK": "block", "PKG-PACKED": "warn", "PKG-DYNAMIC-CODE": "warn",
    "PKG-CLEARTEXT": "info", "PKG-EXPORTED": "info",
    "PI-NO-POLICY": "block", "PI-UNDISCLOSED-DATA": "warn", "PI-UNNECESSARY-DATA": "warn", "PI-FORBIDDEN-DATA": "block",
    "PI-DEVICE-ID": "warn", "PI-APP-LIST": "warn", "PI-CLIPBOARD": "warn", "PI-BACKGROUND-LOCATION": "warn",
    "PI-SDK-UNDISCLOSED": "warn", "PI-PRECONSENT": "warn",
    "HAR-SELF-START": "warn", "HAR-INSTALL-TIME-GRANT": "warn",
    "DEC-INSTALL-PACKAGES": "warn", "DEC-SYSTEM-NAMESPACE": "warn",
    "MAL-PREMIUM-SMS": "block", "MAL-SMS-INTERCEPT": "block", "MAL-REMOTE-CONTROL": "block", "MAL-DROPPER": "block",
    "MAL-IMPERSONATION": "block", "MAL-ROGUE": "block",
    "PLT-FILING-MISSING": "block", "PLT-LISTING-INCOMPLETE": "block", "PLT-DELISTED": "block",
    "PLT-RECURRENCE": "warn",  # "warn → block": warn is its declared outcome, block from the 3rd recurrence
    "GATE-CHECK-FAILED": "warn",
    "GP-TARGET-SDK": "off", "GP-RESTRICTED-PERMISSION": "off", "GP-FGS-TYPE": "off",  # "off in cn-default"
}
GOOGLE_PLAY = {"GP-TARGET-SDK": "block", "GP-RESTRICTED-PERMISSION": "block", "GP-FGS-TYPE": "block"}


@pytest.mark.parametrize(("policy", "expected"), [("cn-default", CN_DEFAULT), ("google-play", GOOGLE_PLAY)])
def test_rule_ids_and_their_default_outcomes(policy: str, expected: dict[str, str]) -> None:
    out = run_gate("rules", "--policy", policy, "--format", "json")
    assert out.returncode == 0, out.stderr
    doc = load_json(out.stdout)
    assert doc["policy"]["name"] == policy
    rows = {r["id"]: r for r in doc["rules"]}
    got = {rule_id: rows[rule_id]["outcome"] for rule_id in expected if rule_id in rows}
    assert got == expected
    assert all(rows[rule_id]["implemented"] for rule_id in expected)


# -- section 1: the listing's fields, read under the names of the contract -------------------------------------------

def _listing_rules(listing: dict[str, Any]) -> set[str]:
    """The rules that fire on the clean fixture APK with ``listing``, as the workers scan it."""
    from gate.core import listing as listing_mod
    from gate.core import policy as policy_mod
    from gate.core.scan import scan

    verdict = scan(fixture_apk("clean"), policy_mod.load("cn-default"), listing_mod.load(listing))
    return {f.rule_id for f in verdict.findings if f.outcome != "info"}


LISTING_CASES = [
    # (what the listing lacks or carries, the change, the rule that must fire, or None for none of LISTING_RULES)
    ("complete", {}, None),
    ("the example filing number of the spec", {"filing_number": "粤ICP备2021012345号-3A"}, None),
    ("no filing_number", {"filing_number": None}, "PLT-FILING-MISSING"),
    ("a filing_number not of the form", {"filing_number": "12345"}, "PLT-FILING-MISSING"),
    ("no privacy_policy", {"privacy_policy": None}, "PI-NO-POLICY"),
    ("an empty privacy_policy.text", {"privacy_policy": {"url": None, "text": ""}}, "PI-NO-POLICY"),
    ("no app_name", {"app_name": None}, "PLT-LISTING-INCOMPLETE"),
    ("no developer.name", {"developer": {"id": "DEV-0001"}}, "PLT-LISTING-INCOMPLETE"),
    ("no category", {"category": None}, "PLT-LISTING-INCOMPLETE"),
    ("a category outside the 39 slugs", {"category": "spaceship_sim"}, "PLT-LISTING-INCOMPLETE"),
    ("category other", {"category": "other"}, None),
    ("unknown keys (kept, ignored)", {"store_extra": {"a": 1}}, None),
]
LISTING_RULES = {"PLT-FILING-MISSING", "PI-NO-POLICY", "PLT-LISTING-INCOMPLETE"}


@pytest.mark.parametrize(("case", "change", "rule"), LISTING_CASES, ids=[c for c, _, _ in LISTING_CASES])
def test_listing_fields_by_their_contract_names(case: str, change: dict[str, Any], rule: str | None) -> None:
    fired = _listing_rules({**LISTING, **change}) & LISTING_RULES
    assert fired == ({rule} if rule else set()), case


def test_every_app_type_of_the_reference_is_a_valid_category() -> None:
    from tests.conftest import SHARED

    path = SHARED / "reference" / "categories.json"
    if not path.is_file():
        pytest.skip("shared/reference not available")
    slugs = [c["slug"] for c in json.loads(path.read_text(encoding="utf-8"))["categories"]]
    assert len(set(slugs) - {"other"}) == 39 and "other" in slugs
    from gate.core import reference

    assert set(slugs) <= set(reference.app_types())
    for slug in slugs:
        assert "PLT-LISTING-INCOMPLETE" not in _listing_rules({**LISTING, "category": slug}), slug


# section 4: "`400`/`422` malformed body (problem+json naming the field)": the 400s name it too
DEEP = "[" * 100 + "]" * 100


@pytest.mark.parametrize(("case", "body", "ctype", "field"), [
    ("a JSON body that is not JSON", b'{"build": ', "application/json", "body"),
    ("a JSON body nested too deep", ('{"build": {"id": "x"}, "listing": ' + DEEP + "}").encode(),
     "application/json", "body"),
    ("a multipart body without a boundary", b"--x\r\n", "multipart/form-data", "content-type"),
    ("a metadata part nested too deep", None, None, "metadata"),
])
def test_malformed_bodies_answer_400_naming_the_field(served: str, tenant: dict[str, str], case: str,
                                                      body: bytes | None, ctype: str | None, field: str) -> None:
    if body is None:
        body, ctype = multipart(b"apk", '{"build": {"id": "x"}, "listing": ' + DEEP + "}")
    assert ctype is not None
    resp = requests.post(f"{served}/webhooks/v1/{tenant['name']}/builds", data=body, timeout=30,
                         headers={**spec_headers(tenant["secret"], body), "content-type": ctype})
    assert resp.status_code == 400, (case, resp.text[:300])
    assert resp.headers["content-type"].startswith(PROBLEM)
    assert resp.json().get("field") == field, (case, resp.json())


def test_the_store_commands_of_the_contract(settings: Settings) -> None:
    """Section 3: `gate tenants add/list/rotate`, `gate delist add/remove/list` and `gate scan --history` reading
    the registry behind PLT-DELISTED, exit codes 0 pass / 2 block, on the configured store (REDIS_URL)."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, **settings.env(), "PYTHONPATH": str(ROOT)}

    def gate(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gate.cli", *args], capture_output=True, text=True, env=env,
                              cwd=ROOT, timeout=120)

    added = gate("tenants", "add", "store-d", "--callback-url", "http://127.0.0.1:9/cb")
    assert added.returncode == 0, added.stderr
    first = load_json(added.stdout)
    rotated = gate("tenants", "rotate", "store-d")
    assert rotated.returncode == 0, rotated.stderr
    second = load_json(rotated.stdout)
    assert second["webhook_secret"].startswith("whsec_") and second["api_token"]
    assert second["webhook_secret"] != first["webhook_secret"] and second["api_token"] != first["api_token"]
    listed = gate("tenants", "list")
    assert listed.returncode == 0 and "store-d" in listed.stdout
    assert first["webhook_secret"] not in listed.stdout and second["webhook_secret"] not in listed.stdout

    scan = ("scan", str(fixture_apk("clean")), "--listing", str(LISTINGS / "complete.json"), "--history",
            "--format", "json")
    for target in (("cn.gate.fixture.clean",), ("cn.other.app", "--developer", LISTING["developer"]["id"])):
        assert gate("delist", "add", *target, "--notice", "工信部2026年第1批通报").returncode == 0
        assert target[0] in gate("delist", "list").stdout
        out = gate(*scan)
        assert out.returncode == 2, out.stderr
        assert "PLT-DELISTED" in {f["rule_id"] for f in load_json(out.stdout)["findings"]}, target
        removed = gate("delist", "remove", *target)
        assert removed.returncode == 0, removed.stderr
    out = gate(*scan)
    assert out.returncode == 0, out.stdout[-500:] + out.stderr
    assert "PLT-DELISTED" not in {f["rule_id"] for f in load_json(out.stdout)["findings"]}


def test_the_catalogue_says_at_least_what_rules_md_says_each_rule_fires_on() -> None:
    """`gate rules` shows each rule's "fires when"; the gate may say more (add freely), never less than rules.md."""
    import re

    from tests.conftest import SHARED

    path = SHARED / "spec" / "rules.md"
    if not path.is_file():
        pytest.skip("shared/spec not available")
    catalogue = load_json(run_gate("rules", "--policy", "cn-default", "--format", "json").stdout)
    rows = {r["id"]: r for r in catalogue["rules"]}

    def words(text: str) -> set[str]:
        return set(re.findall(r"\w+", text.lower()))

    short: dict[str, list[str]] = {}
    row = re.compile(r"^\| ([A-Z]+(?:-[A-Z0-9]+)+) \| (.+?) \| [^|]+ \| [^|]+ \|$", re.MULTILINE)
    for m in row.finditer(path.read_text(encoding="utf-8")):
        missing = words(m.group(2)) - words(rows[m.group(1)]["fires_when"])
        if missing:
            short[m.group(1)] = sorted(missing)
    assert not short, short


def test_the_catalogue_cites_every_reference_of_rules_md() -> None:
    """rules.md's references column (ids of ../reference/regulations.md) is in each rule's `references`."""
    import re

    from tests.conftest import SHARED

    path = SHARED / "spec" / "rules.md"
    if not path.is_file():
        pytest.skip("shared/spec not available")
    rows: dict[str, set[str]] = {}
    for policy in ("cn-default", "google-play"):
        for r in load_json(run_gate("rules", "--policy", policy, "--format", "json").stdout)["rules"]:
            rows[r["id"]] = set(r["references"])
    row = re.compile(r"^\| ([A-Z]+(?:-[A-Z0-9]+)+) \| .+? \| [^|]+ \| ([^|]+) \|$", re.MULTILINE)
    missing = {}
    for m in row.finditer(path.read_text(encoding="utf-8")):
        cited: set[str] = set()
        for ref in (r.strip() for r in m.group(2).split(",")):
            span = re.fullmatch(r"([A-Z]+)-(\d+) … \1-(\d+)", ref)
            if span:
                cited |= {f"{span[1]}-{n:02d}" for n in range(int(span[2]), int(span[3]) + 1)}
            elif ref != "—" and ":" not in ref:  # "seeds: ..." is a note, not a reference id
                cited.add(ref)
        if cited - rows[m.group(1)]:
            missing[m.group(1)] = sorted(cited - rows[m.group(1)])
    assert not missing, missing
