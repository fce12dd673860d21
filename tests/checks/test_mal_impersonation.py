"""MAL-IMPERSONATION: a well-known app's package or name under another certificate."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from checks.mal_impersonation import registry
from tests.conftest import ROOT, finding, mal_fixtures, rule_ids, scan_fixture

RULE = "MAL-IMPERSONATION"
FIRES, QUIET = mal_fixtures(RULE)


def test_wechat_package_under_another_certificate() -> None:
    f = finding(scan_fixture("fake-wechat"), RULE)
    assert str(f.outcome) == "block" and "com.tencent.mm" in f.message and "诱骗欺诈" in f.message_zh
    assert f.evidence[0].extra["publisher_digests"] == [  # md5, sha1, sha256 of Tencent's certificate, sorted
        "0fe4ff85c215918396dadc7cd8ce6963339af33d37751a56e54c7206b63a3c7c", "18c867f0717aa67b2ab7347505ba07ed",
        "cc80d76aa9fe94ec205ef0c336bfc424596da290"]
    cert = f.evidence[1].extra
    assert len(cert["certificate_md5"]) == 32
    assert cert["certificate_md5"] not in f.evidence[0].extra["publisher_digests"]


def test_alipay_name_under_another_package() -> None:
    f = finding(scan_fixture("fake-alipay"), RULE)
    assert "支付宝" in f.message and "com.eg.android.AlipayGphone" in f.message
    assert f.evidence[0].location == "AndroidManifest.xml <application android:label>"


def test_listing_name_counts_too(tmp_path: Path) -> None:
    from gate.core import listing as listing_mod
    from gate.core import policy
    from gate.core.scan import scan
    from tests.conftest import LISTINGS, fixture_apk

    data = json.loads((LISTINGS / "complete.json").read_text(encoding="utf-8"))
    data["app_name"] = "微信"
    (tmp_path / "listing.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    verdict = scan(fixture_apk("clean"), policy.load("cn-default"), listing_mod.load_file(tmp_path / "listing.json"))
    f = finding(verdict, RULE)
    assert f.evidence[0].kind == "listing" and f.evidence[0].extra["imitates"] == "com.tencent.mm"


def test_the_publishers_certificate_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Were the fixtures' release key WeChat's publisher key, fake-wechat would be the real thing: no finding.
    import checks.mal_impersonation as module

    release = scan_fixture("clean").app.certificates[0].sha256
    table = dict(registry())
    table["com.tencent.mm"] = dataclasses.replace(table["com.tencent.mm"], digests=frozenset({release}))
    monkeypatch.setattr(module, "registry", lambda: table)
    assert RULE not in rule_ids(scan_fixture("fake-wechat"))


@pytest.mark.parametrize("name", QUIET)
def test_quiet(name: str) -> None:
    assert RULE not in rule_ids(scan_fixture(name))


def test_registry_rows_have_sources_and_hex_digests() -> None:
    raw = json.loads((ROOT / "gate" / "data" / "well_known_apps.json").read_text(encoding="utf-8"))
    sizes = {"md5": 32, "sha1": 40, "sha256": 64}
    for row in raw["apps"]:
        assert row["names"] and row["publisher"] and row["source"], row["package"]
        for kind, values in row["digests"].items():
            assert all(len(v) == sizes[kind] and int(v, 16) >= 0 for v in values)
    assert sorted(FIRES) == ["fake-alipay", "fake-wechat"]


def test_registry_certificates_give_their_digests() -> None:
    # An entry that keeps the publisher's whole certificate (from the vendor's SDK) has exactly its digests.
    import base64
    import hashlib

    raw = json.loads((ROOT / "gate" / "data" / "well_known_apps.json").read_text(encoding="utf-8"))
    with_cert = [row for row in raw["apps"] if "certificate" in row]
    vendors = {"com.tencent.mm", "com.tencent.mobileqq", "com.eg.android.AlipayGphone"}
    assert vendors <= {r["package"] for r in with_cert}
    for row in with_cert:
        der = base64.b64decode(row["certificate"])
        assert row["digests"] == {"md5": [hashlib.md5(der).hexdigest()], "sha1": [hashlib.sha1(der).hexdigest()],
                                  "sha256": [hashlib.sha256(der).hexdigest()]}, row["package"]


def test_no_two_publishers_share_a_package_or_name() -> None:
    raw = json.loads((ROOT / "gate" / "data" / "well_known_apps.json").read_text(encoding="utf-8"))
    packages = [row["package"] for row in raw["apps"]]
    names = ["".join(n.split()).casefold() for row in raw["apps"] for n in row["names"]]
    assert len(packages) == len(set(packages)) and len(names) == len(set(names))
