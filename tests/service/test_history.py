"""History at the service: three versions of one package, a certificate change, a recurring finding,
the delisted registry, a store switched to another pack and an override, all on a real Redis."""

from __future__ import annotations

import json

from tests.conftest import LISTINGS, fixture_apk, run_gate
from tests.service.conftest import post_build, wait_status

LISTING = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))


def _decide(client, rt, tenant, workers, apk: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    build_id = post_build(client, tenant, fixture_apk(apk), LISTING).json["build_id"]
    workers.burst()
    return wait_status(rt, build_id, ("done", "failed")).verdict  # type: ignore[no-any-return]


def _rules(verdict: dict) -> dict[str, str]:  # type: ignore[type-arg]
    return {f["rule_id"]: f["outcome"] for f in verdict["findings"]}


def test_three_versions_clean_then_cert_change_then_recurring(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    first = _decide(client, rt, tenant, workers, "clean")
    assert first["verdict"] == "pass" and "diff" not in first  # no earlier version: nothing to compare
    second = _decide(client, rt, tenant, workers, "clean-v2")  # same package, another key
    assert _rules(second)["PKG-CERT-CHANGED"] == "block"
    assert [d["rule_id"] for d in second["diff"]["new"]] == ["PKG-CERT-CHANGED"]
    third = _decide(client, rt, tenant, workers, "clean-v3")  # back to the original key
    assert "PKG-CERT-CHANGED" not in _rules(third)
    assert [d["rule_id"] for d in third["diff"]["fixed"]] == ["PKG-CERT-CHANGED"]
    history = rt.record.history("store-a", "cn.gate.fixture.clean")
    assert [h["version_code"] for h in history] == [1, 2, 3]


def test_the_same_apk_posted_three_times_is_one_version_and_stays_warn(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    """A store's retry with a new webhook id (or a fix to the listing alone) sends the same binary again: it is
    the same version (package, version code, sha256), never counted as a new one."""
    verdicts = [_decide(client, rt, tenant, workers, "self-start") for _ in range(3)]
    assert [v["verdict"] for v in verdicts] == ["warn", "warn", "warn"]
    assert all("PLT-RECURRENCE" not in _rules(v) for v in verdicts)
    [entry] = rt.record.history("store-a", "cn.gate.fixture.self_start")
    assert entry["builds"] == 3 and entry["sha256"] == verdicts[0]["app"]["sha256"]


def test_a_finding_recurring_on_three_versions_blocks(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    first = _decide(client, rt, tenant, workers, "self-start")
    package = first["app"]["package"]
    # two later versions of the package (other binaries) that carried the same finding
    for n in (1, 2):
        app = {**first["app"], "sha256": f"{n}" * 64, "version_code": first["app"]["version_code"] + n}
        rt.record.append_history("store-a", package, f"b_earlier{n}", {**first, "app": app})
    again = _decide(client, rt, tenant, workers, "self-start")
    assert _rules(again)["PLT-RECURRENCE"] == "block" and again["verdict"] == "block"
    assert [d["rule_id"] for d in again["diff"]["recurring"]] == ["HAR-SELF-START"]
    assert len(rt.record.history("store-a", package)) == 3  # the binary sent again is still one version


def test_a_waived_finding_neither_counts_towards_recurrence_nor_triggers_it(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    """A reviewer accepted HAR-SELF-START for this package (a waiver) after it had been on two versions: the third
    version carries it waived (info), so it is no recurring problem: no PLT-RECURRENCE, let alone its block."""
    first = _decide(client, rt, tenant, workers, "self-start")
    package = first["app"]["package"]
    for n in (1, 2):
        app = {**first["app"], "sha256": f"{n}" * 64, "version_code": first["app"]["version_code"] + n}
        rt.record.append_history("store-a", package, f"b_earlier{n}", {**first, "app": app})
    waiver = rt.record.add_waiver("store-a", "HAR-SELF-START", "the boot receiver restores alarms", "alice",
                                  package=package)
    again = _decide(client, rt, tenant, workers, "self-start")
    assert _rules(again)["HAR-SELF-START"] == "info"
    [waived] = [f for f in again["findings"] if f["rule_id"] == "HAR-SELF-START"]
    assert waived["waiver"]["id"] == waiver["id"] and waived["waiver"]["outcome"] == "warn"
    assert "PLT-RECURRENCE" not in _rules(again) and again["verdict"] != "block"


def test_the_delisted_registry_blocks_and_names_the_notice(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    rt.record.delist("cn.gate.fixture.debuggable", None, "工信部信管函〔2024〕12号")
    verdict = _decide(client, rt, tenant, workers, "debuggable")
    [f] = [f for f in verdict["findings"] if f["rule_id"] == "PLT-DELISTED"]
    assert "工信部信管函〔2024〕12号" in f["message"]
    rt.record.undelist("cn.gate.fixture.debuggable")
    assert "PLT-DELISTED" not in _rules(_decide(client, rt, tenant, workers, "debuggable"))


def test_a_store_switched_to_google_play_with_an_override(client, rt, tenant, workers) -> None:  # type: ignore[no-untyped-def]
    rt.record.update_tenant("store-a", policy="google-play",
                           policy_override={"outcomes": {"PI-PERMISSIONS": "warn"}})
    verdict = _decide(client, rt, tenant, workers, "clean")
    assert verdict["policy"]["name"] == "google-play+store-a"
    rules = _rules(verdict)
    assert rules["GP-TARGET-SDK"] == "block" and rules["PI-PERMISSIONS"] == "warn"
    assert "PLT-FILING-MISSING" not in rules


def test_cli_delist_import_and_scan_with_history(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    env = {**os.environ, **settings.env()}
    notice = tmp_path / "notice.csv"
    notice.write_text("package,developer,notice\ncn.gate.fixture.clean,,工信部2024年第5批\n,DEV-9,同上\n",
                      encoding="utf-8")

    def gate(*args: str):  # type: ignore[no-untyped-def]
        import subprocess
        import sys

        from tests.conftest import ROOT
        return subprocess.run([sys.executable, "-m", "gate.cli", *args], capture_output=True, text=True,
                              env=env, cwd=ROOT)

    imported = gate("delist", "import", str(notice))
    assert imported.returncode == 0, imported.stderr
    assert len(json.loads(imported.stdout)["added"]) == 2
    listed = json.loads(gate("delist", "list").stdout)["delisted"]
    assert {e.get("package") or e.get("developer") for e in listed} == {"cn.gate.fixture.clean", "DEV-9"}
    scanned = gate("scan", str(fixture_apk("clean")), "--listing", str(LISTINGS / "complete.json"),
                   "--history", "--format", "json")
    assert scanned.returncode == 2
    assert "PLT-DELISTED" in {f["rule_id"] for f in json.loads(scanned.stdout)["findings"]}
    assert gate("delist", "remove", "cn.gate.fixture.clean").returncode == 0
    again = gate("scan", str(fixture_apk("clean")), "--listing", str(LISTINGS / "complete.json"),
                 "--history", "--format", "json")
    doc = json.loads(again.stdout)
    assert again.returncode == 0 and "diff" in doc  # the CLI recorded the first scan as history
    bad = tmp_path / "bad.csv"
    bad.write_text("package,notice\ncn.x,\n", encoding="utf-8")
    refused = gate("delist", "import", str(bad))
    assert refused.returncode == 3 and "line 2" in refused.stderr and "no notice" in refused.stderr
    assert run_gate("rules", "--policy", "google-play", "--format", "json").returncode == 0


def test_cli_tenant_policy_is_validated(rt, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    rt.record.add_tenant("store-p", "http://127.0.0.1:9/cb")
    env = {**os.environ, **settings.env()}
    good = tmp_path / "o.json"
    good.write_text(json.dumps({"outcomes": {"PKG-EXPORTED": "block"}}), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "gate.cli", "tenants", "policy", "store-p", "--pack", "strict",
                          "--override", str(good)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["effective_policy"]["name"] == "strict+store-p"
    bad = tmp_path / "b.json"
    bad.write_text(json.dumps({"outcomes": {"PKG-EXPORTED": "maybe"}}), encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "gate.cli", "tenants", "policy", "store-p", "--override", str(bad)],
                         capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.returncode == 3 and "must be one of" in out.stderr
    assert rt.record.get_tenant("store-p").policy_override == {"outcomes": {"PKG-EXPORTED": "block"}}


def test_operators_api_for_the_registry(app, rt) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    assert client.get("/api/v1/admin/delisted").status_code == 404  # not enabled
    from dataclasses import replace

    app.extensions["gate"].settings = replace(rt.settings, admin_token="op-secret-token")
    assert client.get("/api/v1/admin/delisted").status_code == 401
    assert client.get("/api/v1/admin/delisted", headers={"authorization": "Bearer wrong"}).status_code == 401
    auth = {"authorization": "Bearer op-secret-token"}
    added = client.post("/api/v1/admin/delisted", json={"notice": "通报 2024-7", "packages": ["a.b.c", "d.e.f"]},
                        headers=auth)
    assert added.status_code == 201 and len(added.json["added"]) == 2
    assert client.post("/api/v1/admin/delisted", json={"package": "x.y"}, headers=auth).status_code == 422
    assert {e["package"] for e in client.get("/api/v1/admin/delisted", headers=auth).json["delisted"]} == \
        {"a.b.c", "d.e.f"}
    assert client.delete("/api/v1/admin/delisted/a.b.c", headers=auth).status_code == 200
    assert client.delete("/api/v1/admin/delisted/a.b.c", headers=auth).status_code == 404
    assert rt.record.delisted_lookup("d.e.f", None)["notice"] == "通报 2024-7"


def test_a_malformed_policy_is_refused_at_start(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    bad = tmp_path / "store.toml"
    bad.write_text('name = "store"\n\n[outcomes]\n"PKG-DEBUGGABLE" = "fatal"\n', encoding="utf-8")
    env = {**os.environ, **settings.env(), "GATE_POLICY": str(bad)}
    for command in (["worker", "--burst"], ["serve", "--port", "1"]):
        out = subprocess.run([sys.executable, "-m", "gate.cli", *command], capture_output=True, text=True,
                             env=env, cwd=ROOT, timeout=60)
        assert out.returncode == 3
        assert f"{bad}, line 4: outcome of PKG-DEBUGGABLE must be one of" in out.stderr


def test_cli_scan_with_history_applies_the_stores_waivers_as_the_worker_does(client, rt, tenant, workers,  # type: ignore[no-untyped-def]
                                                                            settings) -> None:
    """`gate scan --history --tenant T` reads the store's record (SQLite in the test's data directory): its
    waivers turn a waived finding into info in every format and in the exit status, as the service's worker does
    for the same APK and listing."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, **settings.env()}
    apk, listing = str(fixture_apk("self-start")), str(LISTINGS / "complete.json")

    def scan(fmt: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gate.cli", "scan", apk, "--listing", listing, "--history",
                               "--tenant", tenant["name"], "--format", fmt], capture_output=True, text=True, env=env,
                              cwd=ROOT)

    before = scan("json")
    assert before.returncode == 1, before.stderr
    assert _rules(json.loads(before.stdout))["HAR-SELF-START"] == "warn"
    package = json.loads(before.stdout)["app"]["package"]
    waiver = rt.record.add_waiver(tenant["name"], "HAR-SELF-START", "the boot receiver restores alarms", "li.wei",
                                  package=package, identified_by="store_token")

    served = _decide(client, rt, tenant, workers, "self-start")  # the worker, same APK, listing and waivers
    doc = json.loads((done := scan("json")).stdout)
    assert done.returncode == 0 == {"pass": 0, "warn": 1, "block": 2}[served["verdict"]], done.stderr
    [waived] = [f for f in doc["findings"] if f["rule_id"] == "HAR-SELF-START"]
    [by_worker] = [f for f in served["findings"] if f["rule_id"] == "HAR-SELF-START"]
    assert waived["outcome"] == by_worker["outcome"] == "info"
    assert waived["waiver"] == by_worker["waiver"] == {
        "id": waiver["id"], "reason": "the boot receiver restores alarms", "author": "li.wei",
        "author_identified_by": "store_token", "expires_at": None, "outcome": "warn"}
    assert (doc["verdict"], doc["summary"]["warn"]) == (served["verdict"], served["summary"]["warn"]) == ("pass", 0)
    assert "PLT-RECURRENCE" not in _rules(doc)

    text = scan("text")
    assert text.returncode == 0 and text.stdout.startswith("PASS")
    assert ("Waived by the store: the boot receiver restores alarms (by li.wei (named by the store with its API "
            f"token), until no expiry; was warn, waiver #{waiver['id']})") in text.stdout
    info = text.stdout.split("\nINFO (", 1)[1]
    assert "HAR-SELF-START" in info and "\nWARN (" not in text.stdout

    sarif = scan("sarif")
    assert sarif.returncode == 0
    run = json.loads(sarif.stdout)["runs"][0]
    [result] = [r for r in run["results"] if r["ruleId"] == "HAR-SELF-START"]
    assert result["level"] == "note" and result["properties"]["waiver"]["id"] == waiver["id"]
    assert result["suppressions"] == [{"kind": "external", "status": "accepted",
                                       "justification": "the boot receiver restores alarms"}]
    assert run["properties"]["verdict"] == "pass"

    # revoked: the CLI warns again, as the worker would
    assert rt.record.revoke_waiver(waiver["id"], "li.wei", identified_by="store_token")
    again = scan("json")
    assert again.returncode == 1 and _rules(json.loads(again.stdout))["HAR-SELF-START"] == "warn"
    assert not any("waiver" in f for f in json.loads(again.stdout)["findings"])
