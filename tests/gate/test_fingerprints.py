"""SDK fingerprints beyond package names: a renamed SDK is reported by name and its calls attributed to it;
one weak fingerprint, or a key that only resembles a vendor's, stays quiet."""

from __future__ import annotations

from gate.core.fingerprints import Anchor, _host_regex, renamed_owners
from gate.core.sdks import catalogue, detect
from tests.conftest import finding, rule_ids, scan_fixture


def _sdks(name: str) -> dict[str, dict]:  # type: ignore[type-arg]
    return {s["id"]: dict(s) for s in scan_fixture(name).sdks}


def test_renamed_push_sdk_is_named_with_its_fingerprints() -> None:
    jpush = _sdks("renamed-sdk")["jpush"]
    assert {"meta_data", "meta_read", "host", "renamed"} <= set(jpush["markers"])
    values = [e["value"] for e in jpush["evidence"]]
    assert "meta-data JPUSH_APPKEY" in values
    assert any(e["marker"] == "host" and e["location"] == "La/b/c/a;" and "stats.jpush.cn" in e["constant"]
               for e in jpush["evidence"])
    [renamed] = [e for e in jpush["evidence"] if e["marker"] == "renamed"]
    assert renamed["packages"] == ["a.b.c.*"] and renamed["location"] == "La/b/c/"


def test_renamed_sdk_calls_are_attributed_to_it() -> None:
    verdict = scan_fixture("renamed-sdk")
    [site] = finding(verdict, "PI-DEVICE-ID").evidence
    assert site.location == "La/b/c/b;->a(Landroid/content/Context;)Ljava/lang/String;"
    assert site.sdk == "jpush" and site.extra.get("owner") == "sdk"
    [chain] = finding(verdict, "PI-PRECONSENT").evidence
    assert chain.sdk == "jpush"  # JPushInterface.init in Application.onCreate, renamed a.b.c.a.a
    # the renamed library loader is JCore's (its library name), not JPush's, though it sits in JPush's package
    jcore = _sdks("renamed-sdk")["jiguang-jcore"]
    assert any(e["marker"] == "lib_load" and e["location"] == "La/b/c/c;" for e in jcore["evidence"])


def test_host_in_app_code_and_lookalike_keys_stay_quiet() -> None:
    verdict = scan_fixture("renamed-quiet")
    assert not {"jpush", "umeng-common", "jiguang-jcore"} & set(_sdks("renamed-quiet"))
    [site] = finding(verdict, "PI-DEVICE-ID").evidence
    # one Umeng host in obfuscated code is one weak fingerprint: the IMEI read stays unattributed
    assert site.location.startswith("La/a/a;->") and site.sdk is None and site.extra.get("owner") == "third_party"
    assert "PI-SDK-INVENTORY" not in rule_ids(verdict) or "Umeng" not in finding(verdict, "PI-SDK-INVENTORY").message


def _detect(meta: set[str], anchors: list[Anchor]) -> dict[str, list[str]]:
    found = detect(catalogue(), lambda prefix: [], lambda desc: False, [], [], "cn.example.app", (),
                   meta_keys=meta, anchors=anchors)
    return {d.sdk.id: sorted({e["marker"] for e in d.evidence}) for d in found}


def test_two_kinds_of_fingerprint_are_needed_without_another_marker() -> None:
    host = Anchor("umeng-common", "host", "ulogs.umeng.com", "La/b/c;", "https://ulogs.umeng.com/unify_logs")
    read = Anchor("umeng-common", "meta_read", "UMENG_APPKEY", "La/b/d;")
    assert _detect(set(), [host, host]) == {}  # hosts alone, however many
    assert _detect({"UMENG_APPKEY", "UMENG_CHANNEL"}, []) == {}  # keys alone: maybe a leftover
    assert _detect({"UMENG_APPKEY"}, [host]) == {"umeng-common": ["host", "meta_data"]}
    assert _detect({"UMENG_APPKEY"}, [read]) == {"umeng-common": ["meta_data", "meta_read"]}
    assert _detect({"UMENG_APPKEY_BACKUP", "umeng_appkey"}, [host]) == {}  # look-alike keys are no keys


def test_host_pattern_matches_the_host_and_its_subdomains_only() -> None:
    regex = _host_regex(["jpush.cn"])
    assert regex is not None
    for text in ("https://stats.jpush.cn/v3/report", "jpush.cn", "//JPUSH.CN:443/x", "see jpush.cn."):
        assert regex.search(text.encode()), text
    for text in ("https://notjpush.cn/", "jpush.cnn", "https://jpush.cn.example.com/", "jpush-cn"):
        assert not regex.search(text.encode()), text


def test_renamed_packages_go_to_the_majority_and_never_a_readable_package() -> None:
    anchors = [Anchor("jpush", "host", "jpush.cn", "La/b/c/a;"), Anchor("jpush", "meta_read", "K", "La/b/c/a;"),
               Anchor("jiguang-jcore", "lib_load", "libjcore1.so", "La/b/c/c;"),
               Anchor("jpush", "host", "jpush.cn", "Lcom/vendor/net/Http;"),
               Anchor("umeng-common", "host", "ulogs.umeng.com", "Lx/y/z;"),
               Anchor("getui-push", "host", "x", "Lq/a;"), Anchor("jpush", "host", "x", "Lq/b;")]
    packages, classes = renamed_owners(anchors, ["jpush", "jiguang-jcore", "getui-push"])
    assert packages == {"La/b/c/": "jpush"}  # q/ is a tie; com/vendor/net/ is readable; umeng was not detected
    assert classes["La/b/c/c;"] == "jiguang-jcore" and classes["Lcom/vendor/net/Http;"] == "jpush"
    assert "Lx/y/z;" not in classes
