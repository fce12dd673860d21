"""The review pages through Flask's test client: sign-in (cookie flags, wrong password, rate limit, CSRF), the
queue and its filters, a build with its evidence, history and diff, decisions and waivers, sign-out. The same
flows in a real browser are in test_review_browser.py."""

from __future__ import annotations

import re

import pytest

from tests.service.desk import PASSWORDS, decided, reviewers, store

OTHER = {"category": "online_lending", "app_name": "Other", "developer": {"name": "Other Ltd", "id": "dev-2"}}


@pytest.fixture()
def desk(rt, callback_server):  # type: ignore[no-untyped-def]
    store(rt.record, callback_server.url)
    reviewers(rt.record)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def sign_in(client, name: str = "alice", password: str | None = None):  # type: ignore[no-untyped-def]
    page = client.get("/review/login")
    return client.post("/review/login", data={"name": name, "password": password or PASSWORDS[name],
                                              "csrf": _csrf(page.text)})


def test_sign_in_sets_a_strict_http_only_session_and_sign_out_ends_it(client, desk) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/review").status_code == 302  # to the sign-in
    done = sign_in(client)
    assert done.status_code == 303 and done.headers["location"] == "/review"
    cookie = next(c for c in done.headers.getlist("set-cookie") if c.startswith("gate_review="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/review" in cookie
    queue = client.get("/review")
    assert queue.status_code == 200 and 'id="me">alice<' in queue.text
    assert client.post("/review/logout", data={"csrf": "wrong"}).status_code == 403  # CSRF on sign-out too
    assert client.post("/review/logout", data={"csrf": _csrf(queue.text)}).status_code == 302
    assert client.get("/review").status_code == 302


def test_wrong_passwords_are_refused_then_rate_limited(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    wrong = sign_in(client, "alice", "not-the-password")
    assert wrong.status_code == 401 and "Wrong name or password" not in wrong.text and "用户名或密码错误" in wrong.text
    assert sign_in(client, "nobody", "whatever-password").status_code == 401
    for _ in range(4):
        assert sign_in(client, "alice", "still-wrong").status_code == 401
    limited = sign_in(client, "alice")  # the fifth failure reached the limit: even the right password waits
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert sign_in(client, "bob").status_code == 303  # another account from the same address is fine
    # a sign-in without the double-submitted token is refused
    client.get("/review/login")
    assert client.post("/review/login", data={"name": "bob", "password": PASSWORDS["bob"]}).status_code == 403


def test_a_disabled_account_loses_its_session(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    sign_in(client, "bob")
    assert client.get("/review").status_code == 200
    rt.record.disable_reviewer("bob")
    assert client.get("/review").status_code == 302
    assert sign_in(client, "bob").status_code == 401


def test_queue_filters_order_and_export(client, rt, desk) -> None:  # type: ignore[no-untyped-def]
    a = decided(rt.record, "sdk-calls", now=100.0)
    b = decided(rt.record, "preconsent", now=200.0, listing=OTHER)
    decided(rt.record, "clean", now=300.0)
    sign_in(client)

    def rows(query: str = "") -> list[str]:
        return re.findall(r'data-build="(b_[0-9a-f]+)"', client.get(f"/review{query}").text)

    assert rows() == [b, a] and rows("?order=oldest") == [a, b]
    assert rows("?rule=PI-PRECONSENT") == [b] and rows("?developer=dev-2") == [b]
    assert rows("?category=utility_tools") == [a] and rows("?sdk=no-such-sdk") == []
    assert "<td>网络借贷类</td>" in client.get("/review").text  # the app type by its name, in the page's language
    assert "<td>Online lending</td>" in client.get("/review?lang=en").text
    csv_text = client.get("/review/export.csv?rule=PI-PRECONSENT").text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("build_id,tenant") and len(lines) == 2 and lines[1].startswith(b)
    assert "Review queue" in client.get("/review?lang=en").text


def test_decide_waive_and_revoke_on_the_build_page(client, rt, desk, workers, callback_server) -> None:  # type: ignore[no-untyped-def]
    first = decided(rt.record, "clean", now=100.0)
    build_id = decided(rt.record, "sdk-calls", now=200.0)
    sign_in(client)
    page = client.get(f"/review/builds/{build_id}?lang=en")
    assert page.status_code == 200 and 'id="approve"' in page.text and "The app&#39;s versions" in page.text
    token = _csrf(page.text)
    assert client.get("/review/builds/b_000000000000000000000000").status_code == 404
    assert client.get(f"/review/builds/{first}").status_code == 200 and 'id="approve"' not in client.get(
        f"/review/builds/{first}").text  # a pass waits for no one
    # no CSRF token, or another session's: refused, nothing decided
    assert client.post(f"/review/builds/{build_id}/decision", data={"decision": "approve", "reason": "ok"}
                       ).status_code == 403
    assert rt.record.get_build(build_id)["review_status"] == "pending"
    # a waiver for the first warned finding, by package
    rule = re.search(r'name="rule_id" value="([A-Z0-9-]+)"', page.text).group(1)  # type: ignore[union-attr]
    bad = client.post(f"/review/builds/{build_id}/waivers?lang=en",
                      data={"csrf": token, "rule_id": rule, "reason": "", "scope": "package"})
    assert bad.status_code == 422 and 'id="error"' in bad.text
    waived = client.post(f"/review/builds/{build_id}/waivers?lang=en",
                         data={"csrf": token, "rule_id": rule, "reason": "accepted for this app", "scope": "package",
                               "expires": "2099-01-31"})
    assert waived.status_code == 303 and "notice=waived" in waived.headers["location"]
    shown = client.get(waived.headers["location"]).text
    assert "Waiver added." in shown and "accepted for this app" in shown and "waived-badge" in shown
    [w] = rt.record.waivers("store-a")
    assert (w["rule_id"], w["author"], w["package"]) == (rule, "alice", rt.record.get_build(build_id)["package"])
    assert w["author_identified_by"] == "review_session"
    assert 'alice <small class="identified">(signed in on the review pages)</small>: accepted for this app' in shown
    revoked = client.post(f"/review/waivers/{w['id']}/revoke", data={"csrf": token, "build_id": build_id})
    assert revoked.status_code == 303 and rt.record.waivers("store-a") == []
    [gone] = rt.record.waivers("store-a", include_revoked=True)
    assert (gone["revoked_by"], gone["revoked_by_identified_by"]) == ("alice", "review_session")
    done = client.post(f"/review/builds/{build_id}/decision", data={"csrf": token, "decision": "approve",
                                                                    "reason": "SDK disclosed in the policy"})
    assert done.status_code == 303
    assert rt.record.get_build(build_id)["review_status"] == "approved"
    assert rt.record.decisions(build_id)[0]["reviewer"] == "alice"
    assert rt.record.decisions(build_id)[0]["reviewer_identified_by"] == "review_session"
    actions = [(a["actor"], a["action"]) for a in rt.record.audit_log() if a["subject_kind"] in ("build", "waiver")]
    assert actions == [("alice", "waiver.add"), ("alice", "waiver.revoke"), ("alice", "build.approve")]
    assert rt.record.audit_log(subject_kind="build")[-1]["data"]["reviewer_identified_by"] == "review_session"
    assert "signed in on the review pages" in client.get(f"/review/builds/{build_id}?lang=en").text
    workers.burst()
    assert callback_server.wait_for(1)[0]["type"] == "build.decision"


def test_a_block_override_is_requested_then_confirmed_by_a_senior(client, app, rt, desk) -> None:  # type: ignore[no-untyped-def]
    rt.record.update_tenant("store-a", review_blocks=True,
                            policy_override={"review": {"second_reviewer_for_block": True}})
    build_id = decided(rt.record, "debuggable")
    sign_in(client, "bob")
    page = client.get(f"/review/builds/{build_id}")
    assert 'id="second-needed"' in page.text
    asked = client.post(f"/review/builds/{build_id}/decision",
                        data={"csrf": _csrf(page.text), "decision": "approve", "reason": "internal beta"})
    assert "notice=requested" in asked.headers["location"]
    assert rt.record.get_build(build_id)["review_status"] == "pending"
    assert 'id="confirm"' not in client.get(f"/review/builds/{build_id}").text  # not for the one who asked
    senior = app.test_client()
    sign_in(senior, "carol")
    page = senior.get(f"/review/builds/{build_id}")
    assert 'id="confirm"' in page.text and "internal beta" in page.text
    senior.post(f"/review/builds/{build_id}/decision",
                data={"csrf": _csrf(page.text), "decision": "approve", "confirm": "1", "reason": "checked"})
    assert rt.record.get_build(build_id)["review_status"] == "approved"
    [d] = rt.record.decisions(build_id)
    assert d["reviewer"] == "bob+carol" and d["reason"] == "internal beta / carol: checked"
    assert d["reviewer_identified_by"] == "review_session"
    audit = rt.record.audit_log(subject_kind="build", subject_id=build_id)
    assert [(a["action"], a["data"]["reviewer_identified_by"]) for a in audit] == [
        ("build.override_requested", "review_session"), ("build.approve", "review_session")]
